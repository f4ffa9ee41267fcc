import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboyPostgres
import PaperboyStore
import PaperboyTestSupport
import Testing
@testable import PaperboySearch

/// The same corpus, judged queries and model on SQLite and on PostgreSQL: a lab that moves to
/// PostgreSQL must not get worse search. Both stores rank keyword matches by FTS5's BM25 with the
/// same stems, so PostgreSQL's nDCG@10 may fall at most 0.01 below SQLite's in any mode.
@Suite struct StoreParityTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func postgres_ranksTheJudgedQueries_asWellAsSQLite() async throws {
        let embedder = try loadTestEmbedder()
        let corpus = Self.repository.appendingPathComponent("Data/seed-papers.jsonl").path
        let judged = try EvaluationSet.load(Self.repository.appendingPathComponent("Data/eval/queries.jsonl").path)

        let directory = try TemporaryDirectory()
        let sqlite = try await makeStore(in: directory)
        let postgres = try await makePostgresStore()
        defer { withExtendedLifetime(directory) {} }
        var reports: [StoreKind: EvaluationReport] = [:]
        var keywordLists: [StoreKind: [String: [String]]] = [:]
        do {
            for store in [sqlite as any PaperStore, postgres] {
                #expect(try await Importer(store: store).importFile(at: corpus).result.inserted == 228)
            }
            // The model is the same on both: embed once, give PostgreSQL the same vectors by paper id.
            let semanticSQLite = SemanticIndex(embedder: embedder, store: sqlite)
            #expect(try await semanticSQLite.embedMissing() == 228)
            let saved = try await sqlite.embeddingsSaved(model: SentenceEmbedder.modelName, after: EmbeddingCursor(savedAt: 0, key: 0), limit: 1_000)
            let papers = try await sqlite.papers(keys: saved.map(\.embedding.key))
            let waiting = try await postgres.papersNeedingEmbeddings(model: SentenceEmbedder.modelName, afterKey: 0, limit: 1_000)
            let modifiedAt = Dictionary(uniqueKeysWithValues: waiting.map { ($0.key, $0.modifiedAt) })
            var copied: [StoredEmbedding] = []
            for item in saved {
                let id = try #require(papers[item.embedding.key]?.id)
                let key = try #require(try await postgres.paperKey(id: id))
                copied.append(StoredEmbedding(key: key, vector: item.embedding.vector, sourceModifiedAt: try #require(modifiedAt[key])))
            }
            try await postgres.saveEmbeddings(copied, model: SentenceEmbedder.modelName)
            let semanticPostgres = SemanticIndex(embedder: embedder, store: postgres)
            #expect(try await semanticPostgres.embedMissing() == 0, "every vector was copied")
            #expect(try await semanticPostgres.loadStoredEmbeddings() == 228)

            for (kind, store, semantic) in [(StoreKind.sqlite, sqlite as any PaperStore, semanticSQLite), (.postgres, postgres, semanticPostgres)] {
                let engine = SearchEngine(store: store, semantic: semantic)
                let idsByTitle = try await EvaluationSet.paperIDsByTitle(in: store)
                reports[kind] = try await EvaluationReport.run(judged, engine: engine, idsByTitle: idsByTitle)
                for query in judged {
                    keywordLists[kind, default: [:]][query.id] = try await engine.search(query.query, mode: .keyword, limit: 10).results.map(\.paper.id)
                }
            }
        } catch {
            await postgres.close()
            throw error
        }
        await postgres.close()

        for mode in SearchMode.allCases {
            let onSQLite = try #require(reports[.sqlite]?.overall[mode]?.ndcg)
            let onPostgres = try #require(reports[.postgres]?.overall[mode]?.ndcg)
            print("nDCG@10 \(mode.rawValue): SQLite \(String(format: "%.3f", onSQLite)), PostgreSQL \(String(format: "%.3f", onPostgres))")
            #expect(onPostgres >= onSQLite - 0.01, "\(mode): PostgreSQL \(onPostgres) against SQLite \(onSQLite)")
        }
        // Not just the averages: the keyword top 10s hold nearly the same papers. They are not all
        // identical: PostgreSQL's parser reads "-10" and "7.68" as one token where FTS5 reads two, and
        // its Porter stemmer also stems words under three letters, so a few lengths differ by a
        // few tokens and near-ties swap.
        var overlap = 0.0
        var identical = 0
        for query in judged {
            let onSQLite = keywordLists[.sqlite]?[query.id] ?? []
            let onPostgres = keywordLists[.postgres]?[query.id] ?? []
            if onSQLite == onPostgres { identical += 1 }
            overlap += Double(Set(onSQLite).intersection(onPostgres).count) / Double(max(onSQLite.count, 1)) / Double(judged.count)
        }
        print("keyword top 10: identical on \(identical) of \(judged.count) queries, mean overlap \(String(format: "%.3f", overlap))")
        #expect(overlap >= 0.95, "mean top-10 overlap \(overlap)")
    }
}
