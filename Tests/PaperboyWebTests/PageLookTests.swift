import Foundation
import PaperboyTestSupport
import Testing

/// Every page as a reader sees it, in headless Chromium: desktop and phone widths, light and dark
/// themes. scripts/page-check.py compares screenshots with the reviewed ones in
/// Tests/Snapshots/pages, checks the layout (no sideways scrolling, a phone header of at most
/// 100 px, 44 px controls on a phone, a grid of cards on a desktop), runs axe-core's WCAG A/AA
/// rules, and walks each page with the Tab key. `PAPERBOY_RECORD_SNAPSHOTS=1` re-records the
/// screenshots, to be reviewed in the diff.
@Suite struct PageLookTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let anonymousPages = [
        "/", "/papers/week/2025-W06", "/papers/month/2025-02", "/trending", "/search?q=sparse+subnetworks",
        "/search?q=zzqxv+blorft", "/papers/2502.00001", "/papers/2502.00003", "/signin", "/papers/2999.99999",
        "/trends?q=sparse&weeks=26", "/authors/Ada%20Lovelace",
    ]
    static let signedInPages = [
        "/", "/papers/week/2025-W06?sort=foryou", "/papers/2502.00001", "/settings", "/settings/for-you", "/library", "/submit", "/u/reader",
    ]

    @Test func everyPage_bothWidthsBothThemes_looksRight_isAccessible_andWorksByKeyboard() async throws {
        let tools = try Self.tools()
        let fixture = try await WebFixture(publicURL: nil, withRecommender: true)
        let output = try TemporaryDirectory()
        try await fixture.testLive { client in
            let port = try #require(client.port)
            let result = try await Self.run(tools.python, [
                Self.repository.appendingPathComponent("scripts/page-check.py").path,
                tools.chromium, "http://127.0.0.1:\(port)", fixture.mailFolder.path, tools.axe,
                Self.repository.appendingPathComponent("Tests/Snapshots/pages").path, output.path("screenshots"),
            ] + Self.anonymousPages + ["--signed-in"] + Self.signedInPages)
            #expect(result.status == 0, "\(result.output.split(separator: "\n").filter { !$0.hasPrefix("checked ") }.joined(separator: "\n").suffix(6000))")
            #expect(result.output.contains("ok: every page passed"))
        }
    }

    struct Tools {
        let python: String
        let chromium: String
        let axe: String
    }

    /// Chromium from Debian, and websocket-client and axe-core in .build-tools/venv: scripts/test installs them.
    static func tools() throws -> Tools {
        let environment = ProcessInfo.processInfo.environment
        let python = environment["PAPERBOY_PYTHON"] ?? repository.appendingPathComponent(".build-tools/venv/bin/python").path
        let chromium = environment["PAPERBOY_CHROMIUM"] ?? "/usr/bin/chromium"
        let axe = environment["PAPERBOY_AXE_JS"] ?? repository.appendingPathComponent(".build-tools/axe/axe.min.js").path
        for (path, what) in [(python, "the venv's python"), (chromium, "chromium"), (axe, "axe-core's axe.min.js")] {
            guard FileManager.default.fileExists(atPath: path) else {
                throw TestFailure("\(what) is missing at \(path): run scripts/test, which installs it")
            }
        }
        return Tools(python: python, chromium: chromium, axe: axe)
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs a program without blocking a thread of the pool the in-process server answers on.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let directory = try TemporaryDirectory()
        let log = directory.url.appendingPathComponent("output")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
