import Foundation
import PaperboyCore
import PaperboyPostgres
import PaperboyStore
import PaperboyTestSupport
import Testing

/// README's PostgreSQL backup recipe (`pg_dump -Fc`, then `pg_restore --no-owner` into an empty
/// database) gives a working Paperboy: same rows, current schema, new rows get fresh ids.
@Suite struct PostgresDumpTests {
    static let binaries = ProcessInfo.processInfo.environment["PAPERBOY_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin"

    /// Runs a PostgreSQL client tool to completion; its output on failure.
    static func tool(_ name: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "\(binaries)/\(name)")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PostgresServer.Failure.failed("\(name) \(arguments.joined(separator: " ")): \(String(decoding: text, as: UTF8.self))")
        }
    }

    static func databaseName(_ url: String) -> String {
        String(url.split(separator: "/").last?.split(separator: "?").first ?? "")
    }

    @Test func pgDump_restoresIntoAWorkingPaperboy() async throws {
        let server = try PostgresServer.shared()
        let sourceURL = try await server.createDatabase()
        let source = try PostgresPaperStore(url: sourceURL)
        try await source.migrate()
        let fixture = try await StoreCopyTests.fill(source)

        let directory = try TemporaryDirectory()
        let dump = directory.path("paperboy.dump")
        let connection = ["-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres"]
        try Self.tool("pg_dump", connection + ["-Fc", "-f", dump, Self.databaseName(sourceURL)])
        let targetURL = try await server.createDatabase()
        try Self.tool("pg_restore", connection + ["--no-owner", "--exit-on-error", "-d", Self.databaseName(targetURL), dump])

        let restored = try PostgresPaperStore(url: targetURL)
        #expect(try await restored.appliedMigrations() == restored.knownMigrations, "the dump carries the schema's migrations")
        try await restored.migrate()
        // Unlike `paperboy copy`, a dump carries the leases of the servers running at the time;
        // they lapse on their own (README), and then the restored instance's jobs take them.
        #expect(try await restored.leaseHolder("digest-sender", now: Date()) == "host/1")
        #expect(try await restored.leaseHolder("digest-sender", now: Date().addingTimeInterval(601)) == nil)
        try await restored.releaseLease("digest-sender", holder: "host/1")
        try await StoreCopyTests.expectSame(fixture, original: source, copy: restored)
        // Identity sequences came along: new rows get ids past the restored ones.
        let account = try await restored.createAccount(username: "after-restore", email: "after@example.org", role: .member, passwordHash: nil, now: testNow)
        #expect(account.id > fixture.accounts.map(\.id).max() ?? 0)
        _ = try await restored.upsert([record(samplePaper(id: "2504.00001", title: "Written after the restore"))])
        #expect(try await restored.paperCount() == source.paperCount() + 1)
        await source.close()
        await restored.close()
    }
}
