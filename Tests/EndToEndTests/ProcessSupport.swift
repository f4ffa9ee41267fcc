import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Where the built `paperboy` binary and the repository are.
enum Locations {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `PAPERBOY_BINARY`, else the `paperboy` built next to this test bundle.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["PAPERBOY_BINARY"] { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("paperboy").path
    }

    /// The embedding model folder scripts/test installs (`PAPERBOY_MODEL_DIR` overrides).
    static var model: String {
        ProcessInfo.processInfo.environment["PAPERBOY_MODEL_DIR"]
            ?? repository.appendingPathComponent(".build-tools/model/all-MiniLM-L6-v2").path
    }

    /// An external tool the test command installs: `environmentKey`, else `fallbacks`, else PATH.
    static func tool(_ name: String, environmentKey: String, fallbacks: [String] = []) -> String? {
        if let path = ProcessInfo.processInfo.environment[environmentKey] { return path }
        let searchPath = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(name)" }
        return (fallbacks + searchPath).first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

struct ProcessResult {
    let status: Int32
    let standardOutput: String
    let standardError: String
}

/// Runs a program to completion and captures its output (through files, so large outputs cannot block).
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 120) throws -> ProcessResult {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outURL = directory.appendingPathComponent("out")
    let errURL = directory.appendingPathComponent("err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning {
        process.terminate()
        process.waitUntilExit()
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish in \(Int(timeout)) s")
    }
    return ProcessResult(
        status: process.terminationStatus,
        standardOutput: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
        standardError: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

/// `run`, without holding a thread of the pool that in-process servers in the test answer on.
func runAsync(_ executable: String, _ arguments: [String], timeout: TimeInterval = 300) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try run(executable, arguments, timeout: timeout) })
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A `paperboy serve` child process on a free loopback port, stopped by PID with SIGTERM.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let logURL: URL
    private(set) var port = 0

    init(database: String, extraArguments: [String] = []) throws {
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-serve-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Locations.binary)
        process.arguments = ["serve", "--database", database, "--host", "127.0.0.1", "--port", "0", "--log-level", "warning", "--model", Locations.model] + extraArguments
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // serve prints "Paperboy listening on http://127.0.0.1:PORT …" once it accepts connections.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let range = serverOutput().range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(serverOutput()[range].split(separator: ":").last ?? "") ?? 0
                return
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw TestFailure("paperboy serve did not start: \(serverOutput())")
    }

    func serverOutput() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Sends SIGTERM and waits; returns the exit status.
    func stop() -> Int32 {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: logURL)
    }
}

/// GET over real HTTP.
func httpGet(_ url: String) async throws -> (status: Int, body: String, contentType: String?) {
    let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
    let http = response as! HTTPURLResponse
    return (http.statusCode, String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "Content-Type"))
}
