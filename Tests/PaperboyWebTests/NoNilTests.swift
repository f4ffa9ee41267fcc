import Foundation
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import PaperboyMail
import PaperboyStore
import PaperboyTestSupport
import PaperboyWeb
import Testing

/// Renders every page and every mail, in the states that leave optional fields empty, and fails on
/// `nil` or `Optional(` anywhere in text or attributes: an optional that reached a template as a
/// value (a `[String: Any]` model) once put "nil" in the sign-in form and dead links in digests.
@Suite struct NoNilTests {
    /// "nil" as a word, or Swift's Optional printout. The fixture's papers contain neither.
    static func leaks(_ text: String) -> [String] {
        var found: [String] = []
        for pattern in [#"\bnil\b"#, #"Optional\("#] {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range, in: text) else { continue }
                let start = text.index(range.lowerBound, offsetBy: -60, limitedBy: text.startIndex) ?? text.startIndex
                let end = text.index(range.upperBound, offsetBy: 60, limitedBy: text.endIndex) ?? text.endIndex
                found.append(String(text[start..<end]))
            }
        }
        return found
    }

    static func check(_ what: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!text.isEmpty, "\(what) rendered nothing", sourceLocation: sourceLocation)
        let leaked = leaks(text)
        #expect(leaked.isEmpty, "\(what): \(leaked)", sourceLocation: sourceLocation)
    }

    @Test func everyPageAndMail_rendersNoNilOrOptional() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        let subscriber = try #require(try await DigestDeliveryTests.activeSubscribers(fixture.store, count: 1, topics: ["retrieval", "nothing matches this"]).first)
        try await fixture.test { client in
            let anonymous = Browser(client)
            let pages = [
                "/", "/papers", "/papers/date/2025-02-04", "/papers/date/2025-02-03", "/papers/week/2025-W06", "/papers/month/2025-01",
                "/papers/date/2024-01-01", "/papers/2502.00001", "/papers/2502.00003", "/papers/hep-th/9901001", "/papers/2502.00001.md",
                "/search", "/search?q=retrieval", "/search?q=zzqxv+blorft", "/search?q=%22unclosed", "/trending", "/trending?p=1",
                "/signin", "/signin?next=/trending", "/signin/confirm?token=expired", "/u/nobody", "/papers/9999.99999",
                "/feed.atom", "/api/daily_papers", "/api/papers/2502.00001", "/api/papers/search?q=retrieval",
                // Issue 19: author pages, trends, claims (a member's refusal), enriched papers.
                "/authors/Ada%20Lovelace", "/authors/Nobody", "/trends", "/trends?q=retrieval", "/trends?q=category:cs.LG&weeks=13",
                "/trends?q=%22unclosed",
            ]
            for path in pages {
                Self.check("GET \(path)", try await anonymous.get(path).body)
            }
            // A sign-in problem page with the typed address refilled.
            let form = try await anonymous.get("/signin")
            Self.check("sign-in problem", try await anonymous.post("/signin", ["email": "not-an-address", "csrf": try #require(form.csrf)]).body)
            Self.check("sign-in sent", try await anonymous.post("/signin", ["email": "ada@example.org", "csrf": try #require(form.csrf)]).body)
            Self.check("sign-in mail", try #require(try SecurityTests.latestMail(in: fixture.mailFolder, to: "ada@example.org")))

            let member = Browser(client)
            try await member.signIn(email: "grace@example.org", username: "grace", mailFolder: fixture.mailFolder)
            try await EnrichmentWebTests.enrich(fixture.store)
            for path in ["/", "/papers/2502.00001", "/papers/2502.00002", "/settings", "/submit", "/u/grace", "/trending", "/search?q=retrieval", "/papers/week/2025-W06", "/claims"] {
                Self.check("signed in: GET \(path)", try await member.get(path).body)
            }
            let csrf = try #require(try await member.get("/submit").csrf)
            Self.check("submit problem", try await member.post("/submit", ["paper": "not an id", "csrf": csrf]).body)
            Self.check("submit duplicate", try await member.post("/submit", ["paper": "2502.00001", "csrf": csrf]).body)
            Self.check("settings problem", try await member.post("/settings/password", ["password": "short", "csrf": csrf]).body)
            _ = try await member.post("/settings/password", ["password": "correct horse battery", "csrf": csrf])
            Self.check("settings with a password", try await member.get("/settings").body)
            _ = try await member.post("/papers/2502.00002/upvote", ["on": "1", "csrf": csrf])
            Self.check("profile with an upvote", try await member.get("/u/grace").body)

            // Subscribing, its mail, the preferences page, the digest page and mail.
            Self.check("subscribe", try await anonymous.post("/subscribe", ["email": "new@example.org", "frequency": "weekly"]).body)
            Self.check("subscription mail", try #require(try SecurityTests.latestMail(in: fixture.mailFolder, to: "new@example.org")))
            let signed = fixture.security.signed(subscriber.token, purpose: "subscriber")
            Self.check("preferences", try await anonymous.get("/unsubscribe?s=\(signed)").body)
            Self.check("digest web view", try await anonymous.get("/digest?s=\(signed)&period=2025-02-04").body)
            Self.check("empty digest web view", try await anonymous.get("/digest?s=\(signed)&period=2024-01-01").body)
        }
        let period = try #require(DigestPeriod("2025-02-04"))
        let mail = try #require(try await fixture.composer.message(for: subscriber, period: period))
        Self.check("digest text", mail.text)
        Self.check("digest HTML", try #require(mail.html))
        // Papers without an arXiv page or a repository get no link at all, not a dead one.
        #expect(!(mail.html ?? "").contains(#"href="""#) && !(mail.html ?? "").contains("href=\"nil\""))
    }
}

@Suite struct MustacheScopeTests {
    /// A similar paper without comments or a GitHub link showed the current paper's: Mustache
    /// looked the missing field up in the enclosing page.
    @Test func similarPaperCards_withoutOptionalFields_showNothingOfTheEnclosingPaper() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        _ = try await fixture.store.upsert([record(samplePaper(id: "2502.00077", title: "Sparse Subnetworks Without Code", daily: "2025-02-04", upvotes: 1))])
        let account = try await fixture.store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
        for index in 0..<3 {
            _ = try await fixture.store.addComment(paperID: "2502.00001", accountID: account.id, body: "Comment \(index)", now: testNow)
        }
        try await fixture.test { client in
            let page = try await client.get("/papers/2502.00001").body
            let heading = try #require(page.range(of: "id=\"similar-heading\""))
            let similar = String(page[heading.lowerBound...])
            let title = try #require(similar.range(of: "Sparse Subnetworks Without Code"))
            // From the card's title to the end of its list item.
            let card = String(similar[title.lowerBound...].split(separator: "</li>", maxSplits: 1).first ?? "")
            #expect(!card.contains("3 comments"), "\(card)")
            #expect(!card.contains("github.com/lab/tickets"), "\(card)")
            #expect(page.contains("3 comments") || page.contains("3 Comments") || page.contains(">3<"), "the paper itself still shows its count")
        }
    }
}

@Suite struct PageTitleTests {
    /// Page titles said "Paperboy" on some pages and the site's name on others.
    @Test func everyPageTitle_endsWithTheSiteName() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            for path in ["/", "/papers/2502.00001", "/search?q=retrieval", "/search", "/trending", "/signin", "/papers/9999.99999", "/papers/week/2025-W06"] {
                let body = try await client.get(path).body
                let title = Browser.capture("<title>([^<]*)</title>", in: body) ?? ""
                #expect(title.hasSuffix("Test Lab Papers") && !title.contains("Paperboy"), "\(path): \(title)")
            }
        }
    }
}

@Suite struct SignInReturnTests {
    /// The mailed link landed on the home page, not where the reader asked to sign in from.
    @Test func signInByLink_returnsToThePageTheReaderCameFrom() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let browser = Browser(client)
            let form = try await browser.get("/signin?next=/papers/2502.00002")
            _ = try await browser.post("/signin", ["email": "ada@example.org", "csrf": try #require(form.csrf), "next": "/papers/2502.00002"])
            let mail = try #require(try SecurityTests.latestMail(in: fixture.mailFolder, to: "ada@example.org"))
            let link = try #require(Browser.capture(#"(https://papers\.example\.org/signin/confirm\?token=[A-Za-z0-9_\-]+&next=[A-Za-z0-9%._\-]+)"#, in: mail), "\(mail)")
            let confirm = try await browser.get(String(link.dropFirst("https://papers.example.org".count)))
            let token = try #require(Browser.capture(#"name="token" value="([^"]+)""#, in: confirm.body))
            let next = try #require(Browser.capture(#"name="next" value="([^"]+)""#, in: confirm.body))
            let done = try await browser.post("/signin/confirm", ["token": token, "username": "ada", "next": next, "csrf": try #require(confirm.csrf)])
            #expect(done.status == .seeOther && done.location == "/papers/2502.00002")
            // Another site's address is never a destination.
            let evil = try await browser.get("/signin/confirm?token=x&next=//evil.example")
            #expect(!evil.body.contains("evil.example"))
        }
    }
}
