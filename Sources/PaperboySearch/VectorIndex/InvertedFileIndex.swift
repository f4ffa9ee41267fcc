import PaperboyCore

/// Approximate search with an inverted file (IVF): spherical k-means splits the collection into
/// lists around centroids; a query scores every centroid and scans only the `probeCount` lists
/// with the best centroids. Lists hold Float32 vectors, so the scores of scanned vectors are
/// exact and no re-ranking is needed.
///
/// Why Float32 and not int8 codes with re-ranking: on the development machine a Float32 scan
/// (OpenBLAS sdot, AVX2) runs at ~23 M vectors/s per core from DRAM, while an int8 dot product
/// written in Swift (compiled for baseline x86-64, so SSE2 only; OpenBLAS has no int8 kernel)
/// manages ~12 M vectors/s. int8 codes would be slower here and add 384 bytes per vector, since
/// the Float32 vectors are still needed for re-ranking and `vector(forKey:)`.
public struct InvertedFileIndex: VectorIndex {
    public struct Parameters: Sendable, Equatable {
        /// Number of k-means lists.
        public var listCount: Int
        /// Lists scanned per query: the recall/speed dial.
        public var probeCount: Int
        /// Training sample size per list (the sample is at most the whole collection).
        public var trainingSamplesPerList: Int
        public var trainingIterations: Int
        public var seed: UInt64

        public init(
            listCount: Int, probeCount: Int, trainingSamplesPerList: Int = 48,
            trainingIterations: Int = 10, seed: UInt64 = 0x5EED_1DF0
        ) {
            self.listCount = listCount
            self.probeCount = probeCount
            self.trainingSamplesPerList = trainingSamplesPerList
            self.trainingIterations = trainingIterations
            self.seed = seed
        }

        /// About 2·√n lists and 32 probes. Measured on `SyntheticVectors.ClusterShape.default`
        /// data (see `VectorIndexBenchmark` and BENCHMARKS.md), 32 probes keep recall@10 near 1
        /// from 20k to 1M vectors, with a margin over 16 for real embeddings being less tidy.
        /// 4·√n lists gave no better recall for the time and took much longer to build.
        public static func recommended(forCount count: Int) -> Parameters {
            let lists = max(1, Int((2 * Double(max(count, 1)).squareRoot()).rounded()))
            return Parameters(listCount: lists, probeCount: min(lists, 32))
        }
    }

    public let dimensions: Int
    /// Lists scanned per query; may be changed after building.
    public var probeCount: Int
    /// Number of vectors the centroids were trained for; a store retrains when it has grown well past it.
    public let trainedCount: Int
    private let centroids: [Float]
    private var lists: [VectorBlock]
    private var locations = KeyLocationMap()

    public var count: Int { locations.count }
    public var listCount: Int { lists.count }

    /// Trains on and indexes `keys.count` vectors stored back to back in `vectors`; a repeated
    /// key keeps its last vector.
    public init(dimensions: Int, keys: [UInt32], vectors: [Float], parameters: Parameters? = nil) {
        precondition(vectors.count == keys.count * dimensions, "vectors must hold keys.count × dimensions values")
        self.init(dimensions: dimensions, sources: [VectorBlock(keys: keys, values: vectors)],
                  parameters: parameters ?? .recommended(forCount: keys.count))
    }

    /// Builds from the rows of `sources`, which may be another index's storage.
    init(dimensions: Int, sources: [VectorBlock], parameters: Parameters) {
        precondition(dimensions > 0, "dimensions must be positive")
        let total = sources.reduce(0) { $0 + $1.count }
        precondition(total > 0, "an inverted file index needs at least one vector to train on")
        let listCount = min(max(parameters.listCount, 1), total)
        self.dimensions = dimensions
        self.probeCount = max(1, min(parameters.probeCount, listCount))
        self.trainedCount = total

        var generator = SplitMix64(seed: parameters.seed)
        let sampleCount = min(total, max(listCount, listCount * parameters.trainingSamplesPerList))
        let sample = Self.randomSample(of: sampleCount, from: sources, total: total,
                                       dimensions: dimensions, generator: &generator)
        let centroids = SphericalKMeans.train(
            samples: sample, sampleCount: sampleCount, dimensions: dimensions,
            clusterCount: listCount, iterations: parameters.trainingIterations, generator: &generator)
        self.centroids = centroids

        // Assign every row first so each list can be allocated at its final size.
        var assignments = [UInt32](repeating: 0, count: total)
        assignments.withUnsafeMutableBufferPointer { assignmentBuffer in
            centroids.withUnsafeBufferPointer { centroidBuffer in
                guard let output = assignmentBuffer.baseAddress, let centroidBase = centroidBuffer.baseAddress else { return }
                var offset = 0
                for source in sources {
                    source.values.withUnsafeBufferPointer { rows in
                        guard let rowBase = rows.baseAddress else { return }
                        SphericalKMeans.assign(rows: rowBase, rowCount: source.count, centroids: centroidBase,
                                               clusterCount: listCount, dimensions: dimensions,
                                               assignments: output + offset, scores: nil)
                    }
                    offset += source.count
                }
            }
        }
        var sizes = [Int](repeating: 0, count: listCount)
        for list in assignments { sizes[Int(list)] += 1 }
        lists = sizes.map { size in
            var list = VectorBlock()
            list.reserveCapacity(size, dimensions: dimensions)
            return list
        }
        locations.reserveCapacity(total)
        var offset = 0
        for source in sources {
            source.values.withUnsafeBufferPointer { rows in
                for row in 0..<source.count {
                    let vector = UnsafeBufferPointer(rebasing: rows[(row * dimensions)..<((row + 1) * dimensions)])
                    insert(key: source.keys[row], vector: vector, list: Int(assignments[offset + row]))
                }
            }
            offset += source.count
        }
    }

    /// An index saved earlier (`VectorIndexFile`), with its centroids and lists as they were;
    /// nil when a key appears twice.
    init?(restoring dimensions: Int, centroids: [Float], lists: [VectorBlock], probeCount: Int, trainedCount: Int) {
        precondition(dimensions > 0 && centroids.count == lists.count * dimensions, "one centroid per list")
        self.dimensions = dimensions
        self.probeCount = max(1, min(probeCount, lists.count))
        self.trainedCount = trainedCount
        self.centroids = centroids
        self.lists = lists
        locations.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        for (list, block) in lists.enumerated() {
            for (row, key) in block.keys.enumerated() where locations.update(VectorLocation(block: list, row: row), forKey: key) != nil {
                return nil
            }
        }
    }

    /// `count` distinct rows chosen uniformly at random, copied into one row-major array.
    private static func randomSample(
        of count: Int, from sources: [VectorBlock], total: Int, dimensions: Int, generator: inout SplitMix64
    ) -> [Float] {
        var chosen: [Int]
        if count >= total {
            chosen = Array(0..<total)
        } else {
            // Partial Fisher–Yates over row numbers; sorted afterwards to read sources in order.
            var rows = Array(0..<total)
            for index in 0..<count {
                rows.swapAt(index, index + Int(generator.next(upperBound: UInt64(total - index))))
            }
            chosen = Array(rows.prefix(count)).sorted()
        }
        var sample = [Float]()
        sample.reserveCapacity(count * dimensions)
        var sourceIndex = 0
        var sourceStart = 0
        for row in chosen {
            while row >= sourceStart + sources[sourceIndex].count {
                sourceStart += sources[sourceIndex].count
                sourceIndex += 1
            }
            let local = row - sourceStart
            sample.append(contentsOf: sources[sourceIndex].values[(local * dimensions)..<((local + 1) * dimensions)])
        }
        return sample
    }

    /// Adds a vector to the list of its nearest centroid (no retraining), or replaces the
    /// vector already stored under `key`.
    public mutating func add(key: UInt32, vector: [Float]) {
        vector.withUnsafeBufferPointer { add(key: key, vector: $0) }
    }

    mutating func add(key: UInt32, vector: UnsafeBufferPointer<Float>) {
        precondition(vector.count == dimensions, "vector has \(vector.count) values, index has \(dimensions) dimensions")
        guard let base = vector.baseAddress else { return }
        insert(key: key, vector: vector, list: nearestList(to: base))
    }

    /// Adds or replaces `keys.count` vectors stored back to back in `vectors`, assigning them to
    /// lists with one matrix product.
    public mutating func add(keys: [UInt32], vectors: [Float]) {
        add(keys: keys, vectors: vectors, lists: nil)
    }

    /// `lists`, when given, are the rows' nearest lists from `nearestLists(forRows:…)` with this
    /// index's centroids.
    mutating func add(keys: [UInt32], vectors: [Float], lists: [UInt32]?) {
        precondition(vectors.count == keys.count * dimensions, "vectors must hold keys.count × dimensions values")
        let assigned = lists ?? Self.nearestLists(forRows: vectors, count: keys.count, centroids: centroids, dimensions: dimensions)
        vectors.withUnsafeBufferPointer { buffer in
            for row in 0..<keys.count {
                let vector = UnsafeBufferPointer(rebasing: buffer[(row * dimensions)..<((row + 1) * dimensions)])
                insert(key: keys[row], vector: vector, list: Int(assigned[row]))
            }
        }
    }

    /// The trained centroids (unit rows), shared rather than copied: they never change.
    var centroidValues: [Float] { centroids }

    /// Nearest centroid of each of `count` rows, by sgemm.
    static func nearestLists(forRows rows: [Float], count: Int, centroids: [Float], dimensions: Int) -> [UInt32] {
        let listCount = centroids.count / dimensions
        var assignments = [UInt32](repeating: 0, count: count)
        rows.withUnsafeBufferPointer { rowBuffer in
            centroids.withUnsafeBufferPointer { centroidBuffer in
                assignments.withUnsafeMutableBufferPointer { output in
                    guard let rowBase = rowBuffer.baseAddress, let centroidBase = centroidBuffer.baseAddress,
                          let outputBase = output.baseAddress, count > 0 else { return }
                    SphericalKMeans.assign(rows: rowBase, rowCount: count, centroids: centroidBase,
                                           clusterCount: listCount, dimensions: dimensions,
                                           assignments: outputBase, scores: nil)
                }
            }
        }
        return assignments
    }

    private mutating func insert(key: UInt32, vector: UnsafeBufferPointer<Float>, list: Int) {
        if let previous = locations[key] {
            if Int(previous.block) == list {
                lists[list].overwrite(row: Int(previous.row), key: key, vector: vector)
                return
            }
            remove(key: key)
        }
        locations.update(VectorLocation(block: list, row: lists[list].count), forKey: key)
        lists[list].append(key: key, vector: vector)
    }

    /// Removes the vector under `key`; returns whether there was one.
    @discardableResult
    public mutating func remove(key: UInt32) -> Bool {
        guard let location = locations.remove(key) else { return false }
        let list = Int(location.block)
        let row = Int(location.row)
        let lastRow = lists[list].count - 1
        if row != lastRow {
            // Fill the hole with the list's last vector so the list stays dense.
            let movedKey = lists[list].keys[lastRow]
            let moved = lists[list].vector(row: lastRow, dimensions: dimensions)
            moved.withUnsafeBufferPointer { lists[list].overwrite(row: row, key: movedKey, vector: $0) }
            locations.update(location, forKey: movedKey)
        }
        lists[list].removeLast(dimensions: dimensions)
        return true
    }

    private func nearestList(to vector: UnsafePointer<Float>) -> Int {
        centroids.withUnsafeBufferPointer { centroidBuffer in
            guard let base = centroidBuffer.baseAddress else { return 0 }
            var best = 0
            var bestScore = -Float.infinity
            for list in 0..<lists.count {
                let score = VectorKernels.dot(base + list * dimensions, vector, count: dimensions)
                if score > bestScore {
                    bestScore = score
                    best = list
                }
            }
            return best
        }
    }

    public func search(_ query: [Float], k: Int, allowed: ((UInt32) -> Bool)?) -> [VectorMatch] {
        search(query, k: k, probeCount: probeCount, allowed: allowed)
    }

    /// Search with a probe count other than the index's own (for measuring recall against speed).
    public func search(_ query: [Float], k: Int, probeCount: Int, allowed: ((UInt32) -> Bool)?) -> [VectorMatch] {
        precondition(query.count == dimensions, "query has \(query.count) values, index has \(dimensions) dimensions")
        guard k > 0, count > 0 else { return [] }
        let listCount = lists.count
        var selector = TopKSelector(k: min(k, count))
        query.withUnsafeBufferPointer { queryBuffer in
            guard let queryBase = queryBuffer.baseAddress else { return }
            var listScores = [Float](repeating: 0, count: listCount)
            var probes = TopKSelector(k: min(max(probeCount, 1), listCount))
            centroids.withUnsafeBufferPointer { centroidBuffer in
                guard let base = centroidBuffer.baseAddress else { return }
                for list in 0..<listCount {
                    let score = VectorKernels.dot(base + list * dimensions, queryBase, count: dimensions)
                    listScores[list] = score
                    probes.offer(score: score, key: UInt32(list))
                }
            }
            var probed = [Bool](repeating: false, count: listCount)
            for probe in probes.sortedMatches() {
                let list = Int(probe.key)
                probed[list] = true
                lists[list].scan(query: queryBase, dimensions: dimensions, into: &selector, allowed: allowed)
            }
            guard !selector.isFull else { return }
            // A selective filter (or tiny lists) left fewer than k matches: keep going down
            // the centroid ranking until k are found or every list has been scanned.
            let remaining = (0..<listCount).filter { !probed[$0] }.sorted {
                TopKSelector.isBetter(listScores[$0], UInt32($0), than: listScores[$1], UInt32($1))
            }
            for list in remaining {
                lists[list].scan(query: queryBase, dimensions: dimensions, into: &selector, allowed: allowed)
                if selector.isFull { break }
            }
        }
        return selector.sortedMatches()
    }

    public func vector(forKey key: UInt32) -> [Float]? {
        guard let location = locations[key] else { return nil }
        return lists[Int(location.block)].vector(row: Int(location.row), dimensions: dimensions)
    }

    /// Bytes held by centroids, lists (vectors and keys) and the key map.
    public var memoryBytes: Int {
        centroids.capacity * MemoryLayout<Float>.stride
            + lists.reduce(0) { $0 + $1.memoryBytes }
            + lists.capacity * MemoryLayout<VectorBlock>.stride
            + locations.memoryBytes
    }

    /// Sizes of the lists, smallest to largest, for balance reports.
    public var listSizes: [Int] { lists.map(\.count).sorted() }

    /// The stored vectors by list, for building another index from this one.
    var storedBlocks: [VectorBlock] { lists }
}
