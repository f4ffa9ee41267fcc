import PaperboyStore
import PaperboyIngest
import PaperboySearch
import PaperboyCore
import Dispatch

/// Embedding throughput, for the CLI and the release-build benchmark test.
public enum EmbeddingBenchmark {
    /// Texts embedded per second: one warm-up call on a few texts (page in the weights,
    /// start threads), then one timed `embed` call over all of `texts`.
    public static func benchmarkThroughput(embedder: SentenceEmbedder, texts: [String]) -> Double {
        guard !texts.isEmpty else { return 0 }
        _ = embedder.embed(Array(texts.prefix(4)))
        let start = DispatchTime.now().uptimeNanoseconds
        let vectors = embedder.embed(texts)
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        precondition(vectors.count == texts.count, "embed returned \(vectors.count) vectors for \(texts.count) texts")
        return Double(texts.count) / (Double(max(elapsed, 1)) / 1e9)
    }
}
