import PaperboyCore

/// k-means on the unit sphere: points join the centroid with the highest dot product and each
/// centroid is the normalised mean of its points, matching how the index scores.
enum SphericalKMeans {
    /// Rows scored against the centroids per sgemm call; the score block stays at a few MB.
    static let rowsPerBatch = 1024

    /// Trains `clusterCount` unit centroids (row-major, clusterCount × dimensions) on
    /// `sampleCount` rows of `samples`. Starts from distinct random samples; a cluster left
    /// empty takes the sample its centroid fits worst, so all centroids stay in use.
    static func train(
        samples: [Float], sampleCount: Int, dimensions: Int, clusterCount: Int,
        iterations: Int, generator: inout SplitMix64
    ) -> [Float] {
        precondition(sampleCount >= clusterCount && clusterCount > 0, "need at least one sample per cluster")
        var seeds = Array(0..<sampleCount)
        for index in 0..<clusterCount {
            seeds.swapAt(index, index + Int(generator.next(upperBound: UInt64(sampleCount - index))))
        }
        var centroids = [Float](repeating: 0, count: clusterCount * dimensions)
        for (cluster, sample) in seeds.prefix(clusterCount).enumerated() {
            for dimension in 0..<dimensions {
                centroids[cluster * dimensions + dimension] = samples[sample * dimensions + dimension]
            }
        }
        normalizeRows(&centroids, dimensions: dimensions)

        var assignments = [UInt32](repeating: 0, count: sampleCount)
        var previous = [UInt32](repeating: UInt32.max, count: sampleCount)
        var bestScores = [Float](repeating: 0, count: sampleCount)
        for _ in 0..<max(iterations, 1) {
            samples.withUnsafeBufferPointer { sampleBuffer in
                centroids.withUnsafeBufferPointer { centroidBuffer in
                    assignments.withUnsafeMutableBufferPointer { assignmentBuffer in
                        bestScores.withUnsafeMutableBufferPointer { scoreBuffer in
                            guard let rows = sampleBuffer.baseAddress, let centroidBase = centroidBuffer.baseAddress,
                                  let output = assignmentBuffer.baseAddress, let scores = scoreBuffer.baseAddress
                            else { return }
                            assign(rows: rows, rowCount: sampleCount, centroids: centroidBase,
                                   clusterCount: clusterCount, dimensions: dimensions,
                                   assignments: output, scores: scores)
                        }
                    }
                }
            }
            if assignments == previous { break }
            previous = assignments
            centroids = updatedCentroids(
                samples: samples, sampleCount: sampleCount, dimensions: dimensions,
                clusterCount: clusterCount, assignments: assignments, bestScores: bestScores)
        }
        return centroids
    }

    private static func updatedCentroids(
        samples: [Float], sampleCount: Int, dimensions: Int, clusterCount: Int,
        assignments: [UInt32], bestScores: [Float]
    ) -> [Float] {
        var sums = [Float](repeating: 0, count: clusterCount * dimensions)
        var sizes = [Int](repeating: 0, count: clusterCount)
        sums.withUnsafeMutableBufferPointer { sumBuffer in
            samples.withUnsafeBufferPointer { sampleBuffer in
                guard let sumBase = sumBuffer.baseAddress, let sampleBase = sampleBuffer.baseAddress else { return }
                for sample in 0..<sampleCount {
                    let cluster = Int(assignments[sample])
                    sizes[cluster] += 1
                    let target = sumBase + cluster * dimensions
                    let source = sampleBase + sample * dimensions
                    for dimension in 0..<dimensions { target[dimension] += source[dimension] }
                }
            }
        }
        let empty = sizes.indices.filter { sizes[$0] == 0 }
        if !empty.isEmpty {
            // Worst-fitting samples first; each becomes the centroid of one empty cluster.
            let donors = (0..<sampleCount).sorted { bestScores[$0] < bestScores[$1] }
            for (cluster, sample) in zip(empty, donors) {
                for dimension in 0..<dimensions {
                    sums[cluster * dimensions + dimension] = samples[sample * dimensions + dimension]
                }
            }
        }
        normalizeRows(&sums, dimensions: dimensions)
        return sums
    }

    /// Nearest centroid (highest dot product) of each row, scored by sgemm in batches.
    /// `scores`, when given, receives each row's best dot product.
    static func assign(
        rows: UnsafePointer<Float>, rowCount: Int, centroids: UnsafePointer<Float>,
        clusterCount: Int, dimensions: Int,
        assignments: UnsafeMutablePointer<UInt32>, scores: UnsafeMutablePointer<Float>?
    ) {
        let batch = min(rowsPerBatch, max(rowCount, 1))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: batch * clusterCount)
        defer { scratch.deallocate() }
        var start = 0
        while start < rowCount {
            let size = min(batch, rowCount - start)
            BLAS.multiplyTransposed(rows + start * dimensions, centroids, into: scratch,
                                    m: size, n: clusterCount, k: dimensions)
            for row in 0..<size {
                let best = VectorKernels.indexOfMaximum(scratch + row * clusterCount, count: clusterCount)
                assignments[start + row] = UInt32(best.index)
                scores?[start + row] = best.value
            }
            start += size
        }
    }

    /// Scales each row to unit length (rows of zeros stay zero).
    static func normalizeRows(_ values: inout [Float], dimensions: Int) {
        values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for row in 0..<(buffer.count / dimensions) {
                let start = base + row * dimensions
                let norm = VectorKernels.dot(start, start, count: dimensions).squareRoot()
                guard norm > 0 else { continue }
                let scale = 1 / norm
                for dimension in 0..<dimensions { start[dimension] *= scale }
            }
        }
    }
}
