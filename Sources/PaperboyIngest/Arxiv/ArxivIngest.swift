import Foundation
import PaperboyCore
import PaperboyStore

/// Daily sync from arXiv's OAI-PMH endpoint into the store: harvest the sets behind the wanted
/// categories since a date, keep records in those categories, upsert them (upvotes, comments and
/// feed days are never reset), and put new papers on the feed on their submission day unless
/// the feed is curated by hand.
public struct ArxivIngest: Sendable {
    public enum FeedPolicy: String, Sendable {
        /// Every new paper in the categories goes on the feed of the day it was submitted.
        case all
        /// Papers are stored and searchable; only submissions and curators fill the feed.
        case curated
    }

    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        public var pages = 0
        public var harvested = 0
        public var kept = 0
        public var deleted = 0
        public var skipped = 0
        public var result = UpsertResult()

        public var description: String {
            "ingested \(kept) of \(harvested) records in \(pages) pages: new \(result.inserted), updated \(result.updated), unchanged \(result.unchanged), skipped \(skipped), deleted upstream \(deleted)"
        }
    }

    let store: any PaperStore
    let client: ArxivAPIClient
    let oaiBaseURL: String
    let policy: FeedPolicy
    let format: OAIMetadataFormat

    public init(
        store: any PaperStore, client: ArxivAPIClient, oaiBaseURL: String = "https://oaipmh.arxiv.org/oai",
        policy: FeedPolicy = .all, format: OAIMetadataFormat = .arXiv
    ) {
        self.store = store
        self.client = client
        self.oaiBaseURL = oaiBaseURL
        self.policy = policy
        self.format = format
    }

    /// The OAI-PMH set holding a category: `cs.LG` → `cs`, `hep-th` → `physics:hep-th`.
    public static func set(for category: String) -> String {
        let archive = String(category.split(separator: ".").first ?? Substring(category))
        let physics = ["astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph"]
        return physics.contains(archive) ? "physics:\(archive)" : archive
    }

    /// Whether a record listed in `categories` is wanted: `cs.LG` wants cs.LG, `cs` every cs.* category.
    static func matches(_ categories: [String], wanted: Set<String>) -> Bool {
        categories.contains { category in
            let lowered = category.lowercased()
            if wanted.contains(lowered) { return true }
            guard let dot = lowered.firstIndex(of: ".") else { return false }
            return wanted.contains(String(lowered[..<dot]))
        }
    }

    /// Harvests every set the categories need. With `checkpointFolder`, progress is saved after
    /// each stored page and a run that was interrupted continues where it stopped.
    /// `beforeEachPage` may throw to stop between pages (the sync does when it loses its lease).
    public func run(
        categories: [String], since: Day?, checkpointFolder: String?,
        beforeEachPage: (@Sendable () async throws -> Void)? = nil
    ) async throws -> Summary {
        let wanted = Set(categories.map { $0.lowercased() })
        var summary = Summary()
        for set in Array(Set(categories.map(Self.set(for:)))).sorted() {
            let path = checkpointFolder.map { "\($0)/ingest-\(set.replacingOccurrences(of: ":", with: "-"))-\(since?.iso ?? "all").json" }
            var checkpoint = HarvestCheckpoint(set: set, from: since?.iso, format: format)
            if let path, let saved = try HarvestCheckpoint.load(path), !saved.finished, saved.set == set, saved.from == since?.iso,
               (saved.format ?? .arXiv) == format {
                checkpoint = saved
            }
            _ = try await client.harvest(oaiBaseURL: oaiBaseURL, checkpoint: checkpoint) { page, next in
                try await beforeEachPage?()
                summary.pages += 1
                summary.harvested += page.records.count
                summary.deleted += page.deleted.count
                summary.skipped += page.skipped.count
                let records = page.records
                    .filter { Self.matches($0.categories, wanted: wanted) }
                    .map { entry -> PaperRecord in
                        var record = entry.record
                        if policy == .all, let published = record.paper.publishedAt {
                            record.paper.dailyDay = Day(containing: published)
                            record.paper.submittedOnDailyAt = published
                            record.dayIsPlacement = true
                        }
                        return record
                    }
                summary.kept += records.count
                summary.result += try await store.upsert(records)
                // Saved only after the page is stored: a crash repeats at most this page.
                if let path { try next.save(path) }
            }
        }
        return summary
    }
}
