/// The inner loops of vector search.
///
/// Rows are scored one at a time with OpenBLAS's `sdot`, which beat a Swift `SIMD16<Float>`
/// loop (Swift code is compiled for baseline x86-64, OpenBLAS picks its AVX2 kernel) and does
/// not slow to a crawl in debug builds as the Swift loop does.
/// `sgemv` over a whole block is no faster on one thread and spreads larger calls over
/// OpenBLAS's threads, which would take the second core from concurrent requests; sdot on 384
/// values always stays on the calling thread. Batches (k-means) use sgemm.
enum VectorKernels {
    /// Dot product of two `count`-long vectors.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        BLAS.dot(a, b, count: count)
    }

    /// Scores `rowCount` contiguous rows against `query` and offers each to `selector`.
    /// `allowed` is consulted only for rows good enough to enter the top k, so filters stay cheap.
    @inline(__always)
    static func scan(
        rows: UnsafePointer<Float>, keys: UnsafePointer<UInt32>, rowCount: Int,
        query: UnsafePointer<Float>, dimensions: Int,
        into selector: inout TopKSelector, allowed: ((UInt32) -> Bool)?
    ) {
        var row = rows
        for index in 0..<rowCount {
            let score = dot(row, query, count: dimensions)
            row += dimensions
            if score < selector.threshold { continue }
            let key = keys[index]
            guard selector.accepts(score: score, key: key) else { continue }
            if let allowed, !allowed(key) { continue }
            selector.insert(score: score, key: key)
        }
    }

    /// Index of the largest of `count` values (the first one when several are equal).
    @inline(__always)
    static func indexOfMaximum(_ values: UnsafePointer<Float>, count: Int) -> (index: Int, value: Float) {
        var bestIndex = 0
        var best = values[0]
        for index in 1..<max(count, 1) where values[index] > best {
            best = values[index]
            bestIndex = index
        }
        return (bestIndex, best)
    }
}

/// Keeps the best `k` of a stream of (score, key) pairs in a binary min-heap: the root is the
/// worst match kept, so a candidate is compared with one element and most are rejected at once.
/// Order: higher score first; equal scores go to the smaller key.
package struct TopKSelector {
    let k: Int
    private var scores: [Float]
    private var keys: [UInt32]

    package init(k: Int) {
        self.k = max(k, 0)
        scores = []
        keys = []
        scores.reserveCapacity(self.k)
        keys.reserveCapacity(self.k)
    }

    var count: Int { scores.count }
    var isFull: Bool { scores.count >= k }

    /// Candidates scoring below this cannot enter.
    package var threshold: Float { isFull ? (k == 0 ? .infinity : scores[0]) : -.infinity }

    @inline(__always)
    static func isBetter(_ score: Float, _ key: UInt32, than otherScore: Float, _ otherKey: UInt32) -> Bool {
        score > otherScore || (score == otherScore && key < otherKey)
    }

    @inline(__always)
    func accepts(score: Float, key: UInt32) -> Bool {
        if !isFull { return k > 0 }
        return Self.isBetter(score, key, than: scores[0], keys[0])
    }

    /// Adds a candidate that `accepts` approved, dropping the worst one when full.
    mutating func insert(score: Float, key: UInt32) {
        if scores.count < k {
            scores.append(score)
            keys.append(key)
            siftUp(from: scores.count - 1)
        } else {
            scores[0] = score
            keys[0] = key
            siftDown(from: 0)
        }
    }

    /// Offers a candidate; returns whether it was kept.
    @discardableResult
    package mutating func offer(score: Float, key: UInt32) -> Bool {
        guard accepts(score: score, key: key) else { return false }
        insert(score: score, key: key)
        return true
    }

    /// The kept matches, best first.
    package func sortedMatches() -> [VectorMatch] {
        var matches = (0..<scores.count).map { VectorMatch(key: keys[$0], score: scores[$0]) }
        matches.sort { Self.isBetter($0.score, $0.key, than: $1.score, $1.key) }
        return matches
    }

    // In the heap, "smaller" means worse, so the worst match sits at the root.
    private func isWorse(_ first: Int, _ second: Int) -> Bool {
        Self.isBetter(scores[second], keys[second], than: scores[first], keys[first])
    }

    private mutating func siftUp(from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard isWorse(child, parent) else { return }
            scores.swapAt(child, parent)
            keys.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        let size = scores.count
        while true {
            let left = 2 * parent + 1
            guard left < size else { return }
            let right = left + 1
            var worst = left
            if right < size, isWorse(right, left) { worst = right }
            guard isWorse(worst, parent) else { return }
            scores.swapAt(worst, parent)
            keys.swapAt(worst, parent)
            parent = worst
        }
    }
}
