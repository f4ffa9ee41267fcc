import Foundation
import Testing
@testable import PaperboySearch

@Suite struct RankingMetricsTests {
    @Test func ndcg_perfectOrder_isOne_andWorseOrdersScoreLower() {
        let grades = ["a": 3, "b": 2, "c": 1]
        #expect(abs(RankingMetrics.ndcg(ranked: ["a", "b", "c"], grades: grades) - 1) < 1e-12)
        let swapped = RankingMetrics.ndcg(ranked: ["c", "b", "a"], grades: grades)
        #expect(swapped < 1 && swapped > 0)
        #expect(RankingMetrics.ndcg(ranked: ["x", "y"], grades: grades) == 0)
        // Hand-computed: gains 7, 0, 3 at ranks 1, 2, 3 (discounts 1, log2 3, 2) over the ideal 7, 3, 1.
        let expected = (7 + 3 / 2.0) / (7 + 3 / log2(3.0) + 1 / 2.0)
        #expect(abs(RankingMetrics.ndcg(ranked: ["a", "x", "b"], grades: grades) - expected) < 1e-12)
    }

    @Test func recall_countsRelevantInTopK() {
        let grades = ["a": 3, "b": 1, "c": 0]
        #expect(RankingMetrics.recall(ranked: ["a", "x"], grades: grades) == 0.5)
        #expect(RankingMetrics.recall(ranked: Array(repeating: "x", count: 10) + ["a", "b"], grades: grades) == 0)
    }
}
