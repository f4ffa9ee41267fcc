import Foundation
import PaperboyCore
import PaperboyStore

/// The scheduled part of the daily sync: each run harvests from the day before the last
/// successful run (OAI-PMH datestamps are days, and a record stamped late on that day must not
/// be missed; upserts are idempotent, so the overlap costs nothing). The last run is kept in
/// the database, so whichever instance runs the sync next carries on from it; resumption
/// checkpoints stay in a local folder.
public struct ArxivSync: Sendable {
    public struct State: Codable, Sendable, Equatable {
        /// The categories the state belongs to: a changed list starts again from the look-back.
        public var categories: [String]
        /// UTC day on which the last successful run started.
        public var lastSuccess: Day
        /// When that run started, so that any instance can tell when the next is due.
        public var lastRunAt: Date
        public var lastSummary: String
    }

    /// The lease and service-state name every instance uses.
    public static let name = "arxiv-sync"

    let ingest: ArxivIngest
    let categories: [String]
    let checkpointFolder: String
    let initialLookback: Int
    let lease: LeaseKeeper?

    /// `initialLookback`: how many days the first run reaches back. With `lease`, a run stops
    /// between pages if another instance has taken the sync over.
    public init(ingest: ArxivIngest, categories: [String], checkpointFolder: String, initialLookback: Int = 3, lease: LeaseKeeper? = nil) {
        self.ingest = ingest
        self.categories = categories.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        self.checkpointFolder = checkpointFolder
        self.initialLookback = initialLookback
        self.lease = lease
    }

    public func loadState() async throws -> State? {
        guard let text = try await ingest.store.serviceState(Self.name) else { return nil }
        do {
            let state = try JSONDecoder().decode(State.self, from: Data(text.utf8))
            return state.categories == categories.sorted() ? state : nil
        } catch {
            // Written by this code, so only a hand edit gets here: start over rather than stop syncing.
            return nil
        }
    }

    /// The `from` date the next run asks for.
    public func nextSince(now: Date) async throws -> Day {
        if let state = try await loadState() { return state.lastSuccess.adding(days: -1) }
        return Day(containing: now).adding(days: -initialLookback)
    }

    /// Whether `interval` has passed since the last successful run (or there was none).
    public func isDue(now: Date, interval: TimeInterval) async throws -> Bool {
        guard let state = try await loadState() else { return true }
        return now.timeIntervalSince(state.lastRunAt) >= interval
    }

    /// One harvest; the state moves on only when every set was harvested to its end.
    public func run(now: Date = Date()) async throws -> ArxivIngest.Summary {
        try FileManager.default.createDirectory(atPath: checkpointFolder, withIntermediateDirectories: true)
        let since = try await nextSince(now: now)
        let lease = lease
        let summary = try await ingest.run(categories: categories, since: since, checkpointFolder: checkpointFolder) {
            guard let lease else { return }
            guard try await lease.hold() else { throw ArxivSyncError.leaseLost }
        }
        let state = State(categories: categories.sorted(), lastSuccess: Day(containing: now), lastRunAt: now, lastSummary: summary.description)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try await ingest.store.setServiceState(Self.name, value: String(decoding: try encoder.encode(state), as: UTF8.self), now: now)
        return summary
    }
}

public enum ArxivSyncError: Error, CustomStringConvertible {
    case leaseLost

    public var description: String {
        switch self {
        case .leaseLost: "another instance took the arXiv sync over; this run stopped between pages"
        }
    }
}
