import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import Testing

@Suite struct SQLitePaperStoreTests {
    @Test func migrate_twice_isHarmless() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        try await store.migrate()
        #expect(try await store.appliedMigrations() == ["v1-papers", "v2-search", "v3-community", "v4-digests", "v5-coordination", "v6-embedding-changes"])
    }

    @Test func upsert_newThenSameThenChanged_countsEachKind() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let first = try await store.upsert([record(samplePaper(id: "2502.00001")), record(samplePaper(id: "2502.00002"))])
        #expect(first == UpsertResult(inserted: 2))
        let again = try await store.upsert([record(samplePaper(id: "2502.00001")), record(samplePaper(id: "2502.00002"))])
        #expect(again == UpsertResult(unchanged: 2))
        let changed = try await store.upsert([record(samplePaper(id: "2502.00001", title: "A Better Title"))])
        #expect(changed == UpsertResult(updated: 1))
        #expect(try await store.paperCount() == 2)
        #expect(try await store.paper(id: "2502.00001")?.title == "A Better Title")
    }

    @Test func upsert_recordWithoutCommunityFields_keepsStoredOnes() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await store.upsert([record(samplePaper(daily: "2025-02-03", submittedBy: "ada", upvotes: 42))])
        // A later metadata-only import (say from the arXiv snapshot) has no votes, no day and no author names.
        var update = samplePaper(authors: [], daily: nil, upvotes: 0)
        update.version = 2
        _ = try await store.upsert([record(update, hasUpvotes: false)])
        let stored = try #require(try await store.paper(id: "2502.00001"))
        #expect(stored.upvotes == 42)
        #expect(stored.dailyDay == day("2025-02-03"))
        #expect(stored.submittedBy == "ada")
        #expect(stored.authors == ["Ada Lovelace", "Alan Turing"])
        #expect(stored.version == 2)
    }

    @Test func paper_roundTrip_keepsEveryField() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let paper = Paper(
            id: "hep-th/9901001", title: "Ünïcode «title» & <tags>", abstract: "Line one.\nLine two with $x^2$.",
            authors: ["Zoë Müller", "李华", "O'Brien, Jr."], authorCount: 5, categories: ["hep-th", "gr-qc"],
            publishedAt: DateParsing.parse("1999-01-01T10:00:00Z"), updatedAt: DateParsing.parse("1999-02-01T10:00:00Z"),
            version: 3, doi: "10.1000/xyz", journalRef: "Phys. Rev. D 1 (1999)", authorComments: "10 pages",
            githubRepo: "https://github.com/a/b", projectPage: "https://example.org/p", pdfURL: "https://arxiv.org/pdf/hep-th/9901001",
            source: "arxiv", dailyDay: day("2025-02-04"), submittedOnDailyAt: testNow, submittedBy: "curator",
            upvotes: 7, commentCount: 3)
        _ = try await store.upsert([PaperRecord(paper: paper, hasUpvotes: true, hasCommentCount: true)])
        // Reopen from disk: nothing lives only in memory.
        let reopened = try SQLitePaperStore(path: directory.path("paperboy.sqlite"))
        #expect(try await reopened.paper(id: "hep-th/9901001") == paper)
        #expect(try await reopened.paper(id: "missing") == nil)
    }

    @Test func dailyPapers_periodsSortsAndPages_selectTheRightRows() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await store.upsert([
            record(samplePaper(id: "2502.00001", daily: "2025-02-03", upvotes: 5, published: "2025-01-01")),
            record(samplePaper(id: "2502.00002", daily: "2025-02-03", upvotes: 9, published: "2025-01-20")),
            record(samplePaper(id: "2502.00003", daily: "2025-02-04", submittedBy: "ada", upvotes: 1)),
            record(samplePaper(id: "2502.00004", daily: "2025-01-27", upvotes: 100)),
            record(samplePaper(id: "2502.00005", daily: nil, upvotes: 1000)),
        ])
        func ids(_ query: DailyQuery) async throws -> [String] { try await store.dailyPapers(query).map(\.id) }

        #expect(try await ids(DailyQuery(period: .day(day("2025-02-03")), sort: .upvotes, now: testNow)) == ["2502.00002", "2502.00001"])
        #expect(try await ids(DailyQuery(period: .day(day("2025-02-03")), sort: .publishedAt, now: testNow)) == ["2502.00002", "2502.00001"])
        #expect(try await ids(DailyQuery(period: .week(year: 2025, week: 6), sort: .upvotes, now: testNow)) == ["2502.00002", "2502.00001", "2502.00003"])
        #expect(try await ids(DailyQuery(period: .month(year: 2025, month: 1), now: testNow)) == ["2502.00004"])
        // Without a period: newest day first, papers never on the feed left out.
        #expect(try await ids(DailyQuery(period: nil, now: testNow)) == ["2502.00003", "2502.00002", "2502.00001", "2502.00004"])
        #expect(try await ids(DailyQuery(period: nil, submitter: "ada", now: testNow)) == ["2502.00003"])
        #expect(try await ids(DailyQuery(period: nil, offset: 1, limit: 2, now: testNow)) == ["2502.00002", "2502.00001"])
        #expect(try await ids(DailyQuery(period: .day(day("2024-01-01")), now: testNow)).isEmpty)
    }

    @Test func dailyPapers_trending_discountsOlderVotesByTheInjectedClock() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await store.upsert([
            record(samplePaper(id: "2502.00001", daily: "2025-01-27", upvotes: 30)),
            record(samplePaper(id: "2502.00002", daily: "2025-02-04", dailyHour: 8, upvotes: 10)),
        ])
        let byTrending = try await store.dailyPapers(DailyQuery(period: nil, sort: .trending, now: testNow)).map(\.id)
        #expect(byTrending == ["2502.00002", "2502.00001"])
        // A month later both are old and the raw count wins.
        let later = testNow.addingTimeInterval(30 * 86_400)
        #expect(try await store.dailyPapers(DailyQuery(period: nil, sort: .trending, now: later)).map(\.id) == ["2502.00001", "2502.00002"])
    }

    @Test func neighbouringDays_skipEmptyDays() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        #expect(try await store.latestDay() == nil)
        _ = try await store.upsert([
            record(samplePaper(id: "2502.00001", daily: "2025-01-30")),
            record(samplePaper(id: "2502.00002", daily: "2025-02-03")),
            record(samplePaper(id: "2502.00003", daily: "2025-02-07")),
        ])
        let (previous, next) = try await store.neighbouringDays(of: day("2025-02-03"))
        #expect(previous == day("2025-01-30"))
        #expect(next == day("2025-02-07"))
        #expect(try await store.neighbouringDays(of: day("2025-01-30")).previous == nil)
        #expect(try await store.latestDay() == day("2025-02-07"))
    }

    @Test func upsert_concurrentWritersAndReaders_loseNothing() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for batch in 0..<10 {
                        let records = (0..<25).map { index in
                            record(samplePaper(id: "pb-w\(writer)-b\(batch)-\(index)", title: "Paper \(writer) \(batch) \(index)"))
                        }
                        _ = try await store.upsert(records)
                    }
                }
                group.addTask {
                    for _ in 0..<20 { _ = try await store.dailyPapers(DailyQuery(period: nil, limit: 10, now: testNow)) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.paperCount() == 8 * 10 * 25)
    }

    @Test func open_unwritableLocation_saysWhere() throws {
        #expect(throws: (any Error).self) { try SQLitePaperStore(path: "/proc/paperboy/nope.sqlite") }
    }
}

@Suite struct PlacementTests {
    @Test func upsert_placedDay_fillsOnlyAnEmptyDay_andDoesNotCountAsAChange() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let plain = samplePaper(daily: nil)
        _ = try await store.upsert([record(plain)])
        var placed = PaperRecord(paper: samplePaper(daily: "2025-02-04"), hasUpvotes: true, dayIsPlacement: true)
        // No day yet: the placement fills it, an update.
        #expect(try await store.upsert([placed]) == UpsertResult(updated: 1))
        #expect(try await store.paper(id: plain.id)?.dailyDay == day("2025-02-04"))
        // A different placement later changes nothing: the paper keeps its day.
        placed.paper.dailyDay = day("2025-02-01")
        #expect(try await store.upsert([placed]) == UpsertResult(unchanged: 1))
        #expect(try await store.upsert([record(plain)]) == UpsertResult(unchanged: 1))
        #expect(try await store.paper(id: plain.id)?.dailyDay == day("2025-02-04"))
    }
}
