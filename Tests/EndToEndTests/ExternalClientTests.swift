import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyTestSupport
import Testing

/// Real third-party clients against the real server: the official `hf` CLI from huggingface_hub,
/// and headless Chromium. The test command (scripts/test) installs both; run alone without them,
/// these tests fail and say how to get them.
@Suite(.serialized) struct ExternalClientTests {
    /// The demo corpus imported and embedded once (embedding takes a while in a debug build),
    /// copied for each test.
    static let preparedDemo: Result<String, TestFailure> = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-demo-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let database = directory.appendingPathComponent("demo.sqlite").path
            let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path
            let imported = try run(Locations.binary, ["import", seed, "--database", database, "--daily", "spread", "--spread-days", "7", "--model", Locations.model], timeout: 600)
            guard imported.status == 0, imported.standardOutput.contains("embedded 228 papers") else {
                return .failure(TestFailure("demo import failed (is the model installed? run scripts/install-model): \(imported.standardOutput) \(imported.standardError)"))
            }
            return .success(database)
        } catch {
            return .failure(TestFailure("\(error)"))
        }
    }()

    /// A server over a copy of the prepared demo database.
    static func demoServer(in directory: TemporaryDirectory) throws -> ServerProcess {
        let source = try preparedDemo.get()
        let database = directory.path("demo.sqlite")
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: source + suffix) {
            try FileManager.default.copyItem(atPath: source + suffix, toPath: database + suffix)
        }
        return try ServerProcess(database: database, extraArguments: ["--site-name", "Paperboy Demo"])
    }

    @Test func huggingfaceHubCLI_listsReadsAndInspectsPapers() async throws {
        let venvHF = Locations.repository.appendingPathComponent(".build-tools/venv/bin/hf").path
        let hf = try #require(Locations.tool("hf", environmentKey: "PAPERBOY_HF_CLI", fallbacks: [venvHF]),
                              "the hf CLI is missing: run scripts/test, which installs huggingface_hub into .build-tools/venv")
        let directory = try TemporaryDirectory()
        let server = try Self.demoServer(in: directory)
        defer { _ = server.stop() }
        // A private HOME: no saved token or config of the machine's user leaks in.
        let environment = ["HF_ENDPOINT": server.baseURL, "HOME": directory.url.path, "HF_HUB_DISABLE_TELEMETRY": "1", "NO_COLOR": "1"]

        let list = try run(hf, ["papers", "ls", "--format", "json", "--limit", "5", "--sort", "trending"], environment: environment)
        #expect(list.status == 0, "\(list.standardError)")
        let papers = try #require(try JSONSerialization.jsonObject(with: Data(list.standardOutput.utf8)) as? [[String: Any]], "\(list.standardOutput)")
        #expect(papers.count == 5)
        let first = try #require(papers.first)
        let id = try #require(first["id"] as? String)
        #expect((first["title"] as? String)?.isEmpty == false)
        #expect(first["submitted_at"] != nil)

        let api = try await httpGet("\(server.baseURL)/api/papers/\(id)")
        let expectedTitle = try #require((try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [String: Any])?["title"] as? String)

        let info = try run(hf, ["papers", "info", id], environment: environment)
        #expect(info.status == 0, "\(info.standardError)")
        let infoJSON = try #require(try JSONSerialization.jsonObject(with: Data(info.standardOutput.utf8)) as? [String: Any], "\(info.standardOutput)")
        #expect(infoJSON["id"] as? String == id)
        #expect(infoJSON["title"] as? String == expectedTitle)

        let read = try run(hf, ["papers", "read", id], environment: environment)
        #expect(read.status == 0, "\(read.standardError)")
        #expect(read.standardOutput.hasPrefix("# \(expectedTitle)"))
        #expect(read.standardOutput.contains("## Abstract"))

        let unknown = try run(hf, ["papers", "info", "0000.00000"], environment: environment)
        #expect(unknown.status != 0)
        #expect((unknown.standardOutput + unknown.standardError).contains("not found"))

        // Semantic search through the official client: an idea, not title words.
        let search = try run(hf, ["papers", "search", "finding sparse subnetworks that train from their initialization", "--format", "json", "--limit", "5"], environment: environment)
        #expect(search.status == 0, "\(search.standardError)")
        let found = try #require(try JSONSerialization.jsonObject(with: Data(search.standardOutput.utf8)) as? [[String: Any]], "\(search.standardOutput)")
        let titles = found.compactMap { $0["title"] as? String }
        #expect(titles.prefix(3).contains("The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks"), "\(titles)")

        let week = try run(hf, ["papers", "ls", "--format", "json", "--week", "1999-W01"], environment: environment)
        #expect(week.status == 0)
        #expect(week.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }

    @Test func openAPIDocument_passesTheOpenAPISpecValidator() async throws {
        let venvValidator = Locations.repository.appendingPathComponent(".build-tools/venv/bin/openapi-spec-validator").path
        let validator = try #require(
            Locations.tool("openapi-spec-validator", environmentKey: "PAPERBOY_OPENAPI_VALIDATOR", fallbacks: [venvValidator]),
            "openapi-spec-validator is missing: run scripts/test, which installs it into .build-tools/venv")
        let directory = try TemporaryDirectory()
        let server = try ServerProcess(database: directory.path("empty.sqlite"))
        defer { _ = server.stop() }
        let document = try await httpGet("\(server.baseURL)/api/openapi.json")
        #expect(document.status == 200)
        let path = try directory.write("openapi.json", document.body)
        let result = try run(validator, [path])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("OK"))
    }

    @Test func chromium_rendersDailyAndPaperPages_onAPhoneSizedScreen() async throws {
        let chromium = try #require(Locations.tool("chromium", environmentKey: "PAPERBOY_CHROMIUM"),
                                    "chromium is missing: run scripts/test, which installs Debian's chromium")
        let tesseract = try #require(Locations.tool("tesseract", environmentKey: "PAPERBOY_TESSERACT"),
                                     "tesseract is missing: run scripts/test, which installs Debian's tesseract-ocr")
        let directory = try TemporaryDirectory()
        let server = try Self.demoServer(in: directory)
        defer { _ = server.stop() }
        let api = try await httpGet("\(server.baseURL)/api/daily_papers?limit=1")
        let entry = try #require((try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [[String: Any]])?.first)
        let id = try #require((entry["paper"] as? [String: Any])?["id"] as? String)
        let title = try #require(entry["title"] as? String)

        let shots: [(name: String, path: String, expected: [String])] = [
            // On a phone the header shows the logo, not the site name (it keeps the header under 100 px).
            ("daily", "/", ["Daily", "Most upvoted", "Trending"]),
            ("paper", "/papers/\(id)", ["Abstract", "Markdown"] + title.split(separator: " ").prefix(3).map(String.init)),
        ]
        for shot in shots {
            let png = directory.path("\(shot.name).png")
            let browser = try run(chromium, [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                "--user-data-dir=\(directory.path("chromium-\(shot.name)"))",
                "--force-device-scale-factor=2", "--window-size=412,900", "--screenshot=\(png)", server.baseURL + shot.path,
            ], timeout: 90)
            #expect(browser.status == 0, "\(browser.standardError.suffix(2000))")
            let image = try Data(contentsOf: URL(fileURLWithPath: png))
            #expect(image.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(shot.name) is not a PNG")
            // Keep the screenshot where a person can look at it after the run.
            let kept = Locations.repository.appendingPathComponent(".build-tools/screenshots/\(shot.name).png")
            try? FileManager.default.createDirectory(at: kept.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: kept)
            try? image.write(to: kept)

            // Read the pixels back as text: what a person would see, not just what the HTML says.
            let ocr = try run(tesseract, [png, "-"], timeout: 60)
            #expect(ocr.status == 0, "\(ocr.standardError)")
            let seenWords = Set(ocr.standardOutput.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init))
            for phrase in shot.expected {
                for word in phrase.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }) where word.count >= 3 {
                    #expect(seenWords.contains(String(word)), "\(shot.name) screenshot does not show \"\(word)\"; OCR read: \(ocr.standardOutput.prefix(600))")
                }
            }
        }
    }

    /// A reader's whole journey in a real browser with JavaScript on (scripts/browser-flow.py
    /// drives Chromium over CDP): sign in with the link from the .eml folder, upvote and save in
    /// place, comment, submit a paper by its arXiv URL (from a local server answering as the arXiv
    /// API does), subscribe to the digest, confirm by mail, and unsubscribe.
    @Test func chromium_wholeJourney_signInVoteSaveCommentSubmitSubscribeUnsubscribe() async throws {
        let chromium = try #require(Locations.tool("chromium", environmentKey: "PAPERBOY_CHROMIUM"),
                                    "chromium is missing: run scripts/test, which installs Debian's chromium")
        let python = Locations.repository.appendingPathComponent(".build-tools/venv/bin/python").path
        #expect(FileManager.default.isExecutableFile(atPath: python), "run scripts/test, which installs websocket-client into .build-tools/venv")
        let directory = try TemporaryDirectory()
        let mail = directory.path("mail")
        let source = try Self.preparedDemo.get()
        let database = directory.path("demo.sqlite")
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: source + suffix) {
            try FileManager.default.copyItem(atPath: source + suffix, toPath: database + suffix)
        }
        let router = Router()
        router.get("/api/query") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/atom+xml"], body: ResponseBody(byteBuffer: ByteBuffer(string: Self.arxivEntry)))
        }
        let arxiv = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await arxiv.test(.live) { arxivClient in
            let arxivPort = try #require(arxivClient.port)
            let server = try ServerProcess(database: database, extraArguments: ["--mail", mail, "--arxiv-api", "http://127.0.0.1:\(arxivPort)/api/query"])
            defer { _ = server.stop() }
            let api = try await httpGet("\(server.baseURL)/api/daily_papers?limit=1")
            let entry = try #require((try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [[String: Any]])?.first)
            let paper = try #require(entry["paper"] as? [String: Any])
            let id = try #require(paper["id"] as? String)
            let upvotes = try #require(paper["upvotes"] as? Int)

            let flow = try await runAsync(python, [
                Locations.repository.appendingPathComponent("scripts/browser-flow.py").path,
                chromium, server.baseURL, mail, id, "ada@example.org", "ada", "1803.03635",
            ])
            #expect(flow.status == 0, "\(flow.standardOutput)\n\(flow.standardError.suffix(2000))")
            #expect(flow.standardOutput.contains("ok: unsubscribed"))

            let after = try await httpGet("\(server.baseURL)/api/papers/\(id)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(after.body.utf8)) as? [String: Any])
            #expect(json["upvotes"] as? Int == upvotes + 1)
            #expect(json["numComments"] as? Int == 1)
            let submitted = try await httpGet("\(server.baseURL)/api/papers/1803.03635")
            #expect(submitted.body.contains("The Lottery Ticket Hypothesis"))
        }
    }

    static let arxivEntry = ArxivFixtures.lotteryTicketAtom

    @Test func userCommand_createsTheFirstAdmin_andChangesRoles() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("users.sqlite")
        let created = try run(Locations.binary, ["user", "create", "--admin", "--username", "root", "--email", "Root@Example.org", "--database", database])
        #expect(created.status == 0 && created.standardOutput.contains("created admin root <root@example.org>"), "\(created.standardError)")
        let duplicate = try run(Locations.binary, ["user", "create", "--username", "root", "--email", "x@example.org", "--database", database])
        #expect(duplicate.status != 0 && duplicate.standardError.contains("taken"))
        let badName = try run(Locations.binary, ["user", "create", "--username", "<b>", "--email", "y@example.org", "--database", database])
        #expect(badName.status != 0 && badName.standardError.contains("letters"))
        let member = try run(Locations.binary, ["user", "create", "--username", "grace", "--email", "grace@example.org", "--database", database])
        #expect(member.status == 0 && member.standardOutput.contains("created member grace"))
        let promoted = try run(Locations.binary, ["user", "role", "grace", "curator", "--database", database])
        #expect(promoted.status == 0 && promoted.standardOutput.contains("grace is now curator"))
        let unknown = try run(Locations.binary, ["user", "role", "nobody", "admin", "--database", database])
        #expect(unknown.status != 0 && unknown.standardError.contains("no account named nobody"))
    }
}
