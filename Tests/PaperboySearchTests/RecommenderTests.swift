import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import Testing
@testable import PaperboySearch

/// The store-backed recommender on both stores, TF-IDF features only (no model needed).
@Suite struct RecommenderTests {
    static let topics = [
        ("lottery ticket pruning sparse subnetworks", "Sparse subnetworks found by iterative magnitude pruning train to full accuracy from their initialization."),
        ("diffusion image generation sampler", "A denoising diffusion sampler generates images in fewer steps with guidance."),
        ("graph neural network message passing", "Message passing graph networks over nodes and edges with oversmoothing analysis."),
    ]

    static func fill(_ store: any PaperStore) async throws -> Account {
        var papers: [Paper] = []
        for index in 0..<60 {
            let (title, abstract) = topics[index % 3]
            papers.append(samplePaper(id: "2502.\(String(format: "%05d", index + 1))", title: "\(title) \(index)", abstract: abstract))
        }
        _ = try await store.upsert(papers.map { record($0) })
        return try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
    }

    @Test(arguments: StoreKind.allCases) func retrain_onlyWhenSignalsChange_andRanksLikedTopicFirst(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let ada = try await Self.fill(store)
            let recommender = Recommender(store: store, semantic: nil,
                                          settings: .init(vocabulary: .init(minimumDocuments: 2, maximumDocumentShare: 0.5), restSample: 40))
            #expect(try await recommender.updateVocabulary(batchSize: 25) == 60)
            #expect(try await recommender.updateVocabulary() == 0)
            #expect(try await !recommender.retrainIfStale(accountID: ada.id, tag: nil, now: testNow), "no signals yet: fingerprint of nothing")

            try await store.savePaper("2502.00001", tags: ["pruning"], accountID: ada.id, now: testNow)
            _ = try await store.setVote(true, paperID: "2502.00004", accountID: ada.id, now: testNow)
            try await store.setNotInterested(true, paperID: "2502.00002", accountID: ada.id, now: testNow)
            #expect(try await recommender.retrainStaleModels(now: testNow) == 2, "the reader's model and the tag's")
            #expect(try await recommender.retrainStaleModels(now: testNow) == 0)

            let model = try #require(try await recommender.model(accountID: ada.id, tag: nil))
            let candidates = try await store.dailyPapers(DailyQuery(period: nil, limit: 60, now: testNow))
            let ranked = try await recommender.rank(candidates, with: model)
            #expect(ranked.count == 60)
            // Every lottery paper (ids 1, 4, 7, …) ranks above every other.
            let lotteryIDs = Set((0..<60).filter { $0 % 3 == 0 }.map { "2502.\(String(format: "%05d", $0 + 1))" })
            #expect(Set(ranked.prefix(20).map(\.paperID)) == lotteryIDs)
            #expect(ranked.first?.reason.contains("lottery") == true || ranked.first?.reason.contains("pruning") == true, "\(ranked.first?.reason ?? "")")
            // With a limit, the same first papers, scores and reason lines (reasons are made only for those).
            let limited = try await recommender.rank(candidates, with: model, limit: 5)
            #expect(limited.map(\.paperID) == ranked.prefix(5).map(\.paperID))
            #expect(limited.map(\.reason) == ranked.prefix(5).map(\.reason) && limited.map(\.score) == ranked.prefix(5).map(\.score))

            try await store.setFollow(true, Follow(kind: .author, value: "Ada Lovelace"), accountID: ada.id, now: testNow)
            #expect(try await recommender.retrainIfStale(accountID: ada.id, tag: nil, now: testNow.addingTimeInterval(1)))
        }
    }

    @Test func coldStart_interestParagraphAlone_ranksItsTopicFirst() async throws {
        try await StoreKind.sqlite.withStore { store in
            let ada = try await Self.fill(store)
            let recommender = Recommender(store: store, semantic: nil,
                                          settings: .init(vocabulary: .init(minimumDocuments: 2, maximumDocumentShare: 0.5), restSample: 40))
            try await recommender.updateVocabulary()
            try await store.setInterestParagraph("I read about graph neural networks and message passing on graphs.", accountID: ada.id, now: testNow)
            #expect(try await recommender.retrainIfStale(accountID: ada.id, tag: nil, now: testNow))
            let model = try #require(try await recommender.model(accountID: ada.id, tag: nil))
            let candidates = try await store.dailyPapers(DailyQuery(period: nil, limit: 60, now: testNow))
            let ranked = try await recommender.rank(candidates, with: model)
            #expect(ranked.prefix(20).allSatisfy { candidate in candidates.first { $0.id == candidate.paperID }?.title.hasPrefix("graph") == true })
        }
    }

    /// The server's retraining job (issue 20): the SVM and the tokenising run on the idle thread,
    /// and each model waits for a moment without requests, as the background embedding does.
    @Test func retrainInBackground_runsOnTheIdleThread_andWaitsWhileRequestsAreAnswered() async throws {
        try await StoreKind.sqlite.withStore { store in
            let ada = try await Self.fill(store)
            let recommender = Recommender(store: store, semantic: nil,
                                          settings: .init(vocabulary: .init(minimumDocuments: 2, maximumDocumentShare: 0.5), restSample: 40))
            #expect(try await recommender.updateVocabulary(inBackground: true) == 60)
            try await store.savePaper("2502.00001", tags: [], accountID: ada.id, now: testNow)
            #expect(recommender.lastBackgroundScheduling == nil)

            RequestActivity.begin()
            let clock = ContinuousClock()
            let started = clock.now
            let ending = Task {
                try await Task.sleep(for: .milliseconds(600))
                RequestActivity.end()
            }
            #expect(try await recommender.retrainStaleModels(now: testNow, inBackground: true) == 1)
            let took = clock.now - started
            try await ending.value
            #expect(took >= .milliseconds(550), "trained while a request was being answered: \(took)")
            let (policy, nice) = try #require(recommender.lastBackgroundScheduling)
            // SCHED_IDLE is 5; where it is refused the thread is at nice 19 instead.
            #expect(policy == 5 || nice == 19, "policy \(policy), nice \(nice)")

            // The same model as training in the foreground: only where it runs differs.
            let stored = try #require(try await store.recommendationModel(accountID: ada.id, tag: ""))
            let background = try RecommendationModel.decode(stored.weights)
            let foreground = try await recommender.train(liked: background.likedKeys, negatives: [], follows: [], interestParagraph: nil)
            #expect(!background.termWeights.isEmpty)
            #expect(background.termWeights == foreground.termWeights && background.bias == foreground.bias)
        }
    }
}
