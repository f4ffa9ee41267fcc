import Foundation
import Hummingbird
import PaperboyCore
import PaperboySearch
import PaperboyStore

/// The daily, weekly and monthly feed pages and the paper page.
struct SitePages: Sendable {
    let store: any PaperStore
    let search: SearchEngine
    let resources: SiteResources
    let configuration: WebConfiguration
    let now: @Sendable () -> Date
    let cache: PageCache
    var recommender: Recommender? = nil

    /// The query parameters a feed page reads (the page cache keys on these only).
    static let feedParameters = ["sort", "p"]

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/") { request, _ in try await cache.page(for: request, parameters: Self.feedParameters) { try await self.latestFeed(request) } }
        router.get("/papers") { request, _ in try await cache.page(for: request, parameters: Self.feedParameters) { try await self.latestFeed(request) } }
        router.get("/papers/date/:period") { request, context in
            try await cache.page(for: request, parameters: Self.feedParameters) { try await self.feed(request, period: FeedPeriod.day(iso: context.parameters.require("period")), kind: "date", expected: "YYYY-MM-DD") }
        }
        router.get("/papers/week/:period") { request, context in
            try await cache.page(for: request, parameters: Self.feedParameters) {
                try await self.feed(request, period: FeedPeriod.week(iso: context.parameters.require("period")), kind: "week", expected: "YYYY-Www, like 2025-W09")
            }
        }
        router.get("/papers/month/:period") { request, context in
            try await cache.page(for: request, parameters: Self.feedParameters) {
                try await self.feed(request, period: FeedPeriod.month(iso: context.parameters.require("period")), kind: "month", expected: "YYYY-MM")
            }
        }
        router.get(RouterPath(Links.jump())) { request, _ in try self.jump(request) }
        router.get("/papers/:id") { request, context in
            try await cache.page(for: request) { try await self.paperPage(request, id: context.parameters.require("id")) }
        }
        // Old-style arXiv ids have a slash: /papers/hep-th/9901001
        router.get("/papers/:id/:number") { request, context in
            try await cache.page(for: request) {
                try await self.paperPage(request, id: "\(context.parameters.require("id"))/\(context.parameters.require("number"))")
            }
        }
        let stylesheet = resources.stylesheet
        router.get("/static/paperboy.css") { _, _ in
            Responses.text(stylesheet, contentType: "text/css; charset=utf-8", cache: "public, max-age=3600")
        }
        let favicon = resources.favicon
        // Browsers ask for /favicon.ico whatever the page says; the SVG serves there too.
        for path in [Links.favicon(), "/favicon.ico"] {
            router.get(RouterPath(path)) { _, _ in
                Responses.text(favicon, contentType: "image/svg+xml", cache: "public, max-age=86400")
            }
        }
    }

    var site: SiteChrome { SiteChrome(name: configuration.siteName, today: Day(containing: now())) }

    /// Cards with the signed-in viewer's vote and library state; forms come back to `next`.
    func cards(_ papers: [Paper], next: String) async throws -> [PaperCard] {
        guard let viewer = Viewer.current else { return papers.map { PaperCard($0) } }
        // Votes, saved tags and dismissed papers in one read.
        let marks = try await store.readerMarks(accountID: viewer.account.id, among: papers.map(\.id))
        return papers.map { paper in
            var card = PaperCard(paper, viewer: viewer, voted: marks.voted.contains(paper.id))
            card.vote.back = next
            return card
        }
        .withLibraryControls(marks, viewer: viewer, next: next)
    }

    func latestFeed(_ request: Request) async throws -> Page {
        let today = Day(containing: now())
        let day = try await store.latestDay().map { min($0, today) } ?? today
        return try await render(request, period: .day(day))
    }

    func feed(_ request: Request, period: FeedPeriod?, kind: String, expected: String) async throws -> Page {
        guard let period else { throw RequestProblem.badRequest("That is not a valid \(kind): use \(expected).") }
        return try await render(request, period: period)
    }

    func render(_ request: Request, period: FeedPeriod) async throws -> Page {
        let query = QueryParameters(request)
        let sort: FeedSort
        var forYou = false
        switch try query.string("sort", maxLength: 20) {
        case nil, "upvotes": sort = .upvotes
        case "date", "publishedAt": sort = .publishedAt
        case "trending": sort = .trending
        case "foryou":
            sort = .upvotes
            forYou = true
        case let other?: throw RequestProblem.badRequest("sort must be upvotes, date, trending or foryou, not \"\(other)\".")
        }
        let page = try query.integer("p", default: 0, range: 0...10_000)
        let pageSize = configuration.pageSize
        let ordered: FeedOrder
        if forYou {
            ordered = try await forYouOrder(period: period, page: page, pageSize: pageSize)
        } else {
            ordered = try await defaultOrder(period: period, sort: sort, explicitSort: query.values["sort"] != nil, page: page, pageSize: pageSize)
        }
        let papers = ordered.papers
        let here = forYou ? Links.feedForYou(period, page: page) : Links.feed(period, sort: sort, page: page)
        var cards = try await cards(Array(papers.prefix(pageSize)), next: here)
        for index in cards.indices { cards[index].reason = ordered.reasons[cards[index].id] }
        func link(_ target: FeedPeriod, page: Int = 0) -> String {
            forYou ? Links.feedForYou(target, page: page) : Links.feed(target, sort: sort, page: page)
        }

        let today = Day(containing: now())
        let anchor = period.days.lowerBound
        let (previous, next) = try await neighbours(of: period, today: today)
        var model = FeedPageModel(
            site: site,
            heading: period.title,
            periodName: periodName(period),
            views: [
                NavigationLink(label: "Day", url: link(.day(anchor)), active: isDay(period)),
                NavigationLink(label: "Week", url: link(.week(containing: anchor)), active: isWeek(period)),
                NavigationLink(label: "Month", url: link(.month(containing: anchor)), active: isMonth(period)),
            ],
            sorts: [
                NavigationLink(label: "Most upvoted", url: Links.feed(period, sort: .upvotes), active: sort == .upvotes && !forYou && !ordered.community),
                NavigationLink(label: "Trending", url: Links.feed(period, sort: .trending), active: sort == .trending),
                NavigationLink(label: "Newest", url: Links.feed(period, sort: .publishedAt), active: sort == .publishedAt),
            ] + (Viewer.current != nil && recommender != nil ? [NavigationLink(label: "For you", url: Links.feedForYou(period), active: forYou)] : []),
            previous: previous.map { NavigationLink(label: label($0), url: link($0)) },
            next: next.map { NavigationLink(label: label($0), url: link($0)) },
            papers: cards,
            hasPapers: !papers.isEmpty,
            firstRank: page * pageSize + 1,
            previousPage: page > 0 ? link(period, page: page - 1) : nil,
            nextPage: papers.count > pageSize ? link(period, page: page + 1) : nil,
            orderNote: ordered.note,
            calendarHTML: FeedCalendar.html(showing: period, today: today, link: { link($0) }))
        if !isDay(period), page == 0 {
            model.risingPhrases = try await risingPhrases(period).map(RisingPhraseView.init)
        }
        return Responses.html(bytes: model.document)
    }

    /// The calendar's date field: to the day, week or month containing the date typed.
    func jump(_ request: Request) throws -> Response {
        let query = QueryParameters(request)
        guard let text = try query.string("date", maxLength: 20), let day = Day(iso: text) else {
            throw RequestProblem.badRequest("Pick a date as YYYY-MM-DD, like 2025-02-03.")
        }
        let target: FeedPeriod = switch try query.string("view", maxLength: 10) {
        case nil, "day": .day(day)
        case "week": .week(containing: day)
        case "month": .month(containing: day)
        case let other?: throw RequestProblem.badRequest("view must be day, week or month, not \"\(other)\".")
        }
        return Responses.redirect(to: Links.feed(target))
    }

    /// Key phrases whose share of the period's papers grew most against the period before (issue 19).
    func risingPhrases(_ period: FeedPeriod) async throws -> [RisingPhrase] {
        let current = try await store.dailyPapers(DailyQuery(period: period, sort: .upvotes, limit: 5_000, now: now()))
        guard !current.isEmpty else { return [] }
        let previous = try await store.dailyPapers(DailyQuery(period: period.previous, sort: .upvotes, limit: 5_000, now: now()))
        return RisingPhrase.rising(current: current.map(\.keyPhrases), previous: previous.map(\.keyPhrases), limit: 12)
    }

    /// Days step to the nearest day that has papers; weeks and months step by one, never past today.
    func neighbours(of period: FeedPeriod, today: Day) async throws -> (FeedPeriod?, FeedPeriod?) {
        if case .day(let day) = period {
            let (previous, next) = try await store.neighbouringDays(of: day)
            let fallbackNext = day < today ? day.adding(days: 1) : nil
            return (previous.map { .day($0) } ?? .day(day.adding(days: -1)), (next.map { min($0, today) } ?? fallbackNext).map { .day($0) })
        }
        let next = period.next
        return (period.previous, next.days.lowerBound <= today ? next : nil)
    }

    func label(_ period: FeedPeriod) -> String {
        switch period {
        case .day(let day): day.iso
        case .week(_, let week): "Week \(week)"
        case .month: period.title
        }
    }

    func periodName(_ period: FeedPeriod) -> String {
        switch period {
        case .day(let day): day.iso
        case .week: "this week"
        case .month: period.title
        }
    }

    func isDay(_ period: FeedPeriod) -> Bool { if case .day = period { true } else { false } }
    func isWeek(_ period: FeedPeriod) -> Bool { if case .week = period { true } else { false } }
    func isMonth(_ period: FeedPeriod) -> Bool { if case .month = period { true } else { false } }

    func paperPage(_ request: Request, id rawID: String) async throws -> Page {
        if rawID.hasSuffix(".md") {
            let id = String(rawID.dropLast(3))
            let paper = try await requirePaper(id)
            return Responses.text(PaperMarkdown.render(paper, baseURL: configuration.baseURL), contentType: "text/markdown; charset=utf-8")
        }
        let viewer = Viewer.current
        let record = try await requireVisible(rawID, paper: \.paper) { id in
            try await store.paperPage(id: id, includeHiddenComments: viewer?.canCurate == true)
        }
        let paper = record.paper
        let similar = try await search.similarPapers(to: paper, key: record.key, searchText: record.searchText, limit: 5)
        let comments = record.comments
        // The paper and its similar papers as cards: a signed-in reader's votes, saved tags and
        // dismissed papers are read once for all of them, and the similar papers get working
        // vote and library controls that return here.
        let cards = try await cards([paper] + similar, next: Links.paper(paper.id))
        var model = PaperPageModel(paper: paper, site: site, similar: Array(cards.dropFirst()), comments: comments, voted: cards[0].vote.voted)
        model.authorship = AuthorshipSection(paper: paper, claims: record.claims, viewer: viewer)
        if let viewer, var control = cards[0].library {
            control.followButtons = FollowButton.forPaper(paper, following: try await store.follows(accountID: viewer.account.id))
            model.library = control
        }
        return Responses.html(bytes: model.document)
    }

    func requirePaper(_ id: String) async throws -> Paper {
        try await requireVisible(id, paper: { $0 }) { try await store.paper(id: $0) }
    }

    /// What `read` finds for the paper `id` names (an arXiv id in any spelling `ArxivID` takes),
    /// when the viewer may see that paper: a hidden (spam) paper is there only for curators, in
    /// every format. 404 otherwise.
    func requireVisible<Found>(_ id: String, paper: (Found) -> Paper, read: (String) async throws -> Found?) async throws -> Found {
        guard id.count <= 80, let found = try await read(ArxivID.parse(id)?.id ?? id), !paper(found).hidden || Viewer.current?.canCurate == true else {
            throw RequestProblem.notFound("There is no paper with id \"\(id.prefix(80))\" here.")
        }
        return found
    }
}

/// The Markdown page the Hub serves at `/papers/{id}.md` (`hf papers read`).
///
/// Markdown passes HTML through, so every text from the paper has `&`, `<` and `>` escaped as
/// entities: a renderer shows them as typed and a title cannot become markup. Links come only
/// from checked http(s) addresses, with characters that would end the link target escaped.
enum PaperMarkdown {
    static func render(_ paper: Paper, baseURL: String) -> String {
        var lines = ["# \(text(paper.title))", ""]
        lines.append("**Authors:** \(text(PaperText.authorsLine(paper, limit: nil)))")
        if let published = paper.publishedAt { lines.append("**Published:** \(Day(containing: published).iso)") }
        if !paper.categories.isEmpty { lines.append("**Categories:** \(text(paper.categories.joined(separator: ", ")))") }
        lines.append("**Upvotes:** \(paper.upvotes)")
        lines.append("")
        var links = ["[Paperboy](\(target(baseURL + Links.paper(paper.id))))"]
        if paper.isArxiv {
            links.append("[arXiv](\(target(Links.arxivAbstract(paper.id))))")
        }
        if let pdf = paper.pdfURL ?? (paper.isArxiv ? Links.arxivPDF(paper.id) : nil) { links.append("[PDF](\(target(pdf)))") }
        if let github = paper.githubRepo { links.append("[GitHub](\(target(github)))") }
        if let project = paper.projectPage { links.append("[Project page](\(target(project)))") }
        lines.append(links.joined(separator: " · "))
        lines += ["", "## Abstract", "", text(paper.abstract), ""]
        if let comments = paper.authorComments { lines += ["**Comments:** \(text(comments))", ""] }
        if let journal = paper.journalRef { lines += ["**Journal reference:** \(text(journal))", ""] }
        return lines.joined(separator: "\n")
    }

    /// Text with HTML's three significant characters as entities; quotes stay readable.
    static func text(_ raw: String) -> String { AtomFeed.escapeMarkup(raw, quotes: false) }

    /// A link target: percent-escapes what could close it or start markup.
    static func target(_ url: String) -> String {
        var escaped = ""
        for character in url {
            switch character {
            case "(": escaped += "%28"
            case ")": escaped += "%29"
            case "<": escaped += "%3C"
            case ">": escaped += "%3E"
            case " ": escaped += "%20"
            case "\"": escaped += "%22"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
