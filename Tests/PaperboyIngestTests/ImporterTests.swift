import PaperboyBench
import Foundation
import PaperboyCore
import PaperboySearch
import PaperboyStore
import PaperboyTestSupport
import Testing
@testable import PaperboyIngest

func fixture(_ name: String) throws -> String {
    try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)).path
}

/// The bundled demo corpus, found from this file's place in the repository.
let seedCorpusPath = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Data/seed-papers.jsonl").path

@Suite struct ImportFormatTests {
    @Test func detect_eachFormat_fromFirstBytes() throws {
        #expect(ImportFormat.detect(prefix: Data("  \n[{\"paper\": {}}]".utf8)) == .hf)
        #expect(ImportFormat.detect(prefix: try Data(contentsOf: URL(fileURLWithPath: fixture("arxiv-snapshot-sample.jsonl")))) == .arxiv)
        #expect(ImportFormat.detect(prefix: Data("{\"title\": \"x\", \"abstract\": \"y\"}\n".utf8)) == .paperboy)
        #expect(ImportFormat.detect(prefix: Data()) == .paperboy)
        // A first line cut short by the detection window still shows arXiv keys.
        #expect(ImportFormat.detect(prefix: Data("{\"id\":\"0704.0001\",\"authors_parsed\":[[\"A\"".utf8)) == .arxiv)
    }
}

@Suite struct ImporterTests {
    @Test func seedCorpus_importsEveryPaper_andReimportChangesNothing() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let importer = Importer(store: store)
        let first = try await importer.importFile(at: seedCorpusPath)
        #expect(first.format == .paperboy)
        #expect(first.result == UpsertResult(inserted: 228))
        #expect(first.skipped.isEmpty)
        let second = try await importer.importFile(at: seedCorpusPath)
        #expect(second.result == UpsertResult(unchanged: 228))
        #expect(try await store.paperCount() == 228)
        // Without a placement nothing goes on the feed.
        #expect(try await store.dailyPapers(DailyQuery(period: nil, limit: 1000, now: testNow)).isEmpty)
    }

    @Test func seedCorpus_spreadPlacement_fillsEveryRecentDay() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let summary = try await Importer(store: store).importFile(
            at: seedCorpusPath, options: ImportOptions(placement: .spread(days: 14, endingOn: day("2025-02-04"))))
        #expect(summary.result.inserted == 228)
        for offset in 0..<14 {
            let papers = try await store.dailyPapers(DailyQuery(period: .day(day("2025-02-04").adding(days: -offset)), limit: 100, now: testNow))
            #expect(papers.count >= 16, "day -\(offset) has \(papers.count) papers")
        }
        #expect(try await store.latestDay() == day("2025-02-04"))
        let all = try await store.dailyPapers(DailyQuery(period: nil, limit: 1000, now: testNow))
        #expect(all.count == 228)
        #expect(all.filter { $0.githubRepo != nil }.count >= 57)
        #expect(all.allSatisfy { $0.id.hasPrefix("pb-") })
    }

    @Test func arxivSnapshot_everyFieldIsRead() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let summary = try await Importer(store: store).importFile(at: fixture("arxiv-snapshot-sample.jsonl"))
        #expect(summary.format == .arxiv)
        #expect(summary.result.inserted == 3)
        let paper = try #require(try await store.paper(id: "0704.0001"))
        #expect(paper.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies")
        #expect(paper.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"])
        #expect(paper.categories == ["hep-ph"])
        #expect(paper.version == 2)
        #expect(paper.doi == "10.1103/PhysRevD.76.013009")
        #expect(paper.journalRef == "Phys.Rev.D76:013009,2007")
        #expect(paper.authorComments == "37 pages, 15 figures; published version")
        #expect(paper.publishedAt == DateParsing.parse("2007-04-02T19:18:42Z"))
        #expect(paper.updatedAt == DateParsing.parse("2007-07-24T20:10:27Z"))
        #expect(paper.pdfURL == "https://arxiv.org/pdf/0704.0001")
        #expect(paper.abstract.hasPrefix("A fully differential calculation in perturbative quantum chromodynamics is presented"))
        #expect(paper.source == "arxiv")
        let attention = try #require(try await store.paper(id: "1706.03762"))
        #expect(attention.githubRepo == "https://github.com/tensorflow/tensor2tensor")
        #expect(attention.version == 7)
        #expect(attention.categories == ["cs.CL", "cs.LG"])
        #expect(try await store.paper(id: "math/0211159")?.authors == ["Grisha Perelman"])
    }

    @Test func arxivSnapshot_publishedPlacement_usesFirstVersionDay() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await Importer(store: store).importFile(at: fixture("arxiv-snapshot-sample.jsonl"), options: ImportOptions(placement: .published))
        #expect(try await store.paper(id: "1706.03762")?.dailyDay == day("2017-06-12"))
    }

    @Test func hubDailyPapers_readsNestedPaper_andSkipsBadElements() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let summary = try await Importer(store: store).importFile(at: fixture("hf-daily-sample.json"))
        #expect(summary.format == .hf)
        #expect(summary.result.inserted == 2)
        #expect(summary.skipped.map(\.position) == [3, 4])
        #expect(summary.skipped[0].reason.contains("paper.id"))
        #expect(summary.skipped[1].reason == "missing title")
        let paper = try #require(try await store.paper(id: "2502.08025"))
        #expect(paper.authors == ["Jane Researcher", "Sam Coder"])
        #expect(paper.upvotes == 57)
        #expect(paper.commentCount == 4)
        #expect(paper.submittedBy == "akhaliq")
        #expect(paper.dailyDay == day("2025-02-12"))
        #expect(paper.submittedOnDailyAt == DateParsing.parse("2025-02-12T04:31:11.123Z"))
        #expect(paper.githubRepo == "https://github.com/hub/sparse-attn")
        #expect(paper.projectPage == "https://hub.example/sparse")
        #expect(paper.source == "huggingface")
    }

    @Test func hubDailyPapers_notAnArray_failsClearly_andKeepsStoredPapers() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await store.upsert([record(samplePaper())])
        let path = try directory.write("broken.json", "[{\"paper\": {\"id\": \"2502.1\"")
        await #expect(throws: ImportError.self) {
            try await Importer(store: store).importFile(at: path, options: ImportOptions(format: .hf))
        }
        #expect(try await store.paperCount() == 1)
    }

    @Test func malformedLines_areReportedByLineNumber_andTheRestImports() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        var data = Data()
        func line(_ text: String) { data.append(Data(text.utf8)); data.append(0x0A) }
        line(#"{"title": "Good one", "abstract": "Fine."}"#)                                  // 1
        line(#"{"title": "Broken JSON", "abstract": "#)                                        // 2
        data.append(Data([0x7B, 0x22, 0x74, 0x69, 0x74, 0x6C, 0x65, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D, 0x0A])) // 3: invalid UTF-8
        line(#"{"abstract": "No title at all"}"#)                                              // 4
        line("")                                                                               // 5: blank, ignored
        line(#"{"title": "\#(String(repeating: "x", count: 1_500))"}"#)                        // 6
        line(#"{"title": "Negative", "upvotes": -3}"#)                                         // 7
        line(#"{"title": "Bad id", "id": "../../etc/passwd"}"#)                                // 8
        line(#"{"title": "Bad date", "published": "last Tuesday"}"#)                           // 9
        line(#"{"title": "Hostile link", "github": "javascript:alert(1)", "project_page": "data:text/html,x"}"#) // 10
        line(#"[1, 2, 3]"#)                                                                    // 11
        data.append(Data(#"{"title": "Last line without newline", "id": "2401.00001v2"}"#.utf8)) // 12
        let path = try directory.write("mixed.jsonl", data)

        let summary = try await Importer(store: store).importFile(at: path)
        #expect(summary.result.inserted == 3)
        #expect(summary.skipped.map(\.position) == [2, 3, 4, 6, 7, 8, 9, 11])
        let reasons = Dictionary(uniqueKeysWithValues: summary.skipped.map { ($0.position, $0.reason) })
        #expect(reasons[3]?.contains("UTF-8") == true)
        #expect(reasons[4] == "missing title")
        #expect(reasons[6]?.contains("title longer than") == true)
        #expect(reasons[7]?.contains("upvotes") == true)
        #expect(reasons[8]?.contains("invalid id") == true)
        #expect(reasons[9]?.contains("published is not a date") == true)
        let hostile = try #require(try await store.paper(id: TextTools.localID(forTitle: "Hostile link")))
        #expect(hostile.githubRepo == nil)
        #expect(hostile.projectPage == nil)
        let last = try #require(try await store.paper(id: "2401.00001"))
        #expect(last.version == 2)
        #expect(summary.line.contains("new 3, updated 0, unchanged 0, skipped 8"))
    }

    @Test func lineReader_overlongLines_areReadPast_notHeld_andTheNextLineIsRead() throws {
        let directory = try TemporaryDirectory()
        // 3 MiB with no line break, then a short line: the long one is reported without its bytes.
        var data = Data(repeating: 0x61, count: 3 << 20)
        data.append(Data("\n{\"title\": \"After\"}\nlast".utf8))
        let path = try directory.write("long.jsonl", data)
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var reader = LineReader(handle: handle, maxLineBytes: 1 << 20)
        let first = try #require(try reader.next())
        #expect(first.number == 1 && first.tooLong && first.line.isEmpty)
        #expect(reader.buffer.count <= 2 << 20 + 2, "a too-long line is not kept in memory")
        let second = try #require(try reader.next())
        #expect(second.number == 2 && !second.tooLong && String(decoding: second.line, as: UTF8.self) == #"{"title": "After"}"#)
        let third = try #require(try reader.next())
        #expect(String(decoding: third.line, as: UTF8.self) == "last")
        #expect(try reader.next() == nil)
        #expect(reader.bytesConsumed == data.count)
    }

    @Test func fileWithNoLineBreaks_isSkippedWithAClearReason_andReadsNothing() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await Importer(store: store).importFile(at: seedCorpusPath)
        let path = try directory.write("one-line.jsonl", Data(repeating: 0x7B, count: 9 << 20))
        let summary = try await Importer(store: store).importFile(at: path)
        #expect(summary.skipped.map(\.position) == [1])
        #expect(summary.skipped.first?.reason.contains("line longer than 4 MiB") == true)
        #expect(summary.readNothing)
        #expect(try await store.paperCount() == 228, "nothing already stored is lost")
        // Binary junk: every line is skipped, so the import read nothing.
        var generator = SplitMix64(seed: 7)
        // (Starting with a control byte: junk starting with "[" is read as a JSON array, and fails as one.)
        let junk = Data([0x00]) + Data((0..<200_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        let junkSummary = try await Importer(store: store).importFile(at: try directory.write("junk.bin", junk))
        #expect(junkSummary.readNothing && junkSummary.processed > 0)
        #expect(try await store.paperCount() == 228)
    }

    @Test func controlCharacters_areStripped() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let path = try directory.write("control.jsonl", #"{"title": "Bell\u0007 and \u001f unit", "authors": ["A\u001fB", "C"]}"#)
        _ = try await Importer(store: store).importFile(at: path)
        let paper = try #require(try await store.paper(id: TextTools.localID(forTitle: "Bell and unit")))
        #expect(paper.title == "Bell and unit")
        #expect(paper.authors == ["AB", "C"])
    }

    @Test func missingFile_failsWithThePath() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        do {
            _ = try await Importer(store: store).importFile(at: directory.path("nope.jsonl"))
            Issue.record("expected an error")
        } catch let error as ImportError {
            #expect(error.description.contains("nope.jsonl"))
        }
    }

    @Test func reimport_updatedMetadata_keepsVotesAndFeedDay() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await Importer(store: store).importFile(at: fixture("hf-daily-sample.json"))
        // The same paper arrives later from the arXiv snapshot with a new version.
        let snapshot = #"{"id":"2502.08025","title":"A Hub Paper About Sparse Attention (v2)","abstract":"Revised.","categories":"cs.LG","versions":[{"version":"v1","created":"Tue, 11 Feb 2025 23:57:05 GMT"},{"version":"v2","created":"Fri, 14 Feb 2025 10:00:00 GMT"}],"update_date":"2025-02-14","authors_parsed":[["Researcher","Jane",""]]}"#
        let summary = try await Importer(store: store).importFile(at: directory.write("update.jsonl", snapshot))
        #expect(summary.result == UpsertResult(updated: 1))
        let paper = try #require(try await store.paper(id: "2502.08025"))
        #expect(paper.title == "A Hub Paper About Sparse Attention (v2)")
        #expect(paper.version == 2)
        #expect(paper.upvotes == 57)
        #expect(paper.commentCount == 4)
        #expect(paper.dailyDay == day("2025-02-12"))
        #expect(paper.submittedBy == "akhaliq")
    }

    @Test func synthetic_corpus_isDeterministic_andImportsCleanly() async throws {
        let directory = try TemporaryDirectory()
        var first = Data()
        try SyntheticCorpus(count: 2_000, seed: 7).generate { first.append($0) }
        var second = Data()
        try SyntheticCorpus(count: 2_000, seed: 7).generate { second.append($0) }
        // Compared outside #expect: the macro would render two megabytes of Data on failure.
        let identical = first == second
        #expect(identical)
        let path = try directory.write("synthetic.jsonl", first)
        let store = try await makeStore(in: directory)
        let summary = try await Importer(store: store).importFile(at: path, options: ImportOptions(batchSize: 300))
        #expect(summary.format == .arxiv)
        #expect(summary.skipped == [])
        #expect(summary.result.inserted == 2_000)
        #expect(try await store.paperCount() == 2_000)
    }
    /// PostgreSQL takes several batches at once; a paper whose records fall in different batches
    /// must still end as its last record says, and each record is counted once.
    @Test(arguments: StoreKind.allCases) func concurrentBatches_keepFileOrderForRepeatedIDs(_ kind: StoreKind) async throws {
        let directory = try TemporaryDirectory()
        var corpus = Data()
        try SyntheticCorpus(count: 1_000, seed: 5).generate { corpus.append($0) }
        var lines = String(decoding: corpus, as: UTF8.self).split(separator: "\n").map(String.init)
        func retitled(_ line: String, _ title: String) throws -> String {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            object["title"] = title
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let repeated = lines[10]
        lines[10] = try retitled(repeated, "Quokka census first")
        // Batches of 100: the same paper again two batches later, and once more in that batch.
        lines.insert(try retitled(repeated, "Wombat census second"), at: 250)
        lines.insert(try retitled(repeated, "Numbat census third"), at: 260)
        let path = try directory.write("repeated.jsonl", lines.joined(separator: "\n"))
        try await kind.withStore { store in
            let summary = try await Importer(store: store).importFile(at: path, options: ImportOptions(batchSize: 100))
            #expect(summary.skipped == [])
            #expect(summary.result == UpsertResult(inserted: 1_000, updated: 2))
            #expect(try await store.paperCount() == 1_000)
            let id = try #require(try JSONSerialization.jsonObject(with: Data(repeated.utf8)) as? [String: Any])["id"] as? String
            #expect(try await store.paper(id: try #require(id))?.title == "Numbat census third")
            for (word, expected) in [("quokka", [String]()), ("wombat", []), ("numbat", [id].compactMap { $0 })] {
                let hits = try await store.keywordSearch(SearchQuery.parse(word), prefixTerms: [], limit: 10)
                #expect(hits.map(\.id) == expected, "\(word)")
            }
        }
    }
}
