import Foundation
import PaperboyCore
import PaperboyPostgres
import PaperboySearch
import PaperboyStore
import PaperboyTestSupport
import Testing

/// `StoreCopier`: a deployment copied from one store to another reads the same through the store protocol.
@Suite(.serialized) struct StoreCopyTests {
    /// What the fixture made, to look up in the copy.
    struct Fixture {
        var paperIDs: [String]
        var accounts: [Account]
        var comments: [PaperboyCore.Comment]
        var subscriberTokens: [String]
        var sessionHash: Data
        var tokenHash: Data
        var model = "test-model"
    }

    /// Papers (on and off the feed, featured, hidden, with embeddings), accounts of each role, votes,
    /// comments (edited, hidden, deleted), subscribers with outbox rows, a session, a sign-in token,
    /// service state and a lease.
    static func fill(_ store: any PaperStore) async throws -> Fixture {
        var first = samplePaper(id: "2502.00001", title: "Diffusion models for protein folding", upvotes: 12, githubRepo: "octo/fold")
        first.categories = ["q-bio.BM", "cs.LG"]
        first.doi = "10.1000/xyz"
        first.version = 3
        first.authorComments = "12 pages, 4 figures"
        let papers = [
            first,
            samplePaper(id: "2502.00002", title: "Sparse attention at scale", authors: ["Zoë Ångström", "Bob"], daily: "2025-02-03", upvotes: 4),
            samplePaper(id: "2502.00003", title: "Quokka counting with transformers", daily: nil),
            samplePaper(id: "2502.00004", title: "A hidden diffusion paper", daily: "2025-02-04", upvotes: 1),
            samplePaper(id: "hep-th/9901001", title: "Old strings", authors: [], daily: "2025-02-02", published: "1999-01-01"),
        ]
        _ = try await store.upsert(papers.map { record($0) })

        let member = try await store.createAccount(username: "Alice", email: "alice@example.org", role: .member, passwordHash: nil, now: testNow)
        let curator = try await store.createAccount(username: "carol", email: "carol@example.org", role: .curator,
                                                    passwordHash: "$2b$12$abcdefghijklmnopqrstuu", now: testNow.addingTimeInterval(1.5))
        let admin = try await store.createAccount(username: "adam", email: "adam@example.org", role: .admin,
                                                  passwordHash: "$2b$12$zyxwvutsrqponmlkjihgfe", now: testNow.addingTimeInterval(2.25))

        // A paper submitted through the site: a day and a submitter of its own.
        _ = try await store.submit(record(samplePaper(id: "2502.00005", title: "Submitted diffusion", daily: nil)),
                                   by: "carol", day: day("2025-02-04"), now: testNow)

        for (account, paper) in [(member, "2502.00001"), (member, "2502.00002"), (curator, "2502.00001"), (admin, "2502.00003")] {
            _ = try await store.setVote(true, paperID: paper, accountID: account.id, now: testNow.addingTimeInterval(-3600.125))
        }
        var comments = [
            try await store.addComment(paperID: "2502.00001", accountID: member.id, body: "Nice **work**", now: testNow),
            try await store.addComment(paperID: "2502.00001", accountID: curator.id, body: "First draft", now: testNow.addingTimeInterval(10)),
            try await store.addComment(paperID: "2502.00001", accountID: member.id, body: "spam", now: testNow.addingTimeInterval(20)),
            try await store.addComment(paperID: "2502.00002", accountID: admin.id, body: "to delete", now: testNow.addingTimeInterval(30)),
        ]
        #expect(try await store.editComment(id: comments[1].id, accountID: curator.id, body: "Edited", now: testNow.addingTimeInterval(60)))
        try await store.setCommentHidden(true, id: comments[2].id)
        #expect(try await store.deleteComment(id: comments[3].id, accountID: admin.id))
        comments = try await comments.asyncMap { try #require(try await store.comment(id: $0.id)) }

        try await store.setFeatured(true, paperID: "2502.00002")
        try await store.setPaperHidden(true, paperID: "2502.00004")

        // A reader's library and signals (v8-for-you) travel with the account.
        try await store.savePaper("2502.00002", tags: ["attention", "to-read"], accountID: member.id, now: testNow.addingTimeInterval(0.5))
        try await store.setTagPublic(true, tag: "attention", accountID: member.id)
        try await store.setNotInterested(true, paperID: "2502.00003", accountID: member.id, now: testNow)
        try await store.setFollow(true, Follow(kind: .author, value: "Zoë Ångström"), accountID: member.id, now: testNow)
        try await store.setInterestParagraph("Sparse attention.", accountID: member.id, now: testNow)
        _ = try await store.createAPIToken(hash: Data(repeating: 3, count: 32), name: "cli", accountID: member.id, now: testNow)
        try await store.saveRecommendationModel(StoredRecommendationModel(accountID: member.id, tag: "", fingerprint: "f", weights: Data([1, 2]), trainedAt: testNow))

        let keys = try await [papers[0].id, papers[1].id].asyncMap { try #require(try await store.paperKey(id: $0)) }
        try await store.saveEmbeddings([
            StoredEmbedding(key: keys[0], vector: [0.25, -1.5, .pi, 1e-30], sourceModifiedAt: 1_738_000_000.123),
            StoredEmbedding(key: keys[1], vector: [1, 2, 3, 4], sourceModifiedAt: 1_738_000_001),
        ], model: "test-model")

        // Issue 19: key phrases, stars and a thumbnail on the paper rows, an authorship claim.
        let phraseSources = try await store.papersNeedingKeyPhrases(afterKey: 0, limit: 1)
        try await store.saveKeyPhrases(phraseSources.map { ComputedKeyPhrases(key: $0.key, phrases: ["sparse attention", "LoRA"], contentHash: $0.contentHash) })
        try await store.saveStars(paperKey: keys[0], outcome: .stars(42, etag: "\"e\""), checkedAt: testNow)
        try await store.saveThumbnail(paperKey: keys[0], images: ThumbnailImages(mediaType: "image/webp", small: Data([1, 2, 3]), large: Data([4, 5, 6, 7])), now: testNow)
        _ = try await store.claimAuthorship(paperID: papers[0].id, accountID: member.id, authorName: "Ada Lovelace", verifiedBy: nil, now: testNow)

        let sessionHash = Data((0..<32).map { UInt8($0) })
        let tokenHash = Data((0..<32).map { UInt8(255 - $0) })
        try await store.createSession(hash: sessionHash, accountID: curator.id, now: testNow, expiresAt: testNow.addingTimeInterval(86400))
        try await store.saveSignInToken(hash: tokenHash, email: "alice@example.org", expiresAt: testNow.addingTimeInterval(900))

        _ = try await store.subscribe(email: "daily@example.org", frequency: .daily, topics: ["diffusion", "protein folding"], token: "tok-daily", now: testNow)
        _ = try await store.subscribe(email: "weekly@example.org", frequency: .weekly, topics: [], token: "tok-weekly", now: testNow)
        _ = try await store.subscribe(email: "pending@example.org", frequency: .daily, topics: ["x"], token: "tok-pending", now: testNow)
        _ = try await store.confirmSubscription(token: "tok-daily", now: testNow)
        _ = try await store.confirmSubscription(token: "tok-weekly", now: testNow)
        #expect(try await store.planDigests(period: DigestPeriod(day: day("2025-02-03")), messageIDDomain: "example.org", now: testNow) == 1)
        #expect(try await store.planDigests(period: DigestPeriod(weekContaining: day("2025-01-27")), messageIDDomain: "example.org", now: testNow) == 1)
        let delivery = try #require(try await store.claimNextDelivery(now: testNow))
        try await store.markRetry(subscriberID: delivery.subscriber.id, period: delivery.period, error: "421 try later",
                                  retryAt: testNow.addingTimeInterval(300), giveUp: false)

        try await store.setServiceState("arxiv-sync", value: "2025-02-03", now: testNow)
        #expect(try await store.acquireLease("digest-sender", holder: "host/1", duration: 600, now: Date(), replacing: nil))

        return Fixture(
            paperIDs: papers.map(\.id) + ["2502.00005"], accounts: [member, curator, admin], comments: comments,
            subscriberTokens: ["tok-daily", "tok-weekly", "tok-pending"], sessionHash: sessionHash, tokenHash: tokenHash)
    }

    /// Everything the fixture stored reads the same from `copy` as from `original`.
    static func expectSame(_ fixture: Fixture, original: any PaperStore, copy: any PaperStore) async throws {
        #expect(try await copy.paperCount() == original.paperCount())
        #expect(try await copy.publicCollection(username: "alice", tag: "attention") == original.publicCollection(username: "alice", tag: "attention"))
        #expect(try await copy.publicCollection(username: "alice", tag: "attention")?.map(\.tags) == [["attention", "to-read"]])
        #expect(try await copy.apiTokenAccount(hash: Data(repeating: 3, count: 32))?.username == "Alice")
        for id in fixture.paperIDs {
            let paper = try await copy.paper(id: id)
            let expectedPaper = try await original.paper(id: id)
            #expect(paper != nil && paper == expectedPaper, "paper \(id)")
            #expect(try await copy.paperKey(id: id) == original.paperKey(id: id), "key of \(id)")
            #expect(try await copy.comments(paperID: id, includeHidden: true) == original.comments(paperID: id, includeHidden: true))
            #expect(try await copy.voteRowCount(paperID: id) == original.voteRowCount(paperID: id))
            let curation = try await copy.curation(paperID: id)
            let expected = try await original.curation(paperID: id)
            #expect(curation.featured == expected.featured && curation.hidden == expected.hidden, "curation of \(id)")
        }
        for comment in fixture.comments {
            #expect(try await copy.comment(id: comment.id) == comment)
        }
        for account in fixture.accounts {
            #expect(try await copy.account(username: account.username) == account)
            #expect(try await copy.votedPaperIDs(accountID: account.id, among: fixture.paperIDs)
                    == original.votedPaperIDs(accountID: account.id, among: fixture.paperIDs))
            #expect(try await copy.upvotedPapers(username: account.username, limit: 10)
                    == original.upvotedPapers(username: account.username, limit: 10))
        }
        #expect(try await copy.submissions(username: "carol", limit: 10).map(\.id) == ["2502.00005"])
        for token in fixture.subscriberTokens {
            let subscriber = try await copy.subscriber(token: token)
            let expectedSubscriber = try await original.subscriber(token: token)
            #expect(subscriber != nil && subscriber == expectedSubscriber)
        }
        for period in ["2025-02-03", "2025-W05"] {
            #expect(try await copy.outboxCounts(period: period) == original.outboxCounts(period: period))
        }
        for query in [
            DailyQuery(period: nil, now: testNow),
            DailyQuery(period: .day(day("2025-02-04")), now: testNow),
            DailyQuery(period: .week(containing: day("2025-02-04")), sort: .trending, now: testNow),
        ] {
            let papers = try await copy.dailyPapers(query)
            let expectedPapers = try await original.dailyPapers(query)
            #expect(!papers.isEmpty && papers == expectedPapers)
        }
        #expect(try await copy.latestDay() == original.latestDay())
        for text in ["diffusion", "bob", "quokka", "strings"] {
            let found = try await copy.keywordSearch(SearchQuery.parse(text), prefixTerms: [], limit: 10).map(\.id)
            let expected = try await original.keywordSearch(SearchQuery.parse(text), prefixTerms: [], limit: 10).map(\.id)
            #expect(!found.isEmpty && Set(found) == Set(expected), "search \(text)")
        }
        let start = EmbeddingCursor(savedAt: 0, key: 0)
        let saved = try await copy.embeddingsSaved(model: fixture.model, after: start, limit: 10)
        let expectedSaved = try await original.embeddingsSaved(model: fixture.model, after: start, limit: 10)
        // The copy keeps when each embedding was saved, so a server reading it picks up the same order.
        #expect(saved.map(\.cursor) == expectedSaved.map(\.cursor))
        let embeddings = saved.map(\.embedding)
        let expectedEmbeddings = expectedSaved.map(\.embedding)
        #expect(embeddings.count == 2)
        #expect(embeddings.map(\.key) == expectedEmbeddings.map(\.key))
        #expect(embeddings.map(\.vector) == expectedEmbeddings.map(\.vector))
        #expect(embeddings.map(\.sourceModifiedAt) == expectedEmbeddings.map(\.sourceModifiedAt))
        #expect(try await copy.sessionAccount(hash: fixture.sessionHash, now: testNow) == fixture.accounts[1])
        #expect(try await copy.signInTokenIsValid(hash: fixture.tokenHash, now: testNow) == "alice@example.org")
        #expect(try await copy.serviceState("arxiv-sync") == "2025-02-03")
        #expect(try await copy.leaseHolder("digest-sender", now: Date()) == nil, "leases belong to the source's servers")
    }

    static let directions: [(StoreKind, StoreKind)] = [(.sqlite, .postgres), (.postgres, .sqlite), (.sqlite, .sqlite), (.postgres, .postgres)]

    @Test(arguments: 0..<directions.count)
    func copy_fixture_readsTheSameThroughTheStore(direction: Int) async throws {
        let (from, to) = Self.directions[direction]
        try await from.withStore { source in
            try await to.withStore { destination in
                let fixture = try await Self.fill(source)
                // Small batches, so paging over single and two-column keys is exercised.
                let copier = StoreCopier(source: try #require(source as? any TransferableStore),
                                         destination: try #require(destination as? any TransferableStore), batchSize: 2)
                var finished: [String] = []
                let summary = try await copier.run { table, _, _, done in if done { finished.append(table) } }
                #expect(finished == TransferSchema.tables.map(\.name))
                let counts = Dictionary(uniqueKeysWithValues: summary.tables.map { ($0.name, $0.destination) })
                #expect(counts == ["paper": 6, "paper_embedding": 2, "account": 3, "sign_in_token": 1, "session": 1, "vote": 4,
                                   "comment": 4, "subscriber": 3, "digest_outbox": 2, "service_state": 1,
                                   "library_entry": 1, "library_tag": 2, "public_tag": 1, "not_interested": 1, "follow": 1,
                                   "interest_paragraph": 1, "api_token": 1, "recommendation_model": 1,
                                   "paper_thumbnail": 1, "author_claim": 1])
                #expect(try await destination.thumbnail(paperID: "2502.00001", size: .large)?.data == Data([4, 5, 6, 7]))
                #expect(try await destination.authorClaims(paperID: "2502.00001") == (try await source.authorClaims(paperID: "2502.00001")))
                #expect(summary.tables.allSatisfy { $0.copied == $0.source && $0.source == $0.destination })
                try await Self.expectSame(fixture, original: source, copy: destination)

                // New rows get ids past the copied ones (PostgreSQL's identity sequences were moved).
                let account = try await destination.createAccount(username: "newcomer", email: "new@example.org", role: .member, passwordHash: nil, now: testNow)
                #expect(account.id > fixture.accounts.map(\.id).max()!)
                let comment = try await destination.addComment(paperID: "2502.00003", accountID: account.id, body: "hi", now: testNow)
                #expect(comment.id > fixture.comments.map(\.id).max()!)
                let subscriber = try await destination.subscribe(email: "later@example.org", frequency: .daily, topics: [], token: "tok-later", now: testNow)
                #expect(subscriber.id > 3)
                _ = try await destination.upsert([record(samplePaper(id: "2503.00001", title: "Zebrafish after the copy"))])
                let newKey = try #require(try await destination.paperKey(id: "2503.00001"))
                #expect(newKey > (try await source.paperKey(id: "2502.00005"))!)
                #expect(try await destination.keywordSearch(SearchQuery.parse("zebrafish"), prefixTerms: [], limit: 5).map(\.id) == ["2503.00001"])
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func copy_nonEmptyDestination_isRefusedAndLeftAlone(destinationKind: StoreKind) async throws {
        try await StoreKind.sqlite.withStore { source in
            try await destinationKind.withStore { destination in
                _ = try await Self.fill(source)
                _ = try await destination.createAccount(username: "already", email: "here@example.org", role: .admin, passwordHash: nil, now: testNow)
                let copier = StoreCopier(source: try #require(source as? any TransferableStore),
                                         destination: try #require(destination as? any TransferableStore))
                do {
                    _ = try await copier.run()
                    Issue.record("a destination with an account was copied into")
                } catch let error as CopyError {
                    #expect(error.description == "the destination already holds data in account (1); copy only into an empty database")
                }
                #expect(try await destination.paperCount() == 0)
                #expect(try await destination.accountCount() == 1)
            }
        }
    }

    @Test func copy_sourceAtOlderSchema_isRefused() async throws {
        try await StoreKind.sqlite.withStore { destination in
            // A PostgreSQL database nobody migrated: schema "none".
            let url = try await PostgresServer.shared().createDatabase()
            let empty = try PostgresPaperStore(url: url)
            let copier = StoreCopier(source: empty, destination: try #require(destination as? any TransferableStore))
            await #expect(throws: CopyError.self) { _ = try await copier.run() }
            #expect(try await empty.appliedMigrations().isEmpty, "the source is never migrated")
            await empty.close()
        }
    }
}

extension Array where Element: Sendable {
    func asyncMap<Mapped>(_ transform: (Element) async throws -> Mapped) async throws -> [Mapped] {
        var mapped: [Mapped] = []
        for element in self { mapped.append(try await transform(element)) }
        return mapped
    }
}
