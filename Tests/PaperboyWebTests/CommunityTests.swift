import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import PaperboyWeb
import Testing

/// A cookie-keeping client over the in-process test client, reading CSRF tokens from forms.
final class Browser: @unchecked Sendable {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var origin: String? = nil

    init(_ client: any TestClientProtocol) { self.client = client }

    struct Page {
        let status: HTTPResponse.Status
        let body: String
        let headers: HTTPFields
        var location: String? { headers[.location] }

        /// The first form token on the page.
        var csrf: String? { Browser.capture(#"name="csrf" value="([^"]+)""#, in: body) }
    }

    static func capture(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    func headers(_ extra: HTTPFields = [:]) -> HTTPFields {
        var headers = extra
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if let origin { headers[HTTPField.Name("Origin")!] = origin }
        return headers
    }

    func remember(_ response: HTTPFields) {
        for header in response[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
    }

    @discardableResult
    func get(_ uri: String) async throws -> Page {
        let page = try await client.execute(uri: uri, method: .get, headers: headers()) { response in
            Page(status: response.status, body: String(buffer: response.body), headers: response.headers)
        }
        remember(page.headers)
        return page
    }

    @discardableResult
    func post(_ uri: String, _ fields: [String: String], accept: String? = nil) async throws -> Page {
        let body = fields.map { "\($0.key)=\(Self.encode($0.value))" }.joined(separator: "&")
        var extra: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let accept { extra[.accept] = accept }
        let page = try await client.execute(uri: uri, method: .post, headers: headers(extra), body: ByteBuffer(string: body)) { response in
            Page(status: response.status, body: String(buffer: response.body), headers: response.headers)
        }
        remember(page.headers)
        return page
    }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// Signs in by emailed link, creating the account with `username` when it is new.
    func signIn(email: String, username: String, mailFolder: URL) async throws {
        let form = try await get("/signin")
        let sent = try await post("/signin", ["email": email, "csrf": try #require(form.csrf), "next": "/"])
        #expect(sent.status == .ok && sent.body.contains("Check your inbox"), "\(sent.body.prefix(300))")
        let link = try #require(try Self.latestLink(in: mailFolder, to: email))
        let path = String(link.dropFirst("https://papers.example.org".count))
        let confirm = try await get(path)
        #expect(confirm.status == .ok)
        let token = try #require(Self.capture(#"name="token" value="([^"]+)""#, in: confirm.body))
        let done = try await post("/signin/confirm", ["token": token, "username": username, "csrf": try #require(confirm.csrf)])
        #expect(done.status == .seeOther, "\(done.body.prefix(300))")
        #expect(cookies[Security.sessionCookie] != nil)
    }

    /// The link to `path` (the sign-in confirmation unless said), with a token of
    /// `tokenCharacters`, in the newest .eml addressed to `email`, decoding quoted-printable soft breaks.
    static func latestLink(in folder: URL, to email: String, path: String = "/signin/confirm", tokenCharacters: String = #"A-Za-z0-9_\-"#) throws -> String? {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".eml") }.sorted()
        for file in files.reversed() {
            let raw = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            guard raw.contains("To: \(email)") else { continue }
            let text = raw.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
            return capture(#"(https://papers\.example\.org"# + NSRegularExpression.escapedPattern(for: path) + #"\?token=["# + tokenCharacters + "]+)", in: text)
        }
        return nil
    }
}

@Suite struct CommunityTests {
    @Test func signIn_byEmailedLink_createsAccountAndSession_linkWorksOnce() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let browser = Browser(client)
            let form = try await browser.get("/signin")
            #expect(browser.cookies[Security.csrfCookie] != nil)
            #expect(form.headers[values: .setCookie].first?.contains("HttpOnly") == true)
            _ = try await browser.post("/signin", ["email": "Ada@Example.org", "csrf": try #require(form.csrf)])
            let link = try #require(try Browser.latestLink(in: fixture.mailFolder, to: "ada@example.org"))
            let path = String(link.dropFirst("https://papers.example.org".count))
            let confirm = try await browser.get(path)
            #expect(confirm.body.contains("Choose a username"))
            let token = try #require(Browser.capture(#"name="token" value="([^"]+)""#, in: confirm.body))
            // A bad username is refused without using up the link.
            let bad = try await browser.post("/signin/confirm", ["token": token, "username": "<script>", "csrf": try #require(confirm.csrf)])
            #expect(bad.status == .badRequest)
            let done = try await browser.post("/signin/confirm", ["token": token, "username": "ada", "csrf": try #require(confirm.csrf)])
            #expect(done.status == .seeOther && done.location == "/")
            let cookie = try #require(done.headers[values: .setCookie].first { $0.hasPrefix("pb_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure"))
            let home = try await browser.get("/")
            #expect(home.body.contains(">ada</a>") && home.headers[.cacheControl] == "private, no-store")
            // Kept by no cache, so no validators: nothing would revalidate against them.
            #expect(home.headers[.eTag] == nil && home.headers[.lastModified] == nil)
            // The link is spent.
            let again = try await browser.get(path)
            #expect(again.status == .gone)
            // Signing out ends the session on the server too.
            let stolen = try #require(browser.cookies[Security.sessionCookie])
            _ = try await browser.post("/signout", ["csrf": try #require(home.csrf)])
            #expect(browser.cookies[Security.sessionCookie] == nil)
            let thief = Browser(client)
            thief.cookies[Security.sessionCookie] = stolen
            #expect(try await thief.get("/").body.contains(">Sign in</a>"))
        }
    }

    @Test func password_setAndUsed_wrongPasswordRefused() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let browser = Browser(client)
            try await browser.signIn(email: "grace@example.org", username: "grace", mailFolder: fixture.mailFolder)
            let settings = try await browser.get("/settings")
            let short = try await browser.post("/settings/password", ["password": "short", "csrf": try #require(settings.csrf)])
            #expect(short.status == .badRequest && short.body.contains("at least 10 characters"))
            _ = try await browser.post("/settings/password", ["password": "correct horse battery", "csrf": try #require(settings.csrf)])
            #expect(try await fixture.store.account(username: "grace")?.passwordHash?.hasPrefix("$2") == true)

            let other = Browser(client)
            let form = try await other.get("/signin")
            let wrong = try await other.post("/signin", ["email": "grace@example.org", "password": "wrong password!", "csrf": try #require(form.csrf)])
            #expect(wrong.status == .unauthorized && other.cookies[Security.sessionCookie] == nil)
            let right = try await other.post("/signin", ["email": "grace@example.org", "password": "correct horse battery", "csrf": try #require(form.csrf), "next": "/trending"])
            #expect(right.status == .seeOther && right.location == "/trending" && other.cookies[Security.sessionCookie] != nil)
        }
    }

    @Test func upvote_formAndJSON_toggle_andCountMatchesRows() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let browser = Browser(client)
            try await browser.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let page = try await browser.get("/papers/2502.00001")
            let csrf = try #require(page.csrf)
            #expect(page.body.contains("data-vote") && page.body.contains(#"aria-pressed="false""#))
            // Without JavaScript: a form post and a redirect back.
            let voted = try await browser.post("/papers/2502.00001/upvote", ["on": "1", "csrf": csrf])
            #expect(voted.status == .seeOther && voted.location == "/papers/2502.00001")
            #expect(try await fixture.store.paper(id: "2502.00001")?.upvotes == 13)
            #expect(try await browser.get("/papers/2502.00001").body.contains(#"aria-pressed="true""#))
            // Voting twice counts once.
            _ = try await browser.post("/papers/2502.00001/upvote", ["on": "1", "csrf": csrf])
            #expect(try await fixture.store.voteRowCount(paperID: "2502.00001") == 1)
            // With JavaScript: JSON back.
            let json = try await browser.post("/papers/2502.00001/upvote", ["on": "0", "csrf": csrf], accept: "application/json")
            let state = try JSONSerialization.jsonObject(with: Data(json.body.utf8)) as? [String: Any]
            #expect(state?["upvoted"] as? Bool == false && state?["upvotes"] as? Int == 12)
            #expect(try await fixture.store.voteRowCount(paperID: "2502.00001") == 0)
            let api = try await client.getJSON("/api/papers/2502.00001").json as? [String: Any]
            #expect(api?["upvotes"] as? Int == 12)
        }
    }

    @Test func stateChangingPosts_needTokenSameOriginAndAccount() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let anonymous = Browser(client)
            // No account: sent to sign in, nothing counted.
            let form = try await anonymous.get("/signin")
            let redirected = try await anonymous.post("/papers/2502.00001/upvote", ["on": "1", "csrf": try #require(form.csrf)])
            #expect(redirected.status == .seeOther && redirected.location == "/signin?next=%2Fpapers%2F2502.00001")

            let browser = Browser(client)
            try await browser.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await browser.get("/").csrf)
            // No token, a token for another session, a cross-site origin: all refused.
            #expect(try await browser.post("/papers/2502.00001/upvote", ["on": "1"]).status == .forbidden)
            #expect(try await browser.post("/papers/2502.00001/upvote", ["on": "1", "csrf": try #require(form.csrf)]).status == .forbidden)
            browser.origin = "https://evil.example"
            #expect(try await browser.post("/papers/2502.00001/upvote", ["on": "1", "csrf": csrf]).status == .forbidden)
            browser.origin = nil
            #expect(try await fixture.store.voteRowCount(paperID: "2502.00001") == 0)
            // Nobody votes as another: the account comes from the session, never from the form.
            _ = try await browser.post("/papers/2502.00001/upvote", ["on": "1", "csrf": csrf, "account": "1", "user": "bob"])
            let ada = try #require(try await fixture.store.account(username: "ada"))
            #expect(try await fixture.store.votedPaperIDs(accountID: ada.id, among: ["2502.00001"]) == ["2502.00001"])
            // A member cannot feature or hide papers or comments.
            #expect(try await browser.post("/papers/2502.00001/feature", ["featured": "1", "csrf": csrf]).status == .forbidden)
            #expect(try await browser.post("/papers/2502.00001/hide", ["hidden": "1", "csrf": csrf]).status == .forbidden)
            #expect(try await fixture.store.curation(paperID: "2502.00001") == (featured: false, hidden: false))
        }
    }

    @Test func comments_markdownRenderedSafely_onlyAuthorEdits_curatorHides() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await ada.get("/papers/2502.00001").csrf)
            let hostile = "**Nice** <script>alert(1)</script> [x](javascript:alert(1)) [code](https://github.com/lab/tickets)"
            let posted = try await ada.post("/papers/2502.00001/comments", ["body": hostile, "csrf": csrf])
            #expect(posted.status == .seeOther && posted.location?.hasPrefix("/papers/2502.00001#comment-") == true)
            let page = try await ada.get("/papers/2502.00001")
            #expect(page.body.contains("<strong>Nice</strong> &lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!page.body.contains("<script>alert(1)") && !page.body.contains("href=\"javascript:"))
            #expect(page.body.contains(#"<a href="https://github.com/lab/tickets" rel="nofollow ugc noopener" target="_blank">code</a>"#))
            let api = try await client.getJSON("/api/papers/2502.00001").json as? [String: Any]
            #expect(api?["numComments"] as? Int == 1)
            let id = try #require(try await fixture.store.comments(paperID: "2502.00001", includeHidden: true).first?.id)

            let bob = Browser(client)
            try await bob.signIn(email: "bob@example.org", username: "bob", mailFolder: fixture.mailFolder)
            let bobToken = try #require(try await bob.get("/papers/2502.00001").csrf)
            #expect(try await bob.post("/comments/\(id)/edit", ["body": "hijacked", "csrf": bobToken]).status == .forbidden)
            #expect(try await bob.post("/comments/\(id)/delete", ["csrf": bobToken]).status == .forbidden)
            #expect(try await bob.post("/comments/\(id)/hide", ["hidden": "1", "csrf": bobToken]).status == .forbidden)
            #expect(try await ada.post("/comments/\(id)/edit", ["body": "Edited *text*", "csrf": csrf]).status == .seeOther)
            #expect(try await fixture.store.comment(id: id)?.body == "Edited *text*")
            // Empty and oversized comments get a clear answer.
            #expect(try await ada.post("/papers/2502.00001/comments", ["body": "   ", "csrf": csrf]).status == .badRequest)
            #expect(try await ada.post("/papers/2502.00001/comments", ["body": String(repeating: "a", count: 10_001), "csrf": csrf]).status == .badRequest)

            try await fixture.store.setRole(.curator, username: "bob")
            #expect(try await bob.post("/comments/\(id)/hide", ["hidden": "1", "csrf": bobToken]).status == .seeOther)
            #expect(try await fixture.store.paper(id: "2502.00001")?.commentCount == 0)
            #expect(!(try await client.get("/papers/2502.00001").body.contains("Edited")))
            #expect(try await bob.post("/papers/2502.00001/feature", ["featured": "1", "csrf": bobToken]).status == .seeOther)
            #expect(try await fixture.store.curation(paperID: "2502.00001").featured)
        }
    }

    @Test func submit_localPaper_goesOnTodaysFeed_duplicateAndUnknownExplained() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let browser = Browser(client)
            try await browser.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let form = try await browser.get("/submit")
            let csrf = try #require(form.csrf)
            let added = try await browser.post("/submit", ["paper": "https://arxiv.org/abs/hep-th/9901001v2", "csrf": csrf])
            #expect(added.status == .seeOther && added.location == "/papers/hep-th/9901001")
            let paper = try #require(try await fixture.store.paper(id: "hep-th/9901001"))
            #expect(paper.dailyDay == Day(containing: testNow) && paper.submittedBy == "ada")
            let duplicate = try await browser.post("/submit", ["paper": "2502.00001", "csrf": csrf])
            #expect(duplicate.status == .conflict && duplicate.body.contains(#"href="/papers/2502.00001""#))
            let unknown = try await browser.post("/submit", ["paper": "2411.99999", "csrf": csrf])
            #expect(unknown.status == .notFound && unknown.body.contains("does not fetch from arXiv"))
            let nonsense = try await browser.post("/submit", ["paper": "'; DROP TABLE paper; --", "csrf": csrf])
            #expect(nonsense.status == .badRequest)
            let profile = try await client.get("/u/ada")
            #expect(profile.body.contains("An Old-Style Identifier"), "\(profile.status) \(profile.body.suffix(1500))")
        }
    }

    @Test func rateLimits_signInMailsPerAddress_answer429() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let browser = Browser(client)
            let csrf = try #require(try await browser.get("/signin").csrf)
            for _ in 0..<5 {
                #expect(try await browser.post("/signin", ["email": "flood@example.org", "csrf": csrf]).status == .ok)
            }
            let limited = try await browser.post("/signin", ["email": "flood@example.org", "csrf": csrf])
            #expect(limited.status == .tooManyRequests && limited.body.contains("wait"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.mailFolder.path).count == 5)
            // Hostile addresses get a clear message and no mail.
            let injected = try await browser.post("/signin", ["email": "a@example.org\r\nBcc: victim@example.org", "csrf": csrf])
            #expect(injected.status == .badRequest)
        }
    }

    @Test func trending_pageAndAPI_rankByRecentVotes() async throws {
        let fixture = try await WebFixture()
        let account = try await fixture.store.createAccount(username: "voter", email: "v@example.org", role: .member, passwordHash: nil, now: testNow)
        _ = try await fixture.store.setVote(true, paperID: "2502.00003", accountID: account.id, now: testNow)
        try await fixture.test { client in
            let page = try await client.get("/trending")
            #expect(page.status == .ok && page.body.contains("Trending"))
            // Hostile titles stay escaped on the new pages too.
            #expect(page.body.contains("&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;") && !page.body.contains("<script>alert"))
            let ids = try await client.dailyIDs("/api/daily_papers?sort=trending&limit=3")
            #expect(ids.count == 3)
        }
    }

    @Test func fiftyUsersVoteAtOnce_overHTTP_countIsExact() async throws {
        let fixture = try await WebFixture()
        let security = Security(secret: String(repeating: "s", count: 40), secureCookies: true, bcryptCost: 4)
        var tokens: [String] = []
        for index in 0..<50 {
            let account = try await fixture.store.createAccount(username: "v\(index)", email: "v\(index)@example.org", role: .member, passwordHash: nil, now: testNow)
            let token = security.newToken()
            try await fixture.store.createSession(hash: security.hash(token), accountID: account.id, now: testNow, expiresAt: testNow.addingTimeInterval(3600))
            tokens.append(token)
        }
        let sessionTokens = tokens
        try await fixture.test { client in
            var browsers: [(Browser, String)] = []
            for token in sessionTokens {
                let browser = Browser(client)
                browser.cookies[Security.sessionCookie] = token
                browsers.append((browser, try #require(try await browser.get("/papers/2502.00002").csrf)))
            }
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for (browser, csrf) in browsers {
                    group.addTask { try await browser.post("/papers/2502.00002/upvote", ["on": "1", "csrf": csrf], accept: "application/json").status }
                }
                for try await status in group { #expect(status == .ok) }
            }
        }
        #expect(try await fixture.store.voteRowCount(paperID: "2502.00002") == 50)
        #expect(try await fixture.store.paper(id: "2502.00002")?.upvotes == 30 + 50)
    }
}
