import Foundation
import Mustache
import PaperboyCore
import PaperboyMail
import PaperboySearch
import PaperboyStore
import Synchronization

/// Builds digests with the site's templates: the period's top trending papers, then the papers
/// matching each of the subscriber's topics (saved searches, run through hybrid search, so a
/// sentence of interest matches by meaning when the model is loaded). Each paper's block and
/// each topic's matches are made once per period and shared by every subscriber, which is what
/// makes composing 100k digests a matter of seconds.
public final class DigestComposer: DigestComposing {
    let store: any PaperStore
    let search: SearchEngine
    let resources: SiteResources
    let siteName: String
    let site: SiteAddress
    var baseURL: String { site.url }
    let security: Security
    let from: MailAddress
    let trendingCount: Int
    let perTopic = 5
    let cache = Mutex<[String: PeriodContent]>([:])
    /// Per-reader "For you" sections and the topic threshold (issue 15); nil leaves both out.
    let recommender: Recommender?
    /// Each period's papers with their features, made once and scored by every reader's model.
    let forYouCandidates = Mutex<[String: Recommender.CandidateSet]>([:])
    let forYouCount = 5

    /// `site`: the server's own address, so a server on port 0 links to the port it was given.
    public init(store: any PaperStore, search: SearchEngine, resources: SiteResources, siteName: String, site: SiteAddress,
                security: Security, from: MailAddress, trendingCount: Int = 10, recommender: Recommender? = nil) {
        self.recommender = recommender
        self.store = store
        self.search = search
        self.resources = resources
        self.siteName = siteName
        self.site = site
        self.security = security
        self.from = from
        self.trendingCount = trendingCount
    }

    public convenience init(store: any PaperStore, search: SearchEngine, resources: SiteResources, siteName: String, baseURL: String,
                            security: Security, from: MailAddress, trendingCount: Int = 10, recommender: Recommender? = nil) throws {
        self.init(store: store, search: search, resources: resources, siteName: siteName, site: try SiteAddress(publicURL: baseURL),
                  security: security, from: from, trendingCount: trendingCount, recommender: recommender)
    }

    /// A paper rendered once, in both forms.
    struct Block: Sendable {
        let html: String
        let text: String
    }

    struct PeriodContent: Sendable {
        var trending: [String]
        var blocks: [String: Block]
        var topics: [String: [String]]
    }

    public func message(for subscriber: Subscriber, period: DigestPeriod) async throws -> MailMessage? {
        let content = try await content(for: subscriber, period: period)
        guard !content.trending.isEmpty || !content.forYou.isEmpty || content.sections.contains(where: { !$0.papers.isEmpty }) else { return nil }
        let links = links(for: subscriber, period: period)
        let model = digestModel(content, period: period, links: links)
        let subject = "\(siteName): trending papers, \(periodName(period))"
        return MailMessage(
            from: from, to: try MailAddress(subscriber.email), subject: subject,
            headers: [
                ("List-Unsubscribe", "<\(links.unsubscribe)>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("List-Id", "\(siteName.filter { $0.isLetter || $0.isNumber }) digest <digest.\(host)>"),
            ],
            text: resources.render(model, template: "digest.txt"),
            html: resources.render(model, template: "digest"))
    }

    /// The same digest as a web page (`/digest?s=…&period=…`).
    func webView(for subscriber: Subscriber, period: DigestPeriod) async throws -> String {
        let content = try await content(for: subscriber, period: period)
        let links = links(for: subscriber, period: period)
        return resources.render(digestModel(content, period: period, links: links), template: "digest")
    }

    func digestModel(_ content: DigestContent, period: DigestPeriod, links: (unsubscribe: String, webView: String)) -> DigestModel {
        var model = DigestModel(
            siteName: siteName, periodName: periodName(period), home: baseURL,
            trending: content.trending.map(\.html), trendingText: content.trending.map(\.text),
            sections: content.sections.map { DigestModel.Section(topic: $0.topic, papers: $0.papers.map(\.html), papersText: $0.papers.map(\.text)) },
            unsubscribe: links.unsubscribe, webView: links.webView)
        model.forYou = content.forYou.map(\.html)
        model.forYouText = content.forYou.map(\.text)
        return model
    }

    typealias DigestContent = (trending: [Block], forYou: [Block], sections: [(topic: String, papers: [Block])])

    var host: String { site.host }

    func links(for subscriber: Subscriber, period: DigestPeriod) -> (unsubscribe: String, webView: String) {
        let unsubscribe = "\(baseURL)/unsubscribe?s=\(security.signed(subscriber.token, purpose: "subscriber"))"
        let webView = "\(baseURL)/digest?s=\(security.signed(subscriber.token, purpose: "subscriber"))&period=\(period.key)"
        return (unsubscribe, webView)
    }

    func periodName(_ period: DigestPeriod) -> String {
        switch period.feed {
        case .day(let day): day.iso
        case .week(_, let week): "week \(week), \(period.feed.days.lowerBound.iso) to \(period.feed.days.upperBound.iso)"
        case .month: period.feed.title
        }
    }

    func content(for subscriber: Subscriber, period: DigestPeriod) async throws -> DigestContent {
        var periodContent = try await periodContent(period)
        var sections: [(topic: String, papers: [Block])] = []
        let forYou = try await forYouPapers(for: subscriber, period: period)
        for paper in forYou where periodContent.blocks[paper.id] == nil {
            let made = block(paper)
            periodContent.blocks[paper.id] = made
            cache.withLock { $0[period.key]?.blocks[paper.id] = made }
        }
        let shown = Set(periodContent.trending).union(forYou.map(\.id))
        for topic in subscriber.topics {
            let ids: [String]
            if let known = periodContent.topics[topic] {
                ids = known
            } else {
                ids = try await match(topic, period: period, into: &periodContent)
                cache.withLock { $0[period.key]?.topics[topic] = ids }
            }
            let blocks = ids.filter { !shown.contains($0) }.prefix(perTopic).compactMap { periodContent.blocks[$0] }
            sections.append((topic, Array(blocks)))
        }
        return (periodContent.trending.compactMap { periodContent.blocks[$0] }, forYou.compactMap { periodContent.blocks[$0.id] }, sections)
    }

    /// The subscriber's own recommendations among the period's papers: only when an account with
    /// this address has a trained model, and only papers scoring above `forYouThreshold`, at most
    /// `forYouCount`, never one the reader already liked.
    func forYouPapers(for subscriber: Subscriber, period: DigestPeriod) async throws -> [Paper] {
        guard let recommender, let account = try await store.account(email: subscriber.email),
              let model = try await recommender.model(accountID: account.id, tag: nil) else { return [] }
        let candidates: Recommender.CandidateSet
        if let known = forYouCandidates.withLock({ $0[period.key] }) {
            candidates = known
        } else {
            let papers = try await store.dailyPapers(DailyQuery(period: period.feed, sort: .upvotes, limit: 2_000, now: period.feed.days.upperBound.adding(days: 1).start))
            candidates = try await recommender.candidateSet(papers)
            forYouCandidates.withLock { $0[period.key] = candidates }
        }
        let ranked = try await recommender.rank(candidates, with: model, minimumScore: Self.forYouThreshold, excludingLiked: true, limit: forYouCount)
        let byID = Dictionary(candidates.papers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ranked.compactMap { byID[$0.paperID] }
    }

    /// A margin above −0.5: on the simulated readers (`paperboy eval recommendations`) the best
    /// F1 of "score above t" as a relevance test, precision 0.68 and recall 0.42 (BENCHMARKS.md).
    /// Unliked papers never reach the SVM's own boundary (0): it sits close to the liked ones.
    static let forYouThreshold: Float = -0.5

    /// Cosine similarity (MiniLM) a paper needs to its topic's text to be listed under the topic.
    /// Search ranks the best matches first whatever their quality; this keeps the section to
    /// papers that really match (see BENCHMARKS.md, "Digest topic threshold").
    static let topicThreshold: Float = 0.35

    func periodContent(_ period: DigestPeriod) async throws -> PeriodContent {
        if let known = cache.withLock({ $0[period.key] }) { return known }
        let papers = try await store.dailyPapers(DailyQuery(period: period.feed, sort: .trending, limit: trendingCount, now: period.feed.days.upperBound.adding(days: 1).start))
        var content = PeriodContent(trending: papers.map(\.id), blocks: [:], topics: [:])
        for paper in papers { content.blocks[paper.id] = block(paper) }
        cache.withLock { $0[period.key] = content }
        return content
    }

    /// Papers of the period that a topic finds, best first.
    func match(_ topic: String, period: DigestPeriod, into content: inout PeriodContent) async throws -> [String] {
        let response: SearchResponse
        do {
            response = try await search.search(topic, mode: .hybrid, limit: 100)
        } catch {
            return []
        }
        let days = period.feed.days
        var ids: [String] = []
        let inPeriod = response.results.filter { $0.paper.dailyDay.map({ days.contains($0) }) == true }
        let similarities = try await recommender?.topicSimilarities(topic, papers: inPeriod.map(\.paper))
        for result in inPeriod where similarities.map({ ($0[result.paper.id] ?? 0) >= Self.topicThreshold }) ?? true {
            ids.append(result.paper.id)
            if content.blocks[result.paper.id] == nil {
                let made = block(result.paper)
                content.blocks[result.paper.id] = made
                cache.withLock { $0[period.key]?.blocks[result.paper.id] = made }
            }
        }
        return ids
    }

    func block(_ paper: Paper) -> Block {
        let model = DigestPaperModel(
            title: LatexText.legible(paper.title), url: baseURL + Links.paper(paper.id),
            authors: PaperText.authorsLine(paper, limit: 4), abstract: TextTools.trimmed(LatexText.legible(paper.abstract), to: 300),
            upvotes: paper.upvotes, arxivURL: paper.isArxiv ? Links.arxivAbstract(paper.id) : nil, githubRepo: paper.githubRepo)
        return Block(html: resources.render(model, template: "digest-paper"), text: resources.render(model, template: "digest-paper.txt"))
    }
}
