import Foundation
import Hummingbird
import PaperboyCore
import PaperboySearch
import PaperboyStore

/// A feed page's papers in the order shown, with what the page says about that order.
struct FeedOrder {
    var papers: [Paper]
    var reasons: [String: String] = [:]
    var note: String? = nil
    /// True when the default feed fell back to the community order.
    var community = false
}

extension SitePages {
    /// At most this many of a period's papers are ranked for a reader (a month of cs papers is
    /// about 20k; the most upvoted 2,000 are the candidates there, a whole day always fits).
    static let forYouCandidates = 2_000

    /// The reader's own order: their model scores the period's papers (and only those).
    func forYouOrder(period: FeedPeriod, page: Int, pageSize: Int) async throws -> FeedOrder {
        guard let viewer = Viewer.current else { throw SignInRequired(next: Links.feedForYou(period, page: page)) }
        guard let recommender else { throw RequestProblem.notFound("For-you ordering is not enabled on this server.") }
        let candidates = try await store.dailyPapers(DailyQuery(period: period, sort: .upvotes, offset: 0, limit: Self.forYouCandidates, now: now()))
        guard let model = try await recommender.model(accountID: viewer.account.id, tag: nil) else {
            let slice = Array(candidates.dropFirst(page * pageSize).prefix(pageSize + 1))
            return FeedOrder(papers: slice, note: "No For-you model yet: save or upvote a few papers, or describe your interests in For-you settings (it is trained within a minute). Showing the most upvoted.")
        }
        let dismissed = try await store.notInterestedPaperIDs(accountID: viewer.account.id, among: candidates.map(\.id))
        let ranked = try await recommender.rank(candidates.filter { !dismissed.contains($0.id) }, with: model, limit: (page + 1) * pageSize + 1)
        let byID = Dictionary(candidates.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let pageRanked = ranked.dropFirst(page * pageSize).prefix(pageSize + 1)
        return FeedOrder(
            papers: pageRanked.compactMap { byID[$0.paperID] },
            reasons: Dictionary(pageRanked.map { ($0.paperID, $0.reason) }, uniquingKeysWith: { first, _ in first }),
            note: "For you: ordered by what you saved, upvoted, follow and marked “not interested”\(dismissed.isEmpty ? "" : " (\(dismissed.count) hidden)").")
    }

    /// Below this many papers with at least one vote, upvotes cannot order the first screen of
    /// the feed: the rest tie at zero (see BENCHMARKS.md, "Community order").
    static let votedPapersForUpvoteOrder = 10

    /// The feed as asked for; the default (no `sort`) becomes the community order when the
    /// period has too few votes and readers have models.
    func defaultOrder(period: FeedPeriod, sort: FeedSort, explicitSort: Bool, page: Int, pageSize: Int) async throws -> FeedOrder {
        let ordinary = try await store.dailyPapers(DailyQuery(
            period: period, sort: sort, offset: page * pageSize, limit: pageSize + 1, now: now()))
        guard !explicitSort, let recommender else { return FeedOrder(papers: ordinary) }
        // Whether votes can order the page is usually plain from the top of the upvote order,
        // without loading the period's candidates (most uncached feed pages stop here).
        let topLimit = max(pageSize + 1, 2 * Self.votedPapersForUpvoteOrder)
        let top = page == 0 && topLimit == pageSize + 1
            ? ordinary
            : try await store.dailyPapers(DailyQuery(period: period, sort: .upvotes, offset: 0, limit: topLimit, now: now()))
        if Self.enoughVotes(top: top, limit: topLimit) == true { return FeedOrder(papers: ordinary) }
        guard try await recommender.hasCommunityModels() else { return FeedOrder(papers: ordinary) }
        let candidates = try await store.dailyPapers(DailyQuery(period: period, sort: .upvotes, offset: 0, limit: Self.forYouCandidates, now: now()))
        let voted = candidates.filter { $0.upvotes > 0 }.count
        guard voted < Self.votedPapersForUpvoteOrder, candidates.count > 1 else { return FeedOrder(papers: ordinary) }
        let interest = try await recommender.communityInterest(candidates)
        guard !interest.isEmpty else { return FeedOrder(papers: ordinary) }
        let blended = candidates.enumerated().sorted { left, right in
            let a = Double(left.element.upvotes) + (interest[left.element.id] ?? 0)
            let b = Double(right.element.upvotes) + (interest[right.element.id] ?? 0)
            if left.element.featured != right.element.featured { return left.element.featured }
            return a != b ? a > b : left.offset < right.offset
        }.map(\.element)
        return FeedOrder(
            papers: Array(blended.dropFirst(page * pageSize).prefix(pageSize + 1)),
            note: "Community order: only \(voted) paper\(voted == 1 ? " has" : "s have") votes here, so upvotes are blended with what this site's readers are interested in (each reader's model adds up to one vote).",
            community: true)
    }

    /// Whether the period has `votedPapersForUpvoteOrder` papers with votes, read from the top
    /// `limit` of its upvote order (curators' picks first, then by upvotes): true or false when
    /// that list settles it, nil when it cannot (a list of only picks and voted papers).
    static func enoughVotes(top: [Paper], limit: Int) -> Bool? {
        if top.filter({ $0.upvotes > 0 }).count >= votedPapersForUpvoteOrder { return true }
        // The whole period, or an unvoted paper that is not a pick: every voted paper is above it.
        if top.count < limit || top.contains(where: { !$0.featured && $0.upvotes == 0 }) { return false }
        return nil
    }
}
