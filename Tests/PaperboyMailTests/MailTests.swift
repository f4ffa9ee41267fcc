import Foundation
@testable import PaperboyMail
import PaperboyTestSupport
import Testing

/// Parses messages with Python's email package (scripts/check-mime.py), strict mode.
func parseMIME(_ raw: String) throws -> [String: Any] {
    let result = try runCommand(testPython, [repositoryRoot.appendingPathComponent("scripts/check-mime.py").path], input: Data(raw.utf8))
    let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] ?? [:]
    #expect(result.status == 0, "MIME defects: \(result.output)")
    return object
}

func sampleMessage(to: String = "reader@example.org", subject: String = "Trending papers: Überblick — 25 Nov 2026 ✓") throws -> MailMessage {
    let text = """
        Hello,
        .a line that starts with a dot
        ..two dots
        \(String(repeating: "long words ", count: 30))
        Ünïcödé text — and a = sign.
        """
    return MailMessage(
        from: try MailAddress("paperboy@papers.example.org", name: "Paperboy Papers"), to: try MailAddress(to, name: "Dr. Ada Lovelace"),
        subject: subject, headers: [("List-Unsubscribe", "<https://papers.example.org/unsubscribe?s=abc>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")],
        text: text, html: "<p>Hello <b>reader</b></p>\n<p>" + String(repeating: "x", count: 200) + "</p>")
}

@Suite struct MailMessageTests {
    @Test func render_parsesAsValidMultipartMIME_withEveryHeader() throws {
        let message = try sampleMessage()
        let raw = try message.render(date: Date(timeIntervalSince1970: 1_795_000_000), messageID: "<id-1@papers.example.org>")
        let parsed = try parseMIME(raw)
        #expect(parsed["subject"] as? String == message.subject)
        #expect(parsed["messageID"] as? String == "<id-1@papers.example.org>")
        #expect((parsed["date"] as? String)?.hasSuffix("+0000") == true)
        #expect(parsed["multipart"] as? Bool == true)
        #expect((parsed["longestLine"] as? Int ?? 999) <= 78)
        #expect(parsed["bareLF"] as? Bool == false)
        let headers = parsed["headers"] as? [String: String] ?? [:]
        #expect(headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click")
        #expect(headers["MIME-Version"] == "1.0")
        let parts = parsed["parts"] as? [[String: Any]] ?? []
        #expect(parts.map { $0["type"] as? String } == ["text/plain", "text/html"])
        #expect((parts.first?["body"] as? String)?.replacingOccurrences(of: "\r\n", with: "\n").hasPrefix(message.text) == true)
    }

    @Test func headerInjection_andBadAddresses_areRefused() throws {
        #expect(throws: MailError.self) { try MailAddress("a@example.org\r\nBcc: victim@example.org") }
        #expect(throws: MailError.self) { try MailAddress("a@example.org", name: "Eve\r\nBcc: victim@example.org") }
        for bad in ["", "no-at-sign", "a@b", "two@@example.org", "spa ce@example.org", "<a@example.org>", String(repeating: "a", count: 250) + "@example.org"] {
            #expect(throws: MailError.self, "\(bad)") { try MailAddress(bad) }
        }
        var message = try sampleMessage()
        message.subject = "Hello\r\nBcc: victim@example.org"
        #expect(throws: MailError.self) { try message.render(date: Date(), messageID: "<x@y>") }
        message = try sampleMessage()
        message.headers.append(("X-Topic", "diffusion\nBcc: victim@example.org"))
        #expect(throws: MailError.self) { try message.render(date: Date(), messageID: "<x@y>") }
    }

    /// Found by Fuzz/Mail: a non-ASCII address went raw into the To header.
    @Test func mailAddress_nonASCII_isRefused() throws {
        #expect(throws: MailError.self) { try MailAddress("r\u{E9}ader@example.org") }
        #expect(throws: MailError.self) { try MailAddress("reader@b\u{FC}cher.example") }
        let message = MailMessage(
            from: try MailAddress("paperboy@papers.example.org"), to: try MailAddress("reader@example.org", name: "R\u{E9}ader"),
            subject: "\u{DC}berblick", text: "\u{DC}")
        #expect(try message.render(date: Date(), messageID: "<x@y>").utf8.allSatisfy { $0 < 0x80 })
    }

    @Test func emlFolder_writesWholeFiles_inOrder() async throws {
        let directory = try TemporaryDirectory()
        let transport = EMLFolderTransport(folder: directory.url.appendingPathComponent("out"))
        for index in 0..<3 { try await transport.send(try sampleMessage(to: "r\(index)@example.org")) }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path("out")).sorted()
        #expect(files.count == 3 && files.allSatisfy { $0.hasSuffix(".eml") })
        let first = try String(contentsOfFile: directory.path("out/\(files[0])"), encoding: .utf8)
        #expect(first.contains("To: \"Dr. Ada Lovelace\" <r0@example.org>"))
    }

    @Test func smtpURL_parsesEveryForm_andRejectsNonsense() throws {
        let secure = try SMTPConfiguration.parse("smtp://user%40x:p%3Ass@mail.example.org:587?starttls=required")
        #expect(secure.host == "mail.example.org" && secure.port == 587 && secure.security == .startTLSRequired)
        #expect(secure.username == "user@x" && secure.password == "p:ss")
        #expect(try SMTPConfiguration.parse("smtps://relay.example.org").port == 465)
        #expect(try SMTPConfiguration.parse("smtp://127.0.0.1:2525?starttls=none").security == .none)
        #expect(throws: SMTPError.self) { try SMTPConfiguration.parse("http://example.org") }
        #expect(throws: SMTPError.self) { try SMTPConfiguration.parse("smtp://host?bogus=1") }
    }

    /// Found by Fuzz/Mail: a percent-decoded control character in the host, and ports out of range
    /// (or too long to be a number, which fell back to 587), were taken as configuration.
    @Test func smtpURL_badHostOrPort_isRefused() throws {
        for bad in ["smtp://mail%11.example.org", "smtp://mail%20example.org", "smtp://mail.example.org:0",
                    "smtp://mail.example.org:65536", "smtp://mail.example.org:99999999999999999999999",
                    "smtp://u\u{FFFD}\u{FFFD}ser%40x:p@mail.example.org:99999999999999999999"] {
            #expect(throws: SMTPError.self, "\(bad)") { try SMTPConfiguration.parse(bad) }
        }
        #expect(try SMTPConfiguration.parse("smtp://mail.example.org:65535").port == 65_535)
        #expect(try SMTPConfiguration.parse("smtp://u:p@[::1]:2525?starttls=none").port == 2_525)
        #expect(try SMTPConfiguration.parse("smtp://mail.example.org:").port == 587)
    }
}

@Suite struct SMTPReplyParserTests {
    /// Found by the Mail fuzz target's invariant: "+12 ok" was read as reply code 12.
    @Test func replyLine_withoutThreeDigits_isUnreadable() throws {
        for line in ["+12 ok\r\n", "-12 no\r\n", "2 5 x\r\n", "25\r\n"] {
            var parser = SMTPReplyParser()
            #expect(throws: SMTPReplyParser.Unreadable.self, "\(line)") { try parser.add(line: Array(line.utf8)) }
        }
        var parser = SMTPReplyParser()
        #expect(try parser.add(line: Array("250-mail.example\r\n".utf8)) == nil)
        #expect(try parser.add(line: Array("250 8BITMIME\r\n".utf8)) == SMTPReply(code: 250, lines: ["mail.example", "8BITMIME"]))
    }
}

/// Against a real SMTP server: aiosmtpd on 127.0.0.1 (scripts/smtp-sink.py).
@Suite struct SMTPClientTests {
    @Test func plainSMTP_severalMessagesOverOneConnection_arriveParseable() async throws {
        let directory = try TemporaryDirectory()
        let sink = try SMTPSink(in: directory)
        defer { sink.stop() }
        let configuration = SMTPConfiguration(host: "127.0.0.1", port: sink.port, security: .none, timeout: 10)
        try await SMTPClient.withSession(configuration) { session in
            for index in 0..<5 {
                let message = try sampleMessage(to: "reader\(index)@example.org")
                let raw = try message.render(date: Date(), messageID: "<m\(index)@papers.example.org>")
                try await session.send(raw, from: "paperboy@papers.example.org", to: "reader\(index)@example.org")
            }
        }
        let messages = try sink.messages()
        #expect(messages.count == 5)
        #expect(try sink.envelopes().map { ($0["to"] as? [String])?.first } == (0..<5).map { "reader\($0)@example.org" })
        for raw in messages {
            let parsed = try parseMIME(raw)
            let text = (parsed["parts"] as? [[String: Any]])?.first?["body"] as? String ?? ""
            // Dot-stuffing undone by the server: the lines read as written.
            #expect(text.contains("\n.a line that starts with a dot") && text.contains("\n..two dots"))
        }
    }

    @Test func startTLSAndAuth_plainOrLogin_work() async throws {
        let directory = try TemporaryDirectory()
        let certificate = directory.path("cert.pem")
        let key = directory.path("key.pem")
        let openssl = try runCommand("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        #expect(openssl.status == 0, "\(openssl.output)")
        let sink = try SMTPSink(in: directory, arguments: ["--tls-cert", certificate, "--tls-key", key, "--auth", "paperboy:s3cret pass"])
        defer { sink.stop() }
        var configuration = try SMTPConfiguration.parse("smtp://paperboy:s3cret%20pass@localhost:\(sink.port)?starttls=required&trust=\(certificate)")
        configuration.timeout = 5
        let id = try await SMTPTransport(configuration: configuration).send(try sampleMessage())
        #expect(id.hasSuffix("@paperboy.localhost>"))
        let envelope = try #require(try sink.envelopes().first)
        #expect(envelope["tls"] as? Bool == true && envelope["auth"] as? Bool == true)

        var wrong = configuration
        wrong.password = "nope"
        do {
            try await SMTPTransport(configuration: wrong).send(try sampleMessage())
            Issue.record("a wrong password was accepted")
        } catch let error as SMTPError {
            guard case .permanent(535, _) = error else { Issue.record("\(error)"); return }
        }
        // A certificate nobody vouches for is refused.
        var untrusted = configuration
        untrusted.trustRootsFile = nil
        await #expect(throws: SMTPError.self) { try await SMTPTransport(configuration: untrusted).send(try sampleMessage()) }
        #expect(try sink.messages().count == 1)
    }

    @Test func replies_4xxIsTemporary_5xxIsPermanent() async throws {
        let directory = try TemporaryDirectory()
        let sink = try SMTPSink(in: directory, arguments: ["--reject", "busy@example.org=450", "--reject", "gone@example.org=550"])
        defer { sink.stop() }
        let configuration = SMTPConfiguration(host: "127.0.0.1", port: sink.port, security: .none, timeout: 10)
        do {
            try await SMTPTransport(configuration: configuration).send(try sampleMessage(to: "busy@example.org"))
            Issue.record("450 was accepted")
        } catch let error as SMTPError {
            #expect(error.isTemporary, "\(error)")
            guard case .temporary(450, _) = error else { Issue.record("\(error)"); return }
        }
        do {
            try await SMTPTransport(configuration: configuration).send(try sampleMessage(to: "gone@example.org"))
            Issue.record("550 was accepted")
        } catch let error as SMTPError {
            #expect(!error.isTemporary)
            guard case .permanent(550, _) = error else { Issue.record("\(error)"); return }
        }
        // The connection stays usable after a refused recipient.
        try await SMTPClient.withSession(configuration) { session in
            await #expect(throws: SMTPError.self) {
                try await session.send(try sampleMessage().render(date: Date(), messageID: "<a@b>"), from: "p@example.org", to: "gone@example.org")
            }
            try await session.send(try sampleMessage().render(date: Date(), messageID: "<c@d>"), from: "p@example.org", to: "fine@example.org")
        }
        #expect(try sink.messages().count == 1)
    }

    @Test func deadOrSilentServers_failFast_notHang() async throws {
        // Nothing listening.
        let closed = SMTPConfiguration(host: "127.0.0.1", port: 1, security: .none, timeout: 2)
        await #expect(throws: SMTPError.self) { try await SMTPTransport(configuration: closed).send(try sampleMessage()) }
        // A server that accepts and never speaks: the greeting times out.
        let directory = try TemporaryDirectory()
        let script = try directory.write("silent.py", """
            import socket, sys, time
            server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(5)
            print(server.getsockname()[1], flush=True)
            connections = []
            while True:
                connection, _ = server.accept(); connections.append(connection)
            """)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: testPython)
        process.arguments = [script]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // SIGKILL: children of the test runner start with SIGTERM blocked.
        defer { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try #require(Int(line))
        let started = Date()
        do {
            try await SMTPTransport(configuration: SMTPConfiguration(host: "127.0.0.1", port: port, security: .none, timeout: 1)).send(try sampleMessage())
            Issue.record("a silent server was accepted")
        } catch let error as SMTPError {
            #expect(error.isTemporary, "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 10)
    }
}
