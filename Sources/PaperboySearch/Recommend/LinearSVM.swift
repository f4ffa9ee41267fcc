import Foundation
import PaperboyCore
import PaperboyStore

/// One training or scoring example: the paper's TF-IDF terms and its embedding, already scaled
/// (see `HybridFeatures`). `dense` may be empty (the TF-IDF-only baseline).
public struct FeatureVector: Sendable {
    public var sparse: SparseVector
    public var dense: [Float]

    public init(sparse: SparseVector, dense: [Float]) {
        self.sparse = sparse
        self.dense = dense
    }

    var squaredNorm: Float {
        sparse.values.reduce(0) { $0 + $1 * $1 } + dense.reduce(0) { $0 + $1 * $1 }
    }
}

/// A linear SVM trained by dual coordinate descent (Hsieh, Chang, Lin, Keerthi, Sathiya 2008; the
/// method behind LIBLINEAR and scikit-learn's `LinearSVC`).
///
/// Why an SVM and not logistic regression: a reader gives a handful of liked papers against
/// thousands of others. The hinge losses ignore the mass of negatives that are already far from
/// the boundary, so the few positives shape the model instead of being averaged away; the dual
/// solver needs no learning rate, touches one example at a time (sparse TF-IDF rows stay cheap)
/// and converges in a few passes, which is what keeps a 200-paper retrain within 200 ms. It is
/// also arxiv-sanity-lite's learner, so the evaluation compares features, not solvers.
/// Scores are margins, not probabilities; thresholds are set on margins (see `ForYouRanking`).
public struct LinearSVM: Sendable {
    public enum Loss: Sendable { case hinge, squaredHinge }

    public struct Parameters: Sendable {
        public var cost: Double
        public var loss: Loss
        /// Weigh each class by n / (2 · its size), as scikit-learn's `class_weight="balanced"`.
        public var balanced: Bool
        /// Stop when the projected gradients' spread falls below this.
        public var tolerance: Double
        public var maximumPasses: Int
        /// The constant feature that carries the bias (regularised, as in LIBLINEAR).
        public var biasFeature: Float
        public var seed: UInt64

        public init(cost: Double, loss: Loss = .squaredHinge, balanced: Bool = true, tolerance: Double = 1e-3,
                    maximumPasses: Int = 1000, biasFeature: Float = 1, seed: UInt64 = 1) {
            self.cost = cost
            self.loss = loss
            self.balanced = balanced
            self.tolerance = tolerance
            self.maximumPasses = maximumPasses
            self.biasFeature = biasFeature
            self.seed = seed
        }
    }

    public var sparseWeights: [Float]
    public var denseWeights: [Float]
    public var bias: Float
    public var passes: Int

    /// Trains on `examples` with labels (true = liked) and per-example cost multipliers
    /// (explicit negatives weigh more than the unlabelled rest).
    public static func train(
        _ examples: [FeatureVector], labels: [Bool], weights: [Float]? = nil, sparseDimensions: Int, denseDimensions: Int,
        parameters: Parameters
    ) -> LinearSVM {
        precondition(examples.count == labels.count)
        var model = LinearSVM(sparseWeights: [Float](repeating: 0, count: sparseDimensions),
                              denseWeights: [Float](repeating: 0, count: denseDimensions), bias: 0, passes: 0)
        let count = examples.count
        guard count > 0 else { return model }
        let positives = labels.filter { $0 }.count
        let negatives = count - positives
        var costs = [Double](repeating: parameters.cost, count: count)
        for index in 0..<count {
            if parameters.balanced, positives > 0, negatives > 0 {
                costs[index] *= Double(count) / (2 * Double(labels[index] ? positives : negatives))
            }
            if let weights { costs[index] *= Double(weights[index]) }
        }
        let diagonal: [Double] = costs.map { parameters.loss == .squaredHinge ? 1 / (2 * $0) : 0 }
        let upper: [Double] = costs.map { parameters.loss == .squaredHinge ? .infinity : $0 }
        let biasSquared = Double(parameters.biasFeature * parameters.biasFeature)
        let q = examples.indices.map { Double(examples[$0].squaredNorm) + biasSquared + diagonal[$0] }
        var alpha = [Double](repeating: 0, count: count)
        var order = Array(0..<count)
        var generator = SplitMix64(seed: parameters.seed)
        let b = parameters.biasFeature

        for pass in 1...max(1, parameters.maximumPasses) {
            model.passes = pass
            order.shuffle(using: &generator)
            var largest = -Double.infinity
            var smallest = Double.infinity
            for index in order {
                let example = examples[index]
                let y: Float = labels[index] ? 1 : -1
                let margin = Double(y * model.decision(example, biasFeature: b))
                let gradient = margin - 1 + diagonal[index] * alpha[index]
                var projected = gradient
                if alpha[index] == 0 {
                    projected = min(gradient, 0)
                } else if alpha[index] >= upper[index] {
                    projected = max(gradient, 0)
                }
                largest = max(largest, projected)
                smallest = min(smallest, projected)
                guard abs(projected) > 1e-12, q[index] > 0 else { continue }
                let old = alpha[index]
                alpha[index] = min(max(old - gradient / q[index], 0), upper[index])
                let step = Float(alpha[index] - old) * y
                if step == 0 { continue }
                model.add(example, times: step, biasFeature: b)
            }
            if largest - smallest < parameters.tolerance { break }
        }
        return model
    }

    /// w·x + bias · biasFeature.
    public func decision(_ example: FeatureVector, biasFeature: Float = 1) -> Float {
        var sum = bias * biasFeature
        for (index, value) in zip(example.sparse.indexes, example.sparse.values) { sum += sparseWeights[Int(index)] * value }
        let count = min(denseWeights.count, example.dense.count)
        denseWeights.withUnsafeBufferPointer { weights in
            example.dense.withUnsafeBufferPointer { values in
                for index in 0..<count { sum += weights[index] * values[index] }
            }
        }
        return sum
    }

    mutating func add(_ example: FeatureVector, times step: Float, biasFeature: Float) {
        for (index, value) in zip(example.sparse.indexes, example.sparse.values) { sparseWeights[Int(index)] += step * value }
        let count = min(denseWeights.count, example.dense.count)
        denseWeights.withUnsafeMutableBufferPointer { weights in
            example.dense.withUnsafeBufferPointer { values in
                for index in 0..<count { weights[index] += step * values[index] }
            }
        }
        bias += step * biasFeature
    }
}
