import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import Testing

@Suite struct CommunityStoreTests {
    func storeWithPaper(_ directory: TemporaryDirectory, upvotes: Int = 7) async throws -> SQLitePaperStore {
        let store = try await makeStore(in: directory)
        var paper = samplePaper(id: "2502.00001", title: "Votable")
        paper.upvotes = upvotes
        paper.dailyDay = day("2025-02-04")
        paper.submittedOnDailyAt = testNow
        _ = try await store.upsert([record(paper)])
        return store
    }

    @Test func accounts_duplicateUsernameOrEmail_areRefused() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let admin = try await store.createAccount(username: "ada", email: "ada@example.org", role: .admin, passwordHash: nil, now: testNow)
        #expect(try await store.account(username: "ADA")?.id == admin.id)
        await #expect(throws: CommunityError.usernameTaken("Ada")) {
            try await store.createAccount(username: "Ada", email: "other@example.org", role: .member, passwordHash: nil, now: testNow)
        }
        await #expect(throws: CommunityError.emailTaken("ada@example.org")) {
            try await store.createAccount(username: "other", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
        }
        try await store.setRole(.curator, username: "ada")
        #expect(try await store.account(id: admin.id)?.role == .curator)
        await #expect(throws: CommunityError.noSuchAccount("nobody")) { try await store.setRole(.admin, username: "nobody") }
    }

    @Test func signInToken_isUsableOnce_andNotAfterExpiry() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let hash = Data(repeating: 1, count: 32)
        try await store.saveSignInToken(hash: hash, email: "a@example.org", expiresAt: testNow.addingTimeInterval(900))
        #expect(try await store.signInTokenIsValid(hash: hash, now: testNow) == "a@example.org")
        // Two uses at once: exactly one wins.
        async let first = store.consumeSignInToken(hash: hash, now: testNow)
        async let second = store.consumeSignInToken(hash: hash, now: testNow)
        let results = try await [first, second]
        #expect(results.compactMap { $0 } == ["a@example.org"])
        #expect(try await store.signInTokenIsValid(hash: hash, now: testNow) == nil)

        let late = Data(repeating: 2, count: 32)
        try await store.saveSignInToken(hash: late, email: "a@example.org", expiresAt: testNow.addingTimeInterval(900))
        #expect(try await store.consumeSignInToken(hash: late, now: testNow.addingTimeInterval(901)) == nil)
    }

    @Test func sessions_expireAndEndOnSignOut() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let account = try await store.createAccount(username: "grace", email: "grace@example.org", role: .member, passwordHash: nil, now: testNow)
        let hash = Data(repeating: 3, count: 32)
        try await store.createSession(hash: hash, accountID: account.id, now: testNow, expiresAt: testNow.addingTimeInterval(3600))
        #expect(try await store.sessionAccount(hash: hash, now: testNow)?.username == "grace")
        #expect(try await store.sessionAccount(hash: hash, now: testNow.addingTimeInterval(3601)) == nil)
        try await store.deleteSession(hash: hash)
        #expect(try await store.sessionAccount(hash: hash, now: testNow) == nil)
    }

    @Test func votes_fiftyConcurrentVoters_countEqualsRows() async throws {
        let directory = try TemporaryDirectory()
        let store = try await storeWithPaper(directory, upvotes: 7)
        var accounts: [Account] = []
        for index in 0..<50 {
            accounts.append(try await store.createAccount(username: "voter\(index)", email: "v\(index)@example.org", role: .member, passwordHash: nil, now: testNow))
        }
        // Everyone votes at once, twice (the second is a no-op), and ten take it back.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for account in accounts {
                group.addTask { _ = try await store.setVote(true, paperID: "2502.00001", accountID: account.id, now: testNow) }
                group.addTask { _ = try await store.setVote(true, paperID: "2502.00001", accountID: account.id, now: testNow) }
            }
            try await group.waitForAll()
        }
        #expect(try await store.voteRowCount(paperID: "2502.00001") == 50)
        #expect(try await store.paper(id: "2502.00001")?.upvotes == 57)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for account in accounts.prefix(10) {
                group.addTask { _ = try await store.setVote(false, paperID: "2502.00001", accountID: account.id, now: testNow) }
            }
            try await group.waitForAll()
        }
        #expect(try await store.voteRowCount(paperID: "2502.00001") == 40)
        #expect(try await store.paper(id: "2502.00001")?.upvotes == 47)
        #expect(try await store.votedPaperIDs(accountID: accounts[20].id, among: ["2502.00001", "x"]) == ["2502.00001"])
        #expect(try await store.votedPaperIDs(accountID: accounts[0].id, among: ["2502.00001"]) == [])
        // A re-import with new source counts keeps the local votes on top.
        var paper = samplePaper(id: "2502.00001", title: "Votable, revised")
        paper.upvotes = 9
        _ = try await store.upsert([record(paper)])
        #expect(try await store.paper(id: "2502.00001")?.upvotes == 49)
    }

    @Test func comments_countFollowsRows_onlyAuthorsEditOrDelete() async throws {
        let directory = try TemporaryDirectory()
        let store = try await storeWithPaper(directory)
        let ada = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
        let bob = try await store.createAccount(username: "bob", email: "bob@example.org", role: .member, passwordHash: nil, now: testNow)
        let first = try await store.addComment(paperID: "2502.00001", accountID: ada.id, body: "Nice **result**", now: testNow)
        let second = try await store.addComment(paperID: "2502.00001", accountID: bob.id, body: "Spam", now: testNow.addingTimeInterval(1))
        #expect(first.author == "ada")
        #expect(try await store.paper(id: "2502.00001")?.commentCount == 2)
        #expect(try await store.editComment(id: first.id, accountID: bob.id, body: "hijacked", now: testNow) == false)
        #expect(try await store.editComment(id: first.id, accountID: ada.id, body: "Nice result", now: testNow.addingTimeInterval(5)) == true)
        #expect(try await store.comment(id: first.id)?.body == "Nice result")
        #expect(try await store.deleteComment(id: second.id, accountID: ada.id) == false)
        try await store.setCommentHidden(true, id: second.id)
        #expect(try await store.paper(id: "2502.00001")?.commentCount == 1)
        #expect(try await store.comments(paperID: "2502.00001", includeHidden: false).map(\.id) == [first.id])
        #expect(try await store.comments(paperID: "2502.00001", includeHidden: true).count == 2)
        #expect(try await store.deleteComment(id: first.id, accountID: ada.id) == true)
        #expect(try await store.paper(id: "2502.00001")?.commentCount == 0)
        await #expect(throws: CommunityError.noSuchPaper("nope")) {
            try await store.addComment(paperID: "nope", accountID: ada.id, body: "x", now: testNow)
        }
    }

    @Test func submit_putsPaperOnTheDay_andRefusesADuplicate() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let paper = samplePaper(id: "2403.00042", title: "Submitted Paper", daily: nil)
        let outcome = try await store.submit(record(paper, hasUpvotes: false), by: "ada", day: day("2025-02-04"), now: testNow)
        guard case .added(let added) = outcome else { Issue.record("expected added, got \(outcome)"); return }
        #expect(added.dailyDay == day("2025-02-04") && added.submittedBy == "ada")
        let again = try await store.submit(record(paper, hasUpvotes: false), by: "bob", day: day("2025-02-05"), now: testNow)
        guard case .alreadyOnFeed(let existing, let onDay) = again else { Issue.record("expected duplicate, got \(again)"); return }
        #expect(existing.submittedBy == "ada" && onDay == day("2025-02-04"))
        #expect(try await store.submissions(username: "ada", limit: 10).map(\.id) == ["2403.00042"])
    }

    @Test func curation_featuredLeadsTheDay_hiddenLeavesFeedsAndSearch() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        var popular = samplePaper(id: "2502.00001", title: "Popular quokkas")
        popular.upvotes = 100
        popular.dailyDay = day("2025-02-04")
        var quiet = samplePaper(id: "2502.00002", title: "Quiet quokkas")
        quiet.dailyDay = day("2025-02-04")
        _ = try await store.upsert([record(popular), record(quiet)])
        try await store.setFeatured(true, paperID: "2502.00002")
        let feed = try await store.dailyPapers(DailyQuery(period: .day(day("2025-02-04")), now: testNow))
        #expect(feed.map(\.id) == ["2502.00002", "2502.00001"])
        try await store.setPaperHidden(true, paperID: "2502.00001")
        #expect(try await store.dailyPapers(DailyQuery(period: .day(day("2025-02-04")), now: testNow)).map(\.id) == ["2502.00002"])
        let hits = try await store.keywordSearch(SearchQuery.parse("quokkas"), prefixTerms: [], limit: 10)
        #expect(try await store.papers(keys: hits.map(\.key)).values.map(\.id) == ["2502.00002"])
        #expect(try await store.curation(paperID: "2502.00001") == (featured: false, hidden: true))
    }

    @Test func trending_favoursRecentVotesOverOldTotals() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        var old = samplePaper(id: "2502.00001", title: "Old favourite")
        old.upvotes = 20
        old.dailyDay = day("2025-01-30")
        old.submittedOnDailyAt = testNow.addingTimeInterval(-5 * 86_400)
        var fresh = samplePaper(id: "2502.00002", title: "Fresh votes")
        fresh.dailyDay = day("2025-01-30")
        fresh.submittedOnDailyAt = testNow.addingTimeInterval(-5 * 86_400)
        _ = try await store.upsert([record(old), record(fresh)])
        // 20 votes five days ago weigh 20 / 6^1.5 ≈ 1.36; three votes in the last hour weigh about 3.
        for index in 0..<3 {
            let account = try await store.createAccount(username: "u\(index)", email: "u\(index)@example.org", role: .member, passwordHash: nil, now: testNow)
            _ = try await store.setVote(true, paperID: "2502.00002", accountID: account.id, now: testNow.addingTimeInterval(-600))
        }
        let trending = try await store.trendingPapers(since: day("2025-01-20"), now: testNow, offset: 0, limit: 10)
        #expect(trending.map(\.id) == ["2502.00002", "2502.00001"])
        let api = try await store.dailyPapers(DailyQuery(period: nil, sort: .trending, now: testNow))
        #expect(api.map(\.id) == ["2502.00002", "2502.00001"])
        // A week later both have aged; the larger total leads again.
        let later = try await store.trendingPapers(since: day("2025-01-20"), now: testNow.addingTimeInterval(30 * 86_400), offset: 0, limit: 10)
        #expect(later.map(\.id) == ["2502.00001", "2502.00002"])
    }
}
