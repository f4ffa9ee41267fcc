import Foundation
import PaperboySearch

/// Why a test could not get the embedding model: not installed, or installed and failing to load.
/// Told apart, so a broken model (or loader) is not reported as a missing install.
struct TestModelError: Error, CustomStringConvertible {
    let description: String
}

/// The embedder from PAPERBOY_MODEL_DIR, else from where scripts/install-model puts it.
func loadTestEmbedder() throws -> SentenceEmbedder {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try loadTestEmbedder(ProcessInfo.processInfo.environment["PAPERBOY_MODEL_DIR"]
        ?? repository.appendingPathComponent(".build-tools/model/all-MiniLM-L6-v2").path)
}

/// The embedder from `directory`.
func loadTestEmbedder(_ directory: String) throws -> SentenceEmbedder {
    guard FileManager.default.fileExists(atPath: URL(fileURLWithPath: directory).appendingPathComponent("model.safetensors").path) else {
        throw TestModelError(description: "model missing: run scripts/install-model (looked in \(directory))")
    }
    do {
        return try SentenceEmbedder(modelDirectory: directory)
    } catch {
        throw TestModelError(description: "the model in \(directory) is installed but did not load: \(error)")
    }
}
