/// A run of vectors stored contiguously (row-major Float32) with their keys.
///
/// Indexes keep many moderate blocks rather than one large array so that a copy-on-write
/// snapshot (a search running while a vector is added) copies one block, not the collection.
struct VectorBlock: Sendable {
    var keys: [UInt32] = []
    var values: [Float] = []

    var count: Int { keys.count }

    init() {}

    init(keys: [UInt32], values: [Float]) {
        self.keys = keys
        self.values = values
    }

    mutating func reserveCapacity(_ rows: Int, dimensions: Int) {
        keys.reserveCapacity(rows)
        values.reserveCapacity(rows * dimensions)
    }

    mutating func append(key: UInt32, vector: UnsafeBufferPointer<Float>) {
        if keys.count == keys.capacity || values.count + vector.count > values.capacity {
            // Grow by an eighth rather than Array's doubling: lists are allocated at their exact
            // size, and doubling the first time each receives a new vector would double memory.
            let rows = keys.count + max(16, keys.count / 8)
            keys.reserveCapacity(rows)
            values.reserveCapacity(rows * vector.count)
        }
        keys.append(key)
        values.append(contentsOf: vector)
    }

    mutating func overwrite(row: Int, key: UInt32, vector: UnsafeBufferPointer<Float>) {
        keys[row] = key
        let start = row * vector.count
        values.withUnsafeMutableBufferPointer { destination in
            guard let base = destination.baseAddress, let source = vector.baseAddress else { return }
            (base + start).update(from: source, count: vector.count)
        }
    }

    mutating func removeLast(dimensions: Int) {
        keys.removeLast()
        values.removeLast(dimensions)
    }

    func vector(row: Int, dimensions: Int) -> [Float] {
        Array(values[(row * dimensions)..<((row + 1) * dimensions)])
    }

    /// Bytes held, by capacity (what the allocator gave us, not just what is used).
    var memoryBytes: Int {
        keys.capacity * MemoryLayout<UInt32>.stride + values.capacity * MemoryLayout<Float>.stride
    }

    /// Scores every row against `query` into `selector`.
    func scan(
        query: UnsafePointer<Float>, dimensions: Int,
        into selector: inout TopKSelector, allowed: ((UInt32) -> Bool)?
    ) {
        keys.withUnsafeBufferPointer { keyBuffer in
            values.withUnsafeBufferPointer { valueBuffer in
                guard let keyBase = keyBuffer.baseAddress, let rowBase = valueBuffer.baseAddress else { return }
                VectorKernels.scan(
                    rows: rowBase, keys: keyBase, rowCount: keyBuffer.count,
                    query: query, dimensions: dimensions, into: &selector, allowed: allowed)
            }
        }
    }
}

/// Where a key's vector lives: which block (or inverted list) and which row in it.
struct VectorLocation: Sendable, Equatable {
    var block: UInt32
    var row: UInt32

    init(block: Int, row: Int) {
        self.block = UInt32(truncatingIfNeeded: block)
        self.row = UInt32(truncatingIfNeeded: row)
    }
}

/// Key → location, split over 256 dictionaries so that a copy-on-write after a snapshot copies
/// one small shard (≈4k entries at 1M keys) instead of the whole map.
struct KeyLocationMap: Sendable {
    private static let shardCount = 256
    private var shards: [[UInt32: VectorLocation]]
    private(set) var count = 0

    init() {
        shards = Array(repeating: [:], count: Self.shardCount)
    }

    @inline(__always)
    private static func shard(of key: UInt32) -> Int {
        // Multiplicative hashing spreads sequential keys (database row ids) over all shards.
        Int((key &* 0x9E37_79B9) >> 24)
    }

    subscript(key: UInt32) -> VectorLocation? {
        shards[Self.shard(of: key)][key]
    }

    /// Sets the location of `key`, returning the previous one.
    @discardableResult
    mutating func update(_ location: VectorLocation, forKey key: UInt32) -> VectorLocation? {
        let previous = shards[Self.shard(of: key)].updateValue(location, forKey: key)
        if previous == nil { count += 1 }
        return previous
    }

    @discardableResult
    mutating func remove(_ key: UInt32) -> VectorLocation? {
        let previous = shards[Self.shard(of: key)].removeValue(forKey: key)
        if previous != nil { count -= 1 }
        return previous
    }

    mutating func reserveCapacity(_ total: Int) {
        let perShard = total / Self.shardCount + total / (Self.shardCount * 8) + 1
        for index in shards.indices {
            shards[index].reserveCapacity(perShard)
        }
    }

    /// Estimated bytes: Swift dictionaries keep a power-of-two bucket count at ≤ 75% load,
    /// with parallel key and value arrays and a one-bit-per-bucket occupancy map.
    var memoryBytes: Int {
        let entryBytes = MemoryLayout<UInt32>.stride + MemoryLayout<VectorLocation>.stride
        var total = shards.capacity * MemoryLayout<[UInt32: VectorLocation]>.stride
        for shard in shards where shard.capacity > 0 {
            let buckets = Int((Double(shard.capacity) / 0.75).rounded(.up))
            total += buckets * entryBytes + buckets / 8 + 64
        }
        return total
    }
}
