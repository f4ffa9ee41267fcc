import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import PaperboyMail
import PaperboyStore
import PaperboyTestSupport
import PaperboyWeb
import Testing

/// The first link to `path` in the newest .eml in `folder` (quoted-printable soft breaks undone).
func latestMailLink(in folder: URL, path: String) throws -> String? {
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".eml") }.sorted()
    guard let last = files.last else { return nil }
    let raw = try String(contentsOf: folder.appendingPathComponent(last), encoding: .utf8)
    let text = raw.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
    return Browser.capture("(https://papers\\.example\\.org\(NSRegularExpression.escapedPattern(for: path))[^\\s]+)", in: text)
}

@Suite struct DigestSubscriptionTests {
    @Test func subscribe_confirmByMail_thenOneClickUnsubscribe() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let browser = Browser(client)
            let home = try await browser.get("/")
            #expect(home.body.contains(#"action="/subscribe""#))
            let sent = try await browser.post("/subscribe", ["email": "Reader@Example.org", "frequency": "weekly", "topics": "sparse subnetworks\nauthor:Lovelace"])
            #expect(sent.status == .ok && sent.body.contains("Check your inbox"))
            let subscriber = try #require(try await fixture.store.subscriber(email: "reader@example.org"))
            #expect(subscriber.status == .pending && subscriber.frequency == .weekly && subscriber.topics == ["sparse subnetworks", "author:Lovelace"])
            let link = try #require(try latestMailLink(in: fixture.mailFolder, path: "/subscriptions/confirm?s="))
            let path = String(link.dropFirst("https://papers.example.org".count))
            // Opening the link, as a mail scanner does, shows a button and confirms nothing.
            let opened = try await browser.get(path)
            #expect(opened.status == .ok && opened.body.contains("Confirm your subscription") && opened.body.contains("<strong>reader@example.org</strong>, weekly, on Mondays?"))
            #expect(opened.body.contains(#"<form class="stacked" method="post" action="\#(path.replacingOccurrences(of: "&", with: "&amp;"))">"#))
            #expect(try await fixture.store.subscriber(email: "reader@example.org")?.status == .pending)
            // The button's post from another site (the signed link leaked into one) is refused.
            let forged = try await client.execute(
                uri: path, method: .post, headers: [.origin: "https://attacker.example", .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer()) { $0.status }
            #expect(forged == .forbidden)
            #expect(try await fixture.store.subscriber(email: "reader@example.org")?.status == .pending)
            let confirmed = try await browser.post(path, [:])
            #expect(confirmed.status == .ok && confirmed.body.contains("You are subscribed"))
            #expect(try await fixture.store.subscriber(email: "reader@example.org")?.status == .active)
            let again = try await browser.get(path)
            #expect(again.status == .ok && again.body.contains("You are already subscribed"))
            #expect(try await browser.post(path + "x", [:]).status == .notFound, "an altered link confirms nothing")

            // A forged or altered signature opens nothing.
            let signed = fixture.security.signed(subscriber.token, purpose: "subscriber")
            #expect(try await browser.get("/unsubscribe?s=\(subscriber.token).AAAAAAAAAAAAAAAAAAAAAA").status == .notFound)
            #expect(try await browser.get("/unsubscribe?s=\(signed)x").status == .notFound)
            // Preferences: hostile topics are refused, good ones saved.
            let page = try await browser.get("/unsubscribe?s=\(signed)")
            #expect(page.status == .ok && page.body.contains("sparse subnetworks"))
            let hostile = try await browser.post("/preferences?s=\(signed)", ["frequency": "daily", "topics": "ok\u{0}\r\nBcc: x@example.org"])
            #expect(hostile.status == .badRequest)
            _ = try await browser.post("/preferences?s=\(signed)", ["frequency": "daily", "topics": "diffusion, retrieval"])
            #expect(try await fixture.store.subscriber(email: "reader@example.org")?.topics == ["diffusion", "retrieval"])

            // RFC 8058: the mail client posts List-Unsubscribe=One-Click to the link, no cookies, no token.
            let oneClick = try await client.execute(
                uri: "/unsubscribe?s=\(signed)", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "List-Unsubscribe=One-Click")) { $0.status }
            #expect(oneClick == .ok)
            #expect(try await fixture.store.subscriber(email: "reader@example.org")?.status == .unsubscribed)
        }
    }

    @Test func subscriptionAPI_acceptsJSON_refusesBadInput() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            func post(_ body: String, type: String = "application/json") async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: "/api/subscriptions", method: .post, headers: [.contentType: type], body: ByteBuffer(string: body)) {
                    ($0.status, String(buffer: $0.body))
                }
            }
            let (status, body) = try await post(#"{"email": "api@example.org", "frequency": "daily", "topics": ["diffusion models"]}"#)
            #expect(status == .accepted && body.contains("confirmation_sent"))
            #expect(try await fixture.store.subscriber(email: "api@example.org")?.topics == ["diffusion models"])
            #expect(try await post(#"{"email": "not an address"}"#).0 == .badRequest)
            #expect(try await post(#"{"email": "a@example.org\r\nBcc: v@example.org"}"#).0 == .badRequest)
            #expect(try await post(#"{"email": "b@example.org", "frequency": "hourly"}"#).0 == .badRequest)
            #expect(try await post(#"{"email": "c@example.org", "topics": ["x\ny"]}"#).0 == .badRequest)
            #expect(try await post("{nope").0 == .badRequest)
            #expect(try await post("email=x", type: "application/x-www-form-urlencoded").0 == .unsupportedMediaType)
        }
    }
}

/// Digests composed with the site's templates and sent over SMTP to a real aiosmtpd.
@Suite struct DigestDeliveryTests {
    static func activeSubscribers(_ store: any PaperStore, count: Int, topics: [String] = []) async throws -> [Subscriber] {
        var subscribers: [Subscriber] = []
        for index in 0..<count {
            let pending = try await store.subscribe(email: "reader\(index)@example.org", frequency: .daily, topics: topics, token: "token\(index)", now: testNow)
            subscribers.append(try #require(try await store.confirmSubscription(token: pending.token, now: testNow)))
        }
        return subscribers
    }

    @Test func runner_sendsOnePerSubscriber_validMIME_withUnsubscribeHeaders_andResendsNothing() async throws {
        let fixture = try await WebFixture()
        _ = try await Self.activeSubscribers(fixture.store, count: 12, topics: ["sparse subnetworks"])
        let directory = try TemporaryDirectory()
        let sink = try SMTPSink(in: directory)
        defer { sink.stop() }
        let period = try #require(DigestPeriod("2025-02-04"))
        #expect(try await fixture.store.planDigests(period: period, messageIDDomain: "papers.example.org", now: testNow) == 12)
        #expect(try await fixture.store.planDigests(period: period, messageIDDomain: "papers.example.org", now: testNow) == 0)
        let runner = DigestRunner(
            store: fixture.store, composer: fixture.composer,
            destination: .smtp(SMTPConfiguration(host: "127.0.0.1", port: sink.port, security: .none, timeout: 10)), now: { testNow })
        let summary = try await runner.sendDue()
        #expect(summary.sent == 12, "\(summary)")
        let messages = try sink.messages()
        #expect(messages.count == 12)
        var ids = Set<String>()
        for raw in messages {
            let result = try runCommand(testPython, [repositoryRoot.appendingPathComponent("scripts/check-mime.py").path], input: Data(raw.utf8))
            #expect(result.status == 0, "\(result.output)")
            let parsed = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] ?? [:]
            let headers = parsed["headers"] as? [String: String] ?? [:]
            #expect(headers["List-Unsubscribe"]?.hasPrefix("<https://papers.example.org/unsubscribe?s=") == true)
            #expect(headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click")
            #expect((parsed["subject"] as? String)?.contains("2025-02-04") == true)
            let parts = parsed["parts"] as? [[String: Any]] ?? []
            #expect(parts.map { $0["type"] as? String } == ["text/plain", "text/html"])
            let html = parts.last?["body"] as? String ?? ""
            #expect(html.contains("Dense Retrieval at Scale") && html.contains("Your topic: sparse subnetworks"))
            // The hostile title from the fixture's feed stays text in the HTML part.
            #expect(!html.contains("<script>alert"))
            ids.insert(parsed["messageID"] as? String ?? "")
        }
        #expect(ids.count == 12)
        // Run again: everything is recorded as sent, nothing goes out twice.
        #expect(try await runner.sendDue() == DigestRunSummary())
        #expect(try sink.messages().count == 12)
        #expect(try await fixture.store.outboxCounts(period: "2025-02-04") == ["sent": 12])
    }

    @Test func runner_retries4xx_recordsBounceOn5xx_skipsUnsubscribed() async throws {
        let fixture = try await WebFixture()
        let subscribers = try await Self.activeSubscribers(fixture.store, count: 4)
        _ = try await fixture.store.unsubscribe(token: subscribers[3].token, now: testNow)
        let directory = try TemporaryDirectory()
        let sink = try SMTPSink(in: directory, arguments: ["--reject", "reader1@example.org=451", "--reject", "reader2@example.org=550"])
        defer { sink.stop() }
        let period = try #require(DigestPeriod("2025-02-04"))
        #expect(try await fixture.store.planDigests(period: period, messageIDDomain: "papers.example.org", now: testNow) == 3)
        let runner = DigestRunner(
            store: fixture.store, composer: fixture.composer,
            destination: .smtp(SMTPConfiguration(host: "127.0.0.1", port: sink.port, security: .none, timeout: 10)), now: { testNow })
        let summary = try await runner.sendDue()
        #expect(summary.sent == 1 && summary.retrying == 1 && summary.bounced == 1, "\(summary)")
        #expect(try sink.envelopes().compactMap { ($0["to"] as? [String])?.first } == ["reader0@example.org"])
        #expect(try await fixture.store.outboxCounts(period: "2025-02-04") == ["sent": 1, "pending": 1, "bounced": 1])
        // Not due yet: the retry waits its backoff.
        #expect(try await runner.sendDue() == DigestRunSummary())
        let later = DigestRunner(
            store: fixture.store, composer: fixture.composer,
            destination: .smtp(SMTPConfiguration(host: "127.0.0.1", port: sink.port, security: .none, timeout: 10)),
            now: { testNow.addingTimeInterval(120) })
        #expect(try await later.sendDue().retrying == 1)
    }

    @Test func webView_showsTheSameDigest() async throws {
        let fixture = try await WebFixture()
        let subscriber = try #require(try await Self.activeSubscribers(fixture.store, count: 1, topics: ["retrieval"]).first)
        try await fixture.test { client in
            let signed = fixture.security.signed(subscriber.token, purpose: "subscriber")
            let page = try await client.get("/digest?s=\(signed)&period=2025-02-04")
            #expect(page.status == .ok && page.body.contains("Dense Retrieval at Scale") && page.body.contains("Your topic: retrieval"))
            #expect(try await client.get("/digest?s=\(signed)&period=yesterday").status == .badRequest)
            // The mail's inline styles apply on this page alone; it still runs no script.
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("style-src 'unsafe-inline'") && !policy.contains("script-src"), "\(policy)")
            #expect(page.body.contains("style=\""), "the digest is styled inline")
            let sitePolicy = try #require(try await client.get("/").headers[.contentSecurityPolicy])
            #expect(!sitePolicy.contains("unsafe-inline"), "other pages keep the strict policy")
        }
    }
}
