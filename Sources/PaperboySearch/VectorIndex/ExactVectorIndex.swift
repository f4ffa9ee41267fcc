/// Brute-force search: every stored vector is scored against the query.
///
/// Vectors sit in blocks of 512 contiguous rows (768 KB at 384 dimensions), scored row by row
/// with `VectorKernels.dot` (OpenBLAS sdot); a k-sized heap keeps the best matches. Exact, and fast enough
/// below `VectorStore.Configuration.defaultExactSearchLimit` vectors.
public struct ExactVectorIndex: VectorIndex {
    static let blockCapacity = 512

    public let dimensions: Int
    private var blocks: [VectorBlock] = []
    private var locations = KeyLocationMap()

    public var count: Int { locations.count }

    public init(dimensions: Int) {
        precondition(dimensions > 0, "dimensions must be positive")
        self.dimensions = dimensions
    }

    /// Builds from `keys.count` vectors stored back to back in `vectors`; a repeated key keeps
    /// its last vector.
    public init(dimensions: Int, keys: [UInt32], vectors: [Float]) {
        precondition(vectors.count == keys.count * dimensions, "vectors must hold keys.count × dimensions values")
        self.init(dimensions: dimensions)
        locations.reserveCapacity(keys.count)
        add(block: VectorBlock(keys: keys, values: vectors))
    }

    /// Adds a vector, or replaces the vector already stored under `key`.
    public mutating func add(key: UInt32, vector: [Float]) {
        vector.withUnsafeBufferPointer { add(key: key, vector: $0) }
    }

    mutating func add(key: UInt32, vector: UnsafeBufferPointer<Float>) {
        precondition(vector.count == dimensions, "vector has \(vector.count) values, index has \(dimensions) dimensions")
        if let location = locations[key] {
            blocks[Int(location.block)].overwrite(row: Int(location.row), key: key, vector: vector)
            return
        }
        if blocks.last.map({ $0.count >= Self.blockCapacity }) ?? true {
            var block = VectorBlock()
            // Small collections grow their one block gradually; later blocks are filled anyway.
            block.reserveCapacity(blocks.isEmpty ? 16 : Self.blockCapacity, dimensions: dimensions)
            blocks.append(block)
        }
        let blockIndex = blocks.count - 1
        locations.update(VectorLocation(block: blockIndex, row: blocks[blockIndex].count), forKey: key)
        blocks[blockIndex].append(key: key, vector: vector)
    }

    /// Adds or replaces every row of `block`, in order.
    mutating func add(block: VectorBlock) {
        block.values.withUnsafeBufferPointer { buffer in
            for row in 0..<block.count {
                add(key: block.keys[row], vector: UnsafeBufferPointer(rebasing: buffer[(row * dimensions)..<((row + 1) * dimensions)]))
            }
        }
    }

    /// Removes the vector under `key`; returns whether there was one.
    @discardableResult
    public mutating func remove(key: UInt32) -> Bool {
        guard let location = locations.remove(key) else { return false }
        let lastBlock = blocks.count - 1
        let lastRow = blocks[lastBlock].count - 1
        if Int(location.block) != lastBlock || Int(location.row) != lastRow {
            // Fill the hole with the last vector so blocks stay dense.
            let movedKey = blocks[lastBlock].keys[lastRow]
            let moved = blocks[lastBlock].vector(row: lastRow, dimensions: dimensions)
            moved.withUnsafeBufferPointer {
                blocks[Int(location.block)].overwrite(row: Int(location.row), key: movedKey, vector: $0)
            }
            locations.update(location, forKey: movedKey)
        }
        blocks[lastBlock].removeLast(dimensions: dimensions)
        if blocks[lastBlock].count == 0 { blocks.removeLast() }
        return true
    }

    public func search(_ query: [Float], k: Int, allowed: ((UInt32) -> Bool)?) -> [VectorMatch] {
        precondition(query.count == dimensions, "query has \(query.count) values, index has \(dimensions) dimensions")
        guard k > 0, count > 0 else { return [] }
        var selector = TopKSelector(k: min(k, count))
        query.withUnsafeBufferPointer { queryBuffer in
            guard let queryBase = queryBuffer.baseAddress else { return }
            for block in blocks {
                block.scan(query: queryBase, dimensions: dimensions, into: &selector, allowed: allowed)
            }
        }
        return selector.sortedMatches()
    }

    public func vector(forKey key: UInt32) -> [Float]? {
        guard let location = locations[key] else { return nil }
        return blocks[Int(location.block)].vector(row: Int(location.row), dimensions: dimensions)
    }

    /// Bytes held by vectors, keys and the key map.
    public var memoryBytes: Int {
        blocks.reduce(0) { $0 + $1.memoryBytes } + locations.memoryBytes
    }

    /// The stored vectors in their blocks, for building another index from this one.
    var storedBlocks: [VectorBlock] { blocks }
}
