import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import Testing

extension StoreConformanceTests {
    @Suite struct ForYou {
        static func setUp(_ store: any PaperStore) async throws -> (ada: Account, bob: Account) {
            _ = try await store.upsert((1...4).map { record(samplePaper(id: "2502.0000\($0)", title: "Paper \($0)")) })
            let ada = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
            let bob = try await store.createAccount(username: "bob", email: "bob@example.org", role: .admin, passwordHash: nil, now: testNow)
            return (ada, bob)
        }

        @Test(arguments: StoreKind.allCases) func library_saveRetagUnsave_keepsEachReadersOwn(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let (ada, bob) = try await Self.setUp(store)
                try await store.savePaper("2502.00001", tags: ["graphs", "rl"], accountID: ada.id, now: testNow)
                try await store.savePaper("2502.00002", tags: [], accountID: ada.id, now: testNow.addingTimeInterval(10))
                try await store.savePaper("2502.00003", tags: ["graphs"], accountID: bob.id, now: testNow)
                let library = try await store.library(accountID: ada.id, tag: nil)
                #expect(library.map(\.paper.id) == ["2502.00002", "2502.00001"])
                #expect(library.map(\.tags) == [[], ["graphs", "rl"]])
                #expect(try await store.library(accountID: ada.id, tag: "graphs").map(\.paper.id) == ["2502.00001"])
                #expect(try await store.libraryTags(accountID: ada.id) == [
                    LibraryTag(name: "graphs", paperCount: 1, isPublic: false), LibraryTag(name: "rl", paperCount: 1, isPublic: false),
                ])
                // Saving again replaces the tags.
                try await store.savePaper("2502.00001", tags: ["theory"], accountID: ada.id, now: testNow.addingTimeInterval(20))
                #expect(try await store.savedTags(accountID: ada.id, among: ["2502.00001", "2502.00002", "2502.00003"])
                        == ["2502.00001": ["theory"], "2502.00002": []])
                #expect(try await store.unsavePaper("2502.00001", accountID: ada.id))
                #expect(try await !store.unsavePaper("2502.00001", accountID: ada.id))
                #expect(try await store.libraryTags(accountID: ada.id).isEmpty)
                #expect(try await store.library(accountID: bob.id, tag: nil).map(\.paper.id) == ["2502.00003"])
            }
        }

        /// A page's marks in one read equal the three reads they replace: votes, saved papers
        /// (with their tags in order, or none), dismissed papers; another reader's marks, unknown
        /// ids and a hidden paper's marks as those reads give them; over 512 ids (several lists).
        @Test(arguments: StoreKind.allCases) func readerMarks_equalTheThreeReadsTheyReplace(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let (ada, bob) = try await Self.setUp(store)
                _ = try await store.setVote(true, paperID: "2502.00001", accountID: ada.id, now: testNow)
                _ = try await store.setVote(true, paperID: "2502.00003", accountID: ada.id, now: testNow)
                _ = try await store.setVote(true, paperID: "2502.00002", accountID: bob.id, now: testNow)
                try await store.savePaper("2502.00001", tags: ["rl", "graphs", "a_b-c"], accountID: ada.id, now: testNow)
                try await store.savePaper("2502.00002", tags: [], accountID: ada.id, now: testNow)
                try await store.savePaper("2502.00004", tags: ["theory"], accountID: bob.id, now: testNow)
                try await store.setNotInterested(true, paperID: "2502.00004", accountID: ada.id, now: testNow)
                try await store.setNotInterested(true, paperID: "2502.00001", accountID: bob.id, now: testNow)
                try await store.setPaperHidden(true, paperID: "2502.00003")
                let page = ["2502.00001", "2502.00002", "2502.00003", "2502.00004", "2502.99999"]
                let many = page + (0..<600).map { String(format: "2601.%05d", $0) }
                for account in [ada, bob] {
                    for ids in [page, many, ["2502.00004"], []] {
                        let marks = try await store.readerMarks(accountID: account.id, among: ids)
                        #expect(marks.voted == (try await store.votedPaperIDs(accountID: account.id, among: ids)), "\(account.username), \(ids.count) ids")
                        #expect(marks.savedTags == (try await store.savedTags(accountID: account.id, among: ids)), "\(account.username), \(ids.count) ids")
                        #expect(marks.notInterested == (try await store.notInterestedPaperIDs(accountID: account.id, among: ids)), "\(account.username), \(ids.count) ids")
                    }
                }
                let ada5 = try await store.readerMarks(accountID: ada.id, among: many)
                #expect(ada5 == ReaderMarks(
                    voted: ["2502.00001", "2502.00003"], savedTags: ["2502.00001": ["a_b-c", "graphs", "rl"], "2502.00002": []],
                    notInterested: ["2502.00004"]))
            }
        }

        @Test(arguments: StoreKind.allCases) func library_badInput_failsAndKeepsWhatWasStored(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let (ada, _) = try await Self.setUp(store)
                try await store.savePaper("2502.00001", tags: ["keep"], accountID: ada.id, now: testNow)
                await #expect(throws: CommunityError.noSuchPaper("9999.99999")) {
                    try await store.savePaper("9999.99999", tags: [], accountID: ada.id, now: testNow)
                }
                await #expect(throws: ForYouError.self) {
                    try await store.savePaper("2502.00001", tags: ["<script>"], accountID: ada.id, now: testNow)
                }
                await #expect(throws: ForYouError.self) {
                    try await store.savePaper("2502.00001", tags: [String(repeating: "a", count: 41)], accountID: ada.id, now: testNow)
                }
                await #expect(throws: ForYouError.self) {
                    try await store.savePaper("2502.00001", tags: (0..<21).map { "t\($0)" }, accountID: ada.id, now: testNow)
                }
                await #expect(throws: ForYouError.self) {
                    try await store.setInterestParagraph(String(repeating: "x", count: 4001), accountID: ada.id, now: testNow)
                }
                #expect(try await store.savedTags(accountID: ada.id, among: ["2502.00001"]) == ["2502.00001": ["keep"]])
                await #expect(throws: CommunityError.noSuchPaper("nope")) {
                    try await store.setNotInterested(true, paperID: "nope", accountID: ada.id, now: testNow)
                }
            }
        }

        @Test(arguments: StoreKind.allCases) func publicCollection_onlyForPublicTags(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let (ada, _) = try await Self.setUp(store)
                try await store.savePaper("2502.00001", tags: ["graphs"], accountID: ada.id, now: testNow)
                try await store.savePaper("2502.00002", tags: ["secret"], accountID: ada.id, now: testNow)
                #expect(try await store.publicCollection(username: "ada", tag: "graphs") == nil)
                try await store.setTagPublic(true, tag: "graphs", accountID: ada.id)
                #expect(try await store.publicCollection(username: "ADA", tag: "graphs")?.map(\.paper.id) == ["2502.00001"])
                #expect(try await store.publicCollection(username: "ada", tag: "secret") == nil)
                #expect(try await store.publicCollection(username: "nobody", tag: "graphs") == nil)
                #expect(try await store.libraryTags(accountID: ada.id).first { $0.name == "graphs" }?.isPublic == true)
                try await store.setTagPublic(false, tag: "graphs", accountID: ada.id)
                #expect(try await store.publicCollection(username: "ada", tag: "graphs") == nil)
                await #expect(throws: ForYouError.self) { try await store.setTagPublic(true, tag: "a b/c", accountID: ada.id) }
            }
        }

        @Test(arguments: StoreKind.allCases) func signals_collectLikesNegativesFollowsParagraph_andFingerprintChanges(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let (ada, bob) = try await Self.setUp(store)
                let empty = try await store.readerSignals(accountID: ada.id, tag: nil)
                #expect(empty.isEmpty)
                #expect(try await store.accountsWithSignals().isEmpty)
                _ = try await store.setVote(true, paperID: "2502.00001", accountID: ada.id, now: testNow)
                try await store.savePaper("2502.00002", tags: ["graphs"], accountID: ada.id, now: testNow)
                try await store.setNotInterested(true, paperID: "2502.00003", accountID: ada.id, now: testNow)
                try await store.setNotInterested(true, paperID: "2502.00003", accountID: ada.id, now: testNow)
                try await store.setFollow(true, Follow(kind: .author, value: "Ada Lovelace"), accountID: ada.id, now: testNow)
                try await store.setFollow(true, Follow(kind: .category, value: "cs.LG"), accountID: ada.id, now: testNow)
                try await store.setInterestParagraph("  Sparse training.  ", accountID: ada.id, now: testNow)
                let signals = try await store.readerSignals(accountID: ada.id, tag: nil)
                let keys = try await [store.paperKey(id: "2502.00001"), store.paperKey(id: "2502.00002"), store.paperKey(id: "2502.00003")]
                #expect(Set(signals.likedPaperKeys) == Set([keys[0], keys[1]].compactMap { $0 }))
                #expect(signals.negativePaperKeys == [keys[2]].compactMap { $0 })
                #expect(signals.follows == [Follow(kind: .author, value: "Ada Lovelace"), Follow(kind: .category, value: "cs.LG")])
                #expect(signals.interestParagraph == "Sparse training.")
                #expect(try await store.readerSignals(accountID: ada.id, tag: "graphs").likedPaperKeys == [keys[1]].compactMap { $0 })
                #expect(try await store.accountsWithSignals() == [ada.id])
                #expect(try await store.readerSignals(accountID: bob.id, tag: nil).isEmpty)

                var fingerprints = [signals.fingerprint]
                try await store.setNotInterested(false, paperID: "2502.00003", accountID: ada.id, now: testNow)
                fingerprints.append(try await store.readerSignals(accountID: ada.id, tag: nil).fingerprint)
                try await store.setFollow(false, Follow(kind: .author, value: "Ada Lovelace"), accountID: ada.id, now: testNow)
                fingerprints.append(try await store.readerSignals(accountID: ada.id, tag: nil).fingerprint)
                try await store.setInterestParagraph(nil, accountID: ada.id, now: testNow)
                fingerprints.append(try await store.readerSignals(accountID: ada.id, tag: nil).fingerprint)
                _ = try await store.setVote(false, paperID: "2502.00001", accountID: ada.id, now: testNow)
                fingerprints.append(try await store.readerSignals(accountID: ada.id, tag: nil).fingerprint)
                #expect(Set(fingerprints).count == fingerprints.count)
                // Reading twice without a change gives the same fingerprint.
                #expect(try await store.readerSignals(accountID: ada.id, tag: nil).fingerprint == fingerprints.last)
                #expect(try await store.notInterestedPaperIDs(accountID: ada.id, among: ["2502.00003"]).isEmpty)
                #expect(try await store.follows(accountID: ada.id) == [Follow(kind: .category, value: "cs.LG")])
            }
        }

        @Test(arguments: StoreKind.allCases) func apiTokens_storedByHash_revocableOnlyByOwner(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let (ada, bob) = try await Self.setUp(store)
                let hash = Data((0..<32).map { UInt8($0) })
                let id = try await store.createAPIToken(hash: hash, name: "laptop", accountID: ada.id, now: testNow)
                #expect(try await store.apiTokenAccount(hash: hash)?.id == ada.id)
                #expect(try await store.apiTokenAccount(hash: Data(repeating: 7, count: 32)) == nil)
                #expect(try await store.apiTokens(accountID: ada.id) == [PersonalAPIToken(id: id, name: "laptop", createdAt: testNow)])
                #expect(try await !store.deleteAPIToken(id: id, accountID: bob.id))
                #expect(try await store.apiTokenAccount(hash: hash)?.id == ada.id)
                #expect(try await store.deleteAPIToken(id: id, accountID: ada.id))
                #expect(try await store.apiTokenAccount(hash: hash) == nil)
            }
        }

        @Test(arguments: StoreKind.allCases) func recommendationModels_savedPerReaderAndTag_replaced(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let (ada, bob) = try await Self.setUp(store)
                let first = StoredRecommendationModel(accountID: ada.id, tag: "", fingerprint: "a", weights: Data([1, 2, 3]), trainedAt: testNow)
                try await store.saveRecommendationModel(first)
                try await store.saveRecommendationModel(StoredRecommendationModel(accountID: ada.id, tag: "graphs", fingerprint: "g", weights: Data([9]), trainedAt: testNow))
                try await store.saveRecommendationModel(StoredRecommendationModel(accountID: bob.id, tag: "", fingerprint: "b", weights: Data([4]), trainedAt: testNow))
                #expect(try await store.recommendationModel(accountID: ada.id, tag: "") == first)
                let replaced = StoredRecommendationModel(accountID: ada.id, tag: "", fingerprint: "a2", weights: Data([5, 6]), trainedAt: testNow.addingTimeInterval(1))
                try await store.saveRecommendationModel(replaced)
                #expect(try await store.recommendationModel(accountID: ada.id, tag: "") == replaced)
                #expect(try await store.recommendationModel(accountID: ada.id, tag: "graphs")?.weights == Data([9]))
                #expect(try await store.recommendationModel(accountID: bob.id, tag: "graphs") == nil)
                #expect(try await store.readerRecommendationModels().map(\.accountID) == [ada.id, bob.id])
            }
        }

        @Test(arguments: StoreKind.allCases) func termCounts_addOnlyFromTheExpectedCursor(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                _ = try await Self.setUp(store)
                #expect(try await store.termCountPosition() == (0, 0))
                let texts = try await store.paperTexts(afterKey: 0, limit: 3)
                #expect(texts.map(\.title) == ["Paper 1", "Paper 2", "Paper 3"])
                let last = try #require(texts.last?.key)
                #expect(try await store.addTermCounts(["paper": 3, "paper 1": 1], documents: 3, expectedCursor: 0, throughKey: last))
                // A second instance that counted the same papers loses.
                #expect(try await !store.addTermCounts(["paper": 3], documents: 3, expectedCursor: 0, throughKey: last))
                #expect(try await store.addTermCounts(["paper": 1], documents: 1, expectedCursor: last, throughKey: last + 1))
                let statistics = try await store.termStatistics(minimumDocuments: 2)
                #expect(statistics == TermStatistics(documents: 4, throughKey: last + 1, documentCounts: ["paper": 4]))
                #expect(try await store.termCountPosition() == (4, last + 1))
                #expect(try await store.paperTexts(afterKey: last, limit: 10).map(\.title) == ["Paper 4"])
                let keys = try await store.paperKeys(ids: ["2502.00001", "2502.00004", "nope", "2502.00001"])
                #expect(keys.count == 2)
                #expect(keys["2502.00001"] == texts.first?.key)
                #expect(try await store.paperKeys(ids: []).isEmpty)
            }
        }

        @Test(arguments: StoreKind.allCases) func deleteAccount_removesEverythingOfTheReader_andRecountsVotes(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let (ada, bob) = try await Self.setUp(store)
                _ = try await store.setVote(true, paperID: "2502.00001", accountID: ada.id, now: testNow)
                _ = try await store.setVote(true, paperID: "2502.00001", accountID: bob.id, now: testNow)
                _ = try await store.addComment(paperID: "2502.00001", accountID: ada.id, body: "hi", now: testNow)
                try await store.savePaper("2502.00002", tags: ["graphs"], accountID: ada.id, now: testNow)
                try await store.setTagPublic(true, tag: "graphs", accountID: ada.id)
                try await store.setNotInterested(true, paperID: "2502.00003", accountID: ada.id, now: testNow)
                try await store.setFollow(true, Follow(kind: .category, value: "cs.LG"), accountID: ada.id, now: testNow)
                try await store.setInterestParagraph("graphs", accountID: ada.id, now: testNow)
                let hash = Data(repeating: 1, count: 32)
                _ = try await store.createAPIToken(hash: hash, name: "t", accountID: ada.id, now: testNow)
                try await store.saveRecommendationModel(StoredRecommendationModel(accountID: ada.id, tag: "", fingerprint: "a", weights: Data([1]), trainedAt: testNow))
                #expect(try await store.paper(id: "2502.00001")?.upvotes == 2)

                #expect(try await store.deleteAccount(id: ada.id))
                #expect(try await !store.deleteAccount(id: ada.id))
                #expect(try await store.account(id: ada.id) == nil)
                #expect(try await store.paper(id: "2502.00001")?.upvotes == 1)
                #expect(try await store.paper(id: "2502.00001")?.commentCount == 0)
                #expect(try await store.library(accountID: ada.id, tag: nil).isEmpty)
                #expect(try await store.publicCollection(username: "ada", tag: "graphs") == nil)
                #expect(try await store.readerSignals(accountID: ada.id, tag: nil).isEmpty)
                #expect(try await store.apiTokenAccount(hash: hash) == nil)
                #expect(try await store.recommendationModel(accountID: ada.id, tag: "") == nil)
                #expect(try await store.accountsWithSignals() == [bob.id])
                // A new account never inherits the old one's data.
                let newcomer = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
                #expect(try await store.library(accountID: newcomer.id, tag: nil).isEmpty)
            }
        }

        @Test(arguments: StoreKind.allCases) func savePaper_concurrently_bothSucceedOneEntry(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let (ada, _) = try await Self.setUp(store)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<6 {
                        group.addTask { try await store.savePaper("2502.00001", tags: ["t\(index)"], accountID: ada.id, now: testNow.addingTimeInterval(Double(index))) }
                    }
                    try await group.waitForAll()
                }
                let library = try await store.library(accountID: ada.id, tag: nil)
                #expect(library.count == 1)
                #expect(library.first?.tags.count == 1)
            }
        }
    }
}
