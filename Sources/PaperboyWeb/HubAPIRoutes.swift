import Foundation
import Hummingbird
import PaperboyCore
import PaperboyStore

/// `/api/...`: the Hugging Face papers API and Paperboy's OpenAPI document.
struct HubAPIRoutes: Sendable {
    static let maxLimit = 100

    let store: any PaperStore
    let resources: SiteResources
    let now: @Sendable () -> Date
    let cache: PageCache
    /// Where absolute links (thumbnails) point.
    let site: SiteAddress

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/api/daily_papers") { request, _ in try await cache.page(for: request, parameters: ["date", "week", "month", "submitter", "sort", "p", "limit"]) { try await self.dailyPapers(request) } }
        router.get("/api/papers/:id") { request, context in
            try await cache.page(for: request) { try await self.paper(id: context.parameters.require("id")) }
        }
        router.get("/api/papers/:id/:number") { request, context in
            try await cache.page(for: request) {
                try await self.paper(id: "\(context.parameters.require("id"))/\(context.parameters.require("number"))")
            }
        }
        let document = resources.openAPIDocument
        router.get("/api/openapi.json") { _, _ in
            Responses.text(document, contentType: "application/json; charset=utf-8", cache: "public, max-age=3600")
        }
    }

    func dailyPapers(_ request: Request) async throws -> Page {
        let query = QueryParameters(request)
        let period = try query.period()
        let sort: FeedSort
        switch try query.string("sort", maxLength: 20) {
        case nil, "publishedAt": sort = .publishedAt
        case "trending": sort = .trending
        case let other?: throw RequestProblem.badRequest("sort must be publishedAt or trending, not \"\(other)\".")
        }
        let page = try query.integer("p", default: 0, range: 0...100_000)
        let limit = try query.integer("limit", default: 50, range: 1...HubAPIRoutes.maxLimit)
        let papers = try await store.dailyPapers(DailyQuery(
            period: period, submitter: try query.username("submitter"), sort: sort,
            offset: page * limit, limit: limit, now: now()))
        return try Responses.json(papers.map { HubAPI.dailyEntry($0, baseURL: site.url) })
    }

    func paper(id: String) async throws -> Page {
        guard id.count <= 80, let paper = try await store.paper(id: ArxivID.parse(id)?.id ?? id), !paper.hidden || Viewer.current?.canCurate == true else {
            throw RequestProblem.notFound("Paper \"\(id.prefix(80))\" not found.")
        }
        return try Responses.json(HubAPI.paper(paper, baseURL: site.url))
    }
}
