import Foundation
import Hummingbird
import PaperboyCore
import PaperboyStore

/// Upvotes, comments, submissions, curation and the trending page.
struct CommunityRoutes: Sendable {
    let community: CommunityContext

    var store: any PaperStore { community.store }

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/papers/:id/upvote") { request, context in
            try await self.vote(request, context: context, id: context.parameters.require("id"))
        }
        router.post("/papers/:id/comments") { request, context in
            try await self.addComment(request, context: context, id: context.parameters.require("id"))
        }
        router.post("/papers/:id/feature") { request, context in
            try await self.curate(request, context: context, id: context.parameters.require("id"), action: .feature)
        }
        router.post("/papers/:id/hide") { request, context in
            try await self.curate(request, context: context, id: context.parameters.require("id"), action: .hide)
        }
        router.post("/comments/:id/edit") { request, context in
            try await self.changeComment(request, context: context, id: context.parameters.require("id"), change: .edit)
        }
        router.post("/comments/:id/delete") { request, context in
            try await self.changeComment(request, context: context, id: context.parameters.require("id"), change: .delete)
        }
        router.post("/comments/:id/hide") { request, context in
            try await self.changeComment(request, context: context, id: context.parameters.require("id"), change: .hide)
        }
        router.get("/submit") { request, _ in try await self.submitPage(request) }
        router.post("/submit") { request, context in try await self.submit(request, context: context) }
        router.get("/trending") { request, _ in try await self.trending(request) }
        let script = community.resources.script
        router.get("/static/paperboy.js") { _, _ in
            Responses.text(script, contentType: "text/javascript; charset=utf-8", cache: "public, max-age=3600")
        }
    }

    /// True for `fetch` calls from paperboy.js, which want JSON instead of a redirect.
    func wantsJSON(_ request: Request) -> Bool {
        (request.headers[.accept] ?? "").hasPrefix("application/json")
    }

    /// The paper to act on. A hidden (spam) paper exists only for curators: members can neither
    /// vote on it nor comment, as they cannot see it.
    func paper(_ id: String) async throws -> Paper {
        guard id.utf8.count <= 80, let paper = try await store.paper(id: id), !paper.hidden || Viewer.current?.canCurate == true else {
            throw RequestProblem.notFound("There is no paper with id \"\(id.prefix(80))\" here.")
        }
        return paper
    }

    // MARK: Votes

    struct VoteBody: Encodable {
        let upvoted: Bool
        let upvotes: Int
    }

    func vote(_ request: Request, context: some RequestContext, id: String) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.paper(id))
        try community.limit(.vote, client: community.clientAddress(request, context: context), account: viewer.account.id)
        let paper = try await paper(id)
        let state = try await store.setVote(try form.flag("on"), paperID: paper.id, accountID: viewer.account.id, now: community.now())
        if wantsJSON(request) { return try Responses.json(VoteBody(upvoted: state.upvoted, upvotes: state.upvotes)).response() }
        // Back to the page the button was on: the form says which; a form without it (an older
        // cached page) falls back to the same-site Referer, then to the paper.
        let referer = request.headers[.referer].flatMap { URLComponents(string: $0) }.map { $0.percentEncodedPath + ($0.percentEncodedQuery.map { "?" + $0 } ?? "") }
        return Responses.redirect(to: SafeRedirect.path(try form.string("next", maxLength: 300) ?? referer, otherwise: Links.paper(paper.id)))
    }

    // MARK: Comments

    func addComment(_ request: Request, context: some RequestContext, id: String) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.paper(id))
        try community.limit(.comment, client: community.clientAddress(request, context: context), account: viewer.account.id)
        let body = try commentBody(form)
        let paper = try await paper(id)
        let comment = try await store.addComment(paperID: paper.id, accountID: viewer.account.id, body: body, now: community.now())
        return Responses.redirect(to: Links.comment(paper.id, comment.id))
    }

    func commentBody(_ form: PostedForm) throws -> String {
        let body = try form.required("body", label: "The comment", maxLength: Comment.maximumLength)
        // Control characters other than line breaks and tabs have no place in a comment.
        let cleaned = String(String.UnicodeScalarView(body.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" || $0 == "\t" }))
        return cleaned.replacingOccurrences(of: "\r\n", with: "\n")
    }

    enum CommentChange { case edit, delete, hide }

    func changeComment(_ request: Request, context: some RequestContext, id rawID: String, change: CommentChange) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        guard let id = Int64(rawID), let comment = try await store.comment(id: id) else {
            throw RequestProblem.notFound("There is no comment \(rawID.prefix(20)).")
        }
        let viewer = try community.requireViewer(next: Links.paper(comment.paperID))
        switch change {
        case .edit:
            try community.limit(.comment, client: community.clientAddress(request, context: context), account: viewer.account.id)
            guard try await store.editComment(id: id, accountID: viewer.account.id, body: try commentBody(form), now: community.now()) else {
                throw RequestProblem.forbidden("Only the author can edit a comment.")
            }
        case .delete:
            guard try await store.deleteComment(id: id, accountID: viewer.account.id) else {
                throw RequestProblem.forbidden("Only the author can delete a comment.")
            }
        case .hide:
            guard viewer.canCurate else { throw RequestProblem.forbidden("Only curators can hide comments.") }
            try await store.setCommentHidden(try form.flag("hidden"), id: id)
        }
        return Responses.redirect(to: Links.comment(comment.paperID, id))
    }

    // MARK: Curation

    enum Curation { case feature, hide }

    func curate(_ request: Request, context: some RequestContext, id: String, action: Curation) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.paper(id))
        guard viewer.canCurate else { throw RequestProblem.forbidden("Only curators can feature or hide papers.") }
        let paper = try await paper(id)
        switch action {
        case .feature: try await store.setFeatured(try form.flag("featured"), paperID: paper.id)
        case .hide: try await store.setPaperHidden(try form.flag("hidden"), paperID: paper.id)
        }
        community.logger.notice("curation", metadata: ["by": "\(viewer.account.username)", "paper": "\(paper.id)", "action": "\(action)"])
        return Responses.redirect(to: Links.paper(paper.id))
    }

    // MARK: Submissions

    func submitPage(_ request: Request, problem: String? = nil, existing: (url: String, label: String)? = nil, typed: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let viewer = try community.requireViewer(next: Links.submit())
        let model = SubmitPageModel(
            site: community.site, action: Links.submit(), csrf: viewer.csrfToken, problem: problem, typed: typed,
            existing: existing.map { NavigationLink(label: $0.label, url: $0.url) })
        return community.page("submit", model, status: status)
    }

    func submit(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let viewer = try community.requireViewer(next: Links.submit())
        let typed = try form.required("paper", label: "The arXiv id or URL", maxLength: 300)
        guard let id = ArxivID.fromReference(typed) else {
            return try await submitPage(request, problem: "That is not an arXiv id or arXiv URL (for example 2401.12345 or https://arxiv.org/abs/2401.12345).", typed: typed, status: .badRequest)
        }
        try community.limit(.submit, client: community.clientAddress(request, context: context), account: viewer.account.id)
        let record: PaperRecord
        if let stored = try await store.paper(id: id) {
            record = PaperRecord(paper: stored, hasUpvotes: false)
        } else {
            let fetched: PaperRecord?
            do {
                fetched = try await community.metadata.record(arxivID: id)
            } catch {
                community.logger.error("arXiv lookup failed", metadata: ["id": "\(id)", "error": "\(error)"])
                let reason = (error as? CustomStringConvertible)?.description ?? "the lookup failed"
                return try await submitPage(
                    request, problem: "Could not fetch \(id) from arXiv: \(reason). Nothing was submitted. Try again in a few minutes; if it keeps failing, this server cannot reach arXiv and an admin should check its connection.",
                    typed: typed, status: .serviceUnavailable)
            }
            guard let fetched else {
                return try await submitPage(request, problem: "There is no paper \(id) here. \(community.metadata.notFoundAdvice)", typed: typed, status: .notFound)
            }
            record = fetched
        }
        let outcome = try await store.submit(record, by: viewer.account.username, day: Day(containing: community.now()), now: community.now())
        switch outcome {
        case .added(let paper):
            community.logger.info("submitted", metadata: ["by": "\(viewer.account.username)", "paper": "\(paper.id)"])
            return Responses.redirect(to: Links.paper(paper.id))
        case .alreadyOnFeed(let paper, let day):
            return try await submitPage(
                request, problem: "Already submitted: this paper is on the feed of \(day.iso).",
                existing: (Links.paper(paper.id), paper.title), typed: typed, status: .conflict)
        }
    }

    // MARK: Trending

    /// Papers from the last two weeks of feeds, by how recently they were upvoted.
    func trending(_ request: Request) async throws -> Response {
        let query = QueryParameters(request)
        let page = try query.integer("p", default: 0, range: 0...1_000)
        let pageSize = community.configuration.pageSize
        let now = community.now()
        let papers = try await store.trendingPapers(since: Day(containing: now).adding(days: -14), now: now, offset: page * pageSize, limit: pageSize + 1)
        let model = TrendingPageModel(
            site: community.site, papers: try await community.cards(Array(papers.prefix(pageSize))), firstRank: page * pageSize + 1,
            previousPage: page > 0 ? Links.trending(page: page - 1) : nil,
            nextPage: papers.count > pageSize ? Links.trending(page: page + 1) : nil)
        return community.page("trending", model)
    }
}
