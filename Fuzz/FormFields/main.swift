import Foundation

// Query strings and form bodies (`QueryParameters` in PaperboyWeb), and the arXiv references
// typed into the site. Beyond not crashing: fields encoded the way browsers encode them decode
// back to the same names and values.
let formSafe: CharacterSet = {
    var set = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
    set.insert(charactersIn: "-._*")
    return set
}()

func formEncode(_ text: String) -> String {
    (text.addingPercentEncoding(withAllowedCharacters: formSafe) ?? "")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFormFields(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: size), as: UTF8.self)
    let fields = FormFields(encoded: text)
    invariant(fields.malformed.isDisjoint(with: fields.values.keys), "a name both decoded and malformed")
    _ = ArxivID.fromReference(text)
    if let parsed = ArxivID.parse(text) { invariant(ArxivID.isValid(parsed.id), "parse gave invalid id \(parsed.id)") }

    // Round trip: the input split into name/value pairs on NUL and 0x01, encoded, decoded.
    var expected: [String: String] = [:]
    var encoded: [String] = []
    for pair in text.split(separator: "\u{0}", omittingEmptySubsequences: true) {
        let parts = pair.split(separator: "\u{1}", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        let value = parts.count > 1 ? String(parts[1]) : ""
        guard !name.isEmpty, expected[name] == nil else { continue }
        expected[name] = value
        encoded.append(formEncode(name) + "=" + formEncode(value))
    }
    let decoded = FormFields(encoded: encoded.joined(separator: "&"))
    invariant(decoded.malformed.isEmpty, "well-encoded fields reported malformed: \(decoded.malformed)")
    invariant(decoded.values == expected, "round trip changed \(expected) into \(decoded.values)")
    return 0
}
