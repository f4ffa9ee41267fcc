/// One search result: the key of a stored vector and its dot product with the query
/// (the cosine similarity, since stored vectors and queries are unit length). Higher is better.
public struct VectorMatch: Sendable, Equatable, Hashable {
    public let key: UInt32
    public let score: Float

    public init(key: UInt32, score: Float) {
        self.key = key
        self.score = score
    }
}

/// A searchable collection of fixed-length vectors, each under a `UInt32` key.
///
/// Results are ordered best first: higher score, and the smaller key first when scores tie, so
/// results are deterministic.
public protocol VectorIndex: Sendable {
    var dimensions: Int { get }
    var count: Int { get }
    /// Top `k` by score, best first. `allowed`, when given, restricts results to keys it accepts
    /// (for filters); the result still has `k` matches when at least `k` allowed keys are stored.
    func search(_ query: [Float], k: Int, allowed: ((UInt32) -> Bool)?) -> [VectorMatch]
    func vector(forKey key: UInt32) -> [Float]?
}

extension VectorIndex {
    public func search(_ query: [Float], k: Int) -> [VectorMatch] {
        search(query, k: k, allowed: nil)
    }
}
