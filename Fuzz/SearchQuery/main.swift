import Foundation

// The search box. Parsing either returns a non-empty query or throws `SearchQuery.Problem`;
// what it returns is only words (letters and digits) and filters, and its free text parses again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSearchQuery(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: size), as: UTF8.self)
    let query: SearchQuery
    do {
        query = try SearchQuery.parse(text)
    } catch {
        return 0
    }
    invariant(!query.isEmpty, "an empty query was returned")
    for word in query.words + query.excluded {
        invariant(!word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber }, "word \(word.debugDescription)")
    }
    invariant(!query.phrases.contains(where: \.isEmpty), "an empty phrase")
    if let from = query.publishedFrom, let to = query.publishedTo, text.lowercased().contains("year:") {
        _ = from < to
    }
    let free = query.freeText
    if !free.isEmpty {
        do {
            let again = try SearchQuery.parse(free)
            invariant(!again.hasFilters, "free text \(free.debugDescription) parsed into filters")
        } catch .tooLong {
            // Lower-casing can lengthen text (İ → i̇); over the limit is a fair answer.
        } catch {
            invariant(false, "free text \(free.debugDescription) of \(text.debugDescription) does not parse again: \(error)")
        }
    }
    return 0
}
