import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PaperboyCore

/// The arXiv API (`export.arxiv.org/api/query`), used within arXiv's terms: one request at a
/// time, at least `minimumInterval` (3 s) apart, a descriptive User-Agent, and retries with
/// backoff on 429, 503 (honouring Retry-After) and network errors.
public actor ArxivAPIClient {
    public struct Configuration: Sendable {
        public var baseURL: String
        public var userAgent: String
        public var minimumInterval: Duration
        public var maximumAttempts: Int
        public var timeout: TimeAmount

        public init(
            baseURL: String = "https://export.arxiv.org/api/query",
            userAgent: String = "Paperboy/1.0 (self-hosted paper feed; https://github.com/paperboy)",
            minimumInterval: Duration = .seconds(3), maximumAttempts: Int = 4, timeout: TimeAmount = .seconds(30)
        ) {
            self.baseURL = baseURL
            self.userAgent = userAgent
            self.minimumInterval = minimumInterval
            self.maximumAttempts = maximumAttempts
            self.timeout = timeout
        }
    }

    public enum ClientError: Error, Equatable, CustomStringConvertible {
        case http(status: Int)
        case network(String)
        /// No answer within the time allowed (connecting, or the whole lookup).
        case timedOut(seconds: Int)
        case response(ArxivParseError)
        case oai(OAIPMHError)
        /// A download was larger than allowed (a PDF over the thumbnail limit).
        case tooLarge(limit: Int)

        public var description: String {
            switch self {
            case .tooLarge(let limit): "the file is larger than \(limit / 1_048_576) MiB"

            case .http(let status): "arXiv answered HTTP \(status)"
            case .network(let reason): "could not reach arXiv: \(reason)"
            case .timedOut(let seconds): "arXiv did not answer within \(seconds) seconds"
            case .response(let error): error.description
            case .oai(let error): error.description
            }
        }
    }

    let configuration: Configuration
    let client: HTTPClient
    let logger: Logger
    var lastRequest: ContinuousClock.Instant?

    public init(configuration: Configuration = Configuration(), client: HTTPClient = .shared, logger: Logger = Logger(label: "paperboy.arxiv")) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    /// Entries for arXiv ids (any version given is dropped), in one request of up to 100.
    public func entries(ids: [String]) async throws -> ArxivFeed {
        let list = ids.prefix(100).compactMap { ArxivID.parse($0)?.id }.joined(separator: ",")
        return try await query(["id_list": list, "max_results": String(min(ids.count, 100))])
    }

    /// A search (`cat:cs.LG AND submittedDate:[202611230000 TO 202611242359]`), one page.
    public func search(_ searchQuery: String, start: Int = 0, maxResults: Int = 100) async throws -> ArxivFeed {
        try await query(["search_query": searchQuery, "start": String(start), "max_results": String(maxResults),
                         "sortBy": "submittedDate", "sortOrder": "descending"])
    }

    func query(_ parameters: [String: String]) async throws -> ArxivFeed {
        let body = try await get(configuration.baseURL, parameters)
        do {
            return try ArxivAtomParser.parse(body)
        } catch {
            throw ClientError.response(error)
        }
    }

    /// A file (a paper's PDF) through the same gate as every other arXiv request: one at a time,
    /// `minimumInterval` apart, retried alike. Over `maxBytes`, `ClientError.tooLarge`.
    public func download(_ url: String, maxBytes: Int) async throws -> Data {
        try await fetch(url, maxBytes: maxBytes)
    }

    /// GET with the terms' spacing, retried on 429/5xx (honouring Retry-After) and network errors.
    func get(_ base: String, _ parameters: [String: String]) async throws -> Data {
        var components = URLComponents(string: base)
        components?.queryItems = parameters.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        guard let url = components?.url?.absoluteString else { throw ClientError.network("bad base URL \(base)") }
        return try await fetch(url, maxBytes: 64 * 1024 * 1024)
    }

    func fetch(_ url: String, maxBytes: Int) async throws -> Data {
        var attempt = 0
        while true {
            attempt += 1
            try await waitForTurn()
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: configuration.userAgent)
            do {
                let response = try await client.execute(request, timeout: configuration.timeout)
                if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBytes {
                    throw ClientError.tooLarge(limit: maxBytes)
                }
                let body: ByteBuffer
                do {
                    body = try await response.body.collect(upTo: maxBytes)
                } catch is NIOTooManyBytesError {
                    throw ClientError.tooLarge(limit: maxBytes)
                }
                switch response.status.code {
                case 200:
                    return Data(body.readableBytesView)
                case 429, 503, 502, 504:
                    guard attempt < configuration.maximumAttempts else { throw ClientError.http(status: Int(response.status.code)) }
                    let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init)
                    let delay = retryAfter ?? pow(2, Double(attempt))
                    logger.notice("arXiv busy (\(response.status.code)); retrying in \(delay) s")
                    try await Task.sleep(for: .milliseconds(Int(min(delay, 120) * 1000)))
                default:
                    throw ClientError.http(status: Int(response.status.code))
                }
            } catch let error as ClientError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                guard attempt < configuration.maximumAttempts else { throw Self.classify(error, timeout: configuration.timeout) }
                try await Task.sleep(for: .seconds(pow(2, Double(attempt))))
            }
        }
    }

    /// A failure said plainly: a timeout as such, a connection or name lookup as unreachable.
    static func classify(_ error: any Error, timeout: TimeAmount) -> ClientError {
        if let error = error as? HTTPClientError,
           [HTTPClientError.deadlineExceeded, .connectTimeout, .readTimeout, .writeTimeout].contains(error) {
            return .timedOut(seconds: Int(timeout.nanoseconds / 1_000_000_000))
        }
        if error is NIOConnectionError {
            return .network("the name did not resolve, or no address of it accepted a connection")
        }
        if let error = error as? IOError {
            return .network(error.errnoCode == ECONNREFUSED ? "the server refused the connection" : "the connection failed (errno \(error.errnoCode))")
        }
        return .network("\(error)")
    }

    /// Spaces requests `minimumInterval` apart; the actor makes them one at a time.
    func waitForTurn() async throws {
        let clock = ContinuousClock()
        if let last = lastRequest {
            let next = last.advanced(by: configuration.minimumInterval)
            if next > clock.now { try await clock.sleep(until: next) }
        }
        lastRequest = clock.now
    }

    // MARK: OAI-PMH

    /// Harvests `ListRecords` (metadataPrefix from the checkpoint) for `set` from `from` (YYYY-MM-DD),
    /// page by page. `store` is called with each page and the checkpoint to save once the page
    /// is stored; resuming from a checkpoint continues at its token. The next page is requested
    /// (still one request at a time, spaced as configured) while the caller stores this one.
    public func harvest(
        oaiBaseURL: String, checkpoint start: HarvestCheckpoint,
        store: (OAIPage, HarvestCheckpoint) async throws -> Void
    ) async throws -> HarvestCheckpoint {
        var checkpoint = start
        guard !checkpoint.finished else { return checkpoint }
        var pending = Task { try await self.page(oaiBaseURL, after: start) }
        while true {
            let page = try await withTaskCancellationHandler { try await pending.value } onCancel: { [pending] in pending.cancel() }
            checkpoint.pagesDone += 1
            checkpoint.recordsDone += page.records.count
            checkpoint.token = page.resumptionToken
            checkpoint.finished = page.resumptionToken == nil
            if !checkpoint.finished {
                let next = checkpoint
                pending = Task { try await self.page(oaiBaseURL, after: next) }
            }
            do {
                try await store(page, checkpoint)
            } catch {
                pending.cancel()
                throw error
            }
            if checkpoint.finished { return checkpoint }
        }
    }

    /// The page a checkpoint points at: its token's, or the first of its set.
    func page(_ oaiBaseURL: String, after checkpoint: HarvestCheckpoint) async throws -> OAIPage {
        var parameters = ["verb": "ListRecords"]
        if let token = checkpoint.token {
            parameters["resumptionToken"] = token
        } else {
            parameters["metadataPrefix"] = (checkpoint.format ?? .arXiv).rawValue
            parameters["set"] = checkpoint.set
            if let from = checkpoint.from { parameters["from"] = from }
        }
        let body = try await get(oaiBaseURL, parameters)
        do {
            return try OAIPMHParser.parse(body)
        } catch {
            throw ClientError.oai(error)
        }
    }
}

/// Submissions fetch unknown papers from the arXiv API.
public struct ArxivMetadataSource: PaperMetadataSource {
    let client: ArxivAPIClient
    /// A reader waits on the page: past this, the lookup gives up whatever the client's retries.
    let overallLimit: Duration

    public init(client: ArxivAPIClient, overallLimit: Duration = .seconds(15)) {
        self.client = client
        self.overallLimit = overallLimit
    }

    /// The client for submissions: a few seconds per attempt and one retry, inside `overallLimit`,
    /// where the sync's client waits 30 s and retries four times (a page that hung for 135 s).
    public static func forSubmissions(baseURL: String, logger: Logger = Logger(label: "paperboy.arxiv")) -> ArxivMetadataSource {
        ArxivMetadataSource(client: ArxivAPIClient(
            configuration: .init(baseURL: baseURL, maximumAttempts: 2, timeout: .seconds(6)), logger: logger))
    }

    public func record(arxivID: String) async throws -> PaperRecord? {
        let client = client
        let limit = overallLimit
        // Not a task group: that would wait for a request that ignores cancellation. The lookup
        // is cancelled and left to end on its own.
        let lookup = Task { try await client.entries(ids: [arxivID]).entries.first { $0.id == arxivID }?.record }
        let deadline = Task {
            try await Task.sleep(for: limit)
            throw ArxivAPIClient.ClientError.timedOut(seconds: Int(limit.components.seconds))
        }
        return try await Race.first(of: lookup, unless: deadline)
    }

    public var notFoundAdvice: String { "arXiv does not know it either: check the id." }
}
