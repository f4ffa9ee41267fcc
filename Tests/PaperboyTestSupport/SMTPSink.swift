import Foundation

/// The repository's root, from this file's location.
public let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The Python with aiosmtpd and friends: PAPERBOY_PYTHON, else .build-tools/venv (scripts/test makes it).
public var testPython: String {
    ProcessInfo.processInfo.environment["PAPERBOY_PYTHON"]
        ?? repositoryRoot.appendingPathComponent(".build-tools/venv/bin/python").path
}

/// A real SMTP server (scripts/smtp-sink.py, aiosmtpd) on a free loopback port, stopped by PID.
public final class SMTPSink: @unchecked Sendable {
    public let folder: URL
    public let port: Int
    let process = Process()
    let log: URL

    public init(in directory: TemporaryDirectory, name: String = "sink", arguments: [String] = []) throws {
        folder = directory.url.appendingPathComponent(name)
        log = directory.url.appendingPathComponent("\(name).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        guard FileManager.default.isExecutableFile(atPath: testPython) else {
            throw SinkError("no Python with aiosmtpd at \(testPython): run scripts/test, which installs it into .build-tools/venv")
        }
        process.executableURL = URL(fileURLWithPath: testPython)
        process.arguments = [repositoryRoot.appendingPathComponent("scripts/smtp-sink.py").path, folder.path] + arguments
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        var found: Int?
        while Date() < deadline, found == nil {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("LISTENING ") }) { found = Int(line.dropFirst(10)) }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard let found else {
            process.terminate()
            throw SinkError("the SMTP sink did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        port = found
    }

    /// Accepted messages, oldest first, as raw text.
    public func messages() throws -> [String] {
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".eml") }.sorted()
            .map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
    }

    /// The envelopes (`from`, `to`, `tls`, `auth`) of accepted messages, oldest first.
    public func envelopes() throws -> [[String: Any]] {
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted().map {
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent($0))) as? [String: Any] ?? [:]
        }
    }

    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }

    deinit { stop() }
}

public struct SinkError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a command to completion and returns its exit status and output.
public func runCommand(_ executable: String, _ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let inputPipe = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
    try process.run()
    if let input {
        inputPipe.fileHandleForWriting.write(input)
        try inputPipe.fileHandleForWriting.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
