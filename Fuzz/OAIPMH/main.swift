import Foundation
import PaperboyCore

// OAI-PMH ListRecords pages (arXiv and arXivRaw formats), as the harvester gets them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOAIPMH(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let page: OAIPage
    do {
        page = try OAIPMHParser.parse(fuzzData(bytes, size))
    } catch {
        return 0
    }
    for entry in page.records {
        invariant(ArxivID.isValid(entry.id), "record with id \(entry.id.debugDescription)")
        invariant(!entry.title.isEmpty, "record without a title")
        _ = entry.record
    }
    if let token = page.resumptionToken { invariant(!token.isEmpty, "an empty resumption token") }
    return 0
}
