import Foundation
import Hummingbird
import Logging
import PaperboySearch
import PaperboyStore

/// `/healthz` and `/readyz`, for systemd watchdogs, load balancers and orchestrators; both answer
/// `HEAD` too (through `HeadRequestResponder`), and neither is ever cached.
///
/// `/healthz`: the process is up and answering. `/readyz`: it can serve real pages: the store
/// answers, its schema has exactly the migrations this binary knows, and semantic search is either
/// loaded or known to be off (keyword-only). A database newer than the binary is not ready: the
/// binary would not understand it.
struct HealthRoutes: Sendable {
    let store: any PaperStore
    let semantic: SemanticIndex?
    let logger: Logger

    struct Readiness: Encodable, Equatable {
        var ready: Bool
        var store: String
        var migrations: String
        var search: String
        /// Set while a backlog of new papers is being embedded in the background.
        var embedding: String? = nil
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/healthz") { _, _ in
            Responses.text("ok\n", contentType: "text/plain; charset=utf-8", cache: "no-store")
        }
        router.get("/readyz") { _, _ in
            let readiness = await check()
            var page = try Responses.json(readiness, status: readiness.ready ? .ok : .serviceUnavailable)
            page.cacheControl = "no-store"
            return page
        }
    }

    func check() async -> Readiness {
        let search = semantic.map { "hybrid: \($0.count) papers in the vector index (\($0.memoryBytes / 1_048_576) MiB)" }
            ?? "keyword-only: no embedding model is installed"
        let applied: [String]
        do {
            applied = try await store.appliedMigrations()
        } catch {
            // The cause goes to the log, not to whoever asks.
            logger.warning("readiness: the store does not answer: \(error)")
            return Readiness(ready: false, store: "does not answer", migrations: "unknown", search: search, embedding: semantic?.backgroundStatus)
        }
        let known = store.knownMigrations
        if applied == known {
            return Readiness(ready: true, store: "answers", migrations: "current (\(known.last ?? "none"))", search: search, embedding: semantic?.backgroundStatus)
        }
        let unknown = applied.filter { !known.contains($0) }
        let missing = known.filter { !applied.contains($0) }
        let migrations = unknown.isEmpty
            ? "missing: \(missing.joined(separator: ", ")); run paperboy migrate"
            : "the database has migrations this binary does not know: \(unknown.joined(separator: ", "))"
        return Readiness(ready: false, store: "answers", migrations: migrations, search: search, embedding: semantic?.backgroundStatus)
    }
}
