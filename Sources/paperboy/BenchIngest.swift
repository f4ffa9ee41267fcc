import PaperboyBench
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import PaperboyIngest
import PaperboySQLite
import PaperboyStore
import Synchronization

extension Bench {
    /// OAI-PMH parse throughput, then the real harvester and ingest against a local server.
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "OAI-PMH parse throughput, and end-to-end ingest of COUNT synthetic records served by a local OAI-PMH server.",
            discussion: "The server runs in this process on 127.0.0.1 and answers page after page by resumption token; requests are not spaced (arXiv's own 3 s would dominate). The store is a new SQLite file in a temporary folder unless --database is given.")

        @Option(help: "Records to harvest.")
        var count: Int = 100_000

        @Option(name: .customLong("page-size"), help: "Records per OAI-PMH page (arXiv serves 1,000).")
        var pageSize: Int = 1000

        @Option(help: "SQLite file to ingest into (default: a new one in a temporary folder).")
        var database: String?

        func run() async throws {
            guard count > 0, pageSize > 0 else { throw ValidationError("--count and --page-size must be positive") }
            var started = Date()
            let pages = try SyntheticCorpus(count: count, seed: 11).oaiPages(pageSize: pageSize)
            let bytes = pages.reduce(0) { $0 + $1.count }
            print("generated \(pages.count) pages, \(bytes / 1_048_576) MiB of XML, in \(format(Date().timeIntervalSince(started))) s")

            started = Date()
            var parsed = 0
            for page in pages { parsed += try OAIPMHParser.parse(page).records.count }
            let parseSeconds = Date().timeIntervalSince(started)
            print("parse: \(parsed) records in \(format(parseSeconds)) s = \(Int(Double(parsed) / parseSeconds)) records/s, \(format(Double(bytes) / 1_048_576 / parseSeconds)) MiB/s (one core)")

            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-bench-ingest-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let store = try SQLitePaperStore(path: database ?? folder.appendingPathComponent("ingest.sqlite").path)
            try await store.migrate()

            let router = Router()
            let requests = Atomic<Int>(0)
            router.get("/oai") { request, _ -> Response in
                requests.add(1, ordering: .relaxed)
                let token = request.uri.queryParameters["resumptionToken"].map(String.init)
                let index = token.flatMap { Int($0.split(separator: "|").last ?? "") } ?? 0
                guard pages.indices.contains(index) else { return Response(status: .badRequest) }
                return Response(status: .ok, headers: [.contentType: "text/xml"], body: ResponseBody(byteBuffer: ByteBuffer(data: pages[index])))
            }
            let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
            var logger = Logger(label: "paperboy.bench")
            // The server is cancelled at the end, which Hummingbird reports as errors.
            logger.logLevel = .critical
            let app = Application(
                router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService() }
                var ports = portStream.makeAsyncIterator()
                guard let port = await ports.next() else { throw ValidationError("the local OAI-PMH server did not start") }
                let client = ArxivAPIClient(configuration: .init(minimumInterval: .zero), logger: logger)
                let ingest = ArxivIngest(store: store, client: client, oaiBaseURL: "http://127.0.0.1:\(port)/oai", policy: .all)
                for run in ["first run (all new)", "second run (idempotent)"] {
                    let started = Date()
                    let summary = try await ingest.run(categories: ["cs"], since: nil, checkpointFolder: folder.path)
                    let seconds = Date().timeIntervalSince(started)
                    print("ingest, \(run): \(summary.harvested) records harvested in \(format(seconds)) s = \(Int(Double(summary.harvested) / seconds)) records/s; \(summary)")
                }
                print("requests served: \(requests.load(ordering: .relaxed)); papers stored: \(try await store.paperCount())")
                group.cancelAll()
            }
        }

        func format(_ value: Double) -> String { String(format: "%.2f", value) }
    }
}
