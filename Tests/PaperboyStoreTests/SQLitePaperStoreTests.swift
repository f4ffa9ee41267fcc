import Foundation
import GRDB
import PaperboyCore
@testable import PaperboySQLite
import PaperboyStore
import PaperboyTestSupport
import Synchronization
import Testing

/// What only SQLite has: a database file. How a store behaves is tested on every store in
/// `StoreConformanceTests`.
@Suite struct SQLitePaperStoreTests {
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

    /// `reading` takes the store's own readers (`SQLiteReaders`), at most five open at once, and
    /// GRDB's pool's when those are busy; each sees every write committed before it began.
    @Test func ownReaders_overflowToThePool_andSeeEveryWrite() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        // Twelve reads at once on twelve threads, each holding its connection until all twelve
        // have begun or two seconds have passed: the store's five readers and the pool's five are
        // ten, so two wait for a pool reader, and every one of the store's readers is busy
        // before they ask. Exactly five reads ran on the store's own readers.
        let started = Atomic<Int>(0)
        let labels = Mutex<[String]>([])
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<12 {
            Thread.detachNewThread {
                let label = try? store.readers.read(singleStatement: true, otherwise: store.database) { db in
                    started.add(1, ordering: .relaxed)
                    let deadline = Date().addingTimeInterval(2)
                    while started.load(ordering: .relaxed) < 12, Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
                    return db.configuration.label ?? ""
                }
                labels.withLock { $0.append(label ?? "failed") }
                done.signal()
            }
        }
        for _ in 0..<12 { done.wait() }
        let seen = labels.withLock { $0 }
        #expect(seen.count == 12 && !seen.contains("failed"), "\(seen)")
        #expect(seen.filter { $0 == "paperboy.reader" }.count == 5, "\(seen)")
        #expect(started.load(ordering: .relaxed) == 12)
        // Each read after a write sees it, on whichever reader it gets.
        for index in 0..<20 {
            _ = try await store.upsert([record(samplePaper(id: "2503.\(String(format: "%05d", index))", title: "Reader \(index)"))])
            #expect(try await store.paper(id: "2503.\(String(format: "%05d", index))")?.title == "Reader \(index)")
        }
    }

    /// A read of several statements runs in one transaction (`SQLiteReaders.inReadTransaction`,
    /// by cached statements): it sees one state of the database although a write commits between
    /// its statements, and a body that throws leaves its reader out of any transaction, ready
    /// for the next read.
    @Test func severalStatementReads_seeOneState_andAFailureLeavesTheReaderReady() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await store.upsert([record(samplePaper(id: "2503.00001", title: "Before"))])
        struct Refused: Error {}
        for _ in 0..<3 {
            #expect(throws: Refused.self) {
                try store.readers.read(singleStatement: false, otherwise: store.database) { db -> Int in
                    #expect(db.isInsideTransaction)
                    _ = try String.fetchOne(db, sql: "SELECT title FROM paper")
                    throw Refused()
                }
            }
        }
        // A write between the two statements of one read does not show in the second; the
        // next read sees it. (Five readers: every one of them failed a read above at most once.)
        let titles = try store.readers.read(singleStatement: false, otherwise: store.database) { db -> [String?] in
            #expect(db.isInsideTransaction)
            let first = try String.fetchOne(db, sql: "SELECT title FROM paper WHERE id = '2503.00001'")
            let wrote = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                _ = try? store.database.write { try $0.execute(sql: "UPDATE paper SET title = 'After' WHERE id = '2503.00001'") }
                wrote.signal()
            }
            wrote.wait()
            let second = try String.fetchOne(db, sql: "SELECT title FROM paper WHERE id = '2503.00001'")
            return [first, second]
        }
        #expect(titles == ["Before", "Before"])
        let after = try store.readers.read(singleStatement: false, otherwise: store.database) { db in
            (try String.fetchOne(db, sql: "SELECT title FROM paper WHERE id = '2503.00001'"), db.isInsideTransaction)
        }
        #expect(after.0 == "After" && after.1)
        for _ in 0..<6 {
            let idle = try store.readers.read(singleStatement: true, otherwise: store.database) { $0.isInsideTransaction }
            #expect(!idle)
        }
    }

    /// `SearchTextVersion` (v12), which the paper page reads with the paper: it moves with every
    /// change of searched text (titles, abstracts, authors), made through this store, another
    /// store on the file (another process) or plain SQL, and with nothing else.
    @Test func searchTextVersion_movesWithTheSearchedText_andNothingElse() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await store.upsert([record(samplePaper(id: "2503.00001", title: "First")), record(samplePaper(id: "2503.00002", title: "Second"))])
        func version() async throws -> SearchTextVersion? {
            try await store.paperPage(id: "2503.00001", includeHiddenComments: false)?.searchText
        }
        let start = try #require(try await version())

        // Not text: votes, hiding, comments, an unchanged import, an import of new upvotes.
        let ada = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
        _ = try await store.setVote(true, paperID: "2503.00001", accountID: ada.id, now: testNow)
        try await store.setPaperHidden(true, paperID: "2503.00002")
        _ = try await store.addComment(paperID: "2503.00001", accountID: ada.id, body: "Nice.", now: testNow)
        _ = try await store.upsert([record(samplePaper(id: "2503.00001", title: "First"))])
        _ = try await store.upsert([record(samplePaper(id: "2503.00001", title: "First", upvotes: 40))])
        #expect(try await version() == start)

        var last = start
        var steps: [(String, @Sendable () async throws -> Void)] = []
        steps.append(("a new paper", { _ = try await store.upsert([record(samplePaper(id: "2503.00003", title: "Third"))]) }))
        steps.append(("an edited title", { _ = try await store.upsert([record(samplePaper(id: "2503.00001", title: "First, Revised"))]) }))
        steps.append(("an edited abstract", {
            _ = try await store.upsert([record(samplePaper(id: "2503.00001", title: "First, Revised", abstract: "Other words."))])
        }))
        steps.append(("a new paper from another store on the file", {
            let other = try SQLitePaperStore(path: directory.path("paperboy.sqlite"))
            _ = try await other.upsert([record(samplePaper(id: "2503.00004", title: "Fourth"))])
        }))
        steps.append(("authors edited by another connection", {
            let other = try DatabaseQueue(path: directory.path("paperboy.sqlite"))
            try await other.write { try $0.execute(sql: "UPDATE paper SET authors = 'Grace Hopper' WHERE id = '2503.00002'") }
        }))
        steps.append(("the newest paper removed", {
            let other = try DatabaseQueue(path: directory.path("paperboy.sqlite"))
            try await other.write { try $0.execute(sql: "DELETE FROM paper WHERE id = '2503.00004'") }
        }))
        steps.append(("a bulk import", {
            let papers = (0..<(SQLitePaperStore.bulkIndexingThreshold + 10)).map { record(samplePaper(id: String(format: "2504.%05d", $0), title: "Bulk \($0)")) }
            _ = try await store.upsert(papers)
        }))
        for (step, write) in steps {
            try await write()
            let now = try #require(try await version())
            #expect(now > last, "\(step): \(now) after \(last)")
            last = now
        }
    }

    /// Reads run on the calling thread (`reading`) or on a dispatch thread (`readingAside`), and
    /// a read beyond the pool's five readers waits for one. Far more reads than readers, and than
    /// cooperative threads, from both paths at once must all finish: a read that kept its reader
    /// across an await (GRDB's async read) would hang this once the waiting reads held every
    /// cooperative thread, and the test's own time limit with them: a watchdog thread ends the
    /// run with a message instead of letting it hang.
    @Test func reads_farMoreThanReaders_fromBothPaths_allFinish() async throws {
        let finished = Atomic<Bool>(false)
        defer { finished.store(true, ordering: .releasing) }
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 120)
            if !finished.load(ordering: .acquiring) { fatalError("store reads deadlocked: a read kept its reader across an await") }
        }
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let papers = (0..<200).map { samplePaper(id: "2503.\(String(format: "%05d", $0))", title: "Concurrent read \($0)") }
        _ = try await store.upsert(papers.map { record($0) })
        let table = try #require(TransferSchema.tables.first { $0.name == "paper" })
        let found = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<400 {
                group.addTask {
                    switch index % 4 {
                    case 0: try await store.paper(id: papers[index % 200].id) == nil ? 0 : 1
                    case 1: try await store.transferRowCount(of: table) == 200 ? 1 : 0
                    case 2: try await store.papers(keys: (1...50).map { UInt32($0) }).count == 50 ? 1 : 0
                    default: try await store.transferRows(of: table, after: nil, limit: 100).count == 100 ? 1 : 0
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(found == 400)
    }

    /// Term counts are remembered between searches (`TermCounts`), and every write forgets them:
    /// a word added, a paper edited or deleted shows in the next count.
    @Test func termCounts_rememberedBetweenSearches_followEveryWrite() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await store.upsert([record(samplePaper(id: "2503.00001", title: "Sparse attention"))])
        func count(_ word: String) async throws -> Int {
            try await store.withKeywordIndex { try await $0.postings(of: KeywordTerm(.word, word), cap: 100).documents }
        }
        #expect(try await count("sparse") == 1)
        #expect(try await count("sparse") == 1, "the remembered count")
        #expect(try await store.containsWord("lottery") == false)
        _ = try await store.upsert([record(samplePaper(id: "2503.00002", title: "Sparse lottery tickets"))])
        #expect(try await count("sparse") == 2)
        #expect(try await store.containsWord("lottery"))
        _ = try await store.upsert([record(samplePaper(id: "2503.00002", title: "Dense tickets"))])
        #expect(try await count("sparse") == 1, "an edit that drops the word")
        #expect(try await store.containsWord("lottery") == false)
    }

    /// The latest day and a day's neighbours are remembered between feed pages (`FeedDays`), and
    /// every write forgets them: a paper put on a new day, or submitted to one, shows at once.
    @Test func feedDays_rememberedBetweenPages_followEveryWrite() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        #expect(try await store.latestDay() == nil)
        _ = try await store.upsert([record(samplePaper(id: "2503.00001", daily: "2025-02-03"))])
        #expect(try await store.latestDay() == day("2025-02-03"))
        #expect(try await store.latestDay() == day("2025-02-03"), "the remembered day")
        #expect(try await store.neighbouringDays(of: day("2025-02-04")) == (day("2025-02-03"), nil))
        _ = try await store.upsert([record(samplePaper(id: "2503.00002", daily: "2025-02-05"))])
        #expect(try await store.latestDay() == day("2025-02-05"))
        #expect(try await store.neighbouringDays(of: day("2025-02-04")) == (day("2025-02-03"), day("2025-02-05")))
        let account = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
        _ = try await store.submit(record(samplePaper(id: "2503.00003", daily: nil)), by: account.username, day: day("2025-02-09"), now: testNow)
        #expect(try await store.latestDay() == day("2025-02-09"), "a submission to a new day")
        #expect(try await store.neighbouringDays(of: day("2025-02-06")) == (day("2025-02-05"), day("2025-02-09")))
    }

    /// A value read before a write may be stale: it is kept under the version from before the
    /// write, never found once the write is counted, and never replaces newer values.
    @Test func writeVersionMemo_keepsValuesUnderTheirVersion_andExpires() async throws {
        let memo = WriteVersionMemo<String, Int>(lifetimeSeconds: 1, capacity: 2)
        memo.keep(1, for: "a", version: 5)
        #expect(memo.value(for: "a", version: 5) == 1)
        #expect(memo.value(for: "a", version: 6) == nil)
        memo.keep(2, for: "b", version: 6)
        memo.keep(9, for: "b", version: 5)
        #expect(memo.value(for: "b", version: 6) == 2, "an older read does not replace a newer value")
        memo.keep(3, for: "c", version: 6)
        memo.keep(4, for: "d", version: 6)
        #expect(memo.value(for: "b", version: 6) == nil && memo.value(for: "d", version: 6) == 4, "full: emptied, then kept")
        try await Task.sleep(for: .milliseconds(1_100))
        #expect(memo.value(for: "d", version: 6) == nil, "expired: another process may have written")
    }

    /// Every write transaction leaves the search index a segment more; compaction merges them
    /// into one, finds the same papers afterwards, and has nothing left to do the second time.
    @Test func compactSearchIndex_mergesTheSegments_searchesFindTheSame() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        for index in 0..<12 {
            _ = try await store.upsert([record(samplePaper(id: "2503.\(String(format: "%05d", index))", title: "Sparse attention \(index)"))])
        }
        func search() async throws -> [String] {
            try await store.keywordSearch(try SearchQuery.parse("sparse attention"), prefixTerms: [], limit: 50).map(\.id).sorted()
        }
        func segments() async throws -> Int {
            try await store.reading { try Int.fetchOne($0, sql: "SELECT count(*) FROM paper_search_data") ?? 0 }
        }
        let found = try await search()
        let before = try await segments()
        #expect(found.count == 12)
        #expect(try await store.compactSearchIndex())
        #expect(try await segments() < before)
        #expect(try await search() == found)
        #expect(try await store.compactSearchIndex() == false, "one segment is left: nothing to merge")
    }

    /// A count read before a write may be stale: it is kept under the version from before the
    /// write, so it is never found once the write is counted, and never replaces newer counts.
    @Test func termCounts_keptUnderTheirVersion_onlyAnsweredForIt() {
        let counts = TermCounts()
        counts.words.keep(true, for: "sparse", version: 1)
        #expect(counts.words.value(for: "sparse", version: 1) == true)
        #expect(counts.words.value(for: "sparse", version: 2) == nil, "a write happened since")
        counts.words.keep(false, for: "dense", version: 2)
        counts.words.keep(true, for: "dense", version: 1)
        #expect(counts.words.value(for: "dense", version: 2) == false, "an older read does not replace a newer one")
        #expect(counts.words.value(for: "sparse", version: 2) == nil)
    }

    /// An `IN` list is padded to a power of two by repeating its last value, so its statement has
    /// few forms to cache; the values and their order stay as given.
    @Test func inList_padsToAPowerOfTwo_withTheLastValue() {
        #expect(CachedSQL.inList([Int64]()).marks == "")
        #expect(CachedSQL.inList([7]).marks == "?")
        let three = CachedSQL.inList(["a", "b", "c"])
        #expect(three.marks == "?,?,?,?" && three.values == ["a", "b", "c", "c"])
        #expect(CachedSQL.inList(Array(1...33)).values.count == 64)
        #expect(CachedSQL.inList(Array(1...500)).values.count == 512)
        // A chunk longer than the cap is not cut short.
        #expect(CachedSQL.inList(Array(1...700), chunk: 512).values.count == 700)
        // Every distinct length from 1 to 512 gives one of ten forms.
        #expect(Set((1...512).map { CachedSQL.inList(Array(repeating: 0, count: $0)).marks }).count == 10)
    }

    @Test func open_unwritableLocation_saysWhere() throws {
        #expect(throws: (any Error).self) { try SQLitePaperStore(path: "/proc/paperboy/nope.sqlite") }
    }
}
