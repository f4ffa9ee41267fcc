import Foundation
import PaperboyCore
import PaperboySQLite
import PaperboyStore
import PaperboyTestSupport
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

    @Test func open_unwritableLocation_saysWhere() throws {
        #expect(throws: (any Error).self) { try SQLitePaperStore(path: "/proc/paperboy/nope.sqlite") }
    }
}
