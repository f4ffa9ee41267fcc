import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PaperboyTestSupport
import Testing

/// Debian's Caddy, serving `deploy/Caddyfile` (its site address swapped for a loopback port with
/// a self-signed certificate, as Caddy cannot fetch one here) in front of a paperboy on loopback.
final class CaddyProcess: @unchecked Sendable {
    static let binary = "/usr/bin/caddy"
    let process = Process()
    let root: String
    let httpsPort: Int

    init(paperboyPort: Int, httpsPort: Int, directory: TemporaryDirectory) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestFailure("Caddy is not installed: scripts/install-system-packages caddy (scripts/test installs it)")
        }
        self.httpsPort = httpsPort
        root = directory.path("caddy")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let certificate = root + "/cert.pem", key = root + "/key.pem"
        let made = try run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ])
        guard made.status == 0 else { throw TestFailure("openssl could not make a certificate: \(made.standardError)") }

        var site = try String(contentsOf: Locations.repository.appendingPathComponent("deploy/Caddyfile"), encoding: .utf8)
        let replacements = [
            ("papers.example.org {\n", "https://127.0.0.1:\(httpsPort) {\n    tls \(certificate) \(key)\n"),
            ("reverse_proxy 127.0.0.1:8080", "reverse_proxy 127.0.0.1:\(paperboyPort)"),
            ("root * /usr/local/share/paperboy/static", "root * " + Locations.repository.appendingPathComponent("Sources/PaperboyWeb/Resources/Static").path),
        ]
        for (old, new) in replacements {
            // The deployed file itself is what is tested: if it changes shape, this says so.
            guard site.contains(old) else { throw TestFailure("deploy/Caddyfile no longer contains \(old)") }
            site = site.replacingOccurrences(of: old, with: new)
        }
        // No admin endpoint, no port 80 and no certificate authority: only what the test needs.
        let global = """
            {
                admin off
                auto_https disable_redirects
                http_port \(try freeLoopbackPort())
                storage file_system \(root)/data
            }

            """
        try (global + site).write(toFile: root + "/Caddyfile", atomically: true, encoding: .utf8)
        let environment = ["HOME": root, "XDG_DATA_HOME": root + "/data", "XDG_CONFIG_HOME": root + "/config"]
        let checked = try run(Self.binary, ["validate", "--config", root + "/Caddyfile", "--adapter", "caddyfile"], environment: environment)
        guard checked.status == 0 else { throw TestFailure("caddy validate rejects the configuration: \(checked.standardError)") }

        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["run", "--config", root + "/Caddyfile", "--adapter", "caddyfile"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        FileManager.default.createFile(atPath: root + "/caddy.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/caddy.log"))
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? RawConnection(port: httpsPort, timeout: 1)) != nil { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        throw TestFailure("caddy did not start: \((try? String(contentsOfFile: root + "/caddy.log", encoding: .utf8)) ?? "")")
    }

    var baseURL: String { "https://127.0.0.1:\(httpsPort)" }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// Issue 18: the deployed Caddyfile in front of the real binary, checked through it as the nginx
/// site is (`ReverseProxyEndToEndTests`).
@Suite(.serialized) struct CaddyEndToEndTests {
    @Test func caddyInFront_clientAddressesCookiesLinks304GzipStaticFilesAndSlowClients() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("caddied.sqlite")
        let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path
        let imported = try run(Locations.binary, ["import", seed, "--database", database, "--daily", "spread", "--spread-days", "7", "--no-embed"])
        #expect(imported.status == 0, "\(imported.standardError)")
        let httpsPort = try freeLoopbackPort()
        // As the Caddyfile's first lines say to run it.
        let server = try ServerProcess(database: database, extraArguments: [
            "--mail", directory.path("mail"), "--digest-hour=-1", "--arxiv-api", "off",
            "--trusted-proxies", "127.0.0.1,::1", "--public-url", "https://127.0.0.1:\(httpsPort)",
            "--log-format", "json", "--log-level", "info",
        ])
        defer { _ = server.stop() }
        let caddy = try CaddyProcess(paperboyPort: server.port, httpsPort: httpsPort, directory: directory)
        defer { caddy.stop() }
        let base = caddy.baseURL

        // Paperboy's gzip, ETags and 304s pass through Caddy untouched.
        let page = try curl(base + "/", headers: ["Accept-Encoding: gzip"])
        #expect(page.status == 200)
        #expect(page.headers["content-encoding"] == "gzip")
        #expect(page.headers["vary"]?.contains("Accept-Encoding") == true)
        #expect(try gunzipData(page.body).contains("<html"))
        let etag = try #require(page.headers["etag"])
        let notModified = try curl(base + "/", headers: ["If-None-Match: \(etag)", "Accept-Encoding: gzip"])
        #expect(notModified.status == 304 && notModified.body.isEmpty)
        let feed = try curl(base + "/feed.atom")
        #expect(feed.status == 200 && feed.text.contains("<entry>"))
        let lastModified = try #require(feed.headers["last-modified"])
        #expect(try curl(base + "/feed.atom", headers: ["If-Modified-Since: \(lastModified)"]).status == 304)
        // Absolute links point at the public address, not at Paperboy's own port.
        #expect(feed.text.contains("<id>https://127.0.0.1:\(httpsPort)/feed.atom</id>"))
        #expect(!feed.text.contains(":\(server.port)"))

        // Static files come from Caddy itself, with the cache header the Caddyfile sets.
        let stylesheet = try curl(base + "/static/paperboy.css")
        #expect(stylesheet.status == 200 && stylesheet.text.contains("{"))
        #expect(stylesheet.headers["cache-control"] == "public, max-age=3600")
        #expect(!server.serverOutput().contains(#""route":"/static"#), "Caddy served it, not Paperboy")

        // Cookies over https are Secure and HttpOnly; rate limits count the client Caddy saw,
        // and a client naming another in X-Forwarded-For is not taken for it.
        try checkClientsThroughProxy(base: base, directory: directory, server: server)

        // A body over the Caddyfile's 1 MB limit is refused. Caddy streams the body, so which side
        // refuses first is a race: Caddy at 1 MB (413), or Paperboy at its own form limit (413,
        // which Caddy may pass on as a 502, or end as a reset HTTP/2 stream, when Paperboy closes
        // before the upload ends; all three were seen). Either way nothing is subscribed.
        let large = try directory.write("large.txt", "email=x%40example.org&padding=" + String(repeating: "x", count: 1_100_000))
        let refusedStatus: Int
        do {
            refusedStatus = try curl(base + "/subscribe", arguments: ["--data-binary", "@" + large]).status
        } catch let failure as TestFailure where failure.description.contains("Stream error") {
            refusedStatus = 0
        }
        #expect([0, 413, 502].contains(refusedStatus), "status \(refusedStatus)")
        let mails = (try? FileManager.default.contentsOfDirectory(atPath: directory.path("mail"))) ?? []
        #expect(!mails.contains { (try? String(contentsOfFile: directory.path("mail/\($0)"), encoding: .utf8))?.contains("To: x@example.org") == true },
                "no confirmation mail went out for the oversized form")

        // A slow client: Caddy streams the body, so Paperboy holds the connection meanwhile, but
        // it has no worker per connection: others are answered at once, and the slow request
        // too once its body is complete.
        let slowBody = "email=slow%40example.org&frequency=daily&padding=" + String(repeating: "x", count: 6_000)
        let slow = Process()
        slow.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        slow.arguments = ["-sS", "-k", "-o", "/dev/null", "--limit-rate", "2k", "--data", slowBody, base + "/subscribe"]
        slow.standardOutput = FileHandle.nullDevice
        slow.standardError = FileHandle.nullDevice
        try slow.run()
        try await Task.sleep(for: .milliseconds(800))
        #expect(slow.isRunning, "the upload is still going")
        let meanwhile = Date()
        #expect(try curl(base + "/api/daily_papers").status == 200)
        #expect(Date().timeIntervalSince(meanwhile) < 2)
        while slow.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        var handed = false
        for _ in 0..<40 where !handed {
            handed = server.serverOutput().contains(#""route":"/subscribe""#)
            if !handed { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(handed, "once the body is complete, Paperboy answers it")
    }
}
