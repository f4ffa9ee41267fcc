import ArgumentParser
import Foundation
import Logging
import PaperboyApp
import PaperboySearch
import PaperboyStore

/// `--model`: the folder with all-MiniLM-L6-v2's model.safetensors and vocab.txt.
/// Flag, then `PAPERBOY_MODEL`, then `.build-tools/model/all-MiniLM-L6-v2` (where scripts/install-model puts it).
struct ModelOptions: ParsableArguments, ConfigurationFlags {
    @Option(name: .long, help: "Folder with the all-MiniLM-L6-v2 weights (env: PAPERBOY_MODEL; default: .build-tools/model/all-MiniLM-L6-v2).")
    var model: String?

    var flags: [PaperboyConfiguration.Key: String] { given([.model: model]) }
}

extension PaperboyConfiguration {
    /// The semantic index over `store`, or nil (with one clear log line) when the model is missing or broken.
    func semanticIndex(store: any PaperStore, logger: Logger) -> SemanticIndex? {
        SemanticSearch.index(modelDirectory: modelDirectory, store: store, logger: logger)
    }

    /// Like `semanticIndex`, but a missing model is an error: for commands that exist to embed.
    func requireSemanticIndex(store: any PaperStore) throws -> SemanticIndex {
        do {
            return SemanticIndex(embedder: try SentenceEmbedder(modelDirectory: modelDirectory), store: store)
        } catch {
            throw ValidationError("cannot load the embedding model: \(error). Run scripts/install-model, or pass --model.")
        }
    }
}

/// Embeds papers that lack embeddings, with a progress bar; shared by import and index.
func embedMissingPapers(_ index: SemanticIndex, store: any PaperStore) async throws -> (count: Int, seconds: Double) {
    let total = max(0, try await store.paperCount() - store.embeddingCount(model: index.modelName))
    let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
    let started = Date()
    let count = try await index.embedMissing { done in
        bar.show(done: done, total: max(total, done), label: "\(done)/\(max(total, done)) papers embedded")
    }
    bar.finish()
    return (count, Date().timeIntervalSince(started))
}

/// Computes key phrases (issue 19) for papers that lack them, with a progress bar; shared by
/// import and index. Resumable: what was saved stays.
func extractMissingKeyPhrases(_ index: SemanticIndex, store: any PaperStore) async throws -> (count: Int, seconds: Double) {
    let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
    let started = Date()
    let total = try await store.paperCount()
    let count = try await index.extractMissingKeyPhrases { done in
        bar.show(done: done, total: max(total, done), label: "\(done) papers given key phrases")
    }
    bar.finish()
    return (count, Date().timeIntervalSince(started))
}
