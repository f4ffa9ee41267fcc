import Foundation
import PaperboyCore
import PaperboyStore

extension SemanticIndex {
    /// A stored paper's embedding as held in memory; nil when it has none yet.
    public func embedding(forKey key: UInt32) -> [Float]? {
        vectors.vector(forKey: key)
    }
}

extension RecommendationEvaluation {
    /// Every paper of `store` with its embedding and upvotes, in key order (the evaluation corpus).
    public static func corpus(store: any PaperStore, semantic: SemanticIndex) async throws -> [EvaluationPaper] {
        var corpus: [EvaluationPaper] = []
        var after: UInt32 = 0
        while true {
            let texts = try await store.paperTexts(afterKey: after, limit: 1_000)
            guard let last = texts.last else { break }
            let papers = try await store.papers(keys: texts.map(\.key))
            for text in texts {
                guard let paper = papers[text.key], let embedding = semantic.embedding(forKey: text.key) else { continue }
                corpus.append(EvaluationPaper(title: text.title, abstract: text.abstract, upvotes: paper.upvotes, embedding: embedding))
            }
            after = last.key
        }
        return corpus
    }
}
