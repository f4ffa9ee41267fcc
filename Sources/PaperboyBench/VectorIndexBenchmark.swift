import PaperboyStore
import PaperboyIngest
import PaperboySearch
import PaperboyCore
import Foundation

/// Measures exact and approximate search on synthetic data, one query at a time, and renders
/// a report for BENCHMARKS.md (`paperboy bench` calls `run`).
public enum VectorIndexBenchmark {
    public enum DataKind: String, Sendable, CaseIterable {
        /// Uniform on the sphere: no structure, the worst case for any approximate index.
        case random
        /// `SyntheticVectors.ClusterShape.default`, closer to real sentence embeddings.
        case clustered
    }

    /// One index measured on one data set.
    public struct Row: Sendable {
        public let index: String
        public let buildSeconds: Double
        public let p50Milliseconds: Double
        public let p99Milliseconds: Double
        public let recallAt10: Double
        public let memoryBytes: Int
    }

    public struct Measurement: Sendable {
        public let count: Int
        public let kind: DataKind
        public let dimensions: Int
        public let queryCount: Int
        public let generateSeconds: Double
        public let rows: [Row]
        /// Recall and latency of the approximate index at other probe counts.
        public let probeSweep: [Row]
        public let listCount: Int
        public let probeCount: Int
        public let listSizes: (smallest: Int, median: Int, largest: Int)
    }

    /// Builds both indexes on `count` vectors of `kind` and times `queryCount` single queries.
    public static func measure(
        count: Int, kind: DataKind, dimensions: Int = 384, queryCount: Int = 200, k: Int = 10,
        parameters: InvertedFileIndex.Parameters? = nil, seed: UInt64 = 42
    ) -> Measurement {
        precondition(count > 0 && queryCount > 0 && k > 0, "count, queryCount and k must be positive")
        let clock = ContinuousClock()
        var data: [Float] = []
        var queries: [Float] = []
        let generateTime = clock.measure {
            switch kind {
            case .random:
                data = SyntheticVectors.uniform(count: count, dimensions: dimensions, seed: seed)
                queries = SyntheticVectors.uniform(count: queryCount, dimensions: dimensions, seed: seed, firstRow: count)
            case .clustered:
                let shape = SyntheticVectors.ClusterShape.default(forCount: count)
                data = SyntheticVectors.clustered(count: count, dimensions: dimensions, shape: shape, seed: seed)
                queries = SyntheticVectors.clustered(count: queryCount, dimensions: dimensions, shape: shape, seed: seed, firstRow: count)
            }
        }
        let keys = (0..<count).map { UInt32(truncatingIfNeeded: $0) }
        let queryList = (0..<queryCount).map { Array(queries[($0 * dimensions)..<(($0 + 1) * dimensions)]) }

        var exact = ExactVectorIndex(dimensions: dimensions)
        let exactBuild = clock.measure { exact = ExactVectorIndex(dimensions: dimensions, keys: keys, vectors: data) }
        let exactLatency = timeQueries(queryList) { exact.search($0, k: k) }
        let truth = exactLatency.results
        var rows = [Row(index: "exact (sdot per row)", buildSeconds: exactBuild.inSeconds,
                        p50Milliseconds: exactLatency.p50, p99Milliseconds: exactLatency.p99,
                        recallAt10: 1, memoryBytes: exact.memoryBytes)]
        exact = ExactVectorIndex(dimensions: dimensions)

        let sgemvLatency = timeQueries(queryList) { query in
            searchWithMatrixVectorProduct(query, data: data, count: count, dimensions: dimensions, k: k)
        }
        rows.append(Row(index: "exact (sgemv, \(BLAS.threadCount) OpenBLAS threads)", buildSeconds: 0,
                        p50Milliseconds: sgemvLatency.p50, p99Milliseconds: sgemvLatency.p99,
                        recallAt10: recall(sgemvLatency.results, truth), memoryBytes: data.capacity * 4))

        var approximate: InvertedFileIndex?
        let chosen = parameters ?? .recommended(forCount: count)
        let build = clock.measure {
            approximate = InvertedFileIndex(dimensions: dimensions, keys: keys, vectors: data, parameters: chosen)
        }
        data = []
        guard let approximate else { preconditionFailure("index was just built") }
        let latency = timeQueries(queryList) { approximate.search($0, k: k) }
        rows.append(Row(index: "IVF \(approximate.listCount) lists, \(approximate.probeCount) probes",
                        buildSeconds: build.inSeconds, p50Milliseconds: latency.p50, p99Milliseconds: latency.p99,
                        recallAt10: recall(latency.results, truth), memoryBytes: approximate.memoryBytes))

        var sweep: [Row] = []
        for probes in [2, 4, 8, 16, 32, 64, 128] where probes < approximate.listCount && probes != approximate.probeCount {
            let swept = timeQueries(queryList) { approximate.search($0, k: k, probeCount: probes, allowed: nil) }
            sweep.append(Row(index: "\(probes) probes", buildSeconds: 0, p50Milliseconds: swept.p50,
                             p99Milliseconds: swept.p99, recallAt10: recall(swept.results, truth),
                             memoryBytes: approximate.memoryBytes))
        }
        let sizes = approximate.listSizes
        return Measurement(
            count: count, kind: kind, dimensions: dimensions, queryCount: queryCount,
            generateSeconds: generateTime.inSeconds, rows: rows, probeSweep: sweep,
            listCount: approximate.listCount, probeCount: approximate.probeCount,
            listSizes: (sizes.first ?? 0, sizes.isEmpty ? 0 : sizes[sizes.count / 2], sizes.last ?? 0))
    }

    /// Measures and renders one report.
    public static func run(count: Int, kind: DataKind = .clustered, queryCount: Int = 200) -> String {
        report([measure(count: count, kind: kind, queryCount: queryCount)])
    }

    /// A Markdown table of measurements, followed by each one's probe sweep.
    public static func report(_ measurements: [Measurement]) -> String {
        var lines = [
            "| count | data | index | build s | p50 ms | p99 ms | recall@10 | bytes/vector | total MB |",
            "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for measurement in measurements {
            for row in measurement.rows {
                lines.append("| \(measurement.count) | \(measurement.kind.rawValue) | \(row.index) | "
                    + "\(format(row.buildSeconds, 2)) | \(format(row.p50Milliseconds, 3)) | \(format(row.p99Milliseconds, 3)) | "
                    + "\(format(row.recallAt10, 4)) | \(row.memoryBytes / measurement.count) | "
                    + "\(format(Double(row.memoryBytes) / 1_000_000, 1)) |")
            }
        }
        for measurement in measurements {
            lines.append("")
            lines.append("\(measurement.count) \(measurement.kind.rawValue), \(measurement.dimensions) dimensions, "
                + "\(measurement.queryCount) queries (generated in \(format(measurement.generateSeconds, 1)) s); "
                + "IVF list sizes smallest/median/largest \(measurement.listSizes.smallest)/"
                + "\(measurement.listSizes.median)/\(measurement.listSizes.largest). Other probe counts:")
            for row in measurement.probeSweep {
                lines.append("- \(row.index): recall@10 \(format(row.recallAt10, 4)), p50 \(format(row.p50Milliseconds, 3)) ms, "
                    + "p99 \(format(row.p99Milliseconds, 3)) ms")
            }
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Helpers

    private struct Latency {
        var p50: Double
        var p99: Double
        var results: [[VectorMatch]]
    }

    /// Runs each query once after a short warm-up; percentiles in milliseconds.
    private static func timeQueries(_ queries: [[Float]], _ search: ([Float]) -> [VectorMatch]) -> Latency {
        let clock = ContinuousClock()
        for query in queries.prefix(5) { _ = search(query) }
        var times: [Double] = []
        var results: [[VectorMatch]] = []
        for query in queries {
            var matches: [VectorMatch] = []
            let elapsed = clock.measure { matches = search(query) }
            times.append(elapsed.inMilliseconds)
            results.append(matches)
        }
        times.sort()
        let p99Index = min(times.count - 1, Int((Double(times.count) * 0.99).rounded(.up)) - 1)
        return Latency(p50: times[times.count / 2], p99: times[max(p99Index, 0)], results: results)
    }

    /// Mean share of the true top k found.
    public static func recall(_ found: [[VectorMatch]], _ truth: [[VectorMatch]]) -> Double {
        var hits = 0
        var total = 0
        for (matches, expected) in zip(found, truth) {
            let expectedKeys = Set(expected.map(\.key))
            hits += matches.filter { expectedKeys.contains($0.key) }.count
            total += expected.count
        }
        return total == 0 ? 1 : Double(hits) / Double(total)
    }

    /// Exact search scoring all rows with one sgemv call, for comparison with sdot row by row.
    private static func searchWithMatrixVectorProduct(
        _ query: [Float], data: [Float], count: Int, dimensions: Int, k: Int
    ) -> [VectorMatch] {
        var scores = [Float](repeating: 0, count: count)
        data.withUnsafeBufferPointer { matrix in
            query.withUnsafeBufferPointer { vector in
                scores.withUnsafeMutableBufferPointer { output in
                    guard let a = matrix.baseAddress, let x = vector.baseAddress, let y = output.baseAddress else { return }
                    BLAS.multiplyVector(a, x, into: y, m: count, n: dimensions)
                }
            }
        }
        var selector = TopKSelector(k: min(k, count))
        for (row, score) in scores.enumerated() where score >= selector.threshold {
            selector.offer(score: score, key: UInt32(truncatingIfNeeded: row))
        }
        return selector.sortedMatches()
    }

    private static func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }
}

