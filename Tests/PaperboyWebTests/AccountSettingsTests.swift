import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import PaperboyWeb
import Testing

/// Settings beyond the password: username, email address (confirmed by mail), the data export,
/// and the confirmations a reader sees after each change.
@Suite struct AccountSettingsTests {
    @Test func username_change_movesProfileAndSubmissions_takenOrBadNamesExplained() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let grace = Browser(client)
            try await grace.signIn(email: "grace@example.org", username: "grace", mailFolder: fixture.mailFolder)
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await ada.get("/settings").csrf)
            let comment = try await ada.post("/papers/2502.00001/comments", ["csrf": csrf, "body": "A *fine* result"])
            #expect(comment.status == .seeOther)

            let taken = try await ada.post("/settings/username", ["csrf": csrf, "username": "Grace"])
            #expect(taken.status == .conflict && taken.body.contains("The username Grace is taken"))
            let bad = try await ada.post("/settings/username", ["csrf": csrf, "username": "<b>"])
            #expect(bad.status == .badRequest && bad.body.contains("Choose another username"))
            #expect(try await ada.post("/settings/username", ["username": "countess"]).status == .forbidden, "no CSRF token")

            let renamed = try await ada.post("/settings/username", ["csrf": csrf, "username": "countess"])
            #expect(renamed.status == .seeOther && renamed.location == "/settings?done=username")
            let settings = try await ada.get(try #require(renamed.location))
            #expect(settings.body.contains(#"<p class="success" role="status">Your username is changed."#))
            #expect(try await ada.get("/u/ada").status == .notFound)
            let profile = try await ada.get("/u/countess")
            #expect(profile.status == .ok)
            #expect(profile.body.contains("A <em>fine</em> result") && profile.body.contains(#"href="/papers/2502.00001#comment-"#),
                    "the profile lists the comment, rendered, with a link to it")
            #expect(try await ada.get("/papers/2502.00001").body.contains(">countess</a>"), "the comment shows the new name")
        }
    }

    @Test func email_change_needsTheLinkMailedToTheNewAddress_once() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let grace = Browser(client)
            try await grace.signIn(email: "grace@example.org", username: "grace", mailFolder: fixture.mailFolder)
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await ada.get("/settings").csrf)

            let invalid = try await ada.post("/settings/email", ["csrf": csrf, "email": "not an address"])
            #expect(invalid.status == .badRequest)
            let same = try await ada.post("/settings/email", ["csrf": csrf, "email": "ADA@example.org"])
            #expect(same.status == .badRequest && same.body.contains("already your address"))

            let sent = try await ada.post("/settings/email", ["csrf": csrf, "email": "lovelace@example.org"])
            #expect(sent.status == .seeOther && sent.location == "/settings?done=email-sent")
            #expect(try await fixture.store.account(username: "ada")?.email == "ada@example.org", "nothing changes before the link is used")
            let link = try #require(try Self.confirmationLink(in: fixture.mailFolder, to: "lovelace@example.org"))
            let path = String(link.dropFirst("https://papers.example.org".count))

            // A tampered link names another account and fails its signature.
            let tampered = try await ada.get(path.replacingOccurrences(of: "token=", with: "token=9"))
            #expect(tampered.status == .gone)
            let page = try await ada.get(path)
            #expect(page.status == .ok && page.body.contains("lovelace@example.org"), "opening the link changes nothing by itself")
            #expect(try await fixture.store.account(username: "ada")?.email == "ada@example.org")
            let token = try #require(Browser.capture(#"name="token" value="([^"]+)""#, in: page.body))
            let confirmed = try await ada.post("/settings/email/confirm", ["csrf": try #require(page.csrf), "token": token])
            #expect(confirmed.status == .seeOther && confirmed.location == "/settings?done=email")
            #expect(try await fixture.store.account(username: "ada")?.email == "lovelace@example.org")
            #expect(try await ada.get("/settings/email/confirm?token=\(Browser.encode(token))").status == .gone, "the link works once")

            // Another account's address is refused when the link is used, and nothing changes.
            _ = try await ada.post("/settings/email", ["csrf": csrf, "email": "grace@example.org"])
            let other = try #require(try Self.confirmationLink(in: fixture.mailFolder, to: "grace@example.org"))
            let otherPage = try await ada.get(String(other.dropFirst("https://papers.example.org".count)))
            let otherToken = try #require(Browser.capture(#"name="token" value="([^"]+)""#, in: otherPage.body))
            let refused = try await ada.post("/settings/email/confirm", ["csrf": try #require(otherPage.csrf), "token": otherToken])
            #expect(refused.status == .conflict && refused.body.contains("belongs to another account"))
            #expect(try await fixture.store.account(username: "ada")?.email == "lovelace@example.org")
        }
    }

    @Test func export_isTheReadersOwnData_asJSON_withoutSecrets() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            #expect(try await Browser(client).get("/settings/export").status == .seeOther, "signed out: to the sign-in page")
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await ada.get("/settings").csrf)
            _ = try await ada.post("/papers/2502.00001/upvote", ["csrf": csrf, "on": "1"])
            _ = try await ada.post("/papers/2502.00003/save", ["csrf": csrf, "tags": "rl"])
            _ = try await ada.post("/papers/2502.00001/comments", ["csrf": csrf, "body": "</script> \"hi\""])
            _ = try await ada.post("/settings/password", ["csrf": csrf, "password": "correct horse battery"])
            let export = try await ada.get("/settings/export")
            #expect(export.status == .ok)
            #expect(export.headers[.contentType] == "application/json; charset=utf-8")
            #expect(export.headers[.contentDisposition]?.contains("ada-paperboy-export.json") == true)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(export.body.utf8)) as? [String: Any])
            let account = try #require(json["account"] as? [String: Any])
            #expect(account["username"] as? String == "ada" && account["email"] as? String == "ada@example.org")
            #expect(account["hasPassword"] as? Bool == true)
            #expect((json["upvotes"] as? [[String: Any]])?.map { $0["id"] as? String } == ["2502.00001"])
            #expect((json["comments"] as? [[String: Any]])?.first?["body"] as? String == "</script> \"hi\"")
            #expect((json["library"] as? [[String: Any]])?.first?["id"] as? String == "2502.00003")
            #expect(!export.body.contains("$2"), "no password hash")
            // Someone else's export is not reachable: the route only ever exports the session's account.
            let grace = Browser(client)
            try await grace.signIn(email: "grace@example.org", username: "grace", mailFolder: fixture.mailFolder)
            #expect(try await grace.get("/settings/export").body.contains("\"username\" : \"grace\""))
        }
    }

    @Test func settings_sayWhatWasSaved_andIgnoreUnknownNotes() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await ada.get("/settings").csrf)
            let saved = try await ada.post("/settings/password", ["csrf": csrf, "password": "correct horse battery"])
            #expect(saved.location == "/settings?done=password")
            #expect(try await ada.get("/settings?done=password").body.contains("Your password is saved."))
            let made = try await ada.get("/settings?done=%3Cscript%3E")
            #expect(made.status == .ok && !made.body.contains("&lt;script") && !made.body.contains(#"class="success""#))
        }
    }

    /// The newest email-change link mailed to `email`: a signed token, which has dots.
    static func confirmationLink(in folder: URL, to email: String) throws -> String? {
        try Browser.latestLink(in: folder, to: email, path: "/settings/email/confirm", tokenCharacters: #"A-Za-z0-9_\-.~%"#)
    }
}
