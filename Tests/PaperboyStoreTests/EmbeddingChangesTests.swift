import Foundation
import PaperboyStore
import PaperboyTestSupport
import Testing

extension StoreConformanceTests {
    @Suite struct EmbeddingChanges {
        @Test(arguments: StoreKind.allCases) func savedEmbeddings_pageInSaveOrder_andAResaveComesAgain(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                _ = try await store.upsert((1...3).map { record(samplePaper(id: "2505.0000\($0)")) })
                var keys: [UInt32] = []
                for id in ["2505.00001", "2505.00002", "2505.00003"] { keys.append(try #require(try await store.paperKey(id: id))) }
                let vector = { (value: Float) in [Float](repeating: value, count: 384) }
                try await store.saveEmbeddings(keys.map { StoredEmbedding(key: $0, vector: vector(0.1), sourceModifiedAt: 1) }, model: "m")
                let start = EmbeddingCursor(savedAt: 0, key: 0)
                let first = try await store.embeddingsSaved(model: "m", after: start, limit: 2)
                #expect(first.map(\.embedding.key) == Array(keys.prefix(2)))
                let rest = try await store.embeddingsSaved(model: "m", after: try #require(first.last).cursor, limit: 2)
                #expect(rest.map(\.embedding.key) == [keys[2]])
                #expect(try await store.embeddingsSaved(model: "other", after: start, limit: 10).isEmpty)

                try await Task.sleep(for: .milliseconds(20))
                try await store.saveEmbeddings([StoredEmbedding(key: keys[0], vector: vector(0.2), sourceModifiedAt: 2)], model: "m")
                let changed = try await store.embeddingsSaved(model: "m", after: try #require(rest.last).cursor, limit: 10)
                #expect(changed.map(\.embedding.key) == [keys[0]] && changed.first?.embedding.vector.first == 0.2)
                #expect(try #require(changed.first).cursor > rest[0].cursor)
            }
        }
    }
}
