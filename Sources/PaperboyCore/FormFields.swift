import Foundation

/// `name=value&…` text decoded as HTML forms encode it: a URL's query or an
/// `application/x-www-form-urlencoded` body. Here rather than in PaperboyWeb so it is tested
/// and fuzzed (Fuzz/FormFields) without the web stack.
public struct FormFields: Sendable, Equatable {
    /// `+` is a space, then percent-escapes. First value wins, even when it is malformed.
    public let values: [String: String]
    /// Names whose value was not valid percent-encoded UTF-8.
    public let malformed: Set<String>

    public init(encoded: String) {
        var values: [String: String] = [:]
        var malformed: Set<String> = []
        for pair in encoded.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding, values[name] == nil, !malformed.contains(name) else { continue }
            let raw = parts.count > 1 ? String(parts[1]) : ""
            if let value = raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding {
                values[name] = value
            } else {
                malformed.insert(name)
            }
        }
        self.values = values
        self.malformed = malformed
    }
}
