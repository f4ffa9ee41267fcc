import Foundation
import Logging
import NIOCore
import NIOPosix
import PaperboyCore
import PaperboyStore
import PostgresNIO
import Synchronization
import Tracing

/// The store on a PostgreSQL server, through postgres-nio's connection pool (`PostgresClient`).
///
/// The pool does its background work (opening, keeping alive and closing connections) in
/// `PostgresClient.run()`; the store runs that in a task of its own from `init` until `close()`
/// (or until the store is released), so callers use it like the SQLite store: create, `migrate()`, use.
public final class PostgresPaperStore: PaperStore {
    let client: PostgresClient
    let logger: Logger
    let runner: Task<Void, Never>
    let writes = Atomic<UInt64>(0)
    /// Connections open, leased and waited for, for the pool gauges.
    let pool: PostgresPoolCounts
    /// Whether PostgreSQL answered lately; see `withConnection`.
    let availability = Availability()
    /// How long a request may wait for a pooled connection before the store reports itself unavailable.
    let connectionWait: Duration = .seconds(2)
    /// See `SearchStore.postingBudget`.
    public let postingBudget: Int
    /// Set when made from a URL: `migrate` first connects once directly, so a wrong address or
    /// password fails at once with the server's reason (the pool would retry forever).
    let location: PostgresLocation?

    public var changeCount: UInt64 { writes.load(ordering: .acquiring) }

    /// Most of an import's time is PostgreSQL parsing text into `tsvector`s and filling the GIN
    /// index, one core per connection; batches on several connections use the server's cores.
    /// Set from the configuration (`PAPERBOY_PG_CONCURRENT_UPSERTS`, for benchmarks).
    public var concurrentUpserts: Int { upsertsInFlight.load(ordering: .relaxed) }
    let upsertsInFlight = Atomic<Int>(4)

    public func setConcurrentUpserts(_ count: Int) { upsertsInFlight.store(max(1, count), ordering: .relaxed) }

    /// Connects to `url`, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`
    /// (TLS is preferred when `sslmode` is not given, as libpq does). Call `migrate()` before use.
    public convenience init(
        url: String, maximumConnections: Int = 20, searchPostingBudget: Int = PostingBudget.exact,
        logger: Logger = Logger(label: "paperboy.postgres")
    ) throws {
        let location = try PostgresLocation(url: url)
        self.init(
            configuration: location.clientConfiguration(maximumConnections: maximumConnections), location: location,
            searchPostingBudget: searchPostingBudget, logger: logger)
    }

    public convenience init(
        configuration: PostgresClient.Configuration, searchPostingBudget: Int = PostingBudget.exact,
        logger: Logger = Logger(label: "paperboy.postgres")
    ) {
        self.init(configuration: configuration, location: nil, searchPostingBudget: searchPostingBudget, logger: logger)
    }

    init(configuration: PostgresClient.Configuration, location: PostgresLocation?, searchPostingBudget: Int, logger: Logger) {
        self.location = location
        pool = PostgresPoolCounts(limit: configuration.options.maximumConnections)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        postingBudget = searchPostingBudget
        // Started immediately where possible, so `run()` is under way before the first query
        // (postgres-nio warns about leases asked for earlier, though it serves them).
        if #available(macOS 26, *) {
            runner = Task.immediate { await client.run() }
        } else {
            runner = Task { await client.run() }
        }
    }

    deinit {
        runner.cancel()
    }

    /// Closes every connection; queries made afterwards fail.
    /// From now on a statement waits at most a second for a connection or for PostgreSQL to
    /// answer, then fails as unavailable: at shutdown, a request in flight gets its 503 and the
    /// server stops, even when the pool is still reconnecting after an outage.
    public func stopWaiting() {
        availability.stopping.store(true, ordering: .releasing)
    }

    public func close() async {
        runner.cancel()
        await runner.value
    }

    // MARK: Running statements

    /// Runs `body` on a pooled connection, outside a transaction.
    func read<Result: Sendable>(
        _ function: String = #function, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await withConnection(function) { [logger] connection in try await body(connection) }
        } catch let error as PSQLError {
            throw PostgresStoreError(error)
        }
    }

    /// A pooled connection, or `StoreError.unavailable`: at once while the server is known to be
    /// away, and after `connectionWait` when no connection came and the server refuses TCP
    /// connections (a busy pool keeps waiting, up to 30 s). The pool would otherwise keep requests
    /// waiting while it retries, and web requests would hang instead of answering 503.
    ///
    /// The statement runs in a task of its own that the caller does not wait for once the watchdog
    /// gives up: after an outage a statement can wait on a connection that never answers and
    /// ignores cancellation, and waiting for it (as a task group does for every child) kept a
    /// request, and with it the server's graceful shutdown, waiting forever (issue 21).
    ///
    /// Each use is one trace span named after the store method (`store dailyPapers`), a child of
    /// the request's span when tracing is on.
    func withConnection<Result: Sendable>(
        _ function: String = #function, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withSpan(Self.spanName(function), ofKind: .client) { span in
            span.attributes["db.system.name"] = "postgresql"
            return try await withConnectionUntraced(body)
        }
    }

    /// `dailyPapers(_:)` → `store dailyPapers`: the method, without its argument labels.
    static func spanName(_ function: String) -> String {
        "store " + (function.split(separator: "(", maxSplits: 1).first.map(String.init) ?? function)
    }

    public var poolUsage: StorePoolUsage? { pool.usage }

    private func withConnectionUntraced<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try availability.check()
        let acquired = Flag()
        let client = client
        let wait = connectionWait
        let location = location
        let pool = pool
        do {
            let work = Task {
                let asked = DispatchTime.now().uptimeNanoseconds
                // Waiting until leased, or until the lease failed: whichever ends it first counts.
                pool.waiting.add(1, ordering: .relaxed)
                defer { if !acquired.value.exchange(true, ordering: .acquiringAndReleasing) { pool.waiting.subtract(1, ordering: .relaxed) } }
                return try await client.withConnection { connection in
                    if !acquired.value.exchange(true, ordering: .acquiringAndReleasing) { pool.waiting.subtract(1, ordering: .relaxed) }
                    pool.leased(connection)
                    defer { pool.inUse.subtract(1, ordering: .relaxed) }
                    let leased = DispatchTime.now().uptimeNanoseconds
                    StoreMetrics.poolWait.recordNanoseconds(leased - asked)
                    defer { StoreMetrics.connectionUse.recordNanoseconds(DispatchTime.now().uptimeNanoseconds - leased) }
                    return try await body(connection)
                }
            }
            let availability = availability
            let watchdog = Task {
                // Watches the statement until it ends (this task is cancelled then). A busy
                // pool is not an outage: past the wait, ask whether the server accepts TCP
                // connections at all, and give up only when it does not. At shutdown, give
                // up after a second whatever the state of the pool.
                let started = ContinuousClock.now
                let deadline = started.advanced(by: .seconds(30))
                while true {
                    try await Task.sleep(for: .milliseconds(250))
                    if availability.stopping.load(ordering: .acquiring), ContinuousClock.now - started > .seconds(1) {
                        throw StoreError.unavailable(reason: "the server is shutting down")
                    }
                    guard let location, !acquired.value.load(ordering: .acquiring), ContinuousClock.now - started >= wait else { continue }
                    guard await location.acceptsConnections() else {
                        throw StoreError.unavailable(reason: "PostgreSQL at \(location.host):\(location.port) does not accept connections")
                    }
                    guard ContinuousClock.now < deadline else {
                        throw StoreError.unavailable(reason: "no pooled connection to PostgreSQL within 30 seconds")
                    }
                }
            }
            let result = try await Race.first(of: work, unless: watchdog)
            availability.markUp()
            return result
        } catch let error as StoreError {
            availability.markDown(error.description)
            throw error
        } catch let error as PSQLError where Self.isConnectionFailure(error) {
            let failure = StoreError.unavailable(reason: Self.describe(error))
            availability.markDown(failure.description)
            throw failure
        }
    }

    /// Errors that say the server went away rather than that a statement failed.
    static func isConnectionFailure(_ error: PSQLError) -> Bool {
        if let state = error.serverInfo?[.sqlState] {
            // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 08xxx connection
            // exceptions, 53xxx insufficient resources (53300: too many clients, as a restarted
            // server is flooded with reconnects).
            return ["57P01", "57P02", "57P03"].contains(state) || state.hasPrefix("08") || state.hasPrefix("53")
        }
        return [PSQLError.Code.connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown]
            .contains(error.code)
    }

    /// Runs `body` in a read-only transaction whose planner may not use plain index scans or
    /// sequential scans, so a full-text match goes through the GIN index (a bitmap scan). Without
    /// this, a query that filters on `search @@` and orders by `key` walks the primary key backwards
    /// and detoasts every row's tsvector to test it, a cost the planner does not see (BENCHMARKS.md, issue 7).
    /// `SET LOCAL` ends with the transaction, so pooled connections keep their defaults.
    /// JIT compilation is off too: a disabled plan type costs 10^10, far above `jit_above_cost`,
    /// so every statement in the transaction with a sequential scan (even of the one-row
    /// `paper_search_total`) was compiled first, 10–85 ms each (BENCHMARKS.md, issue 17).
    func readThroughIndexBitmaps<Result: Sendable>(
        _ function: String = #function, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await withConnection(function) { [logger] connection in
                try await Self.transaction(on: connection, begin: "BEGIN READ ONLY", logger: logger) { connection in
                    try await connection.run(
                        "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true), set_config('jit', 'off', true)",
                        logger: logger)
                    return try await body(connection)
                }
            }
        } catch let error as PSQLError {
            throw PostgresStoreError(error)
        }
    }

    /// Runs `body` in a transaction. Errors come out as thrown (not wrapped), and a transaction
    /// PostgreSQL aborted for a deadlock or a serialization failure is run again: SQLite's single
    /// writer never sees those, so callers of the protocol must not either.
    func write<Result: Sendable>(
        _ function: String = #function, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await withConnection(function) { [logger] connection in
                    try await Self.transaction(on: connection, begin: "BEGIN", logger: logger, body)
                }
            } catch let error as PSQLError where attempt < 8 && Self.isRetryable(error) {
                logger.debug("retrying a transaction", metadata: ["sqlstate": "\(error.serverInfo?[.sqlState] ?? "")"])
                // A short random pause, so the transactions that collided do not collide again.
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...50) * attempt))
                continue
            } catch let error as PSQLError {
                throw PostgresStoreError(error)
            }
        }
    }

    /// Runs `body` between `begin` and COMMIT, rolling back when it throws.
    static func transaction<Result: Sendable>(
        on connection: PostgresConnection, begin: String, logger: Logger, _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await connection.run(PostgresQuery(unsafeSQL: begin), logger: logger)
        do {
            let result = try await body(connection)
            try await connection.run("COMMIT", logger: logger)
            return result
        } catch {
            // The closure's error is the one worth reporting; a failed rollback closes the connection anyway.
            do { try await connection.run("ROLLBACK", logger: logger) } catch {}
            throw error
        }
    }

    /// What went wrong, from the server's message when there is one. PSQLError's own description
    /// is deliberately vague (it could carry bound values); this one names no query or value.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        // 40001 serialization_failure, 40P01 deadlock_detected.
        ["40001", "40P01"].contains(error.serverInfo?[.sqlState] ?? "")
    }

    // MARK: Migrations

    public func migrate() async throws {
        try await checkReachable()
        for migration in PostgresMigrations.all {
            try await write { [logger] connection in
                // Held until commit: a second server starting now waits here, then sees the row.
                try await connection.run("SELECT pg_advisory_xact_lock(\(PostgresMigrations.lockKey))", logger: logger)
                try await connection.run("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version int PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """, logger: logger)
                let applied = try await connection.query(
                    "SELECT 1 FROM schema_migrations WHERE version = \(migration.version)", logger: logger
                ).collect()
                guard applied.isEmpty else { return }
                for statement in migration.statements {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.run(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
                logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
            }
        }
    }

    /// Applied migration names, oldest first.
    public var knownMigrations: [String] { PostgresMigrations.all.map(\.name) }

    public func appliedMigrations() async throws -> [String] {
        try await read { [logger] connection in
            let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger).collect()
            guard try exists.first?.decode(Bool.self) == true else { return [] }
            return try await connection.query("SELECT name FROM schema_migrations ORDER BY version", logger: logger)
                .collect().map { try $0.decode(String.self) }
        }
    }

    // MARK: Papers

    /// What every paper query selects (`PaperRow.read`).
    static let columns = PaperRow.selectList()

    /// `columns` with the table name, for queries that join other tables with an `id`.
    static let qualifiedColumns = PaperRow.selectList(qualifier: "paper")

    /// A paper from a row holding `columns`, read by name.
    static func paper(from row: PostgresRow) throws -> Paper {
        try PaperRow.paper(from: PostgresRowReader(row: row.makeRandomAccess()))
    }

    /// The column's type in statements that cast parameters or read JSON.
    static func postgresType(_ column: PaperRow.Column) -> String {
        switch column.kind {
        case .text: "text"
        case .list: "text[]"
        case .integer: "bigint"
        case .real: "float8"
        case .boolean: "boolean"
        }
    }

    /// One record, inserted or merged by `PaperRow`'s rules: parameter n is the record's value of
    /// the n-th imported column, cast, since it may be NULL.
    static let upsertSQL: String = {
        let parameters = Dictionary(uniqueKeysWithValues: PaperRow.imported.enumerated().map { index, column in
            (column.name, "$\(index + 1)::\(postgresType(column))")
        })
        return """
            INSERT INTO paper AS paper (\(PaperRow.imported.map(\.name).joined(separator: ", ")))
            VALUES (\(PaperRow.imported.map { PaperRow.insertValue($0, parameters[$0.name] ?? "NULL") }.joined(separator: ", ")))
            ON CONFLICT (id) DO UPDATE SET
                \(PaperRow.mergeAssignments(.postgres) { parameters[$0.name] ?? "NULL" })
            """
    }()

    static func upsertQuery(for record: PaperRecord, hash: Int64, now: Double) throws -> PostgresQuery {
        let values = PaperRow.values(for: record, hash: hash, now: now)
        var binds = PostgresBindings(capacity: PaperRow.imported.count)
        for column in PaperRow.imported {
            switch values[column.name] {
            case .text(let text): binds.append(text)
            case .list(let list): binds.append(list)
            case .integer(let number): binds.append(number)
            case .real(let number): binds.append(number)
            case .boolean(let flag): binds.append(flag)
            case nil: binds.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: upsertSQL, binds: binds)
    }

    public func upsert(_ batch: [PaperRecord]) async throws -> UpsertResult {
        defer { writes.add(1, ordering: .releasing) }
        guard !batch.isEmpty else { return UpsertResult() }
        // New rows are written in id order too (an id that comes twice keeps its batch order):
        // two batches inserting the same new papers in opposite orders deadlocked on the unique
        // index, and under load the retries could deadlock again.
        let records = batch.enumerated()
            .sorted { ($0.element.paper.id, $0.offset) < ($1.element.paper.id, $1.offset) }
            .map(\.element)
        let logger = logger
        return try await write { [logger] connection in
            // What is stored now, in one round trip: content hash and whether the paper has a day.
            // The rows are locked in id order, so two batches over the same papers wait for each
            // other instead of deadlocking.
            var stored: [String: (hash: Int64, onFeed: Bool)] = [:]
            let ids = Array(Set(records.map(\.paper.id)))
            for row in try await connection.query(
                "SELECT id, content_hash, daily_day IS NOT NULL FROM paper WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE", logger: logger
            ).collect() {
                let (id, hash, onFeed) = try row.decode((String, Int64, Bool).self)
                stored[id] = (hash, onFeed)
            }
            var result = UpsertResult()
            // Rounds keep an id that comes twice in the batch in batch order: its second record
            // is written in the next round, after the first.
            var rounds: [[PlannedWrite]] = []
            var roundOfID: [String: Int] = [:]
            for record in records {
                let hash = ContentHash.of(record)
                let existing = stored[record.paper.id]
                if let existing, ContentHash.changesNothing(record, hash: hash, storedHash: existing.hash, storedOnFeed: existing.onFeed) {
                    result.unchanged += 1
                    continue
                }
                stored[record.paper.id] = (hash, (existing?.onFeed ?? false) || record.paper.dailyDay != nil)
                if existing == nil { result.inserted += 1 } else { result.updated += 1 }
                let round = roundOfID[record.paper.id].map { $0 + 1 } ?? 0
                roundOfID[record.paper.id] = round
                if round == rounds.count { rounds.append([]) }
                rounds[round].append(PlannedWrite(record: record, hash: hash, exists: existing != nil))
            }
            let now = Date().timeIntervalSince1970
            for round in rounds {
                try await Self.writeBatch(round, now: now, connection, logger)
            }
            return result
        }
    }

    public func paper(id: String) async throws -> Paper? {
        try await read { [logger] connection in
            try await connection.query("SELECT \(unescaped: Self.columns) FROM paper WHERE id = \(id)", logger: logger)
                .collect().first.map { try Self.paper(from: $0) }
        }
    }

    /// The trending score of a `paper` row (see `Trending`): imported upvotes as cast when the
    /// paper reached the feed, plus each local vote by its own age.
    static func trendingExpression(now: String, gravity: String) -> String {
        """
        (paper.source_upvotes / power(GREATEST(0, (\(now) - COALESCE(paper.submitted_on_daily_at, \(now))) / 86400.0) + 1, \(gravity))
         + COALESCE((SELECT sum(1 / power(GREATEST(0, (\(now) - vote.created_at) / 86400.0) + 1, \(gravity)))
                     FROM vote WHERE vote.paper_key = paper.key), 0))
        """
    }

    public func dailyPapers(_ query: DailyQuery) async throws -> [Paper] {
        var sql = SQLBuilder()
        var conditions = ["daily_day IS NOT NULL", "NOT hidden"]
        if let period = query.period {
            conditions.append("daily_day BETWEEN \(sql.bind(period.days.lowerBound.daysSinceEpoch)) AND \(sql.bind(period.days.upperBound.daysSinceEpoch))")
        }
        if let submitter = query.submitter {
            conditions.append("submitted_by = \(sql.bind(submitter))")
        }
        // Without a period the newest day comes first, as on the Hub.
        let dayOrder = query.period == nil ? "daily_day DESC, " : ""
        // Within a period, curators' picks lead (the whole feed keeps its index order).
        let featuredFirst = query.period == nil ? "" : "featured DESC, "
        let order: String
        switch query.sort {
        case .upvotes:
            order = "\(dayOrder)\(featuredFirst)upvotes DESC, published_at DESC NULLS LAST, id"
        case .publishedAt:
            order = "\(dayOrder)\(featuredFirst)published_at DESC NULLS LAST, upvotes DESC, id"
        case .trending:
            let trending = Self.trendingExpression(now: sql.bind(query.now.timeIntervalSince1970), gravity: sql.bind(Trending.gravity))
            order = "\(trending) DESC, upvotes DESC, id"
        }
        // Built before `sql.query` reads the bindings: the LIMIT and OFFSET are bound here.
        let text = """
            SELECT \(Self.columns) FROM paper
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY \(order)
            LIMIT \(sql.bind(query.limit)) OFFSET \(sql.bind(query.offset))
            """
        let statement = sql.query(text)
        return try await read { [logger] connection in
            try await connection.query(statement, logger: logger).collect().map { try Self.paper(from: $0) }
        }
    }

    public func neighbouringDays(of day: Day) async throws -> (previous: Day?, next: Day?) {
        let (previous, next) = try await read { [logger] connection in
            try await connection.query("""
                SELECT (SELECT max(daily_day) FROM paper WHERE daily_day < \(day.daysSinceEpoch)),
                       (SELECT min(daily_day) FROM paper WHERE daily_day > \(day.daysSinceEpoch))
                """, logger: logger).collect().first?.decode((Int?, Int?).self) ?? (nil, nil)
        }
        return (previous.map(Day.init(daysSinceEpoch:)), next.map(Day.init(daysSinceEpoch:)))
    }

    public func latestDay() async throws -> Day? {
        try await read { [logger] connection in
            try await connection.query("SELECT max(daily_day) FROM paper", logger: logger)
                .collect().first?.decode(Int?.self).map(Day.init(daysSinceEpoch:))
        }
    }

    public func paperCount() async throws -> Int {
        try await read { [logger] connection in
            try await connection.query("SELECT count(*) FROM paper", logger: logger).collect().first?.decode(Int.self) ?? 0
        }
    }
}

extension PostgresConnection {
    /// Runs a statement whose rows are not needed, to completion, so its errors surface here.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        _ = try await self.query(query, logger: logger).collect()
    }
}

/// SQL text assembled piece by piece: every value becomes a `$n` parameter, never SQL text.
struct SQLBuilder {
    var binds = PostgresBindings()

    /// Binds `value` and returns its placeholder.
    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    func query(_ sql: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}

/// A failed statement, described by the server's message and SQLSTATE; unlike `PSQLError`'s own
/// description it says what happened, and like it, it carries no query text or bound value.
public struct PostgresStoreError: Error, CustomStringConvertible {
    /// The five-character SQLSTATE, when the server answered (`23505` for a unique violation).
    public let sqlState: String?
    /// The constraint or unique index a violation was about.
    public let constraint: String?
    public let reason: String

    init(_ error: PSQLError) {
        sqlState = error.serverInfo?[.sqlState]
        constraint = error.serverInfo?[.constraintName]
        reason = PostgresPaperStore.describe(error)
    }

    public var description: String { "PostgreSQL: \(reason)" }
}

/// Where a PostgreSQL database is, from a `postgres://` URL.
struct PostgresLocation: Sendable {
    let host: String
    let port: Int
    let username: String
    let password: String?
    let database: String?
    let sslMode: String
    /// The URL without its password, for messages.
    let display: String

    init(url text: String) throws {
        display = Self.redacted(text)
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw StoreError.cannotOpen(path: display, reason: "not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw StoreError.cannotOpen(path: display, reason: "the URL names no host") }
        guard let user = components.user, !user.isEmpty else { throw StoreError.cannotOpen(path: display, reason: "the URL names no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(sslMode) else {
            throw StoreError.cannotOpen(path: display, reason: "unknown sslmode \(sslMode)")
        }
        self.host = host
        port = components.port ?? 5432
        username = user
        password = components.password
        self.database = database.isEmpty ? nil : database
    }

    /// Whether a TCP connection to the server opens within a second (refused at once when the
    /// server is down; a timeout when the network is).
    func acceptsConnections() async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(1))
                .connect(host: host, port: port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }

    /// TLS as libpq's sslmode says; without one, TLS is used when the server offers it.
    func clientConfiguration(maximumConnections: Int) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch sslMode {
        case "disable": .disable
        case "require", "verify-ca", "verify-full": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        return configuration
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = switch sslMode {
        case "disable": .disable
        case "require", "verify-ca", "verify-full": .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "postgres://…"
    }
}

/// Remembers that PostgreSQL stopped answering, so that for a second afterwards calls fail at
/// once instead of each waiting for a connection; the first call after that tries again.
final class Availability: Sendable {
    private let down = Mutex<(until: ContinuousClock.Instant, reason: String)?>(nil)
    /// Set when the server shuts down: no statement waits for PostgreSQL longer than a second.
    let stopping = Atomic<Bool>(false)

    func check() throws {
        let state = down.withLock { $0 }
        if let state, ContinuousClock.now < state.until { throw StoreError.unavailable(reason: state.reason) }
    }

    func markDown(_ reason: String) {
        down.withLock { $0 = (ContinuousClock.now.advanced(by: .seconds(1)), reason) }
    }

    func markUp() {
        down.withLock { if $0 != nil { $0 = nil } }
    }
}


final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

/// `PaperRow.Reader` over a postgres-nio row.
struct PostgresRowReader: PaperRow.Reader {
    let row: PostgresRandomAccessRow

    func text(_ field: PaperRow.Field) throws -> String { try row[field.name].decode(String.self) }
    func optionalText(_ field: PaperRow.Field) throws -> String? { try row[field.name].decode(String?.self) }
    func list(_ field: PaperRow.Field) throws -> [String] { try row[field.name].decode([String].self) }
    func integer(_ field: PaperRow.Field) throws -> Int { try row[field.name].decode(Int.self) }
    func optionalInteger(_ field: PaperRow.Field) throws -> Int? { try row[field.name].decode(Int?.self) }
    func optionalReal(_ field: PaperRow.Field) throws -> Double? { try row[field.name].decode(Double?.self) }
    func boolean(_ field: PaperRow.Field) throws -> Bool { try row[field.name].decode(Bool.self) }
}
