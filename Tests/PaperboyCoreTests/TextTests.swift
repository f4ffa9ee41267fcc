import Foundation
import Testing
@testable import PaperboyCore

@Suite struct ArxivIDTests {
    @Test func parse_newStyleWithVersion_splitsVersion() throws {
        let parsed = try #require(ArxivID.parse("2405.12345v3"))
        #expect(parsed.id == "2405.12345")
        #expect(parsed.version == 3)
        #expect(ArxivID.parse("0704.0001")?.id == "0704.0001")
    }

    @Test func parse_oldStyle_isAccepted() {
        #expect(ArxivID.parse("hep-th/9901001v2")?.id == "hep-th/9901001")
        #expect(ArxivID.parse("math.CO/0211159")?.id == "math.CO/0211159")
    }

    @Test(arguments: ["2405.123", "24051.2345", "pb-abc", "2405.12345.md", "../etc/passwd", "", "hep-th/99"])
    func parse_nonIDs_areRejected(text: String) {
        #expect(ArxivID.parse(text) == nil)
    }

    /// `isValid` reads bytes; it must accept exactly what the rule written over Characters did.
    @Test func isValid_overBytes_agreesWithTheCharacterRule() {
        func characterRule(_ id: String) -> Bool {
            let parts = id.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 2 {
                return !parts[0].isEmpty && parts[0].count <= 16 && parts[0].allSatisfy { $0.isASCIILetter || $0 == "-" || $0 == "." }
                    && parts[1].count == 7 && parts[1].allSatisfy(\.isASCIIDigit)
            }
            guard parts.count == 1 else { return false }
            let halves = id.split(separator: ".", omittingEmptySubsequences: false)
            guard halves.count == 2 else { return false }
            return halves[0].count == 4 && halves[0].allSatisfy(\.isASCIIDigit)
                && (4...5).contains(halves[1].count) && halves[1].allSatisfy(\.isASCIIDigit)
        }
        var samples = ["2405.12345", "0704.0001", "2405.123", "2405.123456", "24051.2345", "2405.1234a", "2405..1234", "2405.12.34",
                       "hep-th/9901001", "math.CO/0211159", "hep-th/990100", "hep-th/99010011", "/9901001", "hep-th/9901001/",
                       "abcdefghijklmnopq/9901001", "abcdefghijklmnop/9901001", "hep_th/9901001", "hep-th/990100a", "h@p/9901001",
                       "[ep/9901001", "`ep/9901001", "hép/9901001", "2405.1234\u{301}", "٢٤٠٥.١٢٣٤٥", "2405.1234\r\n", "", ".", "/",
                       "pb-3fmuxmoonu1xd", "2405/1234567", "ab.CD-x/0000000"]
        var generator = SplitMix64(seed: 17)
        let alphabet = Array("0123456789./-aZ_é\u{301}")
        for _ in 0..<5_000 {
            samples.append(String((0..<Int(generator.next() % 18)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }))
        }
        for sample in samples {
            #expect(ArxivID.isValid(sample) == characterRule(sample), "\(sample.debugDescription)")
        }
    }

    @Test func fromReference_readsURLs() {
        #expect(ArxivID.fromReference("https://arxiv.org/abs/2405.12345v2") == "2405.12345")
        #expect(ArxivID.fromReference("https://arxiv.org/pdf/2405.12345.pdf") == "2405.12345")
        #expect(ArxivID.fromReference("arXiv:1706.03762") == "1706.03762")
        #expect(ArxivID.fromReference("https://example.org/abs/1706.03762") == nil)
        // Every form a reader pastes: versioned PDFs, query strings, fragments, trailing slashes,
        // www. and export. hosts, html and format pages, Hugging Face's paper pages.
        for url in ["https://arxiv.org/pdf/2405.12345v3", "https://arxiv.org/pdf/2405.12345v3.pdf", "http://www.arxiv.org/abs/2405.12345?context=cs.LG",
                    "https://export.arxiv.org/abs/2405.12345v1#comments", "arxiv.org/abs/2405.12345/", "https://arxiv.org/html/2405.12345v2",
                    "https://arxiv.org/format/2405.12345", "https://huggingface.co/papers/2405.12345", "  https://ArXiv.org/PDF/2405.12345.PDF  "] {
            #expect(ArxivID.fromReference(url) == "2405.12345", "\(url)")
        }
        #expect(ArxivID.fromReference("https://arxiv.org/abs/hep-th/9901001v2?x=1") == "hep-th/9901001")
    }
}

@Suite struct TextToolsTests {
    @Test func githubRepository_inAbstract_isNormalised() {
        #expect(TextTools.githubRepository(in: "Code: https://github.com/openai/gpt-2.") == "https://github.com/openai/gpt-2")
        #expect(TextTools.githubRepository(in: "see github.com/Foo-Bar/baz.git for code") == "https://github.com/Foo-Bar/baz")
        #expect(TextTools.githubRepository(in: "https://github.com/user/repo/tree/main/src") == "https://github.com/user/repo")
        #expect(TextTools.githubRepository(in: "https://github.com/orgs/team and later github.com/a/b") == "https://github.com/a/b")
        #expect(TextTools.githubRepository(in: "no links here") == nil)
        #expect(TextTools.githubRepository(in: "https://github.com/onlyowner") == nil)
    }

    @Test func localID_sameTitleDifferentSpacing_isStable() {
        let id = TextTools.localID(forTitle: "Attention Is All You Need")
        #expect(id == TextTools.localID(forTitle: "  attention is   all you NEED "))
        #expect(id.hasPrefix("pb-"))
        #expect(id != TextTools.localID(forTitle: "Attention Is Not All You Need"))
    }

    @Test func trimmed_asciiAndOtherText_cutAtTheSameCharacterCounts() {
        // The ASCII byte path and the Character path agree on where a cut falls.
        #expect(TextTools.trimmed("naïve café au lait", to: 12) == "naïve café…")
        #expect(TextTools.trimmed("naive cafe au lait", to: 12) == "naive cafe…")
        #expect(TextTools.trimmed("abcdefghij", to: 4) == "abcd…")
        #expect(TextTools.trimmed("one\r\ntwo three", to: 8) == "one\r\ntwo…")
        #expect(TextTools.trimmed("exactly ten", to: 11) == "exactly ten")
    }

    @Test func trimmed_cutsAtWordBoundary() {
        #expect(TextTools.trimmed("one two three", to: 100) == "one two three")
        #expect(TextTools.trimmed("one two three", to: 9) == "one two…")
    }

    @Test func latex_commonMath_becomesUnicode() {
        #expect(LatexText.legible("runs in $O(n^2)$ time") == "runs in O(n²) time")
        #expect(LatexText.legible("with $\\alpha \\leq 0.5$ and $x_{i}$") == "with α ≤ 0.5 and xᵢ")
        #expect(LatexText.legible("\\textbf{bold} claim, 50\\% better") == "bold claim, 50% better")
        #expect(LatexText.legible("plain text stays") == "plain text stays")
        #expect(LatexText.legible("unknown \\foo stays") == "unknown \\foo stays")
        #expect(LatexText.legible("trailing backslash \\") == "trailing backslash \\")
        #expect(LatexText.legible("$x^{abc}$") == "x^abc")
        #expect(LatexText.legible("$\\alpha x$") == "α x")
    }

    /// Converted texts are remembered (issue 17); a repeat, and a text asked again after the memo
    /// filled up and was emptied, give the same conversion.
    @Test func latexLegible_repeatsAndAfterTheMemoFills_convertTheSame() {
        let first = "memo check \\alpha $x^2$ \(UUID().uuidString)"
        let converted = LatexText.legible(first)
        #expect(converted.hasPrefix("memo check α x²"))
        #expect(LatexText.legible(first) == converted)
        for number in 0 ... LatexText.memoCapacity { _ = LatexText.legible("filler $\\beta_\(number)$") }
        #expect(LatexText.legible(first) == converted)
        #expect(LatexText.legible("filler $\\beta_7$") == "filler β₇")
        // The paths that skip the memo convert the same: a text past its size limit, and a caller that asks not to keep it.
        let long = String(repeating: "x ", count: LatexText.memoTextLimit) + "$\\alpha$"
        #expect(LatexText.legible(long) == String(repeating: "x ", count: LatexText.memoTextLimit) + "α")
        #expect(LatexText.legible(first, remember: false) == converted)
    }
}

@Suite struct DateParsingTests {
    /// Found by review after the fuzz runs: clock parts were checked only from above, so a
    /// hostile date in an import file or an arXivRaw record overflowed and trapped.
    @Test func rfc2822_clockOutOfRange_isNil_notACrash() {
        for text in ["Mon, 2 Apr 2007 -3000000000000000000:0", "Mon, 2 Apr 2007 1:1:9223372036854775807",
                     "Mon, 2 Apr 2007 1:-9223372036854775807", "Mon, 2 Apr 2007 19:18:61"] {
            #expect(DateParsing.parse(text) == nil, "\(text)")
        }
        #expect(DateParsing.parse("Mon, 2 Apr 2007 19:18:42 GMT") != nil)
    }

    @Test func iso8601_variants_parse() {
        #expect(DateParsing.parse("2024-05-31")?.timeIntervalSince1970 == 1_717_113_600)
        #expect(DateParsing.parse("2024-05-31T17:59:59Z")?.timeIntervalSince1970 == 1_717_178_399)
        #expect(DateParsing.parse("2024-05-31T17:59:59.500Z")?.timeIntervalSince1970 == 1_717_178_399.5)
        #expect(DateParsing.parse("2024-05-31T19:59:59+02:00")?.timeIntervalSince1970 == 1_717_178_399)
    }

    @Test func rfc2822_arxivVersionDates_parse() {
        #expect(DateParsing.parse("Mon, 2 Apr 2007 19:18:42 GMT")?.timeIntervalSince1970 == 1_175_541_522)
        #expect(DateParsing.parse("Tue, 24 Jul 2007 20:10:27 +0100")?.timeIntervalSince1970 == 1_185_304_227)
    }

    @Test(arguments: ["", "yesterday", "2024-02-30", "2024-05-31T25:00:00Z", "Mon, 2 Foo 2007 19:18:42 GMT", "2024-05-31T17:59:59Zjunk"])
    func invalidDates_areRejected(text: String) {
        #expect(DateParsing.parse(text) == nil)
    }

    @Test func iso8601String_matchesHubFormat() {
        #expect(DateParsing.iso8601String(Date(timeIntervalSince1970: 1_717_178_399.25)) == "2024-05-31T17:59:59.250Z")
    }

    @Test func trending_freshPaper_outranksOldWithSameVotes() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let fresh = Trending.score(upvotes: 10, castAt: now.addingTimeInterval(-3600), now: now)
        let old = Trending.score(upvotes: 10, castAt: now.addingTimeInterval(-72 * 3600), now: now)
        let oldPopular = Trending.score(upvotes: 200, castAt: now.addingTimeInterval(-72 * 3600), now: now)
        #expect(fresh > old)
        #expect(oldPopular > fresh)
        #expect(Trending.score(upvotes: 0, castAt: nil, now: now) == 0)
    }
}

@Suite struct TrimTests {
    @Test func trimmingASCIIWhitespace_keepsInnerSpaceAndUnicode() {
        #expect(TextTools.trimmingASCIIWhitespace("  \n\tA  b\r\n ") == "A  b")
        #expect(TextTools.trimmingASCIIWhitespace("Müller ") == "Müller")
        #expect(TextTools.trimmingASCIIWhitespace(" \n ").isEmpty && TextTools.trimmingASCIIWhitespace("").isEmpty)
        #expect(TextTools.trimmingASCIIWhitespace("\u{00A0}x\u{00A0}") == "\u{00A0}x\u{00A0}")
        let untouched = "no-trim"
        #expect(TextTools.trimmingASCIIWhitespace(untouched) == untouched)
    }
}

/// The trends chart's scale: every grid line is labelled with the count at its height.
@Suite struct TrendChartTests {
    @Test func ticks_areWholePapers_evenlySpaced_fromZeroToTheTop() {
        #expect(TrendChart.ticks(1) == [0, 1])
        #expect(TrendChart.ticks(2) == [0, 1, 2])
        #expect(TrendChart.ticks(5) == [0, 1, 2, 3, 4, 5])
        #expect(TrendChart.ticks(10) == [0, 5, 10])
        #expect(TrendChart.ticks(50) == [0, 10, 20, 30, 40, 50])
        #expect(TrendChart.ticks(2_000) == [0, 1_000, 2_000])
        for maximum in 1...1_200 {
            let scale = TrendChart.niceCeiling(maximum)
            let ticks = TrendChart.ticks(scale)
            #expect(ticks.first == 0 && ticks.last == scale && (2...6).contains(ticks.count), "\(maximum): \(ticks)")
        }
    }

    /// Each label sits on its line: the label's value is the count a bar of that height shows.
    @Test func svg_labelsEachGridLineWithTheValueAtItsHeight() throws {
        let monday = try #require(Day(iso: "2025-01-06"))
        let series = WeeklyCounts(dates: [3, 3, 3, 10, 17, 17].map { monday.adding(days: $0).start }, weekCount: 3, lastDay: monday.adding(days: 20))
        #expect(series.counts == [3, 1, 2])
        let svg = TrendChart.svg(series, label: "Papers about <x>")
        let labels = svg.split(separator: "\n").filter { $0.hasPrefix("<text") && $0.contains(#"text-anchor="end""#) }
        // Scale 5 (the ceiling of 3): lines at 0 to 5, 39.6 apart over the 198-high plot.
        let values = labels.compactMap { line in line.split(separator: ">").dropFirst().first?.split(separator: "<").first.map(String.init) }
        #expect(values == ["0", "1", "2", "3", "4", "5"])
        #expect(labels.first?.contains(#"y="210.0""#) == true && labels.last?.contains(#"y="12.0""#) == true)
        // The 3-paper bar reaches the "3" line (y 91.2 = 12 + 198 × 2/5).
        #expect(svg.contains(#"<line x1="56.0" y1="91.2""#))
        #expect(svg.contains(#"y="91.2" width="#))
        #expect(svg.contains("Papers about &lt;x&gt;") && !svg.contains("<x>"))
    }

    /// Month labels never overlap at the size they are shown: on a desktop (no class, or `wide`)
    /// at 11, on a phone (no class, or `narrow`) at 22, over every range the page offers.
    @Test func monthLabels_neverOverlap_onADesktopOrAPhone() throws {
        let last = try #require(Day(iso: "2026-12-06"))
        let pattern = try Regex(#"<text( class="(\w+)")? x="([0-9.]+)"[^>]*>([^<]*)</text>"#)
        for weeks in [4, 13, 26, 52, 104, 260] {
            let svg = TrendChart.svg(WeeklyCounts(dates: [], weekCount: weeks, lastDay: last), label: "x")
            // Month labels: the scale's labels are anchored at their end.
            let months = svg.split(separator: "\n").filter { !$0.contains("text-anchor") }.joined(separator: "\n")
            let labels = months.matches(of: pattern).map { match in
                (kind: match.output[2].substring.map(String.init), x: Double(match.output[3].substring ?? "") ?? -1, text: String(match.output[4].substring ?? ""))
            }
            for (screen, size, hidden) in [("desktop", 11.0, "narrow"), ("phone", TrendChart.phoneFontSize, "wide")] {
                let shown = labels.filter { $0.kind != hidden }
                // The first week's label, with its year.
                #expect(shown.first?.x == 57 && shown.first?.text.contains(" 20") == true, "\(weeks) weeks on a \(screen): \(shown)")
                #expect(shown.count >= (weeks >= 13 ? 2 : 1), "\(weeks) weeks on a \(screen): \(shown)")
                for (one, next) in zip(shown, shown.dropFirst()) {
                    #expect(one.x + TrendChart.textWidth(one.text, fontSize: size) < next.x, "\(weeks) weeks on a \(screen): \(one) runs into \(next)")
                }
                if let end = shown.last { #expect(end.x + TrendChart.textWidth(end.text, fontSize: size) <= 720 + size, "\(weeks) weeks on a \(screen): \(end)") }
            }
            #expect(labels.filter { $0.kind == "narrow" }.count + labels.filter { $0.kind == nil }.count <= labels.filter { $0.kind != "narrow" }.count)
        }
    }
}
