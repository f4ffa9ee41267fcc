import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore
import PaperboySearch
import PaperboyStore

/// `POST /api/recommendations` in the shape of Semantic Scholar's Recommendations API, and
/// `GET /api/recommendations/me` for the reader (session cookie or personal API token).
struct RecommendationsAPI: Sendable {
    let community: CommunityContext
    let recommender: Recommender?

    var store: any PaperStore { community.store }

    static let maximumIDs = 100
    static let defaultLimit = 100
    static let maximumLimit = 500
    /// How many papers a model is scored on when no page gives the candidates.
    static let candidateCount = 2_000

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/api/recommendations") { request, context in try await self.recommendations(request, context: context) }
        router.get("/api/recommendations/me") { request, context in try await self.mine(request, context: context) }
    }

    struct RequestBody: Decodable {
        let positivePaperIds: [String]?
        let negativePaperIds: [String]?
    }

    /// The fields a caller may ask for; `paperId` always comes.
    enum Field: String, CaseIterable {
        case title, abstract, authors, year, publicationDate, url, upvotes, score, reason, externalIds
    }

    struct RecommendedPaper: Encodable {
        let paperId: String
        var title: String?
        var abstract: String?
        var authors: [Author]?
        var year: Int?
        var publicationDate: String?
        var url: String?
        var upvotes: Int?
        var score: Float?
        var reason: String?
        var externalIds: [String: String]?

        struct Author: Encodable { let name: String }
    }

    struct ResponseBody: Encodable {
        let recommendedPapers: [RecommendedPaper]
    }

    func options(_ request: Request) throws -> (limit: Int, fields: Set<Field>) {
        let query = QueryParameters(request)
        let limit = try query.integer("limit", default: Self.defaultLimit, range: 1...Self.maximumLimit)
        var fields: Set<Field> = [.title]
        if let text = try query.string("fields", maxLength: 300) {
            fields = []
            for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where name != "paperId" {
                guard let field = Field(rawValue: name) else {
                    throw RequestProblem.badRequest("Unknown field \"\(name.prefix(40))\"; ask for paperId, \(Field.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                fields.insert(field)
            }
        }
        return (limit, fields)
    }

    func requireRecommender() throws -> Recommender {
        guard let recommender else {
            throw RequestProblem(status: .serviceUnavailable, message: "Recommendations are not enabled on this server.", retryAfter: 60)
        }
        return recommender
    }

    /// Paperboy ids, or arXiv ids in any spelling Paperboy understands ("arXiv:2502.00001v2").
    func keys(_ ids: [String], label: String) async throws -> [UInt32] {
        guard ids.count <= Self.maximumIDs else { throw RequestProblem.badRequest("\(label) has \(ids.count) ids; at most \(Self.maximumIDs).") }
        let normalised = ids.map { raw -> String in
            let trimmed = raw.hasPrefix("arXiv:") || raw.hasPrefix("ArXiv:") ? String(raw.dropFirst(6)) : raw
            return ArxivID.parse(trimmed)?.id ?? trimmed
        }
        if let long = normalised.first(where: { $0.isEmpty || $0.utf8.count > 80 }) {
            throw RequestProblem.badRequest("\(label) holds an id that is empty or too long: \"\(long.prefix(40))\".")
        }
        let found = try await store.paperKeys(ids: normalised)
        let missing = normalised.filter { found[$0] == nil }
        guard missing.isEmpty else {
            throw RequestProblem.badRequest("Unknown paper ids in \(label): \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "").")
        }
        return normalised.compactMap { found[$0] }
    }

    func recommendations(_ request: Request, context: some RequestContext) async throws -> Response {
        let recommender = try requireRecommender()
        try community.limit(.vote, client: community.clientAddress(request, context: context))
        let (limit, fields) = try options(request)
        guard (request.headers[.contentType] ?? "").hasPrefix("application/json") else {
            throw RequestProblem.badRequest("Send the body as application/json: {\"positivePaperIds\": [...], \"negativePaperIds\": [...]}.")
        }
        let buffer = try await request.collectBody(atMost: 64 * 1024, describing: "The request body")
        let body: RequestBody
        do {
            body = try JSONDecoder().decode(RequestBody.self, from: Data(buffer.readableBytesView))
        } catch {
            throw RequestProblem.badRequest("The body is not {\"positivePaperIds\": [...], \"negativePaperIds\": [...]} (JSON arrays of paper ids).")
        }
        let positives = try await keys(body.positivePaperIds ?? [], label: "positivePaperIds")
        let negatives = try await keys(body.negativePaperIds ?? [], label: "negativePaperIds")
        guard !positives.isEmpty else { throw RequestProblem.badRequest("positivePaperIds needs at least one paper id.") }
        let model = try await recommender.train(liked: positives, negatives: negatives, follows: [], interestParagraph: nil)
        let bound = try await recommender.bind(model)
        let excluded = Set(positives).union(negatives)
        let candidates = try await candidatePapers(recommender, near: positives, excluding: excluded)
        let ranked = try await recommender.rank(candidates, with: bound, limit: limit)
        return try respond(ranked.prefix(limit), papers: candidates, fields: fields)
    }

    /// The signed-in reader (session) or the holder of a personal API token.
    func account(_ request: Request) async throws -> Account {
        if let viewer = Viewer.current { return viewer.account }
        if let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") {
            let token = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            guard token.utf8.count <= 200, let account = try await store.apiTokenAccount(hash: community.security.hash(token)) else {
                throw RequestProblem(status: .unauthorized, message: "That API token is not valid (revoked, or never made here).")
            }
            return account
        }
        throw RequestProblem(status: .unauthorized, message: "Sign in, or send Authorization: Bearer <token> with a personal API token from Settings.")
    }

    func mine(_ request: Request, context: some RequestContext) async throws -> Response {
        let recommender = try requireRecommender()
        let account = try await account(request)
        try community.limit(.vote, client: community.clientAddress(request, context: context), account: account.id)
        let (limit, fields) = try options(request)
        guard let model = try await recommender.model(accountID: account.id, tag: nil) else {
            return try Responses.json(ResponseBody(recommendedPapers: [])).response()
        }
        let signals = try await store.readerSignals(accountID: account.id, tag: nil)
        let excluded = Set(signals.likedPaperKeys).union(signals.negativePaperKeys)
        let candidates = try await candidatePapers(recommender, near: signals.likedPaperKeys, excluding: excluded)
        let ranked = try await recommender.rank(candidates, with: model, limit: limit)
        return try respond(ranked.prefix(limit), papers: candidates, fields: fields)
    }

    /// The newest papers on the feed and the liked papers' nearest neighbours: what is scored.
    func candidatePapers(_ recommender: Recommender, near liked: [UInt32], excluding: Set<UInt32>) async throws -> [Paper] {
        let recent = try await store.dailyPapers(DailyQuery(period: nil, limit: Self.candidateCount / 2, now: community.now()))
        let near = recommender.candidateKeys(near: liked, excluding: excluding, limit: Self.candidateCount / 2)
        let nearPapers = try await store.papers(keys: near)
        let recentKeys = try await store.paperKeys(ids: recent.map(\.id))
        var seen = Set<String>()
        var papers: [Paper] = []
        for paper in recent where recentKeys[paper.id].map({ !excluding.contains($0) }) ?? true {
            if seen.insert(paper.id).inserted { papers.append(paper) }
        }
        for key in near {
            if let paper = nearPapers[key], seen.insert(paper.id).inserted { papers.append(paper) }
        }
        return papers
    }

    func respond(_ ranked: ArraySlice<Recommendation>, papers: [Paper], fields: Set<Field>) throws -> Response {
        let byID = Dictionary(papers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let base = community.configuration.baseURL
        let items: [RecommendedPaper] = ranked.compactMap { recommendation in
            guard let paper = byID[recommendation.paperID] else { return nil }
            var item = RecommendedPaper(paperId: paper.id)
            if fields.contains(.title) { item.title = paper.title }
            if fields.contains(.abstract) { item.abstract = paper.abstract }
            if fields.contains(.authors) { item.authors = paper.authors.map { .init(name: $0) } }
            if fields.contains(.year) { item.year = paper.publishedAt.flatMap { Int(Day(containing: $0).iso.prefix(4)) } }
            if fields.contains(.publicationDate) { item.publicationDate = paper.publishedAt.map { Day(containing: $0).iso } }
            if fields.contains(.url) { item.url = base + Links.paper(paper.id) }
            if fields.contains(.upvotes) { item.upvotes = paper.upvotes }
            if fields.contains(.score) { item.score = recommendation.score }
            if fields.contains(.reason) { item.reason = recommendation.reason }
            if fields.contains(.externalIds) { item.externalIds = paper.isArxiv ? ["ArXiv": paper.id] : [:] }
            return item
        }
        return try Responses.json(ResponseBody(recommendedPapers: items)).response()
    }
}
