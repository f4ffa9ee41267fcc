import PaperboyBench
import ArgumentParser
import PaperboyApp
import Foundation
import Logging
import PaperboyCore
import PaperboyIngest
import PaperboyMail
import PaperboyWeb
import PaperboySearch
import PaperboyStore

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: search latency per mode at scale, embedding throughput, vector index speed and recall.",
        subcommands: [SearchLatency.self, Embedding.self, Reference.self, Vectors.self, Digests.self, Ingest.self, BenchRecommendations.self])

    struct SearchLatency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "search",
            abstract: "Search latency per mode over COUNT synthetic papers with random unit vectors as embeddings.",
            discussion: "Builds (or reuses) the database at --database; queries are embedded with the real model.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var model: ModelOptions

        @Option(help: "Papers in the benchmark database.")
        var count: Int = 100_000

        @Option(help: "Queries per mode.")
        var queries: Int = 200

        func run() async throws {
            let configuration = try await loadConfiguration(database, model)
            let store = try await Stores.open(configuration)
            let existing = try await store.paperCount()
            if existing < count {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-bench-\(UUID().uuidString).jsonl")
                defer { try? FileManager.default.removeItem(at: file) }
                FileManager.default.createFile(atPath: file.path, contents: nil)
                let handle = try FileHandle(forWritingTo: file)
                try SyntheticCorpus(count: count, seed: 7).generate { try handle.write(contentsOf: $0) }
                try handle.close()
                let summary = try await Importer(store: store).importFile(at: file.path, options: ImportOptions(placement: .published))
                print(summary.line)
            }
            let index = try configuration.requireSemanticIndex(store: store)
            // Random vectors stand in for embeddings: embedding a million abstracts takes hours.
            var after: UInt32 = 0
            var written = 0
            let started = Date()
            while true {
                let sources = try await store.papersNeedingEmbeddings(model: index.modelName, afterKey: after, limit: 10_000)
                guard let last = sources.last else { break }
                let vectors = SyntheticVectors.clustered(
                    count: sources.count, dimensions: SentenceEmbedder.dimensions,
                    shape: .default(forCount: count), seed: 11, firstRow: written)
                let embeddings = sources.enumerated().map { offset, source in
                    StoredEmbedding(
                        key: source.key,
                        vector: Array(vectors[(offset * SentenceEmbedder.dimensions)..<((offset + 1) * SentenceEmbedder.dimensions)]),
                        sourceModifiedAt: source.modifiedAt)
                }
                try await store.saveEmbeddings(embeddings, model: index.modelName)
                written += sources.count
                after = last.key
            }
            if written > 0 { print("stored \(written) random embeddings in \(String(format: "%.1f", Date().timeIntervalSince(started))) s") }
            let loadStarted = Date()
            let loaded = try await index.loadStoredEmbeddings()
            print("loaded \(loaded) embeddings in \(String(format: "%.1f", Date().timeIntervalSince(loadStarted))) s; vector memory \(index.memoryBytes / 1_048_576) MiB")
            // Let the background build of the approximate index finish before timing.
            await index.waitForIndexBuilds()

            let engine = SearchEngine(store: store, semantic: index)
            var random = SplitMix64(seed: 3)
            let words = ["sparse", "attention", "diffusion", "retrieval", "graph", "robust", "pruning", "reinforcement",
                         "policy", "quantization", "federated", "privacy", "contrastive", "latent", "transformer",
                         "convergence", "calibration", "distillation", "multimodal", "speech", "reasoning", "lottery"]
            var texts: [String] = []
            for _ in 0..<queries {
                let length = 2 + Int(random.next() % 4)
                var query: [String] = []
                for _ in 0..<length { query.append(words[Int(random.next() % UInt64(words.count))]) }
                texts.append(query.joined(separator: " "))
            }
            print("| mode | papers | p50 ms | p99 ms | mean ms |")
            print("| --- | ---: | ---: | ---: | ---: |")
            for mode in SearchMode.allCases {
                for text in texts.prefix(5) { _ = try await engine.search(text, mode: mode, limit: 10) }
                var timings: [Double] = []
                for text in texts {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = try await engine.search(text, mode: mode, limit: 10)
                    timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
                }
                timings.sort()
                let p50 = timings[timings.count / 2]
                let p99 = timings[min(timings.count - 1, Int(Double(timings.count) * 0.99))]
                let mean = timings.reduce(0, +) / Double(timings.count)
                print("| \(mode.rawValue) | \(try await store.paperCount()) | \(String(format: "%.1f", p50)) | \(String(format: "%.1f", p99)) | \(String(format: "%.1f", mean)) |")
            }
            // Hybrid's two halves alone, as it runs them (they run at once inside hybrid).
            var keywordTimes: [Double] = []
            var semanticTimes: [Double] = []
            var bothTimes: [Double] = []
            for text in texts {
                let both = DispatchTime.now().uptimeNanoseconds
                async let keywordSide = store.keywordSearch(try SearchQuery.parse(text), prefixTerms: [], limit: SearchEngine.keywordCandidates)
                async let semanticSide = index.search(text, k: SearchEngine.candidates)
                _ = try await (keywordSide, semanticSide)
                bothTimes.append(Double(DispatchTime.now().uptimeNanoseconds - both) / 1_000_000)
                let query = try SearchQuery.parse(text)
                var start = DispatchTime.now().uptimeNanoseconds
                _ = try await store.keywordSearch(query, prefixTerms: [], limit: SearchEngine.keywordCandidates)
                keywordTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
                start = DispatchTime.now().uptimeNanoseconds
                _ = try await index.search(text, k: SearchEngine.candidates)
                semanticTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
            }
            keywordTimes.sort()
            semanticTimes.sort()
            bothTimes.sort()
            print("hybrid's halves, p50: keyword top \(SearchEngine.keywordCandidates) \(String(format: "%.1f", keywordTimes[keywordTimes.count / 2])) ms, semantic top \(SearchEngine.candidates) \(String(format: "%.1f", semanticTimes[semanticTimes.count / 2])) ms, both at once \(String(format: "%.1f", bothTimes[bothTimes.count / 2])) ms")
        }
    }

    struct Embedding: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Embedding throughput on the demo corpus's abstracts (title + abstract).")

        @OptionGroup var model: ModelOptions

        @Option(help: "The corpus to embed.")
        var corpus: String = "Data/seed-papers.jsonl"

        @Option(help: "Natural-language queries to time (JSON Lines with a `query` field).")
        var queries: String = "Data/eval/queries.jsonl"

        func run() async throws {
            let embedder: SentenceEmbedder
            do {
                embedder = try SentenceEmbedder(modelDirectory: try await loadConfiguration(model).modelDirectory)
            } catch {
                throw ValidationError("cannot load the embedding model: \(error). Run scripts/install-model.")
            }
            struct Line: Decodable { let title: String; let abstract: String? }
            let data = try Data(contentsOf: URL(fileURLWithPath: corpus))
            let texts = try data.split(separator: UInt8(ascii: "\n")).map { line in
                let paper = try JSONDecoder().decode(Line.self, from: Data(line))
                return paper.title + ". " + (paper.abstract ?? "")
            }
            print(OpenBLASKernel.description)
            let rate = EmbeddingBenchmark.benchmarkThroughput(embedder: embedder, texts: texts)
            print("embedded \(texts.count) abstracts: \(String(format: "%.1f", rate)) abstracts/s")
            let judged = try EvaluationSet.load(queries).map(\.query)
            // Query latency by length, in turn: one thread with sgemm (as before issue 17), one
            // thread with the direct kernel, the query path uncached (direct kernel, products
            // split over the cores), and the query path's cache hits.
            struct Timings {
                var oneThread: [Double] = [], direct: [Double] = [], split: [Double] = [], cached: [Double] = []
                /// CPU time of the one-thread runs: what a query costs whatever else the machine runs.
                var oneThreadCPU: [Double] = [], directCPU: [Double] = []
            }
            var byLength: [String: Timings] = [:]
            func bucket(_ text: String) -> String { embedder.tokenIds(text).count <= 16 ? "≤ 16 tokens" : "> 16 tokens" }
            func time(_ body: () -> Void) -> Double {
                let started = ContinuousClock.now
                body()
                return (ContinuousClock.now - started).inMilliseconds
            }
            func threadCPUMilliseconds() -> Double {
                var now = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
                return Double(now.tv_sec) * 1e3 + Double(now.tv_nsec) / 1e6
            }
            func time(_ body: () -> Void, cpu: inout [Double]) -> Double {
                let cpuStarted = threadCPUMilliseconds()
                let wall = time(body)
                cpu.append(threadCPUMilliseconds() - cpuStarted)
                return wall
            }
            for query in judged { _ = embedder.embedQuery(query) }
            for _ in 0..<5 {
                for query in judged {
                    var timings = byLength[bucket(query), default: Timings()]
                    timings.oneThread.append(time({ _ = embedder.embedAlone(query, acrossCores: false, directKernel: false) }, cpu: &timings.oneThreadCPU))
                    timings.direct.append(time({ _ = embedder.embedAlone(query, acrossCores: false) }, cpu: &timings.directCPU))
                    byLength[bucket(query)] = timings
                    byLength[bucket(query), default: Timings()].split.append(time { _ = embedder.embedAlone(query) })
                    byLength[bucket(query), default: Timings()].cached.append(time { _ = embedder.embedQuery(query) })
                }
            }
            func percentiles(_ values: [Double]) -> String {
                let sorted = values.sorted()
                return String(format: "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms", sorted[sorted.count / 2],
                              sorted[sorted.count * 9 / 10], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
            }
            let counts = judged.map { embedder.tokenIds($0).count }
            print("judged queries: \(judged.count), \(counts.min() ?? 0)–\(counts.max() ?? 0) tokens with [CLS] and [SEP], 5 rounds")
            for (name, timings) in byLength.sorted(by: { $0.key < $1.key }) {
                print("query embedding, \(name) (\(timings.split.count / 5) queries):")
                print("  one thread, sgemm (before): \(percentiles(timings.oneThread)); CPU \(percentiles(timings.oneThreadCPU))")
                print("  one thread, direct kernel:  \(percentiles(timings.direct)); CPU \(percentiles(timings.directCPU))")
                print("  query path, uncached:       \(percentiles(timings.split))")
                print("  query path, cached:         \(percentiles(timings.cached))")
            }
        }
    }

    struct Reference: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the embeddings this build computes, under the OpenBLAS kernel it runs, against sentence-transformers' own.",
            discussion: "Run with OPENBLAS_CORETYPE=KERNEL to check one kernel; exits non-zero below the cosine floor.")

        @OptionGroup var model: ModelOptions

        @Option(help: "Reference vectors (JSON, written by scripts/reference-embeddings.py).")
        var file: String = "Tests/PaperboySearchTests/Fixtures/reference-embeddings.json"

        @Option(help: "The lowest cosine similarity accepted.")
        var floor: Double = 0.9999

        func run() async throws {
            struct Fixture: Decodable {
                struct Case: Decodable { let text: String; let embedding: [Float] }
                let cases: [Case]
            }
            print(OpenBLASKernel.description)
            let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
            let embedder = try SentenceEmbedder(modelDirectory: try await loadConfiguration(model).modelDirectory)
            var lowest = 1.0
            for reference in fixture.cases {
                let vector = embedder.embed(reference.text)
                let dot = zip(vector, reference.embedding).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let norms = sqrt(vector.reduce(0.0) { $0 + Double($1 * $1) }) * sqrt(reference.embedding.reduce(0.0) { $0 + Double($1 * $1) })
                lowest = min(lowest, norms > 0 ? dot / norms : 0)
            }
            print("kernel \(OpenBLASKernel.current): \(fixture.cases.count) reference texts, lowest cosine \(String(format: "%.6f", lowest))")
            guard lowest >= floor else { throw ValidationError("kernel \(OpenBLASKernel.current) computes wrong embeddings: cosine \(lowest) < \(floor)") }
        }
    }

    struct Vectors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Vector index build time, latency, memory and recall@10 on synthetic vectors.")

        @Option(help: "Vectors in the index.")
        var count: Int = 100_000

        @Option(help: "clustered or random (uniform on the sphere).")
        var kind: String = "clustered"

        func run() async throws {
            guard let dataKind = VectorIndexBenchmark.DataKind(rawValue: kind) else { throw ValidationError("--kind must be clustered or random") }
            print(VectorIndexBenchmark.run(count: count, kind: dataKind))
        }
    }

    struct Digests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compose digests (HTML + text, rendered MIME) for many subscribers with topics, on both cores.",
            discussion: "Uses the papers in --database (e.g. the one `bench search` builds); adds synthetic subscribers if there are fewer.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var model: ModelOptions

        @Option(help: "Subscribers to compose for.")
        var subscribers: Int = 100_000

        @Option(help: "Distinct topics subscribers draw from (each has 0 to 3).")
        var topicPool: Int = 500

        func run() async throws {
            let configuration = try await loadConfiguration(database, model)
            let store = try await Stores.open(configuration)
            guard let day = try await store.latestDay() else { throw ValidationError("the database has no papers on the feed") }
            let period = DigestPeriod(day: day)
            let existing = try await store.activeSubscribers(frequency: .daily).count
            var random = SplitMix64(seed: 5)
            let words = SyntheticCorpus.benchmarkTopicWords
            let pool = (0..<topicPool).map { index -> String in
                let first = words[Int(random.next() % UInt64(words.count))]
                let second = words[Int(random.next() % UInt64(words.count))]
                return index % 5 == 0 ? "\(first)" : "\(first) \(second)"
            }
            if existing < subscribers {
                let started = Date()
                for index in existing..<subscribers {
                    let topics = (0..<Int(random.next() % 4)).map { _ in pool[Int(random.next() % UInt64(pool.count))] }
                    let pending = try await store.subscribe(
                        email: "bench\(index)@example.org", frequency: .daily, topics: topics, token: "bench-\(index)-\(random.next())", now: Date())
                    _ = try await store.confirmSubscription(token: pending.token, now: Date())
                }
                print("added \(subscribers - existing) subscribers in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            }
            let semantic = configuration.semanticIndex(store: store, logger: Logger(label: "paperboy.bench"))
            if let semantic { _ = try await semantic.loadStoredEmbeddings(); await semantic.waitForIndexBuilds() }
            let composer = try DigestComposer(
                store: store, search: SearchEngine(store: store, semantic: semantic), resources: try await SiteResources.load(),
                siteName: "Paperboy", baseURL: "https://papers.example.org", security: Security(secret: String(repeating: "b", count: 40), secureCookies: true),
                from: try MailAddress("digest@papers.example.org"))
            let all = Array(try await store.activeSubscribers(frequency: .daily).prefix(subscribers))
            let papersOnDay = try await store.dailyPapers(DailyQuery(period: period.feed, limit: 100_000, now: Date())).count
            print("composing \(all.count) digests for \(period.key) (\(papersOnDay) papers that day, \(try await store.paperCount()) in all, \(pool.count) distinct topics, semantic \(semantic == nil ? "off" : "on"))")
            let started = Date()
            let workers = ProcessInfo.processInfo.activeProcessorCount
            let totals = try await withThrowingTaskGroup(of: (count: Int, bytes: Int).self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var count = 0
                        var bytes = 0
                        for subscriber in stride(from: worker, to: all.count, by: workers).map({ all[$0] }) {
                            guard let message = try await composer.message(for: subscriber, period: period) else { continue }
                            bytes += try message.render(date: Date(), messageID: "<bench-\(subscriber.id)@papers.example.org>").utf8.count
                            count += 1
                        }
                        return (count, bytes)
                    }
                }
                return try await group.reduce((count: 0, bytes: 0)) { (count: $0.count + $1.count, bytes: $0.bytes + $1.bytes) }
            }
            let seconds = Date().timeIntervalSince(started)
            print("composed \(totals.count) digests, \(totals.bytes / 1_048_576) MiB of MIME, in \(String(format: "%.1f", seconds)) s (\(String(format: "%.0f", Double(totals.count) / seconds)) digests/s, \(workers) workers)")
        }
    }
}
