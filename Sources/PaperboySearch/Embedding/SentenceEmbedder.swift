import Dispatch
import Foundation

/// all-MiniLM-L6-v2 sentence embeddings, as sentence-transformers computes them: WordPiece
/// tokens (at most 256 with [CLS] and [SEP]), the 6-layer BERT encoder, mean pooling over the
/// tokens and L2 normalisation. Safe to call from any number of tasks at once.
///
/// One `embed` call spreads its texts over all cores, each core running OpenBLAS
/// single-threaded (faster than letting OpenBLAS thread each product; BENCHMARKS.md).
/// OpenBLAS's thread count is process-wide, so creating an embedder sets it to 1
/// for every BLAS call in the process.
public final class SentenceEmbedder: Sendable {
    public static let dimensions = 384
    public static let modelName = "all-MiniLM-L6-v2"
    /// sentence-transformers' max_seq_length when sentence_bert_config.json does not say.
    static let defaultMaximumLength = 256

    /// How the work of one `embed` call is spread over the cores.
    enum Parallelism: Sendable, Equatable {
        /// Texts split into batches run side by side on `workers` threads, each calling
        /// OpenBLAS single-threaded.
        case batchesAcrossCores(workers: Int)
        /// Batches run one after another; OpenBLAS uses its own threads inside each product.
        case insideBLAS
    }

    let tokenizer: WordPieceTokenizer
    let encoder: MiniLMEncoder
    let parallelism: Parallelism
    /// Tokens per forward pass: big enough for efficient sgemm, small enough that one pass's
    /// scratch (about 15 kB per token) stays near the caches.
    let tokensPerBatch: Int
    /// Recently embedded queries (`embedQuery`).
    let queryCache = QueryVectorCache(capacity: 512)
    /// Threads that share a query's products with the request's thread (`embedAlone`): one per
    /// other core, at most three (a 16-token query's slices get too thin beyond four).
    let queryTeam: ProductTeam

    public convenience init(modelDirectory: String) throws {
        try self.init(modelDirectory: modelDirectory,
                      parallelism: .batchesAcrossCores(workers: ProcessInfo.processInfo.activeProcessorCount))
    }

    init(modelDirectory: String, parallelism: Parallelism, tokensPerBatch: Int = 1024) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EmbedderError(.missingFile, path: modelDirectory,
                                detail: "model folder not found (scripts/install-model puts it in .build-tools/model)")
        }
        let folder = URL(fileURLWithPath: modelDirectory)
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

        let configuration = try MiniLMConfiguration(configFile: path("config.json"))
        guard configuration.hiddenSize == Self.dimensions else {
            throw EmbedderError(.invalidConfiguration, path: path("config.json"),
                                detail: "hidden_size \(configuration.hiddenSize), expected \(Self.dimensions)")
        }
        let maximumLength = min(try Self.maximumSequenceLength(path("sentence_bert_config.json")), configuration.maximumPositions)
        let tokenizer = try WordPieceTokenizer(vocabularyFile: path("vocab.txt"), maximumLength: maximumLength)
        guard tokenizer.vocabularyCount <= configuration.vocabularySize else {
            throw EmbedderError(.invalidVocabulary, path: path("vocab.txt"),
                                detail: "\(tokenizer.vocabularyCount) tokens but the model has \(configuration.vocabularySize) embeddings")
        }
        let weights = try SafeTensorsFile(path: path("model.safetensors"))
        encoder = try MiniLMEncoder(weights: weights, configuration: configuration)
        self.tokenizer = tokenizer
        self.parallelism = parallelism
        self.tokensPerBatch = max(tokensPerBatch, maximumLength)
        switch parallelism {
        case .batchesAcrossCores(let workers):
            queryTeam = ProductTeam(members: min(workers - 1, 3))
            if workers > 1 {
                // Several threads in OpenBLAS's threaded path at once contend for its one thread
                // pool (measured: six times the CPU time per text); single-threaded calls run in
                // the caller's thread side by side. Process-wide: other BLAS calls follow suit.
                BLAS.setThreadCount(1)
            }
        case .insideBLAS:
            queryTeam = ProductTeam(members: 0)
        }
    }

    /// max_seq_length from sentence_bert_config.json, or 256 when the file is absent.
    private static func maximumSequenceLength(_ path: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return defaultMaximumLength }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            guard let length = object?["max_seq_length"] as? Int else { return defaultMaximumLength }
            guard length >= 2 else {
                throw EmbedderError(.invalidConfiguration, path: path, detail: "max_seq_length \(length) is too small")
            }
            return length
        } catch let error as EmbedderError {
            throw error
        } catch {
            throw EmbedderError(.invalidConfiguration, path: path, detail: "not readable JSON: \(error)")
        }
    }

    /// Token ids the model sees for `text`, [CLS] and [SEP] included.
    public func tokenIds(_ text: String) -> [Int32] {
        tokenizer.encode(text)
    }

    public func embed(_ text: String) -> [Float] {
        embed([text])[0]
    }

    /// A search query's vector: from the cache of recent queries, or one forward pass sized to
    /// the query's tokens with each product split over the cores (`ProductTeam`: a short query
    /// alone is too little work for one sgemm to use both). Same vector as `embed(_:)`.
    public func embedQuery(_ text: String) -> [Float] {
        if let cached = queryCache.vector(for: text) { return cached }
        let vector = embedAlone(text)
        queryCache.insert(vector, for: text)
        return vector
    }

    /// One text in a forward pass of its own, never cached: what a query the cache misses costs.
    /// By default split over the cores, with the direct kernel for a short text's products; the
    /// switches turn either off, for benchmarks that compare them.
    public func embedAlone(_ text: String, acrossCores: Bool = true, directKernel: Bool = true) -> [Float] {
        let ids = tokenizer.encode(text)
        // Another query holding the team has the other cores already: this one runs alone.
        let team = acrossCores && queryTeam.begin() ? queryTeam : nil
        defer { team?.end() }
        var vector = [Float](repeating: 0, count: Self.dimensions)
        vector.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            encoder.embed([ids], into: base, team: team, directKernel: directKernel)
        }
        return vector
    }

    /// One unit-length vector of `dimensions` floats per text, in the order given.
    /// `onCallingThreadOnly`: every forward pass runs on the caller's thread, none on the
    /// dispatch pool's. Background work on `IdleThread` needs this: a pass handed to a pool
    /// thread would run at normal priority, beside the requests (issue 20).
    public func embed(_ texts: [String], onCallingThreadOnly: Bool = false) -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let sequences = texts.map(tokenizer.encode)
        let batches = plan(sequences)
        let dimensions = Self.dimensions
        let output = UnsafeMutablePointer<Float>.allocate(capacity: texts.count * dimensions)
        defer { output.deallocate() }
        let destination = SendablePointer(output)
        let encoder = self.encoder
        @Sendable func run(_ batch: [Int]) {
            let results = UnsafeMutablePointer<Float>.allocate(capacity: batch.count * dimensions)
            defer { results.deallocate() }
            encoder.embed(batch.map { sequences[$0] }, into: results)
            // Each text index belongs to exactly one batch, so the writes never overlap.
            for (slot, index) in batch.enumerated() {
                (destination.pointer + index * dimensions).update(from: results + slot * dimensions, count: dimensions)
            }
        }
        switch parallelism {
        case .batchesAcrossCores(let workers) where workers > 1 && batches.count > 1 && !onCallingThreadOnly:
            DispatchQueue.concurrentPerform(iterations: batches.count) { run(batches[$0]) }
        default:
            batches.forEach(run)
        }
        return (0 ..< texts.count).map { Array(UnsafeBufferPointer(start: output + $0 * dimensions, count: dimensions)) }
    }

    /// Groups text indices into forward passes. Longest texts first, so each pass holds
    /// texts of similar length and the last passes to finish are the cheap ones; small calls
    /// are still cut so that every worker gets a share.
    private func plan(_ sequences: [[Int32]]) -> [[Int]] {
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        let totalTokens = sequences.reduce(0) { $0 + $1.count }
        var budget = tokensPerBatch
        if case .batchesAcrossCores(let workers) = parallelism, workers > 1 {
            budget = min(budget, max(1, (totalTokens + workers - 1) / workers))
        }
        var batches: [[Int]] = []
        var current: [Int] = []
        var currentTokens = 0
        for index in order {
            let length = sequences[index].count
            if !current.isEmpty && currentTokens + length > budget {
                batches.append(current)
                current = []
                currentTokens = 0
            }
            current.append(index)
            currentTokens += length
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }
}

/// A pointer handed to worker threads that write disjoint parts of one buffer.
private struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
