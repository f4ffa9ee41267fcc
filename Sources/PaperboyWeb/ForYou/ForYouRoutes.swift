import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore
import PaperboySearch
import PaperboyStore

/// The reader's library, "not interested", follows, the For-you settings, public collections
/// and the recommendations API (issue 15). Everything but public collections and
/// `POST /api/recommendations` needs the reader's own session (or token): no one, admins
/// included, reads another reader's library.
struct ForYouRoutes: Sendable {
    let community: CommunityContext
    let recommender: Recommender?

    var store: any PaperStore { community.store }

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/papers/:id/save") { request, context in
            try await self.save(request, context: context, id: context.parameters.require("id"))
        }
        router.post("/papers/:id/unsave") { request, context in
            try await self.unsave(request, context: context, id: context.parameters.require("id"))
        }
        router.post("/papers/:id/not-interested") { request, context in
            try await self.notInterested(request, context: context, id: context.parameters.require("id"))
        }
        router.get("/library") { request, _ in try await self.libraryPage(request) }
        router.get("/library/export.bib") { request, _ in try await self.export(request, format: .bibtex) }
        router.get("/library/export.jsonl") { request, _ in try await self.export(request, format: .jsonLines) }
        router.post("/library/tags/:tag/visibility") { request, context in
            try await self.setVisibility(request, context: context, tag: context.parameters.require("tag"))
        }
        router.get("/u/:username/collections/:tag") { _, context in
            try await self.collection(username: context.parameters.require("username"), tag: context.parameters.require("tag"))
        }
        router.post("/follow") { request, context in try await self.follow(request, context: context) }
        router.get("/settings/for-you") { _, _ in try await self.settingsPage(newToken: nil, notice: nil) }
        router.post("/settings/for-you/interests") { request, context in try await self.saveParagraph(request, context: context) }
        router.post("/settings/for-you/tokens") { request, context in try await self.createToken(request, context: context) }
        router.post("/settings/for-you/tokens/:id/delete") { request, context in
            try await self.deleteToken(request, context: context, id: context.parameters.require("id"))
        }
        RecommendationsAPI(community: community, recommender: recommender).addRoutes(to: router)
    }

    /// The paper to act on; a hidden one only for curators, as for votes.
    func paper(_ id: String) async throws -> Paper {
        guard id.utf8.count <= 80, let paper = try await store.paper(id: id), !paper.hidden || Viewer.current?.canCurate == true else {
            throw RequestProblem.notFound("There is no paper with id \"\(id.prefix(80))\" here.")
        }
        return paper
    }

    /// Store refusals of reader input become a 400 that says what was wrong; nothing was written.
    func readerInput<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ForYouError {
            throw RequestProblem.badRequest("\(error.description.prefix(1).uppercased())\(error.description.dropFirst()).")
        }
    }

    // MARK: Library and negatives

    func save(_ request: Request, context: some RequestContext, id: String) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.paper(id))
        try community.limit(.vote, client: community.clientAddress(request, context: context), account: viewer.account.id)
        let paper = try await paper(id)
        let tags = try await readerInput { try LibraryTags.parse(try form.string("tags", maxLength: 1_000) ?? "") }
        try await readerInput { try await store.savePaper(paper.id, tags: tags, accountID: viewer.account.id, now: community.now()) }
        return Responses.redirect(to: SafeRedirect.path(try form.string("next", maxLength: 300), otherwise: Links.paper(paper.id)))
    }

    func unsave(_ request: Request, context: some RequestContext, id: String) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.paper(id))
        try community.limit(.vote, client: community.clientAddress(request, context: context), account: viewer.account.id)
        _ = try await store.unsavePaper(String(id.prefix(80)), accountID: viewer.account.id)
        return Responses.redirect(to: SafeRedirect.path(try form.string("next", maxLength: 300), otherwise: Links.library()))
    }

    func notInterested(_ request: Request, context: some RequestContext, id: String) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.paper(id))
        try community.limit(.vote, client: community.clientAddress(request, context: context), account: viewer.account.id)
        let paper = try await paper(id)
        try await store.setNotInterested(try form.flag("on"), paperID: paper.id, accountID: viewer.account.id, now: community.now())
        return Responses.redirect(to: SafeRedirect.path(try form.string("next", maxLength: 300), otherwise: Links.paper(paper.id)))
    }

    func tagParameter(_ query: QueryParameters) throws -> String? {
        guard let tag = try query.string("tag", maxLength: LibraryTags.maximumLength) else { return nil }
        guard LibraryTags.isValid(tag) else { throw RequestProblem.badRequest("That is not a tag: \(ForYouError.invalidTag(tag).description).") }
        return tag
    }

    /// Entries whose title, abstract or authors contain every word of `query` (case and accents ignored).
    static func filter(_ entries: [LibraryEntry], query: String?) -> [LibraryEntry] {
        guard let query, !query.isEmpty else { return entries }
        let words = query.lowercased().folding(options: .diacriticInsensitive, locale: nil).split(separator: " ").map(String.init)
        return entries.filter { entry in
            let text = "\(entry.paper.title) \(entry.paper.abstract) \(entry.paper.authors.joined(separator: " ")) \(entry.tags.joined(separator: " "))"
                .lowercased().folding(options: .diacriticInsensitive, locale: nil)
            return words.allSatisfy { text.contains($0) }
        }
    }

    func libraryPage(_ request: Request) async throws -> Response {
        let viewer = try community.requireViewer(next: Links.library())
        let query = QueryParameters(request)
        let tag = try tagParameter(query)
        let search = try query.string("q", maxLength: 200)?.trimmingCharacters(in: .whitespacesAndNewlines)
        let entries = Self.filter(try await store.library(accountID: viewer.account.id, tag: tag), query: search)
        let tags = try await store.libraryTags(accountID: viewer.account.id)
        let here = Links.library(tag: tag, query: search)
        let tagViews = tags.map { item in
            LibraryTagView(
                name: item.name, paperCount: item.paperCount, isPublic: item.isPublic, url: Links.library(tag: item.name),
                active: item.name == tag, publicURL: Links.collection(viewer.account.username, tag: item.name),
                visibilityAction: Links.tagVisibility(item.name), visibilityNext: item.isPublic ? "0" : "1")
        }
        var recommended: [PaperCard] = []
        if let recommender, let model = try await recommender.model(accountID: viewer.account.id, tag: tag) {
            let saved = Set(try await store.library(accountID: viewer.account.id, tag: nil).map(\.paper.id))
            let candidates = try await store.dailyPapers(DailyQuery(period: nil, limit: 500, now: community.now())).filter { !saved.contains($0.id) }
            let ranked = try await recommender.rank(candidates, with: model, limit: 10)
            let byID = Dictionary(candidates.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            recommended = try await community.cards(ranked.compactMap { byID[$0.paperID] })
            for index in recommended.indices { recommended[index].reason = ranked[ranked.startIndex + index].reason }
            recommended = try await recommended.withLibraryControls(store: store, next: here)
        }
        let cards = try await community.cards(entries.map(\.paper)).withLibraryControls(store: store, next: here)
        let model = LibraryPageModel(
            site: community.site, heading: tag.map { "Library: \($0)" } ?? "Your library", tags: tagViews,
            allURL: Links.library(), allActive: tag == nil, tag: tag, query: search, papers: cards, hasPapers: !cards.isEmpty,
            csrf: viewer.csrfToken, recommended: recommended, hasRecommended: !recommended.isEmpty,
            recommendedHeading: tag.map { "Recommended for “\($0)”" } ?? "Recommended for you",
            bibtexURL: Links.libraryExport("bib", tag: tag), jsonlURL: Links.libraryExport("jsonl", tag: tag),
            searchAction: Links.library(), activeTag: tagViews.first { $0.active })
        return community.page("library", model)
    }

    enum ExportFormat { case bibtex, jsonLines }

    func export(_ request: Request, format: ExportFormat) async throws -> Response {
        let viewer = try community.requireViewer(next: Links.library())
        let query = QueryParameters(request)
        let tag = try tagParameter(query)
        let entries = try await store.library(accountID: viewer.account.id, tag: tag)
        var response: Response
        switch format {
        case .bibtex:
            response = Responses.text(LibraryExport.bibtex(entries, baseURL: community.configuration.baseURL), contentType: "application/x-bibtex; charset=utf-8").response()
            response.headers[.contentDisposition] = "attachment; filename=\"paperboy-\(tag ?? "library").bib\""
        case .jsonLines:
            response = Responses.text(try LibraryExport.jsonLines(entries, baseURL: community.configuration.baseURL), contentType: "application/jsonl; charset=utf-8").response()
            response.headers[.contentDisposition] = "attachment; filename=\"paperboy-\(tag ?? "library").jsonl\""
        }
        return response
    }

    func setVisibility(_ request: Request, context: some RequestContext, tag: String) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.library())
        try await readerInput { try await store.setTagPublic(try form.flag("public"), tag: tag, accountID: viewer.account.id) }
        return Responses.redirect(to: Links.library(tag: tag))
    }

    func collection(username: String, tag: String) async throws -> Response {
        guard username.count <= 64, LibraryTags.isValid(tag), let entries = try await store.publicCollection(username: username, tag: tag) else {
            throw RequestProblem.notFound("There is no public collection “\(tag.prefix(40))” by \(username.prefix(64)).")
        }
        let cards = try await community.cards(entries.map(\.paper))
            .withLibraryControls(store: store, next: Links.collection(username, tag: tag))
        let model = CollectionPageModel(site: community.site, heading: "\(tag), a collection by \(username)", owner: username,
                                        ownerURL: Links.profile(username), papers: cards, hasPapers: !cards.isEmpty)
        return community.page("collection", model)
    }

    // MARK: Follows, paragraph, tokens

    func follow(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.forYouSettings())
        guard let kind = Follow.Kind(rawValue: try form.string("kind", maxLength: 20) ?? "") else {
            throw RequestProblem.badRequest("Follow an author or a category (kind=author or kind=category).")
        }
        let follow = try await readerInput { try Follow.make(kind: kind, value: try form.string("value", maxLength: 200) ?? "") }
        if kind == .category, follow.value.count > 30 || !follow.value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) {
            throw RequestProblem.badRequest("An arXiv category looks like cs.LG or stat.ML.")
        }
        try await store.setFollow(try form.flag("on"), follow, accountID: viewer.account.id, now: community.now())
        return Responses.redirect(to: SafeRedirect.path(try form.string("next", maxLength: 300), otherwise: Links.forYouSettings()))
    }

    func settingsPage(newToken: String?, notice: String?) async throws -> Response {
        let viewer = try community.requireViewer(next: Links.forYouSettings())
        let follows = try await store.follows(accountID: viewer.account.id)
        let tokens = try await store.apiTokens(accountID: viewer.account.id)
        let model = ForYouSettingsPageModel(
            site: community.site, csrf: viewer.csrfToken,
            paragraph: try await store.interestParagraph(accountID: viewer.account.id) ?? "",
            paragraphAction: Links.interestParagraph(), maximumParagraph: InterestParagraph.maximumLength,
            follows: follows.map { FollowView(kind: $0.kind.rawValue, value: $0.value, csrf: viewer.csrfToken, action: Links.follow()) },
            hasFollows: !follows.isEmpty, followAction: Links.follow(),
            tokens: tokens.map { TokenView(name: $0.name, created: Day(containing: $0.createdAt).iso, deleteAction: Links.deleteAPIToken($0.id)) },
            hasTokens: !tokens.isEmpty, tokenAction: Links.apiTokens(), newToken: newToken, notice: notice)
        return community.page("foryou-settings", model)
    }

    func saveParagraph(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.forYouSettings())
        let text = try form.string("paragraph", maxLength: InterestParagraph.maximumLength + 200)
        try await readerInput { try await store.setInterestParagraph(text, accountID: viewer.account.id, now: community.now()) }
        return Responses.redirect(to: Links.forYouSettings())
    }

    static let maximumTokens = 10

    func createToken(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.forYouSettings())
        let name = try form.required("name", label: "The token's name", maxLength: 60)
        guard try await store.apiTokens(accountID: viewer.account.id).count < Self.maximumTokens else {
            throw RequestProblem.badRequest("You have \(Self.maximumTokens) tokens already; delete one first.")
        }
        let token = "pbt_" + community.security.newToken()
        _ = try await store.createAPIToken(hash: community.security.hash(token), name: name, accountID: viewer.account.id, now: community.now())
        return try await settingsPage(newToken: token, notice: "Copy this token now: it is shown only once.")
    }

    func deleteToken(_ request: Request, context: some RequestContext, id rawID: String) async throws -> Response {
        _ = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.forYouSettings())
        guard let id = Int64(rawID), try await store.deleteAPIToken(id: id, accountID: viewer.account.id) else {
            throw RequestProblem.notFound("You have no token \(rawID.prefix(20)).")
        }
        return Responses.redirect(to: Links.forYouSettings())
    }
}

/// The library as files a reference manager reads.
enum LibraryExport {
    /// One `@misc` entry per paper; braces and backslashes in text are escaped so a title cannot
    /// end the field or inject commands.
    static func bibtex(_ entries: [LibraryEntry], baseURL: String) -> String {
        entries.map { entry in
            let paper = entry.paper
            var fields = [
                "  title = {\(escape(LatexText.legible(paper.title)))}",
                "  author = {\(paper.authors.map(escape).joined(separator: " and "))}",
            ]
            if let published = paper.publishedAt { fields.append("  year = {\(Day(containing: published).iso.prefix(4))}") }
            if paper.isArxiv {
                fields.append("  eprint = {\(escape(paper.id))}")
                fields.append("  archivePrefix = {arXiv}")
                if let category = paper.categories.first { fields.append("  primaryClass = {\(escape(category))}") }
            }
            if let doi = paper.doi { fields.append("  doi = {\(escape(doi))}") }
            fields.append("  url = {\(escape(baseURL + Links.paper(paper.id)))}")
            if !entry.tags.isEmpty { fields.append("  keywords = {\(entry.tags.joined(separator: ", "))}") }
            return "@misc{\(citationKey(paper.id)),\n\(fields.joined(separator: ",\n"))\n}\n"
        }.joined(separator: "\n")
    }

    static func citationKey(_ id: String) -> String {
        "paperboy:" + String(id.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
    }

    static func escape(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "\\": output += "\\textbackslash{}"
            case "{": output += "\\{"
            case "}": output += "\\}"
            case "\n", "\r": output += " "
            default: output.append(character)
            }
        }
        return output
    }

    struct Line: Encodable {
        let id: String
        let title: String
        let authors: [String]
        let abstract: String
        let categories: [String]
        let publishedAt: String?
        let tags: [String]
        let savedAt: String
        let url: String
    }

    static func jsonLines(_ entries: [LibraryEntry], baseURL: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let formatter = ISO8601DateFormatter()
        return try entries.map { entry in
            let line = Line(
                id: entry.paper.id, title: entry.paper.title, authors: entry.paper.authors, abstract: entry.paper.abstract,
                categories: entry.paper.categories, publishedAt: entry.paper.publishedAt.map { formatter.string(from: $0) },
                tags: entry.tags, savedAt: formatter.string(from: entry.savedAt), url: baseURL + Links.paper(entry.paper.id))
            return String(decoding: try encoder.encode(line), as: UTF8.self) + "\n"
        }.joined()
    }
}
