import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PaperboyCore
import PaperboyStore

/// GitHub's REST API for a repository's stars, within GitHub's rules: conditional requests
/// (`If-None-Match` with the last `ETag`; a 304 does not count against the rate limit), the rate
/// limit read from every answer (`X-RateLimit-Remaining`, `X-RateLimit-Reset`) and nothing asked
/// again until the reset once it is used up, a User-Agent, and a token only when configured.
public actor GitHubClient {
    public struct Configuration: Sendable {
        /// `https://api.github.com`; tests point it at a local fixture server.
        public var baseURL: String
        /// A personal access token raises the limit from 60 to 5,000 requests an hour.
        public var token: String?
        public var userAgent: String
        public var timeout: TimeAmount

        public init(baseURL: String = "https://api.github.com", token: String? = nil,
                    userAgent: String = "Paperboy/1.0 (self-hosted paper feed)", timeout: TimeAmount = .seconds(20)) {
            var base = baseURL
            while base.hasSuffix("/") { base.removeLast() }
            self.baseURL = base
            self.token = token
            self.userAgent = userAgent
            self.timeout = timeout
        }
    }

    public enum ClientError: Error, Equatable, CustomStringConvertible {
        /// The rate limit is used up until `until`.
        case rateLimited(until: Date)
        case http(status: Int)
        case network(String)
        case badAnswer(String)

        public var description: String {
            switch self {
            case .rateLimited(let until): "GitHub's rate limit is used up until \(DateParsing.iso8601String(until))"
            case .http(let status): "GitHub answered HTTP \(status)"
            case .network(let reason): "could not reach GitHub: \(reason)"
            case .badAnswer(let reason): "GitHub's answer was not understood: \(reason)"
            }
        }
    }

    let configuration: Configuration
    let client: HTTPClient
    let now: @Sendable () -> Date
    /// Set when an answer said no requests remain: none is made before then.
    private(set) var pausedUntil: Date?

    public init(configuration: Configuration, client: HTTPClient = .shared, now: @escaping @Sendable () -> Date = Date.init) {
        self.configuration = configuration
        self.client = client
        self.now = now
    }

    /// `owner/name` of a GitHub repository link (`https://github.com/owner/name[/…][.git]`), or nil.
    public static func repositoryPath(_ link: String) -> String? {
        guard let components = URLComponents(string: link), let host = components.host?.lowercased(),
              host == "github.com" || host == "www.github.com" else { return nil }
        let parts = components.path.split(separator: "/").map(String.init)
        guard parts.count >= 2 else { return nil }
        var name = parts[1]
        if name.hasSuffix(".git") { name.removeLast(4) }
        let allowed = { (text: String) in !text.isEmpty && text.count <= 100 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) } }
        guard allowed(parts[0]), allowed(name), name != ".", name != ".." else { return nil }
        return "\(parts[0])/\(name)"
    }

    /// What GitHub says about `repository`'s stars now; `etag` makes it a conditional request.
    public func stars(repository: String, etag: String?) async throws -> StarsOutcome {
        if let pausedUntil, pausedUntil > now() { throw ClientError.rateLimited(until: pausedUntil) }
        guard let path = Self.repositoryPath(repository) else { return .missing }
        var request = HTTPClientRequest(url: "\(configuration.baseURL)/repos/\(path)")
        request.headers.add(name: "Accept", value: "application/vnd.github+json")
        request.headers.add(name: "X-GitHub-Api-Version", value: "2022-11-28")
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        if let token = configuration.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let etag { request.headers.add(name: "If-None-Match", value: etag) }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: configuration.timeout)
            body = try await response.body.collect(upTo: 4 * 1024 * 1024)
        } catch {
            throw ClientError.network("\(error)")
        }
        let remaining = response.headers.first(name: "X-RateLimit-Remaining").flatMap { Int($0) }
        let reset = response.headers.first(name: "X-RateLimit-Reset").flatMap { Double($0) }.map(Date.init(timeIntervalSince1970:))
        let retryAfter = response.headers.first(name: "Retry-After").flatMap { Double($0) }.map { now().addingTimeInterval($0) }
        if remaining == 0 { pausedUntil = reset ?? now().addingTimeInterval(3600) }
        switch response.status.code {
        case 200:
            struct Repository: Decodable { let stargazers_count: Int }
            do {
                let repository = try JSONDecoder().decode(Repository.self, from: Data(body.readableBytesView))
                return .stars(repository.stargazers_count, etag: response.headers.first(name: "ETag"))
            } catch {
                throw ClientError.badAnswer("no stargazers_count")
            }
        case 304:
            return .unchanged
        case 404, 410, 451:
            return .missing
        case 403, 429:
            // The primary limit (remaining 0) or a secondary one (Retry-After): wait as told.
            let until = retryAfter ?? pausedUntil ?? reset ?? now().addingTimeInterval(60)
            pausedUntil = until
            throw ClientError.rateLimited(until: until)
        default:
            throw ClientError.http(status: Int(response.status.code))
        }
    }
}

/// Refreshes the stars of recent papers' repositories: each paper published (or on the feed)
/// in the last `recentDays` days at most once every `refreshHours` hours, until the rate limit
/// says stop. Repeated runs continue with whatever is due.
public struct GitHubStarsRefresh: Sendable {
    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        public var updated = 0
        public var unchanged = 0
        public var missing = 0
        public var failed = 0
        /// Set when the run stopped for the rate limit.
        public var pausedUntil: Date?

        public init() {}

        public var description: String {
            "\(updated) updated / \(unchanged) unchanged / \(missing) gone / \(failed) failed"
                + (pausedUntil.map { "; rate limit reached, waiting until \(DateParsing.iso8601String($0))" } ?? "")
        }
    }

    public let store: any PaperStore
    public let client: GitHubClient
    public var recentDays: Int
    public var refreshHours: Double
    let logger: Logger

    public init(store: any PaperStore, client: GitHubClient, recentDays: Int = 30, refreshHours: Double = 24, logger: Logger = Logger(label: "paperboy.github")) {
        self.store = store
        self.client = client
        self.recentDays = recentDays
        self.refreshHours = refreshHours
        self.logger = logger
    }

    public func run(now: Date, progress: (@Sendable (Int) -> Void)? = nil) async throws -> Summary {
        var summary = Summary()
        let since = now.addingTimeInterval(-Double(recentDays) * 86_400)
        // A little under the interval, so a daily run finds yesterday's papers due.
        let checkedBefore = now.addingTimeInterval(-refreshHours * 3600 * 0.9)
        var seen = Set<UInt32>()
        while true {
            let due = try await store.papersNeedingStars(since: since, checkedBefore: checkedBefore, limit: 100).filter { !seen.contains($0.key) }
            guard !due.isEmpty else { break }
            for target in due {
                seen.insert(target.key)
                do {
                    let outcome = try await client.stars(repository: target.repository, etag: target.etag)
                    try await store.saveStars(paperKey: target.key, outcome: outcome, checkedAt: now)
                    switch outcome {
                    case .stars: summary.updated += 1
                    case .unchanged: summary.unchanged += 1
                    case .missing: summary.missing += 1
                    }
                } catch GitHubClient.ClientError.rateLimited(let until) {
                    summary.pausedUntil = until
                    return summary
                } catch GitHubClient.ClientError.network(let reason) {
                    // GitHub is out of reach: the next run tries again, from the same papers.
                    summary.failed += 1
                    logger.warning("GitHub stars: \(reason); trying again next run")
                    return summary
                } catch let error as GitHubClient.ClientError {
                    // This repository's answer was bad: it waits for the next day, the others go on.
                    summary.failed += 1
                    logger.warning("GitHub stars of \(target.paperID): \(error)")
                    try await store.saveStars(paperKey: target.key, outcome: .unchanged, checkedAt: now)
                }
                progress?(seen.count)
            }
        }
        return summary
    }
}
