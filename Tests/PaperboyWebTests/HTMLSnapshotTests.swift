import Foundation
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import PaperboyMail
import PaperboyStore
import PaperboyTestSupport
import PaperboyWeb
@preconcurrency import SnapshotTesting
import Testing

/// The HTML of every page and both parts of every mail, compared with reviewed copies in
/// `__Snapshots__/HTMLSnapshotTests` (swift-snapshot-testing). A change to a template or a model
/// shows here as a diff to review; re-record with `SNAPSHOT_TESTING_RECORD=all`, then read the
/// diff before committing. Form tokens and other per-run values are masked first.
@Suite struct HTMLSnapshotTests {
    /// Masks what differs from run to run: form and sign-in tokens, signed links, mail boundaries.
    static func masked(_ text: String) -> String {
        var text = text
        for (pattern, replacement) in [
            (#"name="(csrf|token)" value="[^"]+""#, #"name="$1" value="…""#),
            (#"token=[A-Za-z0-9_\-.~%]+"#, "token=…"),
            (#"\?s=[A-Za-z0-9_\-.~%]+"#, "?s=…"),
        ] {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return text
    }

    static var html: Snapshotting<String, String> { Snapshotting<String, String>(pathExtension: "html", diffing: .lines).pullback(masked) }
    static var text: Snapshotting<String, String> { Snapshotting<String, String>(pathExtension: "txt", diffing: .lines).pullback(masked) }

    static func name(_ path: String) -> String {
        let cleaned = path.replacingOccurrences(of: #"[^A-Za-z0-9]+"#, with: "-", options: .regularExpression)
            .trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return cleaned.isEmpty ? "home" : cleaned
    }

    @Test func everyPage() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero, withRecommender: true)
        let subscriber = try #require(try await DigestDeliveryTests.activeSubscribers(fixture.store, count: 1, topics: ["retrieval"]).first)
        try await fixture.test { client in
            let anonymous = Browser(client)
            for path in [
                "/", "/papers/week/2025-W06", "/papers/month/2025-01", "/papers/date/2024-01-01", "/papers/2502.00001", "/papers/2502.00003",
                "/papers/hep-th/9901001", "/search", "/search?q=retrieval", "/search?q=zzqxv+blorft", "/trending", "/signin",
                "/papers/9999.99999",
            ] {
                let page = try await anonymous.get(path).body
                assertSnapshot(of: page, as: Self.html, named: "anonymous-" + Self.name(path))
            }
            let member = Browser(client)
            try await member.signIn(email: "grace@example.org", username: "grace", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await member.get("/submit").csrf)
            _ = try await member.post("/papers/2502.00002/upvote", ["on": "1", "csrf": csrf])
            _ = try await member.post("/papers/2502.00001/save", ["csrf": csrf, "tags": "sparsity"])
            _ = try await member.post("/papers/2502.00001/comments", ["csrf": csrf, "body": "- a list\n- of two\n\n> a quote"])
            for path in ["/", "/papers/week/2025-W06?sort=foryou", "/papers/2502.00001", "/settings", "/settings?done=password",
                         "/settings/for-you", "/library", "/submit", "/u/grace"] {
                let page = try await member.get(path).body
                assertSnapshot(of: page, as: Self.html, named: "member-" + Self.name(path))
            }
            let signed = fixture.security.signed(subscriber.token, purpose: "subscriber")
            let preferences = try await anonymous.get("/unsubscribe?s=\(signed)").body
            assertSnapshot(of: preferences, as: Self.html, named: "digest-preferences")
            let webView = try await anonymous.get("/digest?s=\(signed)&period=2025-02-04").body
            assertSnapshot(of: webView, as: Self.html, named: "digest-web-view")
        }
    }

    @Test func everyMail() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        let subscriber = try #require(try await DigestDeliveryTests.activeSubscribers(fixture.store, count: 1, topics: ["retrieval", "nothing matches this"]).first)
        let day = try #require(DigestPeriod("2025-02-04"))
        let digest = try #require(try await fixture.composer.message(for: subscriber, period: day))
        assertSnapshot(of: digest.text, as: Self.text, named: "digest-daily")
        assertSnapshot(of: try #require(digest.html), as: Self.html, named: "digest-daily")
        let week = try #require(DigestPeriod("2025-W06"))
        let weekly = try #require(try await fixture.composer.message(for: subscriber, period: week))
        assertSnapshot(of: weekly.text, as: Self.text, named: "digest-weekly")
        assertSnapshot(of: try #require(weekly.html), as: Self.html, named: "digest-weekly")

        try await fixture.test { client in
            let anonymous = Browser(client)
            let form = try await anonymous.get("/signin")
            _ = try await anonymous.post("/signin", ["email": "ada@example.org", "csrf": try #require(form.csrf)])
            assertSnapshot(of: try Self.body(in: fixture.mailFolder, to: "ada@example.org"), as: Self.text, named: "sign-in")
            _ = try await anonymous.post("/subscribe", ["email": "new@example.org", "frequency": "weekly"])
            assertSnapshot(of: try Self.body(in: fixture.mailFolder, to: "new@example.org"), as: Self.text, named: "subscription-confirmation")
            let member = Browser(client)
            try await member.signIn(email: "grace@example.org", username: "grace", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await member.get("/settings").csrf)
            _ = try await member.post("/settings/email", ["csrf": csrf, "email": "hopper@example.org"])
            assertSnapshot(of: try Self.body(in: fixture.mailFolder, to: "hopper@example.org"), as: Self.text, named: "email-change")
        }
    }

    /// The newest .eml to `address`, without the headers that change per run (Date, Message-ID, boundaries).
    static func body(in folder: URL, to address: String) throws -> String {
        let mail = try #require(try SecurityTests.latestMail(in: folder, to: address))
        // Lines end in CRLF, which Swift counts as one Character: split on the text, not on "\n".
        return mail.components(separatedBy: "\r\n")
            .filter { line in !["Date:", "Message-ID:", "Message-Id:"].contains { line.hasPrefix($0) } }
            .joined(separator: "\n")
            // A boundary line starts with "--"; a sign-in token can hold "--" too (one mail in about
            // a hundred), and must keep its own mask.
            .replacingOccurrences(of: #"(boundary="?|(?m:^)--)[A-Za-z0-9=_.\-]{12,}"#, with: "$1…", options: .regularExpression)
    }
}
