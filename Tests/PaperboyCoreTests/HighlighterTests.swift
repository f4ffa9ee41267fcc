import Foundation
import Testing
@testable import PaperboyCore

/// The byte path for ASCII text must mark and cut exactly as the general `Character` path does.
@Suite struct HighlighterTests {
    static let termSets: [[String]] = [
        ["sparse", "attention"], ["training", "the", "gan"], ["diffus"], ["model", "language", "learning", "neural"],
        ["a"], ["x"], [], ["naïve", "bayes"], ["transformer", "reinforcement", "policy", "graph", "retrieval"],
    ]

    @Test func snippetAndSegments_seedAbstracts_matchTheCharacterPath() throws {
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Data/seed-papers.jsonl")
        struct Line: Decodable { let title: String; let abstract: String? }
        let papers = try String(contentsOf: seed, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        #expect(papers.count > 200)
        var compared = 0
        for terms in Self.termSets {
            let highlighter = Highlighter(terms: terms)
            for paper in papers {
                let abstract = LatexText.legible(paper.abstract ?? "")
                let words = TextWords(abstract)
                for length in [280, 120, 40] {
                    let snippet = highlighter.snippet(abstract, length: length)
                    #expect(snippet == highlighter.characterSnippet(abstract, length: length),
                            "snippet differs for \(terms) at \(length): \(abstract.prefix(60))")
                    #expect(highlighter.snippet(abstract, words: words, length: length) == snippet,
                            "with the words found before, the snippet differs for \(terms) at \(length)")
                }
                #expect(highlighter.segments(paper.title) == highlighter.characterSegmentsForTesting(paper.title))
                compared += 1
            }
        }
        #expect(compared == Self.termSets.count * papers.count)
    }

    @Test func snippet_oddSpacingAndLongWords_matchTheCharacterPath() {
        let texts = [
            "  leading spaces then sparse attention " + String(repeating: "word ", count: 80),
            String(repeating: "x", count: 400) + " sparse",
            "sparse" + String(repeating: " ", count: 300) + "attention  models",
            String(repeating: "sparse  attention, GANs; gan-based (training)   ", count: 20),
            "",
        ]
        for terms in Self.termSets {
            let highlighter = Highlighter(terms: terms)
            for text in texts {
                for length in [280, 20, 5, 1] {
                    #expect(highlighter.snippet(text, length: length) == highlighter.characterSnippet(text, length: length),
                            "snippet differs for \(terms) at \(length): \(text.prefix(40).debugDescription)")
                    #expect(highlighter.snippet(text, words: TextWords(text), length: length) == highlighter.characterSnippet(text, length: length))
                }
                #expect(highlighter.segments(text) == highlighter.characterSegmentsForTesting(text))
            }
        }
    }

    @Test func snippet_nonASCIIText_takesTheCharacterPath() {
        let highlighter = Highlighter(terms: ["naïve", "model"])
        let text = "A naïve model of café culture"
        #expect(highlighter.snippet(text).filter(\.highlighted).map(\.text) == ["naïve", "model"])
        #expect(highlighter.snippet(text).map(\.text).joined() == text)
    }
}
