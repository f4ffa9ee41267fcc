import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyTestSupport
import Testing

/// `paperboy thumbnails` and `paperboy stars` (issue 19), the real binary against local servers.
@Suite struct EnrichmentEndToEndTests {
    @Test func thumbnailsCommand_offUnlessConfigured_stopsAndResumes_placeholdersForBrokenPDFs() async throws {
        let directory = try TemporaryDirectory()
        let router = Router()
        router.get("/pdf/:name") { _, context -> Response in
            let name = try context.parameters.require("name")
            let body = name == "broken.pdf" ? Data("%PDF-1.4 not really".utf8) : makePDF(text: "Paper \(name)")
            return Response(status: .ok, headers: [.contentType: "application/pdf"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let lines = ["one.pdf", "two.pdf", "three.pdf", "broken.pdf"].enumerated().map { index, name in
                #"{"id": "pb-e2e-\#(index)", "title": "End to end paper \#(index)", "pdf_url": "http://127.0.0.1:\#(port)/pdf/\#(name)"}"#
            }
            let file = directory.path("papers.jsonl")
            try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let database = directory.path("thumbs.sqlite")
            #expect(try run(Locations.binary, ["import", file, "--database", database, "--no-embed"]).status == 0)

            let off = try run(Locations.binary, ["thumbnails", "--database", database])
            #expect(off.status != 0 && off.standardError.contains("thumbnails are off"), "\(off.standardError)")
            let arguments = ["thumbnails", "--database", database, "--thumbnails", "on", "--arxiv-request-interval", "0"]
            let first = try run(Locations.binary, arguments + ["--limit", "2"])
            #expect(first.status == 0 && first.standardOutput.contains("2 rendered / 0 placeholders") && first.standardOutput.contains("2 of 4 papers with a PDF are done"), "\(first.standardOutput)\(first.standardError)")
            let second = try run(Locations.binary, arguments)
            #expect(second.standardOutput.contains("1 rendered / 1 placeholders") && second.standardOutput.contains("4 of 4"), "\(second.standardOutput)")
            let third = try run(Locations.binary, arguments)
            #expect(third.standardOutput.contains("0 rendered / 0 placeholders"), "\(third.standardOutput)")
        }
    }

    @Test func starsCommand_readsALocalGitHub() async throws {
        let directory = try TemporaryDirectory()
        let router = Router()
        router.get("/repos/:owner/:name") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json", .eTag: "\"v\""],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"stargazers_count": 321}"#)))
        }
        let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let today = ISO8601DateFormatter().string(from: Date())
            let file = directory.path("papers.jsonl")
            try #"{"id": "2511.00001", "title": "Starred", "published": "\#(today)", "github": "https://github.com/lab/starred"}"#
                .write(toFile: file, atomically: true, encoding: .utf8)
            let database = directory.path("stars.sqlite")
            #expect(try run(Locations.binary, ["import", file, "--database", database, "--no-embed"]).status == 0)
            let result = try run(Locations.binary, ["stars", "--database", database, "--github-stars", "on", "--github-api", "http://127.0.0.1:\(port)"])
            #expect(result.status == 0 && result.standardOutput.contains("GitHub stars: 1 updated"), "\(result.standardOutput)\(result.standardError)")
        }
    }
}
