import Foundation
import PaperboyCore

/// arXiv's free-text author field, as in arXivRaw records and the metadata snapshot:
/// `A. Author (MIT), B. Author and C. Author (1) ((1) Stanford)`, with TeX accents (`Bal\'azs`).
public enum ArxivAuthors {
    /// The authors in order, each with the affiliations written in parentheses after the name.
    /// Footnote-style affiliation lists (`(1) Stanford`) and numeric markers are dropped.
    public static func split(_ field: String) -> [ArxivEntry.Author] {
        let text = TextTools.collapseWhitespace(resolveAccents(field))
        var authors: [ArxivEntry.Author] = []
        var name = ""
        var affiliations: [String] = []
        var depth = 0
        var group = ""

        func finish() {
            var cleaned = name.trimmingCharacters(in: .whitespaces)
            for prefix in ["and ", "And "] where cleaned.hasPrefix(prefix) { cleaned.removeFirst(prefix.count) }
            cleaned = cleaned.trimmingCharacters(in: CharacterSet(charactersIn: " ,;"))
            if cleaned.lowercased() == "and" { cleaned = "" }
            if !cleaned.isEmpty, cleaned.contains(where: \.isLetter) {
                authors.append(ArxivEntry.Author(name: cleaned, affiliations: affiliations))
            }
            name = ""
            affiliations = []
        }

        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            switch character {
            case "(":
                if depth > 0 { group.append(character) }
                depth += 1
            case ")" where depth > 0:
                depth -= 1
                if depth > 0 { group.append(character) } else {
                    let affiliation = group.trimmingCharacters(in: .whitespaces)
                    // `(1)`, `(1, 2)` are markers; `((1) Stanford, (2) MIT)` is a footnote list.
                    if !affiliation.isEmpty, affiliation.contains(where: \.isLetter), !affiliation.hasPrefix("(") {
                        affiliations.append(affiliation)
                    }
                    group = ""
                }
            case "," where depth == 0, ";" where depth == 0:
                finish()
            default:
                if depth > 0 {
                    group.append(character)
                } else if character == " ", text[index...].hasPrefix(" and "), !name.trimmingCharacters(in: .whitespaces).isEmpty {
                    finish()
                    index = text.index(index, offsetBy: 5)
                    continue
                } else {
                    name.append(character)
                }
            }
            index = text.index(after: index)
        }
        finish()
        return authors
    }

    static let combining: [Character: Character] = [
        "'": "\u{301}", "`": "\u{300}", "^": "\u{302}", "\"": "\u{308}", "~": "\u{303}", "=": "\u{304}", ".": "\u{307}",
        "c": "\u{327}", "v": "\u{30C}", "u": "\u{306}", "H": "\u{30B}", "k": "\u{328}", "r": "\u{30A}",
    ]
    static let letters: [String: String] = [
        "aa": "å", "AA": "Å", "o": "ø", "O": "Ø", "ss": "ß", "l": "ł", "L": "Ł", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "i": "ı",
    ]

    /// `\'a`, `\'{a}`, `{\'a}`, `\c{c}`, `\o`, `{\ss}` → the Unicode letters; other braces vanish.
    public static func resolveAccents(_ text: String) -> String {
        guard text.contains("\\") || text.contains("{") else { return text }
        let characters = Array(text)
        var output = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "{" || character == "}" {
                index += 1
                continue
            }
            guard character == "\\", index + 1 < characters.count else {
                output.append(character)
                index += 1
                continue
            }
            let command = characters[index + 1]
            var mark: Character?
            var target = index + 2
            if command.isLetter {
                // \o, \ss, \aa …: a whole letter command, or a one-letter accent like \c{c}.
                var end = index + 1
                while end < characters.count, characters[end].isLetter { end += 1 }
                let name = String(characters[(index + 1)..<end])
                if let letter = letters[name] {
                    output += letter
                    index = end < characters.count && characters[end] == " " ? end + 1 : end
                    continue
                }
                guard name.count == 1, let accent = combining[command] else {
                    output += "\\" + name
                    index = end
                    continue
                }
                mark = accent
            } else if let accent = combining[command] {
                mark = accent
            } else {
                // \& \_ and friends: the character itself.
                output.append(command)
                index += 2
                continue
            }
            while target < characters.count, characters[target] == "{" || characters[target] == " " { target += 1 }
            // \'\i is an accented dotless i: the base is i.
            if target + 1 < characters.count, characters[target] == "\\", characters[target + 1] == "i" { target += 1 }
            guard let mark, target < characters.count, characters[target].isLetter else {
                output.append(command)
                index += 2
                continue
            }
            output += (String(characters[target]) + String(mark)).precomposedStringWithCanonicalMapping
            index = target + 1
        }
        return output
    }
}
