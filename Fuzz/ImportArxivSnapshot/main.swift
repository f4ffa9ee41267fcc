import Foundation

// The arXiv metadata snapshot's JSON Lines, and its free-text author field on its own.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImportArxivSnapshot(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzData(bytes, size)
    _ = ImportFormat.detect(prefix: data)
    importLines(data, format: .arxiv)
    // The author field is parsed by hand (TeX accents, nested parentheses): give it raw text too.
    let authors = ArxivAuthors.split(String(decoding: data.prefix(4_096), as: UTF8.self))
    invariant(!authors.contains { $0.name.isEmpty }, "an author without a name")
    return 0
}
