import Foundation
import Hummingbird
import PaperboyCore
import PaperboySearch
import PaperboyStore

/// Author pages, authorship claims, trends and thumbnails (issue 19).
struct EnrichmentRoutes: Sendable {
    let community: CommunityContext
    let cache: PageCache

    var store: any PaperStore { community.store }

    /// At most this many matching papers are counted for a trend.
    static let trendPaperLimit = 20_000
    static let trendRanges = [(13, "3 months"), (26, "6 months"), (52, "a year"), (104, "two years"), (260, "five years")]

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/authors/:name") { request, context in
            try await cache.page(for: request) { try await self.authorPage(rawName: context.parameters.require("name")) }
        }
        router.post("/papers/:id/claim") { request, context in
            try await self.claim(request, context: context, id: context.parameters.require("id"))
        }
        router.post("/papers/:id/:number/claim") { request, context in
            try await self.claim(request, context: context, id: "\(context.parameters.require("id"))/\(context.parameters.require("number"))")
        }
        router.get("/claims") { _, _ in try await self.claimsPage(notice: nil) }
        router.post("/claims/decide") { request, context in try await self.decide(request, context: context) }
        router.get("/trends") { request, _ in
            try await cache.page(for: request, parameters: ["q", "weeks"]) { try await self.trendsPage(request) }
        }
        router.get("/thumbnails/:size/:id") { _, context in
            try await self.thumbnail(size: context.parameters.require("size"), file: context.parameters.require("id"))
        }
        // Old-style arXiv ids have a slash: /thumbnails/small/hep-th/9901001.webp
        router.get("/thumbnails/:size/:id/:number") { _, context in
            try await self.thumbnail(
                size: context.parameters.require("size"), file: context.parameters.require("number"), archive: context.parameters.require("id"))
        }
        router.get("/static/thumbnail-placeholder.svg") { _, _ in
            Responses.text(Self.placeholderSVG, contentType: "image/svg+xml", cache: "public, max-age=86400")
        }
    }

    // MARK: Authors

    func authorPage(rawName: String) async throws -> Page {
        guard let name = rawName.removingPercentEncoding?.trimmingCharacters(in: .whitespaces), !name.isEmpty, name.count <= 200 else {
            throw RequestProblem.badRequest("An author page is /authors/ followed by a name, as papers list it.")
        }
        let papers = try await store.papers(byAuthor: name, limit: 500)
        guard !papers.isEmpty else { throw RequestProblem.notFound("No paper here lists an author called \"\(name.prefix(100))\".") }
        var claimants: [AuthorshipSection.Claimant] = []
        var seen = Set<String>()
        for paper in papers.prefix(100) {
            for claim in try await store.authorClaims(paperID: paper.id)
            where claim.status == .approved && claim.authorName == name && seen.insert(claim.username.lowercased()).inserted {
                claimants.append(.init(username: claim.username, profileURL: Links.profile(claim.username), authorName: name, authorURL: Links.author(name)))
            }
        }
        let model = AuthorPageModel(
            site: community.site, name: name, papers: try await community.cards(papers),
            count: papers.count == 500 ? "500 or more papers" : "\(papers.count) paper\(papers.count == 1 ? "" : "s")",
            claimants: claimants, searchURL: Links.search("author:\"\(name)\""), trendsURL: Links.trends("author:\"\(name)\""))
        return Responses.html(community.resources.render(model, template: "author"))
    }

    // MARK: Claims

    func paper(_ id: String) async throws -> Paper {
        guard id.utf8.count <= 80, let paper = try await store.paper(id: id), !paper.hidden else {
            throw RequestProblem.notFound("There is no paper with id \"\(id.prefix(80))\" here.")
        }
        return paper
    }

    /// A claim is approved at once when the account's address (verified: accounts are made by a
    /// mailed link, or by the operator) is in the paper's own metadata; else a curator decides.
    func claim(_ request: Request, context: some RequestContext, id: String) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.paper(id))
        try community.limit(.comment, client: community.clientAddress(request, context: context), account: viewer.account.id)
        let paper = try await paper(id)
        guard let author = try form.string("author", maxLength: 300), paper.authors.contains(author) else {
            throw RequestProblem.badRequest("Pick your name from the paper's authors.")
        }
        let address = viewer.account.email.lowercased()
        let verified = PaperEmails.addresses(in: paper).contains(address) ? address : nil
        _ = try await store.claimAuthorship(paperID: paper.id, accountID: viewer.account.id, authorName: author, verifiedBy: verified, now: community.now())
        return Responses.redirect(to: Links.paper(paper.id))
    }

    func requireCurator() throws -> Viewer {
        let viewer = try community.requireViewer(next: Links.authorClaims())
        guard viewer.canCurate else { throw RequestProblem(status: .forbidden, message: "Only curators decide authorship claims.") }
        return viewer
    }

    func claimsPage(notice: String?) async throws -> Response {
        let viewer = try requireCurator()
        let claims = try await store.pendingAuthorClaims(limit: 200)
        var rows: [ClaimsPageModel.Row] = []
        for claim in claims {
            let title = try await store.paper(id: claim.paperID).map { LatexText.legible($0.title) } ?? claim.paperID
            rows.append(.init(
                username: claim.username, profileURL: Links.profile(claim.username), authorName: claim.authorName, paperTitle: title,
                paperURL: Links.paper(claim.paperID), created: Day(containing: claim.createdAt).iso, accountID: claim.accountID, paperID: claim.paperID))
        }
        let model = ClaimsPageModel(site: community.site, rows: rows, action: Links.decideAuthorClaim(), csrf: viewer.csrfToken, notice: notice)
        return community.page("claims", model)
    }

    func decide(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        _ = try requireCurator()
        guard let paperID = try form.string("paper", maxLength: 80), let accountText = try form.string("account", maxLength: 20),
              let accountID = Int64(accountText), let decision = try form.string("decision", maxLength: 10), ["approve", "reject"].contains(decision)
        else { throw RequestProblem.badRequest("A decision names a paper, an account and approve or reject.") }
        let done = try await store.decideAuthorClaim(paperID: paperID, accountID: accountID, approve: decision == "approve", now: community.now())
        return try await claimsPage(notice: done ? (decision == "approve" ? "Approved." : "Rejected.") : "That claim was decided already.")
    }

    // MARK: Trends

    func trendsPage(_ request: Request) async throws -> Page {
        let parameters = QueryParameters(request)
        let text = try parameters.string("q", maxLength: SearchQuery.maxLength)?.trimmingCharacters(in: .whitespaces)
        let weeks = try parameters.integer("weeks", default: 52, range: 4...260)
        let ranges = Self.trendRanges.map { TrendsPageModel.RangeOption(weeks: $0.0, label: $0.1, selected: $0.0 == weeks) }
        let site = community.site
        guard let text, !text.isEmpty else {
            return Responses.html(community.resources.render(TrendsPageModel(
                site: site, query: nil, problem: nil, ranges: ranges, chart: nil, summary: nil, searchURL: nil, capped: nil, rows: []), template: "trends"))
        }
        var query: SearchQuery
        do {
            query = try SearchQuery.parse(text)
        } catch {
            return Responses.html(community.resources.render(TrendsPageModel(
                site: site, query: text, problem: error.description, ranges: ranges, chart: nil, summary: nil, searchURL: nil, capped: nil, rows: []),
                template: "trends"), status: .badRequest)
        }
        // The chart ends with today's week, or with the newest paper's when the store holds
        // nothing newer (an archive, the demo's corpus): not on months of empty weeks.
        let today = Day(containing: community.now())
        let lastDay = try await newestPublishedDay().map { min($0, today) } ?? today
        let firstDay = lastDay.adding(days: 1 - lastDay.isoWeekday - 7 * (weeks - 1))
        // Every word must match (as a one-word phrase would), unlike the search box's "most words".
        query.phrases += query.words
        query.words = []
        query.publishedFrom = max(query.publishedFrom ?? firstDay, firstDay)
        let hits = try await store.keywordSearch(query, prefixTerms: [], limit: Self.trendPaperLimit)
        var dates: [Date] = []
        for start in stride(from: 0, to: hits.count, by: 1000) {
            let chunk = hits[start..<min(start + 1000, hits.count)].map(\.key)
            dates += try await store.papers(keys: chunk).values.compactMap(\.publishedAt)
        }
        let series = WeeklyCounts(dates: dates, weekCount: weeks, lastDay: lastDay)
        let label = "Papers per week matching \(text), \(series.weeks.first?.iso ?? "") to \(lastDay.iso)"
        let model = TrendsPageModel(
            site: site, query: text, problem: nil, ranges: ranges, chart: TrendChart.svg(series, label: label),
            summary: "\(series.total) paper\(series.total == 1 ? "" : "s") published from \(firstDay.iso) to \(lastDay.iso) match \(text)",
            searchURL: Links.search(text),
            capped: hits.count >= Self.trendPaperLimit ? "Only the first \(Self.trendPaperLimit) matches were counted; narrow the query or the range." : nil,
            rows: zip(series.weeks, series.counts).reversed().map { (FeedPeriod.week(containing: $0.0).description, $0.1) })
        return Responses.html(community.resources.render(model, template: "trends"))
    }

    /// The day the newest paper was published; nil when no paper has a date (or the newest is hidden).
    func newestPublishedDay() async throws -> Day? {
        guard let newest = try await store.filteredPapers(SearchFilters(SearchQuery()), limit: 1).first else { return nil }
        return try await store.papers(keys: [newest.key])[newest.key]?.publishedAt.map { Day(containing: $0) }
    }

    // MARK: Thumbnails

    func thumbnail(size rawSize: String, file: String, archive: String? = nil) async throws -> Response {
        guard let size = ThumbnailSize(rawValue: rawSize), file.hasSuffix(".webp") else {
            throw RequestProblem.notFound("No such thumbnail.")
        }
        let id = (archive.map { "\($0)/" } ?? "") + String(file.dropLast(5))
        guard id.utf8.count <= 80, let image = try await store.thumbnail(paperID: id, size: size) else {
            throw RequestProblem.notFound("No thumbnail for \"\(id.prefix(80))\".")
        }
        var response = Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: image.data)))
        response.headers[.contentType] = image.mediaType
        response.headers[.cacheControl] = "public, max-age=86400"
        return response
    }

    /// A grey page with lines where text would be: shown for PDFs that could not be rendered.
    static let placeholderSVG = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 310" width="240" height="310"><rect width="240" height="310" fill="#f2f2f2" stroke="#ccc"/>\
        <g fill="#ddd"><rect x="30" y="40" width="180" height="12"/><rect x="50" y="62" width="140" height="8"/><rect x="30" y="95" width="180" height="6"/>\
        <rect x="30" y="108" width="180" height="6"/><rect x="30" y="121" width="150" height="6"/><rect x="30" y="145" width="180" height="6"/>\
        <rect x="30" y="158" width="180" height="6"/><rect x="30" y="171" width="120" height="6"/></g>\
        <text x="120" y="240" font-family="sans-serif" font-size="14" text-anchor="middle" fill="#888">No preview</text></svg>
        """
}
