import Foundation
import PaperboyCore

// arXiv API (Atom) responses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArxivAtom(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let feed: ArxivFeed
    do {
        feed = try ArxivAtomParser.parse(fuzzData(bytes, size))
    } catch {
        return 0
    }
    for entry in feed.entries {
        invariant(ArxivID.isValid(entry.id), "entry with id \(entry.id.debugDescription)")
        invariant(!entry.title.isEmpty, "entry without a title")
        invariant(!entry.authors.contains { $0.name.isEmpty }, "an author without a name")
        let paper = entry.record.paper
        invariant(isWebURL(paper.pdfURL), "pdf link \(paper.pdfURL ?? "") is not http(s)")
    }
    return 0
}
