import Foundation
import PaperboyCore
import PaperboyPostgres
import PaperboyStore
import PaperboyTestSupport
import Testing
@testable import PaperboySearch

/// Two instances on one PostgreSQL database, each with its own in-memory vector index: what one
/// embeds (or re-embeds after an edit) reaches the other's index on its next refresh.
@Suite struct SharedEmbeddingsTests {
    @Test func embeddingsFromAnotherInstance_newAndReEmbedded_reachThisIndex() async throws {
        let embedder = try loadTestEmbedder()
        let url = try await PostgresServer.shared().createDatabase()
        let first = try PostgresPaperStore(url: url)
        let second = try PostgresPaperStore(url: url)
        try await first.migrate()
        try await second.migrate()
        let writer = SemanticIndex(embedder: embedder, store: first)
        let reader = SemanticIndex(embedder: embedder, store: second)

        _ = try await first.upsert([
            record(samplePaper(id: "2504.00001", title: "Protein folding with attention", abstract: "We predict protein structures from amino-acid sequences.")),
            record(samplePaper(id: "2504.00002", title: "Bandits for ad auctions", abstract: "Online learning for advertising markets.")),
        ])
        #expect(try await writer.embedMissing() == 2)
        #expect(try await reader.loadStoredEmbeddings() == 2 && reader.count == 2)
        let protein = try #require(try await second.paperKey(id: "2504.00001"))
        let before = try #require(try await reader.search("predicting the 3D shape of proteins", k: 1).first)
        #expect(before.key == protein)
        // Nothing new: a refresh loads nothing new (it rereads a short margin, replacing in place).
        #expect(try await reader.loadStoredEmbeddings() == 0 && reader.count == 2)

        // The other instance edits a paper and re-embeds it; the same key gets a new vector here.
        _ = try await first.upsert([record(samplePaper(id: "2504.00001", title: "Galaxy surveys", abstract: "We map dark matter with weak gravitational lensing."))])
        #expect(try await writer.embedMissing() == 1)
        #expect(try await reader.loadStoredEmbeddings() == 1 && reader.count == 2)
        #expect(try await reader.search("dark matter and gravitational lensing", k: 1).first?.key == protein)
        // The old vector is gone: the protein query now matches that paper far less well.
        let after = try await reader.search("predicting the 3D shape of proteins", k: 2).first { $0.key == protein }
        #expect(try #require(after).score < before.score - 0.2, "\(before.score) → \(after?.score ?? 0)")
        await first.close()
        await second.close()
    }
}
