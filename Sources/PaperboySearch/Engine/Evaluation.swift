import Foundation
import PaperboyCore
import PaperboyStore

/// One query of an evaluation set with graded judgments (3 = the answer, 2 = highly relevant,
/// 1 = partially relevant; unlisted papers count as 0).
public struct JudgedQuery: Sendable, Decodable {
    public struct Judgment: Sendable, Decodable {
        public let title: String
        public let grade: Int
    }

    public let id: String
    public let query: String
    public let kind: String
    public let relevant: [Judgment]
}

/// Ranking metrics over graded judgments.
public enum RankingMetrics {
    /// nDCG@k with gains 2^grade − 1 and log2 discounts (Järvelin & Kekäläinen).
    public static func ndcg(ranked: [String], grades: [String: Int], k: Int = 10) -> Double {
        func dcg(_ gains: [Int]) -> Double {
            gains.prefix(k).enumerated().reduce(0) { total, item in
                total + (pow(2, Double(item.element)) - 1) / log2(Double(item.offset) + 2)
            }
        }
        let ideal = dcg(grades.values.sorted(by: >))
        guard ideal > 0 else { return 0 }
        return dcg(ranked.map { grades[$0] ?? 0 }) / ideal
    }

    /// Share of the papers judged relevant (grade ≥ 1) that appear in the top k.
    public static func recall(ranked: [String], grades: [String: Int], k: Int = 10) -> Double {
        let relevant = Set(grades.filter { $0.value > 0 }.keys)
        guard !relevant.isEmpty else { return 0 }
        return Double(Set(ranked.prefix(k)).intersection(relevant).count) / Double(relevant.count)
    }
}

/// Reads a JSON Lines file of judged queries.
public enum EvaluationSet {
    /// Judgments name papers by title (the demo corpus has no arXiv ids); results carry ids.
    public static func paperIDsByTitle(in store: any PaperStore) async throws -> [String: String] {
        // A query with no words or filters lists every paper.
        let everyPaper = try await store.keywordSearch(SearchQuery(), prefixTerms: [], limit: 10_000_000)
        let papers = try await store.papers(keys: everyPaper.map(\.key))
        return Dictionary(papers.values.map { ($0.title, $0.id) }, uniquingKeysWith: { first, _ in first })
    }

    public static func load(_ path: String) throws -> [JudgedQuery] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).enumerated().compactMap { index, line in
            guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) else { return nil }
            do {
                return try decoder.decode(JudgedQuery.self, from: Data(line))
            } catch {
                throw EvaluationError.badLine(index + 1, "\(error)")
            }
        }
    }
}

public enum EvaluationError: Error, CustomStringConvertible {
    case badLine(Int, String)
    case unknownTitle(query: String, title: String)

    public var description: String {
        switch self {
        case .badLine(let line, let reason): "evaluation set line \(line): \(reason)"
        case .unknownTitle(let query, let title): "query \(query) judges a paper not in the corpus: \(title)"
        }
    }
}

/// Runs a judged query set against an engine in every mode.
public struct EvaluationReport: Sendable {
    public struct Scores: Sendable {
        public var ndcg = 0.0
        public var recall = 0.0
    }

    /// Mean scores per mode.
    public var overall: [SearchMode: Scores] = [:]
    /// Mean nDCG@10 per kind of query and mode.
    public var ndcgByKind: [String: [SearchMode: Double]] = [:]
    public var queryCount = 0
    /// Per query and mode: nDCG@10.
    public var perQuery: [(id: String, mode: SearchMode, ndcg: Double, query: String)] = []

    /// `idsByTitle` maps the judged titles to paper ids.
    public static func run(_ judged: [JudgedQuery], engine: SearchEngine, idsByTitle: [String: String]) async throws -> EvaluationReport {
        var report = EvaluationReport()
        report.queryCount = judged.count
        let kindCounts = Dictionary(grouping: judged, by: \.kind).mapValues(\.count)
        for mode in SearchMode.allCases {
            var scores = Scores()
            for query in judged {
                var grades: [String: Int] = [:]
                for judgment in query.relevant {
                    guard let id = idsByTitle[judgment.title] else { throw EvaluationError.unknownTitle(query: query.id, title: judgment.title) }
                    grades[id] = judgment.grade
                }
                let ranked = try await engine.search(query.query, mode: mode, limit: 10).results.map(\.paper.id)
                let ndcg = RankingMetrics.ndcg(ranked: ranked, grades: grades)
                scores.ndcg += ndcg / Double(judged.count)
                scores.recall += RankingMetrics.recall(ranked: ranked, grades: grades) / Double(judged.count)
                report.ndcgByKind[query.kind, default: [:]][mode, default: 0] += ndcg / Double(kindCounts[query.kind] ?? 1)
                report.perQuery.append((query.id, mode, ndcg, query.query))
            }
            report.overall[mode] = scores
        }
        return report
    }
}
