import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import Testing

/// Issue 19's store methods, on both stores.
extension StoreConformanceTests {
    @Suite struct Enrichment {
        @Test(arguments: StoreKind.allCases) func papersByAuthor_matchWholeNamesOnly_newestFirst_withoutHidden(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                _ = try await store.upsert([
                    record(samplePaper(id: "2502.00001", authors: ["Ada Lovelace", "Alan Turing"], published: "2025-02-01")),
                    record(samplePaper(id: "2502.00002", authors: ["Grace Hopper", "Ada Lovelace"], published: "2025-02-03")),
                    record(samplePaper(id: "2502.00003", authors: ["Ada Lovelace-Byron"], published: "2025-02-04")),
                    record(samplePaper(id: "2502.00004", authors: ["Lovelace Ada"], published: "2025-02-05")),
                    record(samplePaper(id: "2502.00005", authors: ["Ada Lovelace"], published: "2025-02-06")),
                ])
                try await store.setPaperHidden(true, paperID: "2502.00005")
                #expect(try await store.papers(byAuthor: "Ada Lovelace", limit: 10).map(\.id) == ["2502.00002", "2502.00001"])
                #expect(try await store.papers(byAuthor: "Ada Lovelace", limit: 1).map(\.id) == ["2502.00002"])
                #expect(try await store.papers(byAuthor: "Ada", limit: 10).isEmpty)
                #expect(try await store.papers(byAuthor: "\"; DROP TABLE paper; --", limit: 10).isEmpty)
                #expect(try await store.papers(byAuthor: "…", limit: 10).isEmpty)
                #expect(try await store.paperCount() == 5)
            }
        }

        @Test(arguments: StoreKind.allCases) func claims_pendingUntilACuratorDecidesOnce_verifiedOnesApprovedAtOnce(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                _ = try await store.upsert([record(samplePaper(id: "2502.00001")), record(samplePaper(id: "2502.00002"))])
                let ada = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
                let alan = try await store.createAccount(username: "alan", email: "alan@example.org", role: .member, passwordHash: nil, now: testNow)
                let pending = try await store.claimAuthorship(paperID: "2502.00001", accountID: ada.id, authorName: "Ada Lovelace", verifiedBy: nil, now: testNow)
                #expect(pending.status == .pending && pending.username == "ada" && pending.paperID == "2502.00001")
                // Claiming again keeps the one row.
                _ = try await store.claimAuthorship(paperID: "2502.00001", accountID: ada.id, authorName: "Ada Lovelace", verifiedBy: nil, now: testNow)
                #expect(try await store.pendingAuthorClaims(limit: 10).count == 1)
                #expect(try await store.claimedPapers(username: "ada", limit: 10).isEmpty)
                // Two curators decide at once: exactly one decision counts.
                async let first = store.decideAuthorClaim(paperID: "2502.00001", accountID: ada.id, approve: true, now: testNow)
                async let second = store.decideAuthorClaim(paperID: "2502.00001", accountID: ada.id, approve: false, now: testNow)
                let decisions = try await [first, second]
                #expect(decisions.filter { $0 }.count == 1)
                #expect(try await store.pendingAuthorClaims(limit: 10).isEmpty)
                let decided = try #require(try await store.authorClaims(paperID: "2502.00001").first)
                #expect(decided.status != .pending && decided.decidedAt != nil)

                let verified = try await store.claimAuthorship(paperID: "2502.00002", accountID: alan.id, authorName: "Alan Turing", verifiedBy: "alan@example.org", now: testNow)
                #expect(verified.status == .approved && verified.verifiedBy == "alan@example.org")
                #expect(try await store.claimedPapers(username: "alan", limit: 10).map(\.id) == ["2502.00002"])
                // A pending claim becomes approved when the address is verified later.
                let bob = try await store.createAccount(username: "bob", email: "bob@example.org", role: .member, passwordHash: nil, now: testNow)
                _ = try await store.claimAuthorship(paperID: "2502.00002", accountID: bob.id, authorName: "Ada Lovelace", verifiedBy: nil, now: testNow)
                let upgraded = try await store.claimAuthorship(paperID: "2502.00002", accountID: bob.id, authorName: "Ada Lovelace", verifiedBy: "bob@example.org", now: testNow)
                #expect(upgraded.status == .approved)
                await #expect(throws: CommunityError.noSuchPaper("9999.99999")) {
                    try await store.claimAuthorship(paperID: "9999.99999", accountID: ada.id, authorName: "X", verifiedBy: nil, now: testNow)
                }
                // Re-importing the paper keeps its claims.
                _ = try await store.upsert([record(samplePaper(id: "2502.00002", title: "Retitled"))])
                #expect(try await store.authorClaims(paperID: "2502.00002").count == 2)
            }
        }

        @Test(arguments: StoreKind.allCases) func keyPhrases_surviveReimports_andAreRedoneWhenTheTextChanges(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                _ = try await store.upsert([record(samplePaper(id: "2502.00001")), record(samplePaper(id: "2502.00002"))])
                let due = try await store.papersNeedingKeyPhrases(afterKey: 0, limit: 10)
                #expect(due.count == 2)
                try await store.saveKeyPhrases(due.map { ComputedKeyPhrases(key: $0.key, phrases: ["sample paper", "LoRA"], contentHash: $0.contentHash) })
                #expect(try await store.papersNeedingKeyPhrases(afterKey: 0, limit: 10).isEmpty)
                #expect(try await store.paper(id: "2502.00001")?.keyPhrases == ["sample paper", "LoRA"])
                // The same record again: unchanged, phrases kept.
                _ = try await store.upsert([record(samplePaper(id: "2502.00001"))])
                #expect(try await store.paper(id: "2502.00001")?.keyPhrases == ["sample paper", "LoRA"])
                #expect(try await store.papersNeedingKeyPhrases(afterKey: 0, limit: 10).isEmpty)
                // A new abstract: the old phrases stay shown until new ones are saved.
                _ = try await store.upsert([record(samplePaper(id: "2502.00001", abstract: "Entirely different words."))])
                let redo = try await store.papersNeedingKeyPhrases(afterKey: 0, limit: 10)
                #expect(redo.map(\.abstract) == ["Entirely different words."])
                #expect(try await store.paper(id: "2502.00001")?.keyPhrases == ["sample paper", "LoRA"])
                // Phrases computed from text that changed meanwhile are not saved.
                try await store.saveKeyPhrases([ComputedKeyPhrases(key: redo[0].key, phrases: ["stale"], contentHash: redo[0].contentHash &+ 1)])
                #expect(try await store.paper(id: "2502.00001")?.keyPhrases == ["sample paper", "LoRA"])
                try await store.saveKeyPhrases([ComputedKeyPhrases(key: redo[0].key, phrases: ["different words"], contentHash: redo[0].contentHash)])
                #expect(try await store.paper(id: "2502.00001")?.keyPhrases == ["different words"])
            }
        }

        @Test(arguments: StoreKind.allCases) func stars_dueForRecentPapersOnly_outcomesStored_keptByReimports(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                _ = try await store.upsert([
                    record(samplePaper(id: "2502.00001", daily: nil, published: "2025-02-01", githubRepo: "https://github.com/lab/one")),
                    record(samplePaper(id: "2502.00002", daily: nil, published: "2024-01-01", githubRepo: "https://github.com/lab/old")),
                    record(samplePaper(id: "2502.00003", daily: nil, published: "2025-02-02")),
                    // Old, but on the feed recently.
                    record(samplePaper(id: "2502.00004", daily: "2025-02-03", published: "2020-01-01", githubRepo: "https://github.com/lab/four")),
                ])
                let since = testNow.addingTimeInterval(-30 * 86_400)
                let due = try await store.papersNeedingStars(since: since, checkedBefore: testNow, limit: 10)
                #expect(due.map(\.paperID).sorted() == ["2502.00001", "2502.00004"])
                #expect(due.allSatisfy { $0.etag == nil })
                let one = try #require(due.first { $0.paperID == "2502.00001" })
                try await store.saveStars(paperKey: one.key, outcome: .stars(1234, etag: "\"abc\""), checkedAt: testNow)
                #expect(try await store.paper(id: "2502.00001")?.githubStars == 1234)
                #expect(try await store.papersNeedingStars(since: since, checkedBefore: testNow, limit: 10).map(\.paperID) == ["2502.00004"])
                // A day later it is due again, with its ETag.
                let later = try await store.papersNeedingStars(since: since, checkedBefore: testNow.addingTimeInterval(86_400), limit: 10)
                #expect(later.first { $0.paperID == "2502.00001" }?.etag == "\"abc\"")
                try await store.saveStars(paperKey: one.key, outcome: .unchanged, checkedAt: testNow.addingTimeInterval(86_400))
                #expect(try await store.paper(id: "2502.00001")?.githubStars == 1234)
                _ = try await store.upsert([record(samplePaper(id: "2502.00001", title: "New title", daily: nil, githubRepo: "https://github.com/lab/one"))])
                #expect(try await store.paper(id: "2502.00001")?.githubStars == 1234)
                try await store.saveStars(paperKey: one.key, outcome: .missing, checkedAt: testNow)
                #expect(try await store.paper(id: "2502.00001")?.githubStars == nil)
            }
        }

        @Test(arguments: StoreKind.allCases) func thumbnails_storedBitForBit_placeholdersHaveNoImage_progressCounts(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                var withLink = samplePaper(id: "pb-local-1")
                withLink.pdfURL = "http://127.0.0.1:1/paper.pdf"
                _ = try await store.upsert([
                    record(samplePaper(id: "2502.00001")), record(samplePaper(id: "hep-th/9901001")), record(withLink),
                    record(samplePaper(id: "pb-no-pdf")),
                ])
                // Only papers stored since a moment: none of these (imports stamp the real clock).
                #expect(try await store.papersNeedingThumbnails(afterKey: 0, arrivedSince: Date().addingTimeInterval(3600), limit: 10).isEmpty)
                #expect(try await store.papersNeedingThumbnails(afterKey: 0, arrivedSince: Date().addingTimeInterval(-3600), limit: 10).count == 3)
                let due = try await store.papersNeedingThumbnails(afterKey: 0, arrivedSince: nil, limit: 10)
                #expect(Set(due.map(\.paperID)) == ["2502.00001", "hep-th/9901001", "pb-local-1"])
                #expect(due.first { $0.paperID == "2502.00001" }?.pdfURL == "https://arxiv.org/pdf/2502.00001")
                #expect(due.first { $0.paperID == "pb-local-1" }?.pdfURL == "http://127.0.0.1:1/paper.pdf")
                #expect(try await store.thumbnailProgress() == (0, 3))
                let small = Data((0..<600).map { UInt8($0 % 256) }), large = Data((0..<5000).map { UInt8(($0 * 7) % 256) })
                try await store.saveThumbnail(paperKey: due[0].key, images: ThumbnailImages(mediaType: "image/webp", small: small, large: large), now: testNow)
                try await store.saveThumbnail(paperKey: due[1].key, images: nil, now: testNow)
                #expect(try await store.thumbnailProgress() == (2, 3))
                #expect(try await store.thumbnail(paperID: due[0].paperID, size: .small)?.data == small)
                #expect(try await store.thumbnail(paperID: due[0].paperID, size: .large)?.data == large)
                #expect(try await store.thumbnail(paperID: due[0].paperID, size: .large)?.mediaType == "image/webp")
                #expect(try await store.thumbnail(paperID: due[1].paperID, size: .small) == nil)
                #expect(try await store.paper(id: due[0].paperID)?.thumbnail == .image)
                #expect(try await store.paper(id: due[1].paperID)?.thumbnail == .placeholder)
                #expect(try await store.papersNeedingThumbnails(afterKey: 0, arrivedSince: nil, limit: 10).count == 1)
                // Re-imports keep the thumbnail.
                _ = try await store.upsert([record(samplePaper(id: due[0].paperID, title: "Another title"))])
                #expect(try await store.paper(id: due[0].paperID)?.thumbnail == .image)
            }
        }
    }
}
