import PaperboyBench
import PaperboyCore
import Foundation
import PaperboyStore
import Testing
@testable import PaperboySearch

/// Vectors with small integer components: every dot product is exact in Float whatever the
/// summation order, so results can be compared with a brute-force loop exactly, ties included.
private func integerVectors(count: Int, dimensions: Int, seed: UInt64) -> [[Float]] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        (0..<dimensions).map { _ in Float(Int(generator.next(upperBound: 7 as UInt64)) - 3) }
    }
}

/// Top k by a plain loop and a full sort: higher score first, smaller key on ties.
private func bruteForce(
    _ vectors: [UInt32: [Float]], query: [Float], k: Int, allowed: ((UInt32) -> Bool)? = nil
) -> [VectorMatch] {
    var matches: [VectorMatch] = []
    for (key, vector) in vectors where allowed?(key) ?? true {
        var score: Float = 0
        for index in 0..<query.count { score += vector[index] * query[index] }
        matches.append(VectorMatch(key: key, score: score))
    }
    matches.sort { $0.score != $1.score ? $0.score > $1.score : $0.key < $1.key }
    return Array(matches.prefix(k))
}

private func rows(_ flat: [Float], dimensions: Int) -> [[Float]] {
    (0..<(flat.count / dimensions)).map { Array(flat[($0 * dimensions)..<(($0 + 1) * dimensions)]) }
}

private func recallAt10(_ index: some VectorIndex, exact: ExactVectorIndex, queries: [[Float]]) -> Double {
    let found = queries.map { index.search($0, k: 10) }
    let truth = queries.map { exact.search($0, k: 10) }
    return VectorIndexBenchmark.recall(found, truth)
}

@Suite struct VectorIndexTests {
    // MARK: Exact index

    @Test(arguments: [40, 384])
    func exactSearch_integerVectors_matchesBruteForceIncludingTies(dimensions: Int) {
        var generator = SplitMix64(seed: 7)
        // Scattered keys, so that tie-breaking by key is not the same as insertion order.
        let keys = (0..<1_500).map { _ in UInt32(truncatingIfNeeded: generator.next()) }
        let vectors = integerVectors(count: keys.count, dimensions: dimensions, seed: 1)
        let index = ExactVectorIndex(dimensions: dimensions, keys: keys, vectors: vectors.flatMap { $0 })
        let model = Dictionary(uniqueKeysWithValues: zip(keys, vectors))
        #expect(index.count == keys.count)
        for query in integerVectors(count: 12, dimensions: dimensions, seed: 2) {
            for k in [1, 10, 100] {
                #expect(index.search(query, k: k) == bruteForce(model, query: query, k: k))
            }
        }
    }

    @Test func exactSearch_identicalVectors_breaksTiesBySmallerKey() {
        var index = ExactVectorIndex(dimensions: 4)
        for key in [9, 3, 7, 1, 5] as [UInt32] { index.add(key: key, vector: [0.5, 0.5, 0.5, 0.5]) }
        let matches = index.search([1, 0, 0, 0], k: 3)
        #expect(matches == [1, 3, 5].map { VectorMatch(key: $0, score: 0.5) })
    }

    @Test func exactSearch_kBeyondCountOrZero_returnsWhatExists() {
        let index = ExactVectorIndex(dimensions: 2, keys: [1, 2, 3], vectors: [1, 0, 0, 1, 0.6, 0.8])
        #expect(index.search([1, 0], k: 10).map(\.key) == [1, 3, 2])
        #expect(index.search([1, 0], k: 0).isEmpty)
        #expect(ExactVectorIndex(dimensions: 2).search([1, 0], k: 5).isEmpty)
    }

    @Test func exactSearch_allowedFilter_returnsBestAllowedKeys() {
        let dimensions = 24
        let vectors = integerVectors(count: 600, dimensions: dimensions, seed: 3)
        let keys = (0..<UInt32(600)).map { $0 }
        let index = ExactVectorIndex(dimensions: dimensions, keys: keys, vectors: vectors.flatMap { $0 })
        let model = Dictionary(uniqueKeysWithValues: zip(keys, vectors))
        let query = integerVectors(count: 1, dimensions: dimensions, seed: 4)[0]
        let even: (UInt32) -> Bool = { $0 % 2 == 0 }
        let matches = index.search(query, k: 20, allowed: even)
        #expect(matches.count == 20)
        #expect(matches == bruteForce(model, query: query, k: 20, allowed: even))
        // Fewer allowed keys than k: all of them.
        let few: Set<UInt32> = [5, 17, 499]
        #expect(Set(index.search(query, k: 20, allowed: { few.contains($0) }).map(\.key)) == few)
    }

    @Test func exactIndex_addReplaceRemove_matchesModel() {
        let dimensions = 16
        var generator = SplitMix64(seed: 11)
        var index = ExactVectorIndex(dimensions: dimensions)
        var model: [UInt32: [Float]] = [:]
        // Enough operations to fill several 512-row blocks and move rows between them.
        for step in 0..<4_000 {
            let key = UInt32(generator.next(upperBound: 1_500 as UInt64))
            if step % 4 == 3 {
                #expect(index.remove(key: key) == (model.removeValue(forKey: key) != nil))
            } else {
                let vector = integerVectors(count: 1, dimensions: dimensions, seed: generator.next())[0]
                index.add(key: key, vector: vector)
                model[key] = vector
            }
        }
        #expect(index.count == model.count)
        for (key, vector) in model { #expect(index.vector(forKey: key) == vector) }
        #expect(index.vector(forKey: 1_000_000) == nil)
        for query in integerVectors(count: 5, dimensions: dimensions, seed: 12) {
            #expect(index.search(query, k: 15) == bruteForce(model, query: query, k: 15))
        }
    }

    @Test func topKSelector_streamOfScores_keepsBestInOrder() {
        var selector = TopKSelector(k: 3)
        for (key, score) in [(1, 0.1), (2, 0.9), (3, 0.5), (4, 0.9), (5, 0.7), (6, 0.2)] as [(UInt32, Float)] {
            selector.offer(score: score, key: key)
        }
        #expect(selector.sortedMatches().map(\.key) == [2, 4, 5])
    }

    // MARK: Approximate index

    @Test func invertedFileIndex_clusteredVectors_recallAt10AtLeast095() {
        let dimensions = 384
        let count = 20_000
        let shape = SyntheticVectors.ClusterShape.default(forCount: count)
        let data = SyntheticVectors.clustered(count: count, dimensions: dimensions, shape: shape, seed: 5)
        let queries = rows(SyntheticVectors.clustered(count: 100, dimensions: dimensions, shape: shape, seed: 5, firstRow: count),
                           dimensions: dimensions)
        let keys = (0..<UInt32(count)).map { $0 }
        let exact = ExactVectorIndex(dimensions: dimensions, keys: keys, vectors: data)
        let index = InvertedFileIndex(dimensions: dimensions, keys: keys, vectors: data)
        let recall = recallAt10(index, exact: exact, queries: queries)
        print("IVF recall@10, \(count) clustered vectors, \(index.listCount) lists, \(index.probeCount) probes: \(recall)")
        #expect(recall >= 0.95)
    }

    @Test func invertedFileIndex_uniformVectors_reportsRecall() {
        // No structure to exploit: recall is roughly the share of lists probed. Reported, not a target.
        let dimensions = 384
        let count = 10_000
        let data = SyntheticVectors.uniform(count: count, dimensions: dimensions, seed: 6)
        let queries = rows(SyntheticVectors.uniform(count: 50, dimensions: dimensions, seed: 6, firstRow: count),
                           dimensions: dimensions)
        let keys = (0..<UInt32(count)).map { $0 }
        let exact = ExactVectorIndex(dimensions: dimensions, keys: keys, vectors: data)
        let index = InvertedFileIndex(dimensions: dimensions, keys: keys, vectors: data)
        let recall = recallAt10(index, exact: exact, queries: queries)
        let scanned = Double(index.probeCount) / Double(index.listCount)
        print("IVF recall@10, \(count) uniform vectors, \(index.probeCount)/\(index.listCount) lists probed: \(recall)")
        #expect(recall > scanned / 2)
    }

    @Test func invertedFileIndex_selectiveFilter_stillReturnsK() {
        let dimensions = 32
        let count = 5_000
        let data = SyntheticVectors.clustered(count: count, dimensions: dimensions,
                                              shape: .default(forCount: count), seed: 8)
        let keys = (0..<UInt32(count)).map { $0 }
        let index = InvertedFileIndex(dimensions: dimensions, keys: keys, vectors: data,
                                      parameters: .init(listCount: 70, probeCount: 2))
        let exact = ExactVectorIndex(dimensions: dimensions, keys: keys, vectors: data)
        let query = Array(data[0..<dimensions])
        // 1 key in 250 allowed: 20 keys, far more than two lists hold.
        let allowed: (UInt32) -> Bool = { $0 % 250 == 7 }
        let matches = index.search(query, k: 10, allowed: allowed)
        #expect(matches.count == 10)
        #expect(matches.allSatisfy { allowed($0.key) })
        #expect(index.search(query, k: 50, allowed: allowed).count == 20)
        // Everything was scanned for the larger request, so it is exact.
        #expect(index.search(query, k: 50, allowed: allowed) == exact.search(query, k: 50, allowed: allowed))
    }

    @Test func invertedFileIndex_addReplaceRemoveAfterTraining_matchesModel() {
        let dimensions = 16
        let start = integerVectors(count: 800, dimensions: dimensions, seed: 20)
        var index = InvertedFileIndex(dimensions: dimensions, keys: (0..<UInt32(800)).map { $0 },
                                      vectors: start.flatMap { $0 }, parameters: .init(listCount: 16, probeCount: 16))
        var model = Dictionary(uniqueKeysWithValues: zip((0..<UInt32(800)).map { $0 }, start))
        var generator = SplitMix64(seed: 21)
        for step in 0..<2_000 {
            let key = UInt32(generator.next(upperBound: 1_200 as UInt64))
            if step % 3 == 2 {
                #expect(index.remove(key: key) == (model.removeValue(forKey: key) != nil))
            } else {
                let vector = integerVectors(count: 1, dimensions: dimensions, seed: generator.next())[0]
                index.add(key: key, vector: vector)
                model[key] = vector
            }
        }
        let batch = integerVectors(count: 50, dimensions: dimensions, seed: 22)
        index.add(keys: (2_000..<UInt32(2_050)).map { $0 }, vectors: batch.flatMap { $0 })
        for (offset, vector) in batch.enumerated() { model[2_000 + UInt32(offset)] = vector }
        #expect(index.count == model.count)
        for (key, vector) in model { #expect(index.vector(forKey: key) == vector) }
        // Probing every list makes the approximate index exact.
        for query in integerVectors(count: 5, dimensions: dimensions, seed: 23) {
            #expect(index.search(query, k: 10) == bruteForce(model, query: query, k: 10))
        }
    }

    @Test func invertedFileIndex_oneAddPerList_growsMemoryByFarLessThanDoubling() {
        let dimensions = 32
        let data = SyntheticVectors.uniform(count: 4_000, dimensions: dimensions, seed: 24)
        var index = InvertedFileIndex(dimensions: dimensions, keys: (0..<UInt32(4_000)).map { $0 }, vectors: data,
                                      parameters: .init(listCount: 20, probeCount: 20))
        let before = index.memoryBytes
        // Lists are allocated at their exact size, so every list below has to grow.
        for (offset, row) in rows(SyntheticVectors.uniform(count: 400, dimensions: dimensions, seed: 25),
                                  dimensions: dimensions).enumerated() {
            index.add(key: 10_000 + UInt32(offset), vector: row)
        }
        #expect(Double(index.memoryBytes) < Double(before) * 1.3)
    }

    // MARK: Store

    @Test func vectorStore_concurrentAddsRemovesAndSearches_endWithModelContents() async {
        let dimensions = 32
        let store = VectorStore(dimensions: dimensions, configuration: .init(exactSearchLimit: 300))
        let writers = 4
        let perWriter = 600
        let data = rows(SyntheticVectors.clustered(count: writers * perWriter, dimensions: dimensions,
                                                   shape: .default(forCount: 2_400), seed: 30), dimensions: dimensions)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for row in (writer * perWriter)..<((writer + 1) * perWriter) {
                        store.add(key: UInt32(row), vector: data[row])
                        // Every tenth key is added twice, once with a wrong vector, and every
                        // 25th removed and added back: replacements and removals race with rebuilds.
                        if row % 10 == 0 { store.add(key: UInt32(row), vector: data[(row + 1) % data.count]) ; store.add(key: UInt32(row), vector: data[row]) }
                        if row % 25 == 0 { store.remove(key: UInt32(row)); store.add(key: UInt32(row), vector: data[row]) }
                    }
                }
            }
            for reader in 0..<2 {
                group.addTask {
                    for step in 0..<300 {
                        let matches = store.search(data[(reader * 997 + step * 13) % data.count], k: 5)
                        #expect(matches.count <= 5)
                        #expect(zip(matches, matches.dropFirst()).allSatisfy { $0.score >= $1.score })
                    }
                }
            }
        }
        await store.waitForRebuilds()
        #expect(store.count == writers * perWriter)
        #expect(store.isApproximate)
        #expect(!store.isRebuilding)
        // Exact → approximate at 300, then at least one retraining after doubling.
        #expect(store.completedRebuilds >= 2)
        // The k-means work ran on the idle thread (SCHED_IDLE is 5; else nice 19), not at
        // normal priority beside requests (issue 20).
        let scheduling = store.lastRebuildScheduling
        #expect(scheduling?.policy == 5 || scheduling?.nice == 19, "\(String(describing: scheduling))")
        for row in stride(from: 0, to: data.count, by: 7) {
            #expect(store.vector(forKey: UInt32(row)) == data[row])
            #expect(store.search(data[row], k: 1).first?.key == UInt32(row))
        }
        #expect(store.memoryBytes >= writers * perWriter * dimensions * 4)
    }

    @Test func vectorStore_growthAndShrinkage_switchesIndexKind() async {
        let dimensions = 8
        let configuration = VectorStore.Configuration(exactSearchLimit: 200, rebuildsInBackground: false)
        let store = VectorStore(dimensions: dimensions, configuration: configuration)
        let data = integerVectors(count: 1_000, dimensions: dimensions, seed: 40)
        for (row, vector) in data.prefix(150).enumerated() { store.add(key: UInt32(row), vector: vector) }
        #expect(!store.isApproximate)
        store.add(keys: (150..<UInt32(1_000)).map { $0 }, vectors: data[150...].flatMap { $0 })
        #expect(store.isApproximate)
        #expect(store.count == 1_000)
        for key in 0..<UInt32(950) { store.remove(key: key) }
        #expect(!store.isApproximate)
        #expect(store.count == 50)
        #expect(store.vector(forKey: 999) == data[999])
        #expect(store.vector(forKey: 3) == nil)
    }

    /// The similar-paper lists by title words (`TitleNeighbours`) answer only at the version
    /// they were kept under; a list read at an older version never replaces newer ones.
    @Test func titleNeighbours_answerOnlyAtTheirVersion() {
        let lists = TitleNeighbours(lifetimeSeconds: nil, capacity: SearchEngine.titleNeighbourCapacity)
        let first = SearchTextVersion(changes: 0, lastKey: 10)
        let inserted = SearchTextVersion(changes: 0, lastKey: 11)
        let edited = SearchTextVersion(changes: 1, lastKey: 11)
        #expect(first < inserted && inserted < edited)
        lists.keep([2, 3], for: TitleNeighbourQuery(key: 1, wanted: 10), version: first)
        #expect(lists.value(for: TitleNeighbourQuery(key: 1, wanted: 10), version: first) == [2, 3])
        #expect(lists.value(for: TitleNeighbourQuery(key: 1, wanted: 6), version: first) == nil)
        #expect(lists.value(for: TitleNeighbourQuery(key: 1, wanted: 10), version: inserted) == nil)
        lists.keep([3, 2], for: TitleNeighbourQuery(key: 1, wanted: 10), version: edited)
        #expect(lists.value(for: TitleNeighbourQuery(key: 1, wanted: 10), version: edited) == [3, 2])
        // A slow page that read the text before the edit.
        lists.keep([2], for: TitleNeighbourQuery(key: 1, wanted: 10), version: inserted)
        #expect(lists.value(for: TitleNeighbourQuery(key: 1, wanted: 10), version: inserted) == nil)
        #expect(lists.value(for: TitleNeighbourQuery(key: 1, wanted: 10), version: edited) == [3, 2])
        // Full: all are dropped, the new one kept.
        for key in 2...UInt32(SearchEngine.titleNeighbourCapacity) { lists.keep([1], for: TitleNeighbourQuery(key: key, wanted: 10), version: edited) }
        lists.keep([9], for: TitleNeighbourQuery(key: 9_999, wanted: 10), version: edited)
        #expect(lists.value(for: TitleNeighbourQuery(key: 9_999, wanted: 10), version: edited) == [9])
        #expect(lists.value(for: TitleNeighbourQuery(key: 1, wanted: 10), version: edited) == nil)
    }

    /// Neighbour lists are kept until the store changes: after every kind of change (a single
    /// add, a replaced vector, a batch, a removal, a rebuild into the approximate index, removing
    /// all) each list equals a search made now, by a brute-force model of the contents.
    @Test func vectorStore_neighbours_followEveryChange() {
        let dimensions = 8
        let store = VectorStore(dimensions: dimensions, configuration: .init(exactSearchLimit: 120, rebuildsInBackground: false))
        let data = integerVectors(count: 400, dimensions: dimensions, seed: 41)
        var model: [UInt32: [Float]] = [:]
        func check(_ change: String) {
            for key in [UInt32(0), 5, 17, 99] {
                for _ in 0..<2 {  // computed, then kept
                    let found = store.neighbours(ofKey: key, k: 6)
                    guard let vector = model[key] else {
                        #expect(found == nil, "after \(change): \(key)")
                        continue
                    }
                    if store.isApproximate {
                        #expect(found == store.search(vector, k: 6), "after \(change): \(key)")
                    } else {
                        #expect(found == bruteForce(model, query: vector, k: 6), "after \(change): \(key)")
                    }
                }
            }
        }
        for key in 0..<UInt32(60) {
            store.add(key: key, vector: data[Int(key)])
            model[key] = data[Int(key)]
        }
        check("single adds")
        store.add(key: 5, vector: data[300])
        model[5] = data[300]
        check("a replaced vector")
        // Key 17's vector a hundred times over scores highest with it: first in its new list.
        store.add(key: 200, vector: data[17].map { $0 * 100 })
        model[200] = data[17].map { $0 * 100 }
        #expect(store.neighbours(ofKey: 17, k: 6)?.first?.key == 200)
        check("a vector nearer than any")
        store.remove(key: 17)
        model[17] = nil
        check("a removal")
        let batch = (60..<UInt32(150)).map { $0 }
        store.add(keys: batch, vectors: batch.flatMap { data[Int($0)] })
        for key in batch { model[key] = data[Int(key)] }
        #expect(store.isApproximate)
        check("a batch that rebuilt the index")
        store.removeAll()
        model = [:]
        check("removing all")
    }

    @Test func vectorStore_initialContents_buildsApproximateIndexAboveLimit() {
        let dimensions = 16
        let data = SyntheticVectors.uniform(count: 500, dimensions: dimensions, seed: 50)
        let store = VectorStore(dimensions: dimensions, keys: (0..<UInt32(500)).map { $0 }, vectors: data,
                                configuration: .init(exactSearchLimit: 100))
        #expect(store.isApproximate)
        #expect(store.count == 500)
        #expect(store.search(Array(data[0..<dimensions]), k: 1).first?.key == 0)
    }

    // MARK: Generators

    @Test func splitMix64_seedZero_matchesReferenceOutput() {
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
    }

    @Test func syntheticVectors_sameSeed_sameUnitVectors() {
        let shape = SyntheticVectors.ClusterShape.default(forCount: 100)
        let first = SyntheticVectors.clustered(count: 100, dimensions: 64, shape: shape, seed: 9)
        #expect(first == SyntheticVectors.clustered(count: 100, dimensions: 64, shape: shape, seed: 9))
        // Rows depend only on their number, so a later range continues the same sequence.
        #expect(Array(first[(60 * 64)...]) == SyntheticVectors.clustered(count: 40, dimensions: 64, shape: shape, seed: 9, firstRow: 60))
        for row in rows(first, dimensions: 64) {
            let norm = row.reduce(0) { $0 + $1 * $1 }
            #expect(abs(norm - 1) < 1e-4)
        }
    }
}

/// Release-mode measurements for BENCHMARKS.md. Run with
/// `PAPERBOY_BENCH=1 swift test -c release --scratch-path .build-vector-release --filter VectorIndexBenchmarkTests`;
/// `PAPERBOY_BENCH_COUNTS=100000,1000000` and `PAPERBOY_BENCH_KINDS=random,clustered` choose the runs.
@Suite(.serialized) struct VectorIndexBenchmarkTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PAPERBOY_BENCH"] != nil))
    func vectorIndexBenchmark_report() {
        let environment = ProcessInfo.processInfo.environment
        let counts = (environment["PAPERBOY_BENCH_COUNTS"] ?? "100000,1000000").split(separator: ",").compactMap { Int($0) }
        let kinds = (environment["PAPERBOY_BENCH_KINDS"] ?? "random,clustered").split(separator: ",")
            .compactMap { VectorIndexBenchmark.DataKind(rawValue: String($0)) }
        var measurements: [VectorIndexBenchmark.Measurement] = []
        for count in counts {
            for kind in kinds {
                let measurement = VectorIndexBenchmark.measure(count: count, kind: kind)
                print(VectorIndexBenchmark.report([measurement]))
                measurements.append(measurement)
            }
        }
        print("\n" + VectorIndexBenchmark.report(measurements))
        #expect(measurements.count == counts.count * kinds.count)
    }
}
