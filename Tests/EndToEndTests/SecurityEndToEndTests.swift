import Foundation
import PaperboyTestSupport
import Testing

/// The attacks of issue 13 against the real binary, over real sockets: a forged Host, a restart
/// between mailing a link and using it, connections that never finish, broken bodies, junk imports.
@Suite(.serialized) struct SecurityEndToEndTests {
    /// The newest mail in `folder` to `address`, with quoted-printable soft breaks undone.
    static func mail(in folder: String, to address: String) throws -> String? {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".eml") }.sorted() ?? []
        for file in files.reversed() {
            let raw = try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8)
            guard raw.contains("To: \(address)") else { continue }
            return raw.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
        }
        return nil
    }

    static func capture(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    /// A form post as a browser on another site's Host would send it, through a raw socket.
    static func post(port: Int, path: String, host: String, cookie: String?, body: String) throws -> String {
        var request = "POST \(path) HTTP/1.1\r\nHost: \(host)\r\nX-Forwarded-Host: \(host)\r\nX-Forwarded-Proto: https\r\n"
        if let cookie { request += "Cookie: \(cookie)\r\n" }
        request += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        return try RawConnection.exchange(port: port, request)
    }

    @Test func forgedHost_neverChoosesMailedLinks_andLinksAndFormsSurviveARestartAndARotation() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("security.sqlite")
        let mailFolder = directory.path("mail")
        let arguments = ["--mail", mailFolder, "--digest-hour=-1", "--arxiv-api", "off"]
        var server = try ServerProcess(database: database, extraArguments: arguments)
        let port = server.port

        // The attacker's own visit: a form cookie and token, with their Host.
        let form = try RawConnection.exchange(port: port, "GET /signin HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n")
        #expect(form.httpStatus == 200)
        let cookie = try #require(form.httpHeader("Set-Cookie")?.split(separator: ";").first.map(String.init))
        let csrf = try #require(Self.capture(#"name="csrf" value="([^"]+)""#, in: form.httpBody))
        let signIn = try Self.post(port: port, path: "/signin", host: "attacker.example", cookie: cookie, body: "email=victim%40example.org&csrf=\(csrf)")
        #expect(signIn.httpStatus == 200, "\(signIn.prefix(500))")
        let signInMail = try #require(try Self.mail(in: mailFolder, to: "victim@example.org"))
        #expect(signInMail.contains("http://127.0.0.1:\(port)/signin/confirm?token="), "\(signInMail)")
        #expect(!signInMail.contains("attacker.example"))

        let subscribe = try Self.post(port: port, path: "/subscribe", host: "attacker.example", cookie: nil, body: "email=reader%40example.org&frequency=daily")
        #expect(subscribe.httpStatus == 200, "\(subscribe.prefix(500))")
        let confirmMail = try #require(try Self.mail(in: mailFolder, to: "reader@example.org"))
        let confirmLink = try #require(Self.capture(#"(http://127\.0\.0\.1:\d+/subscriptions/confirm\?s=[A-Za-z0-9_.\-]+)"#, in: confirmMail), "\(confirmMail)")
        #expect(!confirmMail.contains("attacker.example"))
        let atom = try RawConnection.exchange(port: port, "GET /feed.atom HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n")
        #expect(atom.httpStatus == 200 && !atom.contains("attacker.example"))
        #expect(server.stop() == 0)

        // After a restart (a new port, as port 0 gives), the mailed link and the open form still work:
        // the signing key lives in the database, not in the process.
        server = try ServerProcess(database: database, extraArguments: arguments)
        let confirmPath = String(confirmLink.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
        let opened = try RawConnection.exchange(port: server.port, "GET \(confirmPath) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(opened.httpStatus == 200 && opened.contains("Confirm subscription"), "\(opened.prefix(600))")
        let confirmed = try Self.post(port: server.port, path: confirmPath, host: "127.0.0.1:\(server.port)", cookie: nil, body: "")
        #expect(confirmed.httpStatus == 200 && confirmed.contains("You are subscribed"), "\(confirmed.prefix(600))")
        let reposted = try Self.post(port: server.port, path: "/signin", host: "127.0.0.1:\(server.port)", cookie: cookie, body: "email=victim%40example.org&csrf=\(csrf)")
        #expect(reposted.httpStatus == 200, "a form opened before the restart is still accepted: \(reposted.prefix(500))")
        #expect(server.stop() == 0)

        // A rotation keeps the old key for its grace period.
        let rotated = try run(Locations.binary, ["secret", "rotate", "--database", database, "--grace-days", "1"])
        #expect(rotated.status == 0 && rotated.standardOutput.contains("rotated the signing key"), "\(rotated.standardError)")
        server = try ServerProcess(database: database, extraArguments: arguments)
        let preferences = confirmPath.replacingOccurrences(of: "/subscriptions/confirm", with: "/unsubscribe")
        let afterRotation = try RawConnection.exchange(port: server.port, "GET \(preferences) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(afterRotation.httpStatus == 200, "\(afterRotation.prefix(600))")
        #expect(server.stop() == 0)
    }

    @Test func slowAndBrokenRequests_getTimeoutsAndClearStatuses() async throws {
        let directory = try TemporaryDirectory()
        let server = try ServerProcess(database: directory.path("slow.sqlite"), extraArguments: [
            "--mail", directory.path("mail"), "--digest-hour=-1", "--arxiv-api", "off", "--idle-timeout", "2",
        ])
        // A request head that never ends (slowloris) is cut off after the idle timeout.
        let started = Date()
        let slow = try RawConnection(port: server.port, timeout: 20)
        try slow.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n")
        let (_, closed) = slow.readAll()
        #expect(closed, "the server closed the connection")
        #expect(Date().timeIntervalSince(started) < 10)

        // A malformed chunked body is a bad request, not "too large".
        let chunked = try RawConnection.exchange(port: server.port, """
            POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
            Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nemail=a\r\n0\r\n\r\n
            """)
        #expect(chunked.httpStatus == 400, "\(chunked.prefix(300))")
        // A subscription body over 16 KB is 413.
        let big = #"{"email":"a@example.org","topics":["\#(String(repeating: "x", count: 20_000))"]}"#
        let tooLarge = try RawConnection.exchange(port: server.port, """
            POST /api/subscriptions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
            Content-Length: \(big.utf8.count)\r\nConnection: close\r\n\r\n\(big)
            """)
        #expect(tooLarge.httpStatus == 413, "\(tooLarge.prefix(300))")
        // HEAD works wherever GET does, without a body.
        let head = try RawConnection.exchange(port: server.port, "HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(head.httpStatus == 200 && head.httpBody.isEmpty && Int(head.httpHeader("Content-Length") ?? "") ?? 0 > 0, "\(head)")
        #expect(server.stop() == 0)
    }

    @Test func importingJunk_failsWithAMessage_andKeepsWhatIsStored() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("junk.sqlite")
        let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path
        #expect(try run(Locations.binary, ["import", seed, "--database", database, "--no-embed"]).status == 0)
        var junk = Data([0x00])
        for index in 0..<300_000 { junk.append(UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 7)) }
        try junk.write(to: URL(fileURLWithPath: directory.path("junk.bin")))
        let failed = try run(Locations.binary, ["import", directory.path("junk.bin"), "--database", database, "--no-embed"])
        #expect(failed.status != 0)
        #expect(failed.standardError.contains("no record could be read"), "\(failed.standardError.suffix(500))")
        // 64 MiB with no line break: refused quickly with the reason, not read into memory whole.
        try Data(repeating: 0x7B, count: 64 << 20).write(to: URL(fileURLWithPath: directory.path("one-line.jsonl")))
        let started = Date()
        let long = try run(Locations.binary, ["import", directory.path("one-line.jsonl"), "--database", database, "--no-embed"])
        #expect(long.status != 0 && long.standardError.contains("longer than 4 MiB"), "\(long.standardError.suffix(500))")
        #expect(Date().timeIntervalSince(started) < 20)
        let empty = try run(Locations.binary, ["import", try directory.write("empty.jsonl", ""), "--database", database, "--no-embed"])
        #expect(empty.status != 0 && empty.standardError.contains("no records"))
        let count = try run(Locations.binary, ["search", "the", "--database", database, "--mode", "keyword", "--limit", "1"])
        #expect(count.status == 0, "the database still answers: \(count.standardError)")
    }
}
