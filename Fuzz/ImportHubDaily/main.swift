import Foundation

// The Hugging Face Hub's daily_papers JSON array.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImportHubDaily(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzData(bytes, size)
    _ = ImportFormat.detect(prefix: data)
    let entries: [Result<RawRecord, RecordRejection>]
    do {
        entries = try RecordDecoding.hubDailyEntries(data)
    } catch {
        return 0
    }
    for entry in entries { checkValidated(entry) }
    return 0
}
