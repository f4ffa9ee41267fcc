import Foundation

// Paperboy's own JSON Lines, as `paperboy import --format paperboy` reads them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImportJSONL(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzData(bytes, size)
    _ = ImportFormat.detect(prefix: data)
    importLines(data, format: .paperboy)
    return 0
}
