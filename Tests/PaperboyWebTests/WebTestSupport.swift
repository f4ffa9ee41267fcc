import Foundation
import Hummingbird
import HummingbirdTesting
import PaperboyApp
import PaperboyCore
import PaperboyMail
import PaperboySearch
import PaperboyStore
import PaperboyTestSupport
import PaperboyWeb
import Testing

/// A store with a small known feed and an application over it, with the clock fixed at `testNow`.
struct WebFixture {
    let directory: TemporaryDirectory
    let store: any PaperStore
    let application: Application<HeadRequestResponder<RouterResponder<PaperboyRequestContext>>>
    /// Sign-in mail lands here as .eml files.
    let mailFolder: URL
    let security: Security
    let composer: DigestComposer
    /// Recommendations over TF-IDF alone (no model download), when the fixture is made with one.
    let recommender: Recommender?

    static let hostileTitle = #"<script>alert("title")</script> & <b>bold</b>"#

    init(
        publicURL: String? = "https://papers.example.org", cacheLifetime: Duration = .seconds(2),
        metadata: any PaperMetadataSource = LocalOnlyMetadataSource(),
        store given: (any PaperStore)? = nil, seed: Bool = true, trustedProxies: TrustedProxies = TrustedProxies(),
        withRecommender: Bool = false
    ) async throws {
        directory = try TemporaryDirectory()
        if let given { store = given } else { store = try await makeStore(in: directory) }
        if seed { try await Self.seed(store) }
        mailFolder = directory.url.appendingPathComponent("mail")
        // The server's own mailer, over the real .eml transport.
        let mailer = TransportSignInMailer(transport: EMLFolderTransport(folder: mailFolder), from: try MailAddress("paperboy@papers.example.org", name: "Paperboy"))
        let resources = try await SiteResources.load()
        security = Security(secret: String(repeating: "s", count: 40), secureCookies: true, bcryptCost: 4)
        composer = try DigestComposer(
            store: store, search: SearchEngine(store: store, semantic: nil), resources: resources, siteName: "Test Lab Papers",
            baseURL: "https://papers.example.org", security: security, from: try MailAddress("paperboy@papers.example.org"))
        recommender = withRecommender
            ? Recommender(store: store, semantic: nil, settings: .init(vocabulary: .init(minimumDocuments: 1, maximumDocumentShare: 1), restSample: 50))
            : nil
        let dependencies = WebDependencies(
            store: store, configuration: WebConfiguration(siteName: "Test Lab Papers", publicURL: publicURL, cacheLifetime: cacheLifetime, trustedProxies: trustedProxies),
            security: security, mailer: mailer, metadata: metadata,
            mailTransport: EMLFolderTransport(folder: mailFolder), mailFrom: try MailAddress("paperboy@papers.example.org"),
            digests: composer, recommender: recommender, now: { testNow })
        application = Application(responder: buildResponder(dependencies, resources: resources))
    }

    /// The small known feed every web test starts from.
    static func seed(_ store: any PaperStore) async throws {
        _ = try await store.upsert([
            record(samplePaper(id: "2502.00001", title: "Sparse Subnetworks That Train", abstract: "We find $O(n^2)$ tickets. Code: https://github.com/lab/tickets", daily: "2025-02-04", dailyHour: 9, submittedBy: "ada", upvotes: 12, githubRepo: "https://github.com/lab/tickets")),
            record(samplePaper(id: "2502.00002", title: "Dense Retrieval at Scale", daily: "2025-02-04", dailyHour: 11, upvotes: 30, published: "2025-01-15")),
            record(samplePaper(id: "2502.00003", title: Self.hostileTitle, abstract: "<img src=x onerror=alert(1)> \"quoted\"", authors: ["<i>Mallory</i>"], daily: "2025-02-03", upvotes: 3)),
            record(samplePaper(id: "2501.00004", title: "Last Month's Paper", daily: "2025-01-20", submittedBy: "bob", upvotes: 99)),
            record(samplePaper(id: "hep-th/9901001", title: "An Old-Style Identifier", daily: nil)),
        ])
    }

    /// Runs `body` with an in-process client.
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await application.test(.router, body)
    }

    /// Runs `body` against the application listening on a loopback port: requests come from a
    /// real client address (127.0.0.1), as rate limits and trusted proxies need.
    func testLive(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await application.test(.live, body)
    }
}

extension TestClientProtocol {
    /// GET `uri`, returning status, body text and headers.
    func get(_ uri: String) async throws -> (status: HTTPResponse.Status, body: String, headers: HTTPFields) {
        try await execute(uri: uri, method: .get) { response in
            (response.status, String(buffer: response.body), response.headers)
        }
    }

    func getJSON(_ uri: String) async throws -> (status: HTTPResponse.Status, json: Any) {
        let (status, body, headers) = try await get(uri)
        #expect(headers[.contentType]?.hasPrefix("application/json") == true, "\(uri) is not JSON")
        return (status, try JSONSerialization.jsonObject(with: Data(body.utf8)))
    }

    /// The paper ids a `/api/daily_papers` query returns, in order.
    func dailyIDs(_ uri: String) async throws -> [String] {
        let json = try await getJSON(uri).json
        return (json as? [[String: Any]] ?? []).compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
    }
}
