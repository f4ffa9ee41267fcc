import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PaperboyTestSupport
import Testing

/// A free TCP port on 127.0.0.1 (bound and released; nginx needs ports in its configuration).
func freeLoopbackPort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw TestFailure("socket() failed") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
        }
    }
    guard bound else { throw TestFailure("bind to 127.0.0.1:0 failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Debian's nginx, serving `deploy/nginx-paperboy.conf` (its ports, certificate and paths swapped
/// for the test's) in front of a paperboy on loopback.
final class NginxProcess: @unchecked Sendable {
    static let binary = "/usr/sbin/nginx"
    let process = Process()
    let directory: TemporaryDirectory
    let httpsPort: Int

    init(paperboyPort: Int, httpsPort: Int, directory: TemporaryDirectory) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestFailure("nginx is not installed: scripts/install-system-packages nginx (scripts/test installs it)")
        }
        self.directory = directory
        self.httpsPort = httpsPort
        let root = directory.path("nginx")
        for folder in ["", "/temp", "/logs"] { try FileManager.default.createDirectory(atPath: root + folder, withIntermediateDirectories: true) }
        // The workers run as nginx's unprivileged user; the test folder must be theirs to use.
        for path in [directory.url.path, root, root + "/temp", root + "/logs"] { chmod(path, 0o777) }
        let certificate = root + "/cert.pem", key = root + "/key.pem"
        let made = try run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ])
        guard made.status == 0 else { throw TestFailure("openssl could not make a certificate: \(made.standardError)") }

        var site = try String(contentsOf: Locations.repository.appendingPathComponent("deploy/nginx-paperboy.conf"), encoding: .utf8)
        let replacements = [
            ("server 127.0.0.1:8080;", "server 127.0.0.1:\(paperboyPort);"),
            ("    listen 80;\n    listen [::]:80;\n", "    listen 127.0.0.1:\(try freeLoopbackPort());\n"),
            ("    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n", "    listen 127.0.0.1:\(httpsPort) ssl http2;\n"),
            ("/etc/letsencrypt/live/papers.example.org/fullchain.pem", certificate),
            ("/etc/letsencrypt/live/papers.example.org/privkey.pem", key),
            ("/usr/local/share/paperboy/static/", Locations.repository.appendingPathComponent("Sources/PaperboyWeb/Resources/Static").path + "/"),
        ]
        for (old, new) in replacements {
            // The deployed file itself is what is tested: if it changes shape, this says so.
            guard site.contains(old) else { throw TestFailure("deploy/nginx-paperboy.conf no longer contains \(old)") }
            site = site.replacingOccurrences(of: old, with: new)
        }
        try site.write(toFile: root + "/site.conf", atomically: true, encoding: .utf8)
        let main = """
            daemon off;
            worker_processes 1;
            pid \(root)/nginx.pid;
            error_log \(root)/logs/error.log warn;
            events { worker_connections 256; }
            http {
                include /etc/nginx/mime.types;
                access_log \(root)/logs/access.log;
                client_body_temp_path \(root)/temp/body;
                proxy_temp_path \(root)/temp/proxy;
                fastcgi_temp_path \(root)/temp/fastcgi;
                uwsgi_temp_path \(root)/temp/uwsgi;
                scgi_temp_path \(root)/temp/scgi;
                include \(root)/site.conf;
            }
            """
        try main.write(toFile: root + "/nginx.conf", atomically: true, encoding: .utf8)
        let checked = try run(Self.binary, ["-t", "-p", root, "-c", root + "/nginx.conf"])
        guard checked.status == 0 else { throw TestFailure("nginx -t rejects the configuration: \(checked.standardError)") }

        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["-p", root, "-c", root + "/nginx.conf"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? RawConnection(port: httpsPort, timeout: 1)) != nil { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        throw TestFailure("nginx did not start: \((try? String(contentsOfFile: root + "/logs/error.log", encoding: .utf8)) ?? "")")
    }

    var baseURL: String { "https://127.0.0.1:\(httpsPort)" }

    func stop() {
        if process.isRunning {
            // SIGQUIT: nginx's graceful stop.
            kill(process.processIdentifier, SIGQUIT)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// One curl exchange: status, headers (lower-cased names) and the raw body bytes.
struct CurlAnswer {
    let status: Int
    let headers: [String: String]
    let body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
}

func curl(_ url: String, from client: String = "127.0.0.1", headers: [String] = [], arguments: [String] = [], cookieJar: String? = nil) throws -> CurlAnswer {
    let directory = try TemporaryDirectory()
    let head = directory.path("head"), body = directory.path("body")
    var all = ["-sS", "-k", "--interface", client, "-D", head, "-o", body, "--max-time", "20"]
    for header in headers { all += ["-H", header] }
    if let cookieJar { all += ["-b", cookieJar, "-c", cookieJar] }
    let result = try run("/usr/bin/curl", all + arguments + [url])
    guard result.status == 0 else { throw TestFailure("curl \(url) failed: \(result.standardError)") }
    let headText = try String(contentsOfFile: head, encoding: .utf8)
    // After a 100 Continue there are two heads; the last one is the answer.
    let lastHead = headText.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }.last ?? ""
    let lines = lastHead.components(separatedBy: "\r\n")
    let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
    var fields: [String: String] = [:]
    for line in lines.dropFirst() {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2 { fields[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
    }
    return CurlAnswer(status: status, headers: fields, body: (try? Data(contentsOf: URL(fileURLWithPath: body))) ?? Data())
}

/// Through a reverse proxy on https (nginx or Caddy): cookies are Secure and HttpOnly, and rate
/// limits count the client the proxy saw. 127.0.0.2 uses up its five sign-in mails for one
/// address; 127.0.0.3 still has its own; a client naming 127.0.0.2 in X-Forwarded-For is not taken
/// for it (the proxy replaces the header); the access log names all three.
func checkClientsThroughProxy(base: String, directory: TemporaryDirectory, server: ServerProcess) throws {
    func signInForm(from client: String, jar: String) throws -> String {
        let form = try curl(base + "/signin", from: client, cookieJar: jar)
        #expect(form.status == 200)
        let cookie = form.headers["set-cookie"] ?? ""
        #expect(cookie.contains("Secure") && cookie.contains("HttpOnly"), "\(cookie)")
        return try #require(SecurityEndToEndTests.capture(#"name="csrf" value="([^"]+)""#, in: form.text))
    }
    func signIn(from client: String, jar: String, csrf: String, forging: String? = nil) throws -> Int {
        try curl(
            base + "/signin", from: client, headers: forging.map { ["X-Forwarded-For: \($0)"] } ?? [],
            arguments: ["--data", "email=victim%40example.org&csrf=\(csrf)"], cookieJar: jar
        ).status
    }
    let jarTwo = directory.path("two.cookies"), jarThree = directory.path("three.cookies"), jarFour = directory.path("four.cookies")
    let csrfTwo = try signInForm(from: "127.0.0.2", jar: jarTwo)
    for attempt in 1...5 { #expect(try signIn(from: "127.0.0.2", jar: jarTwo, csrf: csrfTwo) == 200, "attempt \(attempt)") }
    #expect(try signIn(from: "127.0.0.2", jar: jarTwo, csrf: csrfTwo) == 429)
    let csrfThree = try signInForm(from: "127.0.0.3", jar: jarThree)
    #expect(try signIn(from: "127.0.0.3", jar: jarThree, csrf: csrfThree) == 200)
    let csrfFour = try signInForm(from: "127.0.0.4", jar: jarFour)
    #expect(try signIn(from: "127.0.0.4", jar: jarFour, csrf: csrfFour, forging: "127.0.0.2") == 200)
    let log = server.serverOutput()
    #expect(log.contains(#""client":"127.0.0.2""#) && log.contains(#""client":"127.0.0.3""#) && log.contains(#""client":"127.0.0.4""#))
}

/// Issue 18: the deployed nginx site in front of the real binary, checked through it.
@Suite(.serialized) struct ReverseProxyEndToEndTests {
    @Test func nginxInFront_clientAddressesCookiesLinks304GzipAndSlowClients() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("proxied.sqlite")
        let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path
        // On the feed, so /feed.atom has entries (an empty feed is dated "now", new every second).
        let imported = try run(Locations.binary, ["import", seed, "--database", database, "--daily", "spread", "--spread-days", "7", "--no-embed"])
        #expect(imported.status == 0, "\(imported.standardError)")
        let httpsPort = try freeLoopbackPort()
        let server = try ServerProcess(database: database, extraArguments: [
            "--mail", directory.path("mail"), "--digest-hour=-1", "--arxiv-api", "off",
            "--trusted-proxies", "127.0.0.1", "--public-url", "https://127.0.0.1:\(httpsPort)",
            "--log-format", "json", "--log-level", "info",
        ])
        defer { _ = server.stop() }
        let nginx = try NginxProcess(paperboyPort: server.port, httpsPort: httpsPort, directory: directory)
        defer { nginx.stop() }
        let base = nginx.baseURL

        // gzip and 304 pass through nginx.
        let page = try curl(base + "/", headers: ["Accept-Encoding: gzip"])
        #expect(page.status == 200)
        #expect(page.headers["content-encoding"] == "gzip")
        #expect(page.headers["vary"]?.contains("Accept-Encoding") == true)
        let html = try gunzipData(page.body)
        #expect(html.contains("<html"), "\(html.prefix(200))")
        let etag = try #require(page.headers["etag"])
        let notModified = try curl(base + "/", headers: ["If-None-Match: \(etag)", "Accept-Encoding: gzip"])
        #expect(notModified.status == 304)
        #expect(notModified.body.isEmpty)
        let feed = try curl(base + "/feed.atom")
        #expect(feed.status == 200)
        #expect(feed.text.contains("<entry>"))
        let lastModified = try #require(feed.headers["last-modified"])
        #expect(try curl(base + "/feed.atom", headers: ["If-Modified-Since: \(lastModified)"]).status == 304)

        // Absolute links point at the public address, not at Paperboy's own port.
        #expect(feed.text.contains("<id>https://127.0.0.1:\(httpsPort)/feed.atom</id>"))
        #expect(!feed.text.contains(":\(server.port)"))

        // Cookies over https are Secure and HttpOnly; rate limits count the client nginx saw:
        // 127.0.0.2 uses up its five sign-in mails for one address; 127.0.0.3 still has its own,
        // and a client naming 127.0.0.2 itself in X-Forwarded-For is not taken for it.
        try checkClientsThroughProxy(base: base, directory: directory, server: server)

        // A slow client: nginx takes its whole body before Paperboy hears of the request, so
        // Paperboy's connections stay free; others are answered meanwhile.
        let slowBody = "email=slow%40example.org&frequency=daily&padding=" + String(repeating: "x", count: 6_000)
        let slow = Process()
        slow.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        slow.arguments = ["-sS", "-k", "-o", "/dev/null", "--limit-rate", "2k", "--data", slowBody, base + "/subscribe"]
        slow.standardOutput = FileHandle.nullDevice
        slow.standardError = FileHandle.nullDevice
        let slowStarted = Date()
        try slow.run()
        try await Task.sleep(for: .milliseconds(800))
        #expect(slow.isRunning, "the upload is still going")
        let meanwhile = Date()
        #expect(try curl(base + "/api/daily_papers").status == 200)
        #expect(Date().timeIntervalSince(meanwhile) < 2)
        #expect(!server.serverOutput().contains(#""route":"/subscribe""#), "Paperboy has not been handed the slow request yet")
        while slow.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(Date().timeIntervalSince(slowStarted) > 1.5)
        var handed = false
        for _ in 0..<40 where !handed {
            handed = server.serverOutput().contains(#""route":"/subscribe""#)
            if !handed { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(handed, "once the body is complete, Paperboy answers it")
    }
}

/// Decompresses with Debian's gzip.
func gunzipData(_ data: Data) throws -> String {
    let directory = try TemporaryDirectory()
    let path = directory.path("body.gz")
    try data.write(to: URL(fileURLWithPath: path))
    let result = try run("/bin/gzip", ["-dc", path])
    guard result.status == 0 else { throw TestFailure("gzip -dc failed: \(result.standardError)") }
    return result.standardOutput
}
