import ArgumentParser
import Foundation
import Logging
import PaperboyApp
import PaperboyBench
import PaperboyCore
import PaperboyMail
import PaperboySearch
import PaperboyStore
import PaperboyWeb

/// `paperboy bench recommendations`: the issue 15 speed targets over the papers in --database
/// (retraining a reader with 200 liked papers, ordering a day For you, digests with a For-you
/// section for many readers).
struct BenchRecommendations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommendations",
        abstract: "Time per-reader recommendations: vocabulary, retraining, the For-you day order, For-you digests.",
        discussion: "Uses the papers in --database. Papers without an embedding get a synthetic one (clustered unit vectors), so no model run is needed; the model is loaded only to embed interest paragraphs.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "Liked papers per benchmark reader.")
    var liked: Int = 200

    @Option(help: "Readers to retrain (each timed).")
    var retrainReaders: Int = 7

    @Option(help: "For-you orderings of the latest day to time.")
    var dayRuns: Int = 30

    @Option(help: "Digest readers (0 skips the digest run).")
    var digestReaders: Int = 10_000

    func milliseconds(_ since: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - since).inMilliseconds
    }

    func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
    }

    func run() async throws {
        let configuration = try await loadConfiguration(database, model)
        let store = try await Stores.open(configuration)
        let logger = Logger(label: "paperboy.bench")
        let semantic = try configuration.requireSemanticIndex(store: store)
        let total = try await store.paperCount()
        guard let day = try await store.latestDay() else { throw ValidationError("the database has no papers on the feed") }

        // Synthetic embeddings for papers that have none.
        var clock = ContinuousClock.now
        var after: UInt32 = 0
        var added = 0
        while true {
            let missing = try await store.papersNeedingEmbeddings(model: semantic.modelName, afterKey: after, limit: 5_000)
            guard let last = missing.last else { break }
            let vectors = SyntheticVectors.clustered(count: missing.count, dimensions: SentenceEmbedder.dimensions,
                                                     shape: .default(forCount: total), seed: 7, firstRow: Int(missing[0].key))
            try await store.saveEmbeddings(missing.enumerated().map { index, source in
                StoredEmbedding(key: source.key, vector: Array(vectors[(index * SentenceEmbedder.dimensions)..<((index + 1) * SentenceEmbedder.dimensions)]),
                                sourceModifiedAt: source.modifiedAt)
            }, model: semantic.modelName)
            added += missing.count
            after = last.key
        }
        print("\(total) papers, \(added) synthetic embeddings added in \(String(format: "%.1f", milliseconds(clock) / 1000)) s")
        // The vector index as a running server has it: from the saved file when it fits, else
        // loaded and trained (minutes at a million papers), and saved for the next run. Timing
        // while k-means trains in the background would measure the training.
        clock = .now
        _ = try await SemanticSearch.load(semantic, indexFile: configuration.vectorIndexFile, logger: logger)
        await semantic.waitForIndexBuilds()
        if let indexFile = configuration.vectorIndexFile { try await semantic.saveIndex(to: indexFile) }
        print("vector index ready in \(String(format: "%.1f", milliseconds(clock) / 1000)) s")

        let recommender = Recommender(store: store, semantic: semantic, logger: logger)
        clock = .now
        let counted = try await recommender.updateVocabulary()
        let vocabulary = try await recommender.currentFeatures().vocabulary.count
        print("vocabulary: \(counted) papers counted in \(String(format: "%.1f", milliseconds(clock) / 1000)) s; \(vocabulary) terms kept")

        // Readers with `liked` saved papers each, drawn at random.
        var random = SplitMix64(seed: 15)
        var readers: [PaperboyCore.Account] = []
        // Names unique per run, so the benchmark can run again on the same database.
        let run = UUID().uuidString.prefix(8).lowercased()
        for index in 0..<retrainReaders {
            let name = "bench-reader-\(run)-\(index)"
            let account = try await store.createAccount(username: name, email: "\(name)@example.org", role: .member, passwordHash: nil, now: Date())
            var keys: [UInt32] = []
            while keys.count < liked { keys.append(UInt32(1 + random.next() % UInt64(total))) }
            for paper in try await store.papers(keys: keys).values {
                try await store.savePaper(paper.id, tags: [], accountID: account.id, now: Date())
            }
            readers.append(account)
        }
        var retrains: [Double] = []
        for reader in readers {
            clock = .now
            _ = try await recommender.retrainIfStale(accountID: reader.id, tag: nil, now: Date())
            retrains.append(milliseconds(clock))
        }
        print(String(format: "retrain, %d liked papers: p50 %.1f ms, max %.1f ms over %d readers (signals, features, training, saving)",
                     liked, percentile(retrains, 0.5), retrains.max() ?? 0, retrains.count))

        // The For-you order of the latest day, as the page computes it (no page cache).
        guard let reader = readers.first else { return }
        let dayPapers = try await store.dailyPapers(DailyQuery(period: .day(day), limit: 2_000, now: Date())).count
        var orders: [Double] = []
        for _ in 0..<dayRuns {
            clock = .now
            let candidates = try await store.dailyPapers(DailyQuery(period: .day(day), sort: .upvotes, limit: 2_000, now: Date()))
            guard let bound = try await recommender.model(accountID: reader.id, tag: nil) else { throw ValidationError("no model was trained") }
            let dismissed = try await store.notInterestedPaperIDs(accountID: reader.id, among: candidates.map(\.id))
            // As the feed asks for its first page (30 papers and one to know there is a next page).
            _ = try await recommender.rank(candidates.filter { !dismissed.contains($0.id) }, with: bound, limit: 31)
            orders.append(milliseconds(clock))
        }
        print(String(format: "For-you order of %@ (%d papers): p50 %.1f ms, p99 %.1f ms, first %.1f ms over %d runs",
                     day.iso, dayPapers, percentile(orders, 0.5), percentile(orders, 0.99), orders.first ?? 0, orders.count))

        guard digestReaders > 0 else { return }
        // Digest readers: accounts with subscriptions and models (copies of the trained ones,
        // each stored under its own account, so every digest loads and decodes its own model).
        clock = .now
        var models: [StoredRecommendationModel] = []
        for reader in readers { if let stored = try await store.recommendationModel(accountID: reader.id, tag: "") { models.append(stored) } }
        var subscribers: [Subscriber] = []
        for index in 0..<digestReaders {
            let email = "bench-digest-\(run)-\(index)@example.org"
            let account = try await store.createAccount(username: "bench-digest-\(run)-\(index)", email: email, role: .member, passwordHash: nil, now: Date())
            let model = models[index % models.count]
            try await store.saveRecommendationModel(StoredRecommendationModel(
                accountID: account.id, tag: "", fingerprint: model.fingerprint, weights: model.weights, trainedAt: Date()))
            let pending = try await store.subscribe(email: email, frequency: .daily, topics: [], token: "bench-digest-\(run)-\(index)", now: Date())
            if let active = try await store.confirmSubscription(token: pending.token, now: Date()) { subscribers.append(active) }
        }
        print("added \(subscribers.count) digest readers in \(String(format: "%.1f", milliseconds(clock) / 1000)) s")
        let composer = try DigestComposer(
            store: store, search: SearchEngine(store: store, semantic: semantic), resources: try await SiteResources.load(),
            siteName: "Paperboy", baseURL: "https://papers.example.org", security: Security(secret: String(repeating: "b", count: 40), secureCookies: true),
            from: try MailAddress("digest@papers.example.org"), recommender: recommender)
        let period = DigestPeriod(day: day)
        clock = .now
        let workers = ProcessInfo.processInfo.activeProcessorCount
        let all = subscribers
        let totals = try await withThrowingTaskGroup(of: (count: Int, withForYou: Int).self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var count = 0
                    var withForYou = 0
                    for subscriber in stride(from: worker, to: all.count, by: workers).map({ all[$0] }) {
                        guard let message = try await composer.message(for: subscriber, period: period) else { continue }
                        _ = try message.render(date: Date(), messageID: "<bench-\(subscriber.id)@papers.example.org>")
                        count += 1
                        if message.text.contains("\nFor you\n") { withForYou += 1 }
                    }
                    return (count, withForYou)
                }
            }
            return try await group.reduce((count: 0, withForYou: 0)) { (count: $0.count + $1.count, withForYou: $0.withForYou + $1.withForYou) }
        }
        print(String(format: "digests: %d composed (%d with a For-you section) in %.1f s, %d workers",
                     totals.count, totals.withForYou, milliseconds(clock) / 1000, workers))
    }
}
