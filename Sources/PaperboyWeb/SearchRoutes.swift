import Foundation
import Hummingbird
import PaperboyCore
import PaperboySearch
import PaperboyStore

/// `/search`, `/api/papers/search` (Hub-compatible, for `hf papers search`) and similar papers.
struct SearchRoutes: Sendable {
    static let pageSize = 20

    let engine: SearchEngine
    let resources: SiteResources
    let configuration: WebConfiguration
    let now: @Sendable () -> Date
    let cache: PageCache

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/search") { request, _ in try await cache.page(for: request, parameters: ["q", "mode", "p"]) { try await self.searchPage(request) } }
        router.get("/api/papers/search") { request, _ in try await cache.page(for: request, parameters: ["q", "mode", "limit", "p"]) { try await self.searchAPI(request) } }
        router.get("/api/papers/:id/similar") { request, context in
            try await cache.page(for: request, parameters: ["limit"]) { try await self.similarAPI(request, id: context.parameters.require("id")) }
        }
        router.get("/api/papers/:id/:number/similar") { request, context in
            try await cache.page(for: request, parameters: ["limit"]) {
                try await self.similarAPI(request, id: "\(context.parameters.require("id"))/\(context.parameters.require("number"))")
            }
        }
    }

    func mode(_ query: QueryParameters) throws -> SearchMode {
        guard let text = try query.string("mode", maxLength: 20) else { return .hybrid }
        guard let mode = SearchMode(rawValue: text) else {
            throw RequestProblem.badRequest("mode must be keyword, semantic or hybrid, not \"\(text)\".")
        }
        return mode
    }

    func searchPage(_ request: Request) async throws -> Page {
        let query = QueryParameters(request)
        let mode = try mode(query)
        let page = try query.integer("p", default: 0, range: 0...50)
        // The raw text is kept only to refill the box; it is HTML-escaped like everything else.
        let text = try query.string("q", maxLength: 10_000) ?? ""
        var response: SearchResponse?
        var problem: String?
        if !text.trimmingCharacters(in: .whitespaces).isEmpty {
            let outcome = await search(text, mode: mode, offset: page * Self.pageSize, limit: Self.pageSize)
            switch outcome {
            case .success(let found): response = found
            case .failure(.badQuery(let message)): problem = message
            case .failure(let error): throw error
            }
        }
        let results = response?.results ?? []
        let highlighter = response?.highlighter ?? Highlighter(terms: [])
        let cards = try await results.map { SearchResultCard($0.paper, highlighter: highlighter, matchedBy: Self.matchedBy($0)) }
            .withLibraryControls(store: engine.store, next: Links.search(text, mode: mode.rawValue, page: page))
        let model = SearchPageModel(
            site: SiteChrome(name: configuration.siteName, today: Day(containing: now())),
            searchText: text.isEmpty ? nil : String(text.prefix(SearchQuery.maxLength + 50)),
            modes: SearchMode.allCases.map { SearchModeOption(value: $0.rawValue, label: $0.rawValue.capitalized, selected: $0 == mode) },
            problem: problem, semanticUnavailable: response?.semanticUnavailable ?? false,
            corrections: response?.corrections ?? [], hasQuery: response != nil,
            results: cards,
            hasResults: !results.isEmpty, firstRank: page * Self.pageSize + 1,
            previousPage: page > 0 ? Links.search(text, mode: mode.rawValue, page: page - 1) : nil,
            nextPage: response?.hasMore == true && page < 50 ? Links.search(text, mode: mode.rawValue, page: page + 1) : nil,
            keywordSearch: response != nil && results.isEmpty && mode != .keyword ? Links.search(text, mode: SearchMode.keyword.rawValue, page: 0) : nil)
        return Responses.html(bytes: model.document, status: problem == nil ? .ok : .badRequest)
    }

    /// The engine's typed error as a value, so callers can switch on it.
    func search(_ text: String, mode: SearchMode, offset: Int, limit: Int) async -> Result<SearchResponse, SearchError> {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { ServerMetrics.search(mode, nanoseconds: DispatchTime.now().uptimeNanoseconds - started) }
        do {
            return .success(try await engine.search(text, mode: mode, offset: offset, limit: limit))
        } catch {
            return .failure(error)
        }
    }

    static func matchedBy(_ result: SearchResult) -> String? {
        switch (result.keywordRank, result.semanticRank) {
        case (.some, .some): "matched by words and meaning"
        case (.some, nil): "matched by words"
        case (nil, .some): "matched by meaning"
        default: nil
        }
    }

    func searchAPI(_ request: Request) async throws -> Page {
        let query = QueryParameters(request)
        let mode = try mode(query)
        let limit = try query.integer("limit", default: 20, range: 1...100)
        let page = try query.integer("p", default: 0, range: 0...1_000)
        guard let text = try query.string("q", maxLength: 10_000), !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw RequestProblem.badRequest("q is required: the text to search for.")
        }
        switch await search(text, mode: mode, offset: page * limit, limit: limit) {
        case .success(let response): return try Responses.json(response.results.map { HubAPI.dailyEntry($0.paper, baseURL: configuration.baseURL) })
        case .failure(.badQuery(let message)): throw RequestProblem.badRequest(message)
        case .failure(let error): throw error
        }
    }

    func similarAPI(_ request: Request, id: String) async throws -> Page {
        let limit = try QueryParameters(request).integer("limit", default: 10, range: 1...50)
        guard id.count <= 80, let paper = try await engine.store.paper(id: ArxivID.parse(id)?.id ?? id), !paper.hidden || Viewer.current?.canCurate == true else {
            throw RequestProblem.notFound("Paper \"\(id.prefix(80))\" not found.")
        }
        let papers = try await engine.similarPapers(to: paper.id, limit: limit)
        return try Responses.json(papers.map { HubAPI.paper($0, baseURL: configuration.baseURL) })
    }
}
