import Foundation
import PaperboyCore

/// Everything the application asks of its database. Handlers call these intention-revealing
/// methods; SQL stays inside the implementations (SQLite here, PostgreSQL in PaperboyPostgres).
public protocol PaperStore: SearchStore, CommunityStore, DigestStore, CoordinationStore, ForYouStore, EnrichmentStore {
    /// Brings the schema up to date; safe to call at every start.
    func migrate() async throws

    /// Names of the applied migrations, oldest first (`paperboy migrate` prints the last).
    func appliedMigrations() async throws -> [String]

    /// Names of every migration this binary knows, oldest first: once `migrate()` has run,
    /// `appliedMigrations()` equals this unless a newer binary migrated the database further.
    var knownMigrations: [String] { get }

    /// Inserts new papers and updates known ones in one transaction.
    /// Fields a record does not carry (no upvotes, no daily day, no authors) keep their stored values.
    func upsert(_ records: [PaperRecord]) async throws -> UpsertResult

    /// How many `upsert` batches a bulk import should keep in flight at once (batches with
    /// different ids only). SQLite has one writer; a server database works on several at a time.
    var concurrentUpserts: Int { get }

    func paper(id: String) async throws -> Paper?

    /// What a paper's page shows from the store, read together: the paper (hidden ones too: the
    /// caller decides who may see it), its key, its comments (hidden ones only with
    /// `includeHiddenComments`) and its authorship claims. nil when no paper has that id.
    func paperPage(id: String, includeHiddenComments: Bool) async throws -> PaperPageRecord?

    /// What one reader has marked among `paperIDs` (a page's papers): votes, saved papers with
    /// their tags, and papers dismissed as not interesting. Every signed-in page of papers asks.
    func readerMarks(accountID: Int64, among paperIDs: [String]) async throws -> ReaderMarks

    /// Papers on the daily feed, filtered and ordered as `query` says.
    func dailyPapers(_ query: DailyQuery) async throws -> [Paper]

    /// The nearest earlier and later days that have papers on the feed.
    func neighbouringDays(of day: Day) async throws -> (previous: Day?, next: Day?)

    /// The most recent day with papers on the feed.
    func latestDay() async throws -> Day?

    func paperCount() async throws -> Int

    /// Merges the keyword index's pieces into one after a bulk change (an import), so that a
    /// search reads each word's list once; true when there was anything to merge. A no-op for
    /// stores whose index keeps no pieces.
    func compactSearchIndex() async throws -> Bool

    /// Increases with every write made through this store object, so caches know when to drop pages.
    var changeCount: UInt64 { get }

    /// This process's database connections at this moment, for `/metrics`; nil for stores
    /// without a pool (test doubles).
    var poolUsage: StorePoolUsage? { get }
}

extension PaperStore {
    public var concurrentUpserts: Int { 1 }

    /// The three reads one after the other; the SQLite and PostgreSQL stores ask in one statement.
    public func readerMarks(accountID: Int64, among paperIDs: [String]) async throws -> ReaderMarks {
        guard !paperIDs.isEmpty else { return ReaderMarks() }
        return ReaderMarks(
            voted: try await votedPaperIDs(accountID: accountID, among: paperIDs),
            savedTags: try await savedTags(accountID: accountID, among: paperIDs),
            notInterested: try await notInterestedPaperIDs(accountID: accountID, among: paperIDs))
    }

    /// The four reads one after the other; SQLite reads them in one transaction.
    public func paperPage(id: String, includeHiddenComments: Bool) async throws -> PaperPageRecord? {
        guard let paper = try await paper(id: id), let key = try await paperKey(id: paper.id) else { return nil }
        return PaperPageRecord(
            paper: paper, key: key,
            comments: try await comments(paperID: paper.id, includeHidden: includeHiddenComments),
            claims: try await authorClaims(paperID: paper.id))
    }

    public func compactSearchIndex() async throws -> Bool { false }
    public var poolUsage: StorePoolUsage? { nil }
}

/// A paper as its page shows it (`PaperStore.paperPage`).
public struct PaperPageRecord: Sendable, Equatable {
    public var paper: Paper
    /// The paper's key in the vector index and the store.
    public var key: UInt32
    public var comments: [Comment]
    public var claims: [AuthorClaim]
    /// Where the store's searchable text stood when the page was read; nil from stores that do
    /// not track it (PostgreSQL).
    public var searchText: SearchTextVersion?

    public init(paper: Paper, key: UInt32, comments: [Comment], claims: [AuthorClaim], searchText: SearchTextVersion? = nil) {
        self.paper = paper
        self.key = key
        self.comments = comments
        self.claims = claims
        self.searchText = searchText
    }
}

/// Where a store's searchable text (titles, abstracts, authors) stands: two reads that see equal
/// versions saw the same text, so whatever is computed from the keyword index alone (similar
/// papers by title words) can be kept until the version moves. Later versions compare greater.
public struct SearchTextVersion: Sendable, Hashable, Comparable {
    /// Edits of searched columns and removals of papers, ever.
    public let changes: Int64
    /// The highest paper key: every insert raises it (keys only grow between removals).
    public let lastKey: Int64

    public init(changes: Int64, lastKey: Int64) {
        self.changes = changes
        self.lastKey = lastKey
    }

    public static func < (left: Self, right: Self) -> Bool {
        (left.changes, left.lastKey) < (right.changes, right.lastKey)
    }
}

/// One reader's marks on a page's papers (`PaperStore.readerMarks`), by paper id.
public struct ReaderMarks: Sendable, Equatable {
    /// Papers the reader upvoted.
    public var voted: Set<String>
    /// Papers in the reader's library, with their tags in order (none: saved without a tag),
    /// as `ForYouStore.savedTags` gives them.
    public var savedTags: [String: [String]]
    /// Papers the reader dismissed as not interesting.
    public var notInterested: Set<String>

    public init(voted: Set<String> = [], savedTags: [String: [String]] = [:], notInterested: Set<String> = []) {
        self.voted = voted
        self.savedTags = savedTags
        self.notInterested = notInterested
    }
}

/// A moment's reading of a store's connection pool.
public struct StorePoolUsage: Sendable, Equatable {
    /// `sqlite` or `postgres`, the label on the gauges.
    public var store: String
    /// Connections running a statement or transaction for this process.
    public var inUse: Int
    /// Connections open (PostgreSQL) or free to use (SQLite's readers and writer) but not in use.
    public var idle: Int
    /// Callers waiting for a connection to come free.
    public var waiting: Int
    /// The most connections the pool opens.
    public var limit: Int

    public init(store: String, inUse: Int, idle: Int, waiting: Int, limit: Int) {
        self.store = store
        self.inUse = inUse
        self.idle = idle
        self.waiting = waiting
        self.limit = limit
    }
}

public struct DailyQuery: Sendable, Equatable {
    /// `nil` means every day, newest day first.
    public var period: FeedPeriod?
    public var submitter: String?
    public var sort: FeedSort
    public var offset: Int
    public var limit: Int
    /// The clock reading trending is computed against.
    public var now: Date

    public init(period: FeedPeriod?, submitter: String? = nil, sort: FeedSort = .upvotes, offset: Int = 0, limit: Int = 50, now: Date) {
        self.period = period
        self.submitter = submitter
        self.sort = sort
        self.offset = offset
        self.limit = limit
        self.now = now
    }
}

public struct UpsertResult: Sendable, Equatable {
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0

    public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0) {
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
    }

    public static func += (lhs: inout UpsertResult, rhs: UpsertResult) {
        lhs.inserted += rhs.inserted
        lhs.updated += rhs.updated
        lhs.unchanged += rhs.unchanged
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    /// The database server cannot be reached right now (restarting, network down). Nothing was
    /// written; the web layer answers 503 and the request can be retried.
    case unavailable(reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open database at \(path): \(reason)"
        case .unavailable(let reason): "the database is unavailable: \(reason)"
        }
    }
}
