import Foundation
import PaperboyCore
import PaperboySQLite
import PaperboyStore
import PaperboyTestSupport
import Testing
@testable import PaperboySearch

/// The trained vector index saved to a file and loaded at the next start (issue 17), with its
/// check against the store's embeddings.
@Suite struct SavedVectorIndexTests {
    /// Approximate above 40 vectors, rebuilt in the calling thread, so a few hundred papers
    /// exercise the inverted-file index a million would.
    static let small = VectorStore.Configuration(
        exactSearchLimit: 40, approximateParameters: { _ in InvertedFileIndex.Parameters(listCount: 8, probeCount: 3) },
        rebuildsInBackground: false)

    /// `count` papers with random unit vectors saved as the model's embeddings.
    static func seed(_ store: any PaperStore, count: Int, from start: Int = 0, seed: UInt64 = 7) async throws {
        _ = try await store.upsert((start ..< start + count).map { number in
            record(samplePaper(id: String(format: "2505.%05d", number), title: "Paper \(number)"))
        })
        var generator = SplitMix64(seed: seed)
        var sources: [EmbeddingSource] = []
        var after: UInt32 = 0
        while true {
            let page = try await store.papersNeedingEmbeddings(model: SentenceEmbedder.modelName, afterKey: after, limit: 500)
            guard let last = page.last else { break }
            sources += page
            after = last.key
        }
        let embeddings = sources.map { source in
            var vector = (0 ..< SentenceEmbedder.dimensions).map { _ in generator.nextUnitFloat() * 2 - 1 }
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            vector = vector.map { $0 / norm }
            return StoredEmbedding(key: source.key, vector: vector, sourceModifiedAt: source.modifiedAt)
        }
        try await store.saveEmbeddings(embeddings, model: SentenceEmbedder.modelName)
    }

    @Test func savedIndex_restart_loadsWithoutTrainingAndSearchesTheSame() async throws {
        let embedder = try loadTestEmbedder()
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        try await Self.seed(store, count: 300)
        let file = directory.path("index.vectors")

        let first = SemanticIndex(embedder: embedder, store: store, vectorConfiguration: Self.small)
        #expect(try await first.loadStoredEmbeddings() == 300)
        #expect(first.vectors.isApproximate)
        #expect(try await first.saveIndex(to: file))
        #expect(try await first.saveIndex(to: file) == false, "nothing changed since the last save")

        // Saved after the file: the restart loads the file, then just these.
        try await Self.seed(store, count: 5, from: 300, seed: 8)
        let second = SemanticIndex(embedder: embedder, store: store, vectorConfiguration: Self.small)
        let load = try await second.loadSavedIndex(from: file)
        #expect(load.papers == 305)
        #expect(load.newer == 5, "only what was saved after the file, not the last minute again")
        #expect(second.vectors.isApproximate)
        #expect(second.vectors.generation == 0, "restored, not trained again")
        _ = try await first.loadStoredEmbeddings()
        for key in [UInt32(1), 57, 300, 305] {
            let query = try #require(first.vectors.vector(forKey: key))
            #expect(second.vectors.vector(forKey: key) == query)
            #expect(second.vectors.search(query, k: 5).map(\.key) == first.vectors.search(query, k: 5).map(\.key))
        }
        // The newer papers make the file out of date: the next save writes again.
        #expect(try await second.saveIndex(to: file))
    }

    @Test func savedIndex_embeddingReplacedOrFileOfAnotherDatabase_isRefusedAndLeavesTheIndexEmpty() async throws {
        let embedder = try loadTestEmbedder()
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        try await Self.seed(store, count: 120)
        let file = directory.path("index.vectors")
        let first = SemanticIndex(embedder: embedder, store: store, vectorConfiguration: Self.small)
        _ = try await first.loadStoredEmbeddings()
        #expect(try await first.saveIndex(to: file))

        // Another database with the same papers, embedded at other times, must not take this file.
        let other = try await makeStore(in: directory, name: "other.sqlite")
        try await Timeout.sleep(milliseconds: 5)
        try await Self.seed(other, count: 120, seed: 9)
        let stranger = SemanticIndex(embedder: embedder, store: other, vectorConfiguration: Self.small)
        await #expect(throws: VectorIndexFile.FileError.self) { try await stranger.loadSavedIndex(from: file) }
        #expect(stranger.count == 0)

        // An embedding replaced by another process since the save moves past the file's position.
        try await Timeout.sleep(milliseconds: 5)
        let key = try #require(try await store.paperKey(id: "2505.00007"))
        try await store.saveEmbeddings([StoredEmbedding(key: key, vector: [Float](repeating: 0.05, count: SentenceEmbedder.dimensions), sourceModifiedAt: 1)],
                                       model: SentenceEmbedder.modelName)
        let second = SemanticIndex(embedder: embedder, store: store, vectorConfiguration: Self.small)
        await #expect(throws: VectorIndexFile.FileError.self) { try await second.loadSavedIndex(from: file) }
        #expect(second.count == 0)
        // The caller's fallback: everything from the store.
        #expect(try await second.loadStoredEmbeddings() == 120)
    }

    @Test func savedIndex_damagedFile_isRefusedNamingTheDamage() async throws {
        let embedder = try loadTestEmbedder()
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        try await Self.seed(store, count: 80)
        let file = directory.path("index.vectors")
        let first = SemanticIndex(embedder: embedder, store: store, vectorConfiguration: Self.small)
        _ = try await first.loadStoredEmbeddings()
        #expect(try await first.saveIndex(to: file))

        #expect(throws: VectorIndexFile.FileError.mismatch("saved for model \(SentenceEmbedder.modelName), running other-model")) {
            try VectorIndexFile.read(from: file, model: "other-model", dimensions: SentenceEmbedder.dimensions)
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.count - 100] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: file))
        #expect(throws: VectorIndexFile.FileError.corrupt("checksum does not match the contents")) {
            try VectorIndexFile.read(from: file, model: SentenceEmbedder.modelName, dimensions: SentenceEmbedder.dimensions)
        }
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: file))
        #expect(throws: VectorIndexFile.FileError.self) {
            try VectorIndexFile.read(from: file, model: SentenceEmbedder.modelName, dimensions: SentenceEmbedder.dimensions)
        }
        // A start reads the header alone first, to check the store beside the body: a file that is
        // not an index at all is refused there, and the index stays empty for the usual load.
        try Data("not a vector index".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: VectorIndexFile.FileError.corrupt("\(file) is not a Paperboy vector index of this version")) {
            try VectorIndexFile.position(in: file)
        }
        let second = SemanticIndex(embedder: embedder, store: store, vectorConfiguration: Self.small)
        await #expect(throws: VectorIndexFile.FileError.self) { try await second.loadSavedIndex(from: file) }
        #expect(second.count == 0)
    }
}

private enum Timeout {
    static func sleep(milliseconds: Int) async throws {
        try await Task.sleep(for: .milliseconds(milliseconds))
    }
}
