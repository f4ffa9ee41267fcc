import Foundation
import PaperboyStore
import Testing

/// How list columns (authors, categories) are stored: one text, values joined by U+001F.
@Suite struct ListColumnTests {
    /// The byte split gives what the grapheme-aware split gave, also where a combining mark, an
    /// emoji sequence or CR LF sits beside a separator.
    @Test func decode_trickyText_matchesTheCharacterSplitAndRoundTrips() {
        let lists: [[String]] = [
            [], [""], ["", ""], ["Ada Lovelace"], ["Zoë Müller", "李华", "O'Brien, Jr."],
            ["e", "\u{301}accent first"], ["👩‍🔬 scientist", "🇫🇷"], ["line\r", "\nnext"], ["a", "", "b", ""],
            ["cs.LG", "stat.ML"], ["\u{1E}", "\u{0}"],
        ]
        for list in lists {
            let text = ListColumn.encode(list)
            let expected = text.isEmpty ? [] : text.split(separator: ListColumn.separator, omittingEmptySubsequences: false).map(String.init)
            #expect(ListColumn.decode(text) == expected, "\(list)")
            if !(list.count == 1 && list[0].isEmpty) { #expect(ListColumn.decode(text) == list, "\(list)") }
        }
    }
}
