import Foundation
import PaperboyCore

/// The scheduled part of the daily sync: each run harvests from the day before the last
/// successful run (OAI-PMH datestamps are days, and a record stamped late on that day must not
/// be missed; upserts are idempotent, so the overlap costs nothing), and remembers the run in a
/// small JSON file next to the harvest checkpoints.
public struct ArxivSync: Sendable {
    public struct State: Codable, Sendable, Equatable {
        /// The categories the state belongs to: a changed list starts again from `initialSince`.
        public var categories: [String]
        /// UTC day on which the last successful run started.
        public var lastSuccess: Day
        public var lastSummary: String
    }

    let ingest: ArxivIngest
    let categories: [String]
    let stateFolder: String
    let initialLookback: Int

    /// `initialLookback`: how many days the first run reaches back.
    public init(ingest: ArxivIngest, categories: [String], stateFolder: String, initialLookback: Int = 3) {
        self.ingest = ingest
        self.categories = categories.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        self.stateFolder = stateFolder
        self.initialLookback = initialLookback
    }

    var statePath: String { "\(stateFolder)/sync-state.json" }

    public func loadState() throws -> State? {
        guard FileManager.default.fileExists(atPath: statePath) else { return nil }
        do {
            let state = try JSONDecoder().decode(State.self, from: Data(contentsOf: URL(fileURLWithPath: statePath)))
            return state.categories == categories.sorted() ? state : nil
        } catch {
            throw ArxivSyncError.unreadableState(path: statePath, reason: "\(error)")
        }
    }

    /// The `from` date the next run asks for.
    public func nextSince(now: Date) throws -> Day {
        if let state = try loadState() { return state.lastSuccess.adding(days: -1) }
        return Day(containing: now).adding(days: -initialLookback)
    }

    /// One harvest; the state moves on only when every set was harvested to its end.
    public func run(now: Date = Date()) async throws -> ArxivIngest.Summary {
        try FileManager.default.createDirectory(atPath: stateFolder, withIntermediateDirectories: true)
        let since = try nextSince(now: now)
        let summary = try await ingest.run(categories: categories, since: since, checkpointFolder: stateFolder)
        let state = State(categories: categories.sorted(), lastSuccess: Day(containing: now), lastSummary: summary.description)
        let temporary = statePath + ".tmp"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: URL(fileURLWithPath: temporary))
        if FileManager.default.fileExists(atPath: statePath) { try FileManager.default.removeItem(atPath: statePath) }
        try FileManager.default.moveItem(atPath: temporary, toPath: statePath)
        return summary
    }
}

public enum ArxivSyncError: Error, CustomStringConvertible {
    case unreadableState(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableState(let path, let reason): "the sync state \(path) is not readable (\(reason)); delete it to start again"
        }
    }
}
