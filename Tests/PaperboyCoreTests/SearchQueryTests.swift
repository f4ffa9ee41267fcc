import Testing
@testable import PaperboyCore

@Suite struct SearchQueryTests {
    @Test func parse_wordsPhrasesFiltersAndExclusions() throws {
        let query = try SearchQuery.parse(#"Sparse "lottery ticket" -pruning author:"Jonathan Frankle" category:cs.LG year:2018-2020"#)
        #expect(query.words == ["sparse"])
        #expect(query.phrases == ["lottery ticket"])
        #expect(query.excluded == ["pruning"])
        #expect(query.authors == ["Jonathan Frankle"])
        #expect(query.categories == ["cs.LG"])
        #expect(query.publishedFrom == Day(iso: "2018-01-01"))
        #expect(query.publishedTo == Day(iso: "2020-12-31"))
        #expect(query.freeText == "lottery ticket sparse")
    }

    @Test func parse_punctuationSplitsWords_likeTheIndex() throws {
        #expect(try SearchQuery.parse("state-of-the-art GPT-4").words == ["state", "of", "the", "art", "gpt", "4"])
        #expect(try SearchQuery.parse("title:attention OR (x)").words == ["title", "attention", "or", "x"])
    }

    @Test func parse_emptyAndOverlong_areProblems() {
        #expect(throws: SearchQuery.Problem.empty) { try SearchQuery.parse("   ") }
        #expect(throws: SearchQuery.Problem.empty) { try SearchQuery.parse("\u{0}\u{7}") }
        #expect(throws: SearchQuery.Problem.empty) { try SearchQuery.parse("!!! ???") }
        #expect(throws: SearchQuery.Problem.tooLong(251)) { try SearchQuery.parse(String(repeating: "a", count: 251)) }
    }

    @Test func parse_badDates_sayWhatIsExpected() throws {
        #expect(throws: SearchQuery.Problem.self) { try SearchQuery.parse("year:twenty") }
        #expect(throws: SearchQuery.Problem.self) { try SearchQuery.parse("year:2024-2020") }
        #expect(throws: SearchQuery.Problem.self) { try SearchQuery.parse("from:2024-13-01") }
        let fromYear = try SearchQuery.parse("from:2024")
        #expect(fromYear.publishedFrom == Day(iso: "2024-01-01"))
    }

    @Test func highlighter_marksWordFormsOnly() {
        let highlighter = Highlighter(terms: ["training", "the", "gan"])
        let segments = highlighter.segments("Trained GANs organize the training.")
        #expect(segments.filter(\.highlighted).map(\.text) == ["Trained", "GANs", "training"])
        #expect(segments.map(\.text).joined() == "Trained GANs organize the training.")
        // A spelling correction's stem ("diffus") marks the full word.
        #expect(Highlighter(terms: ["diffus"]).segments("Diffusion models").filter(\.highlighted).map(\.text) == ["Diffusion"])
    }

    @Test func spelling_distancesAllowStemsAndTranspositions() {
        #expect(Spelling.distance("transfromer", "transformer") == 1)
        #expect(Spelling.distance(word: "difusion", stem: "diffus") == 1)
        #expect(Spelling.distance(word: "transfromers", stem: "transform") == 1)
        #expect(Spelling.allowedEdits(forLength: 3) == 0)
        // A word shorter than the stem is compared whole.
        #expect(Spelling.distance(word: "ab", stem: "abcdef") == 4)
    }
}

@Suite struct SpellingTests {
    /// "transfomer" became "train…": "tran" against "train" counted as one edit, and the commoner
    /// word won.
    @Test func correction_prefersTheNearestTerm_thenTheCommonest() {
        let vocabulary = [(term: "train", documents: 500), (term: "transform", documents: 40), (term: "transfer", documents: 60)]
        #expect(Spelling.bestCorrection(for: "transfomer", among: vocabulary) == "transform")
        #expect(Spelling.distance(word: "transfomer", stem: "train") > 2)
        #expect(Spelling.bestCorrection(for: "tranfer", among: vocabulary) == "transfer")
        // Equally near: the commoner term.
        #expect(Spelling.bestCorrection(for: "difusion", among: [(term: "diffus", documents: 9), (term: "dilus", documents: 1)]) == "diffus")
        #expect(Spelling.bestCorrection(for: "zzqxv", among: vocabulary) == nil)
    }
}
