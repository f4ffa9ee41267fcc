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

    /// `site`: the server's own address, so a server on port 0 links to the port it was given.
    public init(store: any PaperStore, search: SearchEngine, resources: SiteResources, siteName: String, site: SiteAddress,
                security: Security, from: MailAddress, trendingCount: Int = 10) {
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
                            security: Security, from: MailAddress, trendingCount: Int = 10) throws {
        self.init(store: store, search: search, resources: resources, siteName: siteName, site: try SiteAddress(publicURL: baseURL),
                  security: security, from: from, trendingCount: trendingCount)
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
        guard !content.trending.isEmpty || content.sections.contains(where: { !$0.papers.isEmpty }) else { return nil }
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

    func digestModel(_ content: (trending: [Block], sections: [(topic: String, papers: [Block])]), period: DigestPeriod, links: (unsubscribe: String, webView: String)) -> DigestModel {
        DigestModel(
            siteName: siteName, periodName: periodName(period), home: baseURL,
            trending: content.trending.map(\.html), trendingText: content.trending.map(\.text),
            sections: content.sections.map { DigestModel.Section(topic: $0.topic, papers: $0.papers.map(\.html), papersText: $0.papers.map(\.text)) },
            unsubscribe: links.unsubscribe, webView: links.webView)
    }

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

    func content(for subscriber: Subscriber, period: DigestPeriod) async throws -> (trending: [Block], sections: [(topic: String, papers: [Block])]) {
        var periodContent = try await periodContent(period)
        var sections: [(topic: String, papers: [Block])] = []
        let shown = Set(periodContent.trending)
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
        return (periodContent.trending.compactMap { periodContent.blocks[$0] }, sections)
    }

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
        for result in response.results where result.paper.dailyDay.map({ days.contains($0) }) == true {
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
