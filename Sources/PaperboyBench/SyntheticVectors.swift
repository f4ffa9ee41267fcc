import PaperboyStore
import PaperboyIngest
import PaperboySearch
import PaperboyCore
import Dispatch

/// Deterministic unit vectors for tests and benchmarks. Row `i` depends only on the seed and
/// `i`, so generation can be split over threads and still give the same data.
public enum SyntheticVectors {
    /// How clustered data is shaped. Real sentence embeddings are clustered by topic, and
    /// topics by field, and vary within a cluster along a few directions (their intrinsic
    /// dimension is far below 384). Here points scatter around cluster centres, mostly within a
    /// low-dimensional subspace per topic plus a little isotropic noise, and cluster centres
    /// scatter around a smaller number of topic centres.
    ///
    /// Isotropic Gaussian clusters alone would be too easy: in 384 dimensions they are separated
    /// so cleanly that any IVF finds every neighbour in one or two lists.
    public struct ClusterShape: Sendable, Equatable {
        public var clusterCount: Int
        public var topicCount: Int
        /// Size of a cluster centre's offset from its topic, relative to the (unit) topic vector.
        public var clusterSpread: Float
        /// Size of a point's offset from its cluster centre within the topic's subspace.
        public var pointSpread: Float
        /// Dimension of each topic's subspace.
        public var intrinsicDimensions: Int
        /// Size of the isotropic part of a point's offset.
        public var noise: Float

        public init(
            clusterCount: Int, topicCount: Int, clusterSpread: Float = 0.5, pointSpread: Float = 1.0,
            intrinsicDimensions: Int = 48, noise: Float = 0.3
        ) {
            self.clusterCount = max(clusterCount, 1)
            self.topicCount = max(topicCount, 1)
            self.clusterSpread = clusterSpread
            self.pointSpread = pointSpread
            self.intrinsicDimensions = max(intrinsicDimensions, 1)
            self.noise = noise
        }

        /// About 1000 points per cluster and 10 clusters per topic. The spreads were picked so
        /// that nearest neighbours score ≈0.7 (typical of sentence embeddings of related
        /// abstracts) and an IVF needs to scan 1–2% of the collection for recall@10 ≈ 0.95,
        /// rather than the 0.2% that well-separated clusters would need.
        public static func `default`(forCount count: Int) -> ClusterShape {
            let clusters = max(16, count / 1000)
            return ClusterShape(clusterCount: clusters, topicCount: max(4, clusters / 10))
        }
    }

    /// `count` vectors uniformly distributed on the unit sphere (normalised Gaussians): rows
    /// `firstRow ..< firstRow + count` of the sequence for `seed`.
    public static func uniform(count: Int, dimensions: Int, seed: UInt64, firstRow: Int = 0) -> [Float] {
        generate(count: count, dimensions: dimensions) { row, output in
            var generator = rowGenerator(seed: seed, row: firstRow + row)
            generator.fillGaussian(output)
            normalize(output)
        }
    }

    /// `count` unit vectors from a normalised two-level mixture of Gaussians (see `ClusterShape`):
    /// rows `firstRow ..< firstRow + count` of the sequence for `seed`, so queries can be drawn
    /// from the same mixture as the data without repeating it.
    public static func clustered(count: Int, dimensions: Int, shape: ClusterShape, seed: UInt64, firstRow: Int = 0) -> [Float] {
        let model = MixtureModel(shape: shape, dimensions: dimensions, seed: seed)
        return generate(count: count, dimensions: dimensions) { row, output in
            var generator = rowGenerator(seed: seed, row: firstRow + row)
            model.sample(into: output, generator: &generator)
        }
    }

    /// Topic and cluster centres and each topic's subspace.
    private struct MixtureModel: Sendable {
        let shape: ClusterShape
        let dimensions: Int
        let centres: [Float]
        let clusterTopics: [Int]
        /// Per topic, `intrinsicDimensions` random unit directions (rows).
        let bases: [Float]

        init(shape: ClusterShape, dimensions: Int, seed: UInt64) {
            self.shape = shape
            self.dimensions = dimensions
            var generator = SplitMix64(seed: seed ^ 0xC1A5_7E25)
            let topics = Self.unitRows(shape.topicCount, dimensions: dimensions, generator: &generator)
            bases = Self.unitRows(shape.topicCount * shape.intrinsicDimensions, dimensions: dimensions, generator: &generator)
            var centres = Self.unitRows(shape.clusterCount, dimensions: dimensions, generator: &generator)
            var clusterTopics = [Int]()
            // A centre is its topic plus an isotropic offset of length ≈ clusterSpread.
            let offsetScale = shape.clusterSpread / Float(dimensions).squareRoot()
            for cluster in 0..<shape.clusterCount {
                let topic = Int(generator.next(upperBound: UInt64(shape.topicCount)))
                clusterTopics.append(topic)
                for dimension in 0..<dimensions {
                    let offset = centres[cluster * dimensions + dimension] * Float(dimensions).squareRoot()
                    centres[cluster * dimensions + dimension] = topics[topic * dimensions + dimension] + offsetScale * offset
                }
            }
            centres.withUnsafeMutableBufferPointer { buffer in
                for cluster in 0..<shape.clusterCount {
                    SyntheticVectors.normalize(UnsafeMutableBufferPointer(rebasing: buffer[(cluster * dimensions)..<((cluster + 1) * dimensions)]))
                }
            }
            self.centres = centres
            self.clusterTopics = clusterTopics
        }

        func sample(into output: UnsafeMutableBufferPointer<Float>, generator: inout SplitMix64) {
            let cluster = Int(generator.next(upperBound: UInt64(shape.clusterCount)))
            let topic = clusterTopics[cluster]
            generator.fillGaussian(output)
            let noiseScale = shape.noise / Float(dimensions).squareRoot()
            for dimension in 0..<dimensions {
                output[dimension] = centres[cluster * dimensions + dimension] + noiseScale * output[dimension]
            }
            // The structured part: a Gaussian combination of the topic's directions.
            let directions = shape.intrinsicDimensions
            let weightScale = shape.pointSpread / Float(directions).squareRoot()
            bases.withUnsafeBufferPointer { basis in
                for direction in 0..<directions {
                    let weight = weightScale * generator.nextGaussianPair().0
                    let row = (topic * directions + direction) * dimensions
                    for dimension in 0..<dimensions {
                        output[dimension] += weight * basis[row + dimension]
                    }
                }
            }
            SyntheticVectors.normalize(output)
        }

        static func unitRows(_ count: Int, dimensions: Int, generator: inout SplitMix64) -> [Float] {
            var values = [Float](repeating: 0, count: count * dimensions)
            values.withUnsafeMutableBufferPointer { buffer in
                for row in 0..<count {
                    let slice = UnsafeMutableBufferPointer(rebasing: buffer[(row * dimensions)..<((row + 1) * dimensions)])
                    generator.fillGaussian(slice)
                    SyntheticVectors.normalize(slice)
                }
            }
            return values
        }
    }

    private static func rowGenerator(seed: UInt64, row: Int) -> SplitMix64 {
        // Mixing the row number through SplitMix64 decorrelates neighbouring rows' streams.
        var mixer = SplitMix64(seed: seed &+ UInt64(row) &* 0xD1B5_4A32_D192_ED03)
        return SplitMix64(seed: mixer.next())
    }

    static func normalize(_ vector: UnsafeMutableBufferPointer<Float>) {
        var sum: Float = 0
        for value in vector { sum += value * value }
        guard sum > 0 else { return }
        let scale = 1 / sum.squareRoot()
        for index in vector.indices { vector[index] *= scale }
    }

    /// Fills `count` rows, split over the available cores.
    private static func generate(
        count: Int, dimensions: Int, row fill: @Sendable (Int, UnsafeMutableBufferPointer<Float>) -> Void
    ) -> [Float] {
        [Float](unsafeUninitializedCapacity: count * dimensions) { buffer, initialized in
            let chunkSize = 4096
            let chunks = (count + chunkSize - 1) / chunkSize
            let base = UnsafeSendableAddress(buffer.baseAddress)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                guard let start = base.pointer else { return }
                for row in (chunk * chunkSize)..<min(count, (chunk + 1) * chunkSize) {
                    fill(row, UnsafeMutableBufferPointer(start: start + row * dimensions, count: dimensions))
                }
            }
            initialized = count * dimensions
        }
    }
}

/// A buffer address handed to `concurrentPerform` workers, which write disjoint rows.
struct UnsafeSendableAddress: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>?
    init(_ pointer: UnsafeMutablePointer<Float>?) { self.pointer = pointer }
}
