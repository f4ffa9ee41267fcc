import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
@testable import PaperboyWeb
import Testing

/// Regression tests for the attack pass of issue 13: each one failed before its fix.
@Suite struct SecurityTests {
    /// The newest .eml in `folder` addressed to `email`, with quoted-printable soft breaks undone.
    static func latestMail(in folder: URL, to email: String) throws -> String? {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".eml") }.sorted()
        for file in files.reversed() {
            let raw = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            guard raw.contains("To: \(email)") else { continue }
            return raw.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
        }
        return nil
    }

    // MARK: Links come from configuration only

    @Test func signInAndSubscriptionLinks_withoutPublicURL_pointAtTheListeningAddress_notTheRequestHost() async throws {
        let fixture = try await WebFixture(publicURL: nil)
        try await fixture.test { client in
            let browser = Browser(client)
            let form = try await browser.get("/signin")
            let forged: HTTPFields = [
                HTTPField.Name("X-Forwarded-Host")!: "attacker.example", HTTPField.Name("X-Forwarded-Proto")!: "https",
                .contentType: "application/x-www-form-urlencoded",
            ]
            let body = "email=victim%40example.org&csrf=\(Browser.encode(try #require(form.csrf)))"
            let sent = try await client.execute(uri: "/signin", method: .post, headers: browser.headers(forged), body: ByteBuffer(string: body)) { $0.status }
            #expect(sent == .ok)
            let mail = try #require(try Self.latestMail(in: fixture.mailFolder, to: "victim@example.org"))
            #expect(mail.contains("http://127.0.0.1:8080/signin/confirm?token="), "\(mail)")
            #expect(!mail.contains("attacker.example") && !mail.contains("http://localhost"))

            let subscribed = try await client.execute(
                uri: "/subscribe", method: .post, headers: forged, body: ByteBuffer(string: "email=reader%40example.org&frequency=daily")) { $0.status }
            #expect(subscribed == .ok)
            let confirmation = try #require(try Self.latestMail(in: fixture.mailFolder, to: "reader@example.org"))
            #expect(confirmation.contains("http://127.0.0.1:8080/subscriptions/confirm?s="), "\(confirmation)")
            #expect(!confirmation.contains("attacker.example") && !confirmation.contains("http://localhost"))
        }
    }

    @Test func siteAddress_parsesPublicURLs_andListeningAddresses() throws {
        #expect(try SiteAddress(publicURL: "https://Papers.Example.org/").url == "https://Papers.Example.org")
        #expect(try SiteAddress(publicURL: "https://papers.example.org:443").origin == "https://papers.example.org")
        #expect(try SiteAddress(publicURL: "http://papers.example.org:8080/lab").origin == "http://papers.example.org:8080")
        for bad in ["papers.example.org", "ftp://papers.example.org", "https://", "https://papers.example.org/?q=1", "javascript:alert(1)"] {
            #expect(throws: SiteAddress.Invalid.self, "\(bad)") { try SiteAddress(publicURL: bad) }
        }
        #expect(SiteAddress(listeningOn: "127.0.0.1", port: 8080).url == "http://127.0.0.1:8080")
        #expect(SiteAddress(listeningOn: "::1", port: 80).url == "http://[::1]:80")
        #expect(SiteAddress(listeningOn: "0.0.0.0", port: 9000).url == "http://127.0.0.1:9000")
        let listening = SiteAddress(listeningOn: "127.0.0.1", port: 0)
        listening.bound(host: "127.0.0.1", port: 41234)
        #expect(listening.url == "http://127.0.0.1:41234")
        let configured = try SiteAddress(publicURL: "https://papers.example.org")
        configured.bound(host: "127.0.0.1", port: 41234)
        #expect(configured.url == "https://papers.example.org")
    }

    // MARK: The page cache cannot be grown by strangers

    static func request(_ path: String) -> Request {
        Request(head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: path), body: RequestBody(buffer: ByteBuffer()))
    }

    @Test func pageCache_keysOnTheParametersTheRouteReads_andStaysWithinItsBytes() async throws {
        let fixture = try await WebFixture()
        let cache = PageCache(store: fixture.store, lifetime: .seconds(600), maxBytes: 1 << 20)
        let parameters = ["date", "week", "month", "sort", "p", "limit"]
        let page = Responses.text(String(repeating: "x", count: 10_000), contentType: "application/json")
        var rendered = 0
        for number in 0..<2_000 {
            _ = try await cache.page(for: Self.request("/api/daily_papers?limit=100&x=\(number)"), parameters: parameters) {
                rendered += 1
                return page
            }
        }
        #expect(rendered == 1, "parameters the route does not read make no new entries")
        #expect(cache.usage.entries == 1)
        // One page, however its parameters are spelled and ordered.
        _ = try await cache.page(for: Self.request("/api/daily_papers?x=1&limit=0100&p=0"), parameters: parameters) { rendered += 1; return page }
        _ = try await cache.page(for: Self.request("/api/daily_papers?limit=100&p=00"), parameters: parameters) { rendered += 1; return page }
        #expect(rendered == 2)
        // Distinct pages the route does read are bounded by bytes, not count.
        for number in 0..<2_000 {
            _ = try await cache.page(for: Self.request("/search?q=word\(number)"), parameters: ["q", "mode", "p"]) { page }
            #expect(cache.usage.bytes <= 1 << 20)
        }
        #expect(cache.usage.entries < 200)
        // The newest pages are the ones kept.
        var again = false
        _ = try await cache.page(for: Self.request("/search?q=word1999"), parameters: ["q", "mode", "p"]) { again = true; return page }
        #expect(!again)
    }

    // MARK: Rate limits: trusted proxies, per address and target, Retry-After

    @Test func trustedProxies_pickTheClientFromForwardedHeaders_onlyThroughTrustedHops() throws {
        let proxies = try TrustedProxies(parsing: "127.0.0.1, 10.0.0.0/8 ::1")
        let proxy = try #require(IPAddress("127.0.0.1"))
        let stranger = try #require(IPAddress("203.0.113.9"))
        // Not from a proxy: headers are ignored.
        #expect(proxies.client(peer: stranger, forwarded: [], forwardedFor: ["198.51.100.1"]) == stranger)
        // Through the proxy: the nearest untrusted hop, not the (forgeable) leftmost one.
        #expect(proxies.client(peer: proxy, forwarded: [], forwardedFor: ["1.1.1.1, 198.51.100.7, 10.1.2.3"]).description == "198.51.100.7")
        #expect(proxies.client(peer: proxy, forwarded: [], forwardedFor: ["198.51.100.7", "10.1.2.3"]).description == "198.51.100.7")
        #expect(proxies.client(peer: proxy, forwarded: [#"for=192.0.2.60;proto=https, for="[2001:db8::1]:4711""#], forwardedFor: ["9.9.9.9"])
            .description == "2001:db8:0:0:0:0:0:1")
        // Junk in the chain: the hop that handed it over counts.
        #expect(proxies.client(peer: proxy, forwarded: [], forwardedFor: ["<script>, 10.0.0.5"]).description == "10.0.0.5")
        #expect(proxies.client(peer: proxy, forwarded: [], forwardedFor: []) == proxy)
        #expect(IPAddress("::ffff:192.0.2.1")?.description == "192.0.2.1")
        #expect(IPAddress("2001:db8::1:2")?.rateLimitKey == "2001:db8:0:0:0:0:0:0/64")
        #expect(throws: TrustedProxies.Invalid.self) { try TrustedProxies(parsing: "10.0.0.0/33") }
        #expect(throws: TrustedProxies.Invalid.self) { try TrustedProxies(parsing: "proxy.internal") }
    }

    static func signInRequest(_ client: any TestClientProtocol, browser: Browser, csrf: String, email: String, forwardedFor: String)
        async throws -> (status: HTTPResponse.Status, retryAfter: String?) {
        let body = "email=\(Browser.encode(email))&csrf=\(Browser.encode(csrf))"
        let headers = browser.headers([.contentType: "application/x-www-form-urlencoded", HTTPField.Name("X-Forwarded-For")!: forwardedFor])
        return try await client.execute(uri: "/signin", method: .post, headers: headers, body: ByteBuffer(string: body)) {
            ($0.status, $0.headers[.retryAfter])
        }
    }

    @Test func signInMail_behindATrustedProxy_aStrangerCannotLockSomeoneElseOut() async throws {
        let fixture = try await WebFixture(trustedProxies: try TrustedProxies(parsing: "127.0.0.1"))
        try await fixture.testLive { client in
            let browser = Browser(client)
            let csrf = try #require(try await browser.get("/signin").csrf)
            for _ in 0..<5 {
                #expect(try await Self.signInRequest(client, browser: browser, csrf: csrf, email: "victim@example.org", forwardedFor: "203.0.113.7").status == .ok)
            }
            let limited = try await Self.signInRequest(client, browser: browser, csrf: csrf, email: "victim@example.org", forwardedFor: "203.0.113.7")
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.retryAfter ?? "") ?? 0 > 0, "every 429 says when to come back")
            // The victim, from their own address, still gets their link.
            #expect(try await Self.signInRequest(client, browser: browser, csrf: csrf, email: "victim@example.org", forwardedFor: "198.51.100.9").status == .ok)
            // Another reader behind the same proxy is not affected by the stranger either.
            #expect(try await Self.signInRequest(client, browser: browser, csrf: csrf, email: "other@example.org", forwardedFor: "198.51.100.10").status == .ok)
        }
    }

    @Test func forwardedFor_fromAnUntrustedPeer_doesNotSplitItsLimit() async throws {
        let fixture = try await WebFixture()
        try await fixture.testLive { client in
            let browser = Browser(client)
            let csrf = try #require(try await browser.get("/signin").csrf)
            // 25 mails per address an hour: a forged X-Forwarded-For does not make a new address.
            for number in 0..<25 {
                let answer = try await Self.signInRequest(client, browser: browser, csrf: csrf, email: "reader\(number)@example.org", forwardedFor: "203.0.113.\(number)")
                #expect(answer.status == .ok)
            }
            let limited = try await Self.signInRequest(client, browser: browser, csrf: csrf, email: "reader99@example.org", forwardedFor: "198.51.100.1")
            #expect(limited.status == .tooManyRequests && limited.retryAfter != nil)
        }
    }

    // MARK: Signing keys live in the database

    @Test func secretKeys_areSharedThroughTheStore_andRotateWithAGracePeriod() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let first = Security(keys: try await SecretKeyRing.load(store: store, environmentSecret: nil), secureCookies: false, bcryptCost: 4)
        let second = Security(keys: try await SecretKeyRing.load(store: store, environmentSecret: nil), secureCookies: false, bcryptCost: 4)
        let link = first.signed("subscriber-token", purpose: "subscriber")
        #expect(second.verified(link, purpose: "subscriber") == "subscriber-token", "two instances (or a restart) agree")
        #expect(second.csrfTokenIsValid(first.csrfToken(binding: "cookie"), binding: "cookie"))

        _ = try await SecretKeyRing.rotate(store: store, grace: 3_600)
        try await second.keys.refresh(store: store)
        let newLink = second.signed("subscriber-token", purpose: "subscriber")
        #expect(newLink != link)
        #expect(second.verified(link, purpose: "subscriber") == "subscriber-token", "the old key is accepted during its grace period")
        #expect(first.verified(newLink, purpose: "subscriber") == nil, "until it rereads, an instance knows only its keys")
        try await first.keys.refresh(store: store)
        #expect(first.verified(newLink, purpose: "subscriber") == "subscriber-token")

        _ = try await SecretKeyRing.rotate(store: store, grace: 0)
        try await first.keys.refresh(store: store)
        #expect(first.verified(newLink, purpose: "subscriber") == nil, "no grace: the previous key is refused at once")
        #expect(first.verified(link, purpose: "subscriber") == "subscriber-token", "an earlier key keeps its own grace period")

        await #expect(throws: SecretKeyError.self) { try await SecretKeyRing.load(store: store, environmentSecret: "too short") }
        let fixed = try await SecretKeyRing.load(store: store, environmentSecret: String(repeating: "k", count: 40))
        #expect(fixed.isFixed)
    }

    // MARK: Bodies, methods, headers

    @Test func oversizedSubscription_is413_andHEAD_answersWhereverGETDoes() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let big = #"{"email":"a@example.org","topics":["\#(String(repeating: "x", count: 20_000))"]}"#
            let status = try await client.execute(uri: "/api/subscriptions", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: big)) { $0.status }
            #expect(status == .contentTooLarge)
            for path in ["/", "/papers/2502.00001", "/api/daily_papers", "/feed.atom", "/healthz", "/static/paperboy.css"] {
                let get = try await client.execute(uri: path, method: .get) { ($0.status, $0.body.readableBytes) }
                let head = try await client.execute(uri: path, method: .head) { ($0.status, $0.body.readableBytes, $0.headers[.contentLength]) }
                #expect(head.0 == get.0 && head.0 == .ok, "HEAD \(path)")
                #expect(head.1 == 0 && head.2 == String(get.1), "HEAD \(path) has the length but no body")
            }
            #expect(try await client.execute(uri: "/papers/9999.99999", method: .head) { $0.status } == .notFound)
        }
    }

    @Test func originCheck_comparesSchemeHostAndPort_andIgnoresForwardedHost() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let browser = Browser(client)
            try await browser.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await browser.get("/").csrf)
            for origin in ["http://papers.example.org", "https://papers.example.org:8443", "https://evil.example", "null"] {
                browser.origin = origin
                #expect(try await browser.post("/papers/2502.00001/upvote", ["on": "1", "csrf": csrf]).status == .forbidden, "\(origin)")
            }
            // A forged X-Forwarded-Host does not make a foreign origin ours.
            browser.origin = "https://evil.example"
            let body = "on=1&csrf=\(Browser.encode(csrf))"
            let forged = try await client.execute(
                uri: "/papers/2502.00001/upvote", method: .post,
                headers: browser.headers([.contentType: "application/x-www-form-urlencoded", HTTPField.Name("X-Forwarded-Host")!: "evil.example"]),
                body: ByteBuffer(string: body)) { $0.status }
            #expect(forged == .forbidden)
            #expect(try await fixture.store.voteRowCount(paperID: "2502.00001") == 0)
            browser.origin = "https://papers.example.org"
            #expect(try await browser.post("/papers/2502.00001/upvote", ["on": "1", "csrf": csrf]).status == .seeOther)
            #expect(try await fixture.store.voteRowCount(paperID: "2502.00001") == 1)
        }
    }

    @Test func signingIn_withAStaleSessionCookie_setsOnlyTheNewCookie() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let browser = Browser(client)
            browser.cookies[Security.sessionCookie] = "c3RhbGUtc2Vzc2lvbi10b2tlbi1mcm9tLWxhc3Qtd2Vlaw"
            let form = try await browser.get("/signin")
            _ = try await browser.post("/signin", ["email": "ada@example.org", "csrf": try #require(form.csrf)])
            let link = try #require(try Browser.latestLink(in: fixture.mailFolder, to: "ada@example.org"))
            let confirm = try await browser.get(String(link.dropFirst("https://papers.example.org".count)))
            let token = try #require(Browser.capture(#"name="token" value="([^"]+)""#, in: confirm.body))
            let done = try await browser.post("/signin/confirm", ["token": token, "username": "ada", "csrf": try #require(confirm.csrf)])
            let sessionCookies = done.headers[values: .setCookie].filter { $0.hasPrefix("\(Security.sessionCookie)=") }
            #expect(sessionCookies.count == 1 && sessionCookies.first?.contains("Max-Age=0") == false, "\(sessionCookies)")
            #expect(try await browser.get("/").body.contains(">ada</a>"))
        }
    }

    // MARK: Hidden papers

    @Test func hiddenPaper_isGoneInEveryFormat_andMembersCannotVoteOrComment() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        try await fixture.test { client in
            let member = Browser(client)
            try await member.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await member.get("/papers/2502.00001").csrf)
            try await fixture.store.setPaperHidden(true, paperID: "2502.00001")
            for path in ["/papers/2502.00001", "/papers/2502.00001.md", "/api/papers/2502.00001", "/api/papers/2502.00001/similar"] {
                #expect(try await client.get(path).status == .notFound, "\(path)")
            }
            #expect(try await member.post("/papers/2502.00001/upvote", ["on": "1", "csrf": csrf]).status == .notFound)
            #expect(try await member.post("/papers/2502.00001/comments", ["body": "spam reply", "csrf": csrf]).status == .notFound)
            #expect(try await fixture.store.voteRowCount(paperID: "2502.00001") == 0)
            #expect(try await fixture.store.comments(paperID: "2502.00001", includeHidden: true).isEmpty)
            // Nor is it offered as similar to another paper.
            let similar = try await client.getJSON("/api/papers/2502.00002/similar?limit=50").json as? [[String: Any]] ?? []
            #expect(!similar.contains { $0["id"] as? String == "2502.00001" })
            // Curators still see it, to unhide it.
            try await fixture.store.setRole(.curator, username: "ada")
            #expect(try await member.get("/papers/2502.00001").status == .ok)
        }
    }

    // MARK: Passwords and names

    @Test func password_over72Bytes_isRefused_andChangingItNeedsTheCurrentOne() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let browser = Browser(client)
            try await browser.signIn(email: "grace@example.org", username: "grace", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await browser.get("/settings").csrf)
            let long = try await browser.post("/settings/password", ["password": String(repeating: "é", count: 40), "csrf": csrf])
            #expect(long.status == .badRequest && long.body.contains("72 bytes"))
            #expect(try await browser.post("/settings/password", ["password": "correct horse battery", "csrf": csrf]).status == .seeOther)
            let first = try #require(try await fixture.store.account(username: "grace")?.passwordHash)

            // With a password set, changing or removing it needs it.
            let noCurrent = try await browser.post("/settings/password", ["password": "another horse battery", "csrf": csrf])
            #expect(noCurrent.status == .forbidden && noCurrent.body.contains("current password"))
            #expect(try await browser.post("/settings/password", ["remove": "1", "current": "wrong password!", "csrf": csrf]).status == .forbidden)
            #expect(try await fixture.store.account(username: "grace")?.passwordHash == first)
            #expect(try await browser.post("/settings/password", ["password": "another horse battery", "current": "correct horse battery", "csrf": csrf]).status == .seeOther)
            #expect(try await browser.post("/settings/password", ["remove": "1", "current": "another horse battery", "csrf": csrf]).status == .seeOther)
            #expect(try await fixture.store.account(username: "grace")?.passwordHash == nil)
        }
    }

    @Test func firstPassword_needsARecentSignIn() async throws {
        let fixture = try await WebFixture()
        let account = try await fixture.store.createAccount(username: "old", email: "old@example.org", role: .member, passwordHash: nil, now: testNow)
        // A session from yesterday, as a stolen cookie would be.
        let token = fixture.security.newToken()
        try await fixture.store.createSession(hash: fixture.security.hash(token), accountID: account.id, now: testNow.addingTimeInterval(-86_400), expiresAt: testNow.addingTimeInterval(86_400))
        try await fixture.test { client in
            let browser = Browser(client)
            browser.cookies[Security.sessionCookie] = token
            let csrf = try #require(try await browser.get("/settings").csrf)
            let refused = try await browser.post("/settings/password", ["password": "correct horse battery", "csrf": csrf])
            #expect(refused.status == .forbidden && refused.body.contains("sign in again"))
            #expect(try await fixture.store.account(username: "old")?.passwordHash == nil)
        }
    }

    @Test func reservedNames_andNonASCIIAddresses_areRefusedClearly() async throws {
        for name in ["admin", "Root", "support", "paperboy", "PostMaster"] {
            #expect(throws: AccountInputError.self, "\(name)") { try Username.validate(name) }
        }
        #expect(try Username.validate("ada_lovelace") == "ada_lovelace")
        #expect(throws: AccountInputError.self) { try EmailAddress.normalize("jörg@example.org") }
        #expect(throws: AccountInputError.self) { try EmailAddress.normalize("jorg@bücher.de") }
        #expect(try EmailAddress.normalize("jorg@xn--bcher-kva.de") == "jorg@xn--bcher-kva.de")
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let browser = Browser(client)
            let form = try await browser.get("/signin")
            let answer = try await browser.post("/signin", ["email": "jörg@example.org", "csrf": try #require(form.csrf)])
            #expect(answer.status == .badRequest && answer.body.contains("plain ASCII"))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: fixture.mailFolder.path))?.isEmpty ?? true)
        }
    }

    // MARK: Markdown export

    @Test func paperMarkdown_escapesHTMLFromTitlesAndAbstracts() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let markdown = try await client.get("/papers/2502.00003.md").body
            #expect(markdown.contains("# &lt;script&gt;alert(\"title\")&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"), "\(markdown)")
            #expect(markdown.contains("&lt;img src=x onerror=alert(1)&gt;"))
            #expect(!markdown.contains("<script") && !markdown.contains("<img") && !markdown.contains("<i>"))
        }
    }
}
