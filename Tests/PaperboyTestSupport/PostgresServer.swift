import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL 15 server for the store tests: initialised in a fresh temporary folder,
/// run as the `postgres` user (the server refuses to run as root), listening only on 127.0.0.1 on
/// a free port, with fsync off. One per test process, started on first use and stopped by its PID
/// when the process exits; each test asks it for a database of its own.
public final class PostgresServer: Sendable {
    public let port: Int
    public let directory: String
    /// fsync and synchronous commit on, as in production: what a crash test needs.
    let durable: Bool
    /// The postmaster's PID; changes when a dedicated server is restarted.
    private let currentPID: Mutex<Int32>
    var pid: Int32 { currentPID.withLock { $0 } }

    /// The binaries; `PAPERBOY_POSTGRES_BIN` overrides.
    static let binaries = ProcessInfo.processInfo.environment["PAPERBOY_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin"

    public enum Failure: Error, CustomStringConvertible {
        case unavailable(String)
        case failed(String)

        public var description: String {
            switch self {
            case .unavailable(let reason): "cannot start the test PostgreSQL server: \(reason)"
            case .failed(let reason): "the test PostgreSQL server failed: \(reason)"
            }
        }
    }

    /// Started the first time a test asks; a failure to start is kept and reported to every test.
    private static let started: Result<PostgresServer, Failure> = {
        do {
            return .success(try start())
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(.failed("\(error)"))
        }
    }()

    /// The shared server of this test process.
    public static func shared() throws -> PostgresServer {
        try started.get()
    }

    private init(port: Int, directory: String, pid: Int32, durable: Bool) {
        self.port = port
        self.directory = directory
        self.durable = durable
        currentPID = Mutex(pid)
    }

    /// A server of the caller's own, which it may stop and restart (resilience tests); stopped
    /// at exit like the shared one. Durable: an acknowledged commit survives an immediate stop
    /// (the shared server trades that for speed).
    public static func dedicated() throws -> PostgresServer {
        let server = try start(registering: false, durable: true)
        dedicatedServers.withLock { $0.append(server) }
        _ = exitHook
        return server
    }

    private static let dedicatedServers = Mutex<[PostgresServer]>([])

    /// Stops the server at once (as a crash or `pg_ctl stop -m immediate` would), keeping its data.
    public func stopImmediately() {
        stop(removingDirectory: false)
    }

    /// Starts the server again on the same port and data directory, once it accepts connections.
    public func restart() throws {
        let process = try Self.launch(directory: directory, port: port, durable: durable)
        currentPID.withLock { $0 = process.processIdentifier }
        guard try waitUntilReady(process) else { throw Failure.failed("the restarted server did not come up") }
    }

    /// Creates an empty database and returns its `postgres://` URL.
    public func createDatabase() async throws -> String {
        let name = "paperboy_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        let result = try await Self.run(Self.binaries + "/psql", [
            "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres",
            "-c", "CREATE DATABASE \(name)",
        ])
        guard result.status == 0 else { throw Failure.failed("CREATE DATABASE \(name): \(result.output)") }
        return url(database: name)
    }

    public func url(database: String) -> String {
        "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    // MARK: Starting and stopping

    private static func start(registering: Bool = true, durable: Bool = false) throws -> PostgresServer {
        guard getuid() == 0 else {
            throw Failure.unavailable("the tests start PostgreSQL as the postgres user, which needs root (running as uid \(getuid()))")
        }
        for tool in ["initdb", "postgres", "pg_isready", "psql"] where !FileManager.default.isExecutableFile(atPath: "\(binaries)/\(tool)") {
            throw Failure.unavailable("\(binaries)/\(tool) is missing (apt-get install postgresql-15, or set PAPERBOY_POSTGRES_BIN)")
        }
        guard let account = getpwnam("postgres") else { throw Failure.unavailable("there is no postgres user") }
        let (uid, gid) = (account.pointee.pw_uid, account.pointee.pw_gid)

        var template = Array("\(NSTemporaryDirectory())/paperboy-postgres-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure.failed("mkdtemp: \(String(cString: strerror(errno)))") }
        let directory = String(cString: made)
        guard chown(directory, uid, gid) == 0 else { throw Failure.failed("chown \(directory): \(String(cString: strerror(errno)))") }

        let initdb = try runBlocking("/usr/bin/setpriv", asPostgres + [
            "\(binaries)/initdb", "-D", "\(directory)/data", "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync",
        ], in: directory)
        guard initdb.status == 0 else { throw Failure.failed("initdb: \(initdb.output)") }

        // A port taken between choosing and binding makes the server exit; try another.
        var lastLog = ""
        for _ in 0..<3 {
            let port = try freePort()
            let process = try launch(directory: directory, port: port, durable: durable)
            let server = PostgresServer(port: port, directory: directory, pid: process.processIdentifier, durable: durable)
            if try server.waitUntilReady(process) {
                if registering { registerStopAtExit(server) }
                return server
            }
            lastLog = (try? String(contentsOfFile: "\(directory)/server.log", encoding: .utf8)) ?? ""
            server.stop(removingDirectory: false)
        }
        throw Failure.failed("the server did not start; its log ends:\n\(lastLog.suffix(2000))")
    }

    private static let asPostgres = ["--reuid=postgres", "--regid=postgres", "--init-groups"]

    /// Starts `postgres` on `port` over the data in `directory`, logging to server.log there.
    private static func launch(directory: String, port: Int, durable: Bool) throws -> Process {
        guard let account = getpwnam("postgres") else { throw Failure.unavailable("there is no postgres user") }
        let log = "\(directory)/server.log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        _ = chown(log, account.pointee.pw_uid, account.pointee.pw_gid)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = asPostgres + [
            "\(binaries)/postgres", "-D", "\(directory)/data", "-p", String(port),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=\(directory)",
            "-c", "max_connections=300", "-c", "logging_collector=off",
        ] + (durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// True once the server accepts connections; false when it exited (or did not come up in 60 s).
    private func waitUntilReady(_ process: Process) throws -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            guard process.isRunning else { return false }
            let probe = try Self.runBlocking("\(Self.binaries)/pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres"], in: directory)
            if probe.status == 0 { return true }
            usleep(100_000)
        }
        return false
    }

    /// Immediate shutdown (SIGQUIT), then SIGKILL if the server is still there after three seconds.
    func stop(removingDirectory: Bool = true) {
        kill(pid, SIGQUIT)
        for _ in 0..<30 {
            // Signal 0 only asks whether the process exists.
            if kill(pid, 0) != 0 { break }
            usleep(100_000)
        }
        kill(pid, SIGKILL)
        if removingDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    nonisolated(unsafe) private static var serverToStop: PostgresServer?

    private static func registerStopAtExit(_ server: PostgresServer) {
        serverToStop = server
        _ = exitHook
    }

    /// Stops the shared server and every dedicated one when the test process exits.
    private static let exitHook: Void = {
        atexit {
            PostgresServer.serverToStop?.stop()
            for server in PostgresServer.dedicatedServers.withLock({ $0 }) { server.stop() }
        }
    }()

    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure.failed("socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw Failure.failed("bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    // MARK: Running the tools

    struct Outcome {
        let status: Int32
        let output: String
    }

    private static func runBlocking(_ executable: String, _ arguments: [String], in directory: String) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
    }

    private static func run(_ executable: String, _ arguments: [String]) async throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { process in
                let output = pipe.fileHandleForReading.readDataToEndOfFile()
                continuation.resume(returning: Outcome(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self)))
            }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
    }
}
