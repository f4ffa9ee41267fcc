import Configuration
import Foundation
import PaperboyCore
import PaperboyIngest
import SystemPackage

/// Everything Paperboy can be told, read once at start-up into typed, checked values and passed
/// down. Each setting has one key, looked up in this order: the command line, then the
/// environment (`PAPERBOY_` and the key in capitals, `publicURL` → `PAPERBOY_PUBLIC_URL`), then the
/// JSON file named by `--config` / `PAPERBOY_CONFIG` (flat: `{"publicURL": "https://…"}`), then
/// the default. Nothing else in Paperboy reads the environment.
public struct PaperboyConfiguration: Sendable {
    public var database: DatabaseLocation
    public var modelDirectory: String
    public var mail: MailSettings
    public var server: ServerSettings
    /// arXiv's OAI-PMH endpoint, for `ingest` and the scheduled sync.
    public var oaiURL: String
    /// Where submissions of unknown papers are looked up; nil when turned off.
    public var arxivAPI: String?
    /// The scheduled arXiv harvest; nil when no categories are set.
    public var arxivSync: ArxivSyncSettings?
    /// UTC hour at which digests go out; nil for never.
    public var digestHour: Int?
    /// `PAPERBOY_SECRET`: the signing key instead of the database's.
    public var secret: String?
    /// Import batches in flight at once on PostgreSQL.
    public var postgresConcurrentUpserts: Int
    /// Seconds between arXiv requests, for every arXiv request this process makes (sync,
    /// submissions, thumbnails' PDFs): they share one gate.
    public var arxivRequestIntervalSeconds: Double
    /// GitHub stars of recent papers (issue 19); nil when off.
    public var githubStars: GitHubStarsSettings?
    /// Thumbnails of first pages (issue 19); nil when off.
    public var thumbnails: ThumbnailSettings?

    public struct GitHubStarsSettings: Sendable {
        public var apiURL: String
        /// From `PAPERBOY_GITHUB_TOKEN` only (a secret).
        public var token: String?
        public var recentDays: Int
    }

    public struct ThumbnailSettings: Sendable {
        public var maxPDFMegabytes: Int
        public var renderSeconds: Int
        public var renderMegabytes: Int
    }
    /// `--metrics-textfile-dir`: where `import`, `ingest`, `index` and `digest send` leave their
    /// metrics for node_exporter's textfile collector; nil for none.
    public var metricsTextfileDirectory: String?
    /// `--vector-index`: where the server keeps its trained vector index between runs; nil for nowhere.
    public var vectorIndexFile: String?

    public struct MailSettings: Sendable {
        /// A folder for .eml files, or an smtp:// or smtps:// URL.
        public var transport: String
        public var from: String
    }

    public struct ServerSettings: Sendable {
        public var host: String
        public var port: Int
        /// `--public-url`: where people reach the site; nil means the listening address.
        public var publicURL: String?
        public var trustedProxies: TrustedProxies
        public var idleTimeoutSeconds: Int
        public var cacheSeconds: Double
        public var siteName: String
        public var logLevel: String
        /// `--log-format`: one human line per entry, or one JSON object.
        public var logFormat: LogFormat = .text
        /// `--metrics-port`: where `/metrics` listens; nil for no metrics at all.
        public var metricsPort: Int?
        /// `--metrics-host`: loopback unless the operator says otherwise.
        public var metricsHost: String = "127.0.0.1"
        /// `--compression`: gzip for clients that accept it.
        public var compression = true
        /// `--otlp-endpoint`: an OpenTelemetry collector's OTLP/HTTP address (`http://127.0.0.1:4318`)
        /// that receives each request's trace; nil for no tracing.
        public var otlpEndpoint: String?
    }

    public enum LogFormat: String, Sendable {
        case text, json
    }

    public struct ArxivSyncSettings: Sendable {
        public var categories: [String]
        public var feed: ArxivIngest.FeedPolicy
        public var format: OAIMetadataFormat
        public var hours: Double
        public var stateFolder: String
        public var requestIntervalSeconds: Double
    }

    /// One setting: its key (also its JSON name), the command-line flag, and its default.
    public struct Key: Sendable, Hashable {
        public let name: String
        public let flag: String
        public let isSecret: Bool

        init(_ name: String, flag: String, isSecret: Bool = false) {
            self.name = name
            self.flag = flag
            self.isSecret = isSecret
        }

        /// `PAPERBOY_` and the key in capitals with `_` between words.
        public var environmentName: String {
            var words = ""
            var previous: Character?
            for character in name {
                if let previous, previous.isLowercase, character.isUppercase { words.append("_") }
                words.append(character)
                previous = character
            }
            return "PAPERBOY_" + words.uppercased()
        }

        /// How a problem with it is named: `--port (or PAPERBOY_PORT)`.
        var label: String { "\(flag) (or \(environmentName))" }

        public static let config = Key("config", flag: "--config")
        public static let database = Key("database", flag: "--database", isSecret: true)
        public static let model = Key("model", flag: "--model")
        public static let mail = Key("mail", flag: "--mail", isSecret: true)
        public static let mailFrom = Key("mailFrom", flag: "--mail-from")
        public static let host = Key("host", flag: "--host")
        public static let port = Key("port", flag: "--port")
        public static let publicURL = Key("publicURL", flag: "--public-url")
        public static let trustedProxies = Key("trustedProxies", flag: "--trusted-proxies")
        public static let idleTimeout = Key("idleTimeout", flag: "--idle-timeout")
        public static let cacheSeconds = Key("cacheSeconds", flag: "--cache-seconds")
        public static let siteName = Key("siteName", flag: "--site-name")
        public static let logLevel = Key("logLevel", flag: "--log-level")
        public static let logFormat = Key("logFormat", flag: "--log-format")
        public static let metricsPort = Key("metricsPort", flag: "--metrics-port")
        public static let metricsHost = Key("metricsHost", flag: "--metrics-host")
        public static let compression = Key("compression", flag: "--compression")
        public static let otlpEndpoint = Key("otlpEndpoint", flag: "--otlp-endpoint")
        public static let metricsTextfileDir = Key("metricsTextfileDir", flag: "--metrics-textfile-dir")
        public static let arxivAPI = Key("arxivAPI", flag: "--arxiv-api")
        public static let arxivCategories = Key("arxivCategories", flag: "--arxiv-categories")
        public static let arxivFeed = Key("arxivFeed", flag: "--arxiv-feed")
        public static let oaiURL = Key("oaiURL", flag: "--arxiv-oai")
        public static let arxivFormat = Key("arxivFormat", flag: "--arxiv-format")
        public static let arxivSyncHours = Key("arxivSyncHours", flag: "--arxiv-sync-hours")
        public static let arxivState = Key("arxivState", flag: "--arxiv-state")
        public static let arxivRequestInterval = Key("arxivRequestInterval", flag: "--arxiv-request-interval")
        public static let digestHour = Key("digestHour", flag: "--digest-hour")
        public static let vectorIndex = Key("vectorIndex", flag: "--vector-index")
        public static let secret = Key("secret", flag: "PAPERBOY_SECRET", isSecret: true)
        public static let pgConcurrentUpserts = Key("pgConcurrentUpserts", flag: "PAPERBOY_PG_CONCURRENT_UPSERTS")
        public static let githubStars = Key("githubStars", flag: "--github-stars")
        public static let githubAPI = Key("githubAPI", flag: "--github-api")
        public static let githubToken = Key("githubToken", flag: "PAPERBOY_GITHUB_TOKEN", isSecret: true)
        public static let githubRecentDays = Key("githubRecentDays", flag: "--github-recent-days")
        public static let thumbnails = Key("thumbnails", flag: "--thumbnails")
        public static let thumbnailMaxMB = Key("thumbnailMaxMb", flag: "--thumbnail-max-mb")
        public static let thumbnailSeconds = Key("thumbnailSeconds", flag: "--thumbnail-seconds")
        public static let thumbnailMemoryMB = Key("thumbnailMemoryMb", flag: "--thumbnail-memory-mb")
    }

    /// Reads the configuration: `commandLine` (what the flags given said, by key), then
    /// `environment`, then the optional JSON file, then defaults.
    public static func load(
        commandLine: [Key: String] = [:], environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> PaperboyConfiguration {
        let given = InMemoryProvider(
            name: "command line",
            values: Dictionary(uniqueKeysWithValues: commandLine.map { key, value in
                (AbsoluteConfigKey([key.name]), ConfigValue(.string(value), isSecret: key.isSecret))
            }))
        // The environment by the names Paperboy has always used: PAPERBOY_ plus the key.
        let environmentProvider = EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: .specific(["PAPERBOY_SECRET", "PAPERBOY_DATABASE", "PAPERBOY_MAIL", "PAPERBOY_GITHUB_TOKEN"]))
            .prefixKeys(with: ["paperboy"])
        var providers: [any ConfigProvider] = [given, environmentProvider]
        let early = ConfigReader(providers: providers)
        if let file = early.string(forKey: ConfigKey([Key.config.name])) {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(file)))
            } catch {
                throw ConfigurationError("\(Key.config.label): cannot read the JSON file \(file): \(error)")
            }
        }
        return try PaperboyConfiguration(reader: ConfigReader(providers: providers))
    }

    init(reader: ConfigReader) throws(ConfigurationError) {
        let values = Values(reader: reader)
        database = try DatabaseLocation(values.string(.database) ?? "var/paperboy.sqlite", option: Key.database.flag)
        modelDirectory = values.string(.model) ?? ".build-tools/model/all-MiniLM-L6-v2"
        mail = MailSettings(transport: values.string(.mail) ?? "var/mail", from: values.string(.mailFrom) ?? "paperboy@localhost.localdomain")
        let proxies: TrustedProxies
        do { proxies = try TrustedProxies(parsing: values.string(.trustedProxies) ?? "") } catch { throw ConfigurationError(error.description) }
        server = ServerSettings(
            host: values.string(.host) ?? "127.0.0.1",
            port: try values.integer(.port, default: 8080, range: 0...65535, expected: "a number from 0 to 65535"),
            publicURL: values.string(.publicURL),
            trustedProxies: proxies,
            idleTimeoutSeconds: try values.integer(.idleTimeout, default: 30, range: 1...3600, expected: "1 to 3600 seconds"),
            cacheSeconds: try values.number(.cacheSeconds, default: 2, range: 0...3600, expected: "a number from 0 to 3600"),
            siteName: values.string(.siteName) ?? "Paperboy",
            logLevel: values.string(.logLevel) ?? "info")
        let format = values.string(.logFormat) ?? "text"
        guard let logFormat = LogFormat(rawValue: format) else { throw ConfigurationError("\(Key.logFormat.label) is text or json, not \"\(format.prefix(40))\".") }
        server.logFormat = logFormat
        if values.string(.metricsPort) != nil {
            server.metricsPort = try values.integer(.metricsPort, default: 0, range: 0...65535, expected: "a number from 0 to 65535")
        }
        server.metricsHost = values.string(.metricsHost) ?? "127.0.0.1"
        switch values.string(.compression) ?? "on" {
        case "on": server.compression = true
        case "off": server.compression = false
        case let other: throw ConfigurationError("\(Key.compression.label) is on or off, not \"\(other.prefix(40))\".")
        }
        if let endpoint = values.string(.otlpEndpoint), !endpoint.isEmpty {
            guard let url = URL(string: endpoint), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil,
                  url.query == nil, url.fragment == nil
            else {
                throw ConfigurationError("\(Key.otlpEndpoint.label) is an OTLP/HTTP collector address like http://127.0.0.1:4318, not \"\(endpoint.prefix(60))\".")
            }
            server.otlpEndpoint = endpoint
        }
        metricsTextfileDirectory = values.string(.metricsTextfileDir).flatMap { $0.isEmpty ? nil : $0 }
        oaiURL = values.string(.oaiURL) ?? "https://oaipmh.arxiv.org/oai"
        let api = values.string(.arxivAPI) ?? "https://export.arxiv.org/api/query"
        arxivAPI = api == "off" ? nil : api
        let hour = try values.integer(.digestHour, default: 7, range: -1...23, expected: "0 to 23, or -1 for never")
        digestHour = hour >= 0 ? hour : nil
        secret = values.string(.secret)
        postgresConcurrentUpserts = try values.integer(.pgConcurrentUpserts, default: 4, range: 1...64, expected: "1 to 64")
        arxivRequestIntervalSeconds = try values.number(.arxivRequestInterval, default: 3, range: 0...600, expected: "a number of seconds from 0 to 600")
        switch values.string(.githubStars) ?? "off" {
        case "off": githubStars = nil
        case "on":
            githubStars = GitHubStarsSettings(
                apiURL: values.string(.githubAPI) ?? "https://api.github.com", token: values.string(.githubToken),
                recentDays: try values.integer(.githubRecentDays, default: 30, range: 1...3650, expected: "1 to 3650 days"))
        case let other: throw ConfigurationError("\(Key.githubStars.label) is on or off, not \"\(other.prefix(40))\".")
        }
        switch values.string(.thumbnails) ?? "off" {
        case "off": thumbnails = nil
        case "on":
            thumbnails = ThumbnailSettings(
                maxPDFMegabytes: try values.integer(.thumbnailMaxMB, default: 40, range: 1...1000, expected: "1 to 1000 megabytes"),
                renderSeconds: try values.integer(.thumbnailSeconds, default: 30, range: 1...600, expected: "1 to 600 seconds"),
                renderMegabytes: try values.integer(.thumbnailMemoryMB, default: 768, range: 64...16_384, expected: "64 to 16384 megabytes"))
        case let other: throw ConfigurationError("\(Key.thumbnails.label) is on or off, not \"\(other.prefix(40))\".")
        }
        switch (values.string(.vectorIndex), database) {
        case ("off"?, _), (nil, .postgres): vectorIndexFile = nil
        case (let path?, _): vectorIndexFile = path
        case (nil, .sqlite(let path)): vectorIndexFile = path + ".vectors"
        }
        if let list = values.string(.arxivCategories), !list.isEmpty {
            let feedName = values.string(.arxivFeed) ?? "all"
            guard let feed = ArxivIngest.FeedPolicy(rawValue: feedName) else { throw ConfigurationError("--arxiv-feed is all or curated, not \(feedName)") }
            let formatName = values.string(.arxivFormat) ?? "arXiv"
            guard let format = OAIMetadataFormat(rawValue: formatName) else { throw ConfigurationError("--arxiv-format is arXiv or arXivRaw, not \(formatName)") }
            arxivSync = ArxivSyncSettings(
                categories: try Self.arxivCategories(list, option: Key.arxivCategories.flag),
                feed: feed,
                format: format,
                hours: try values.number(.arxivSyncHours, default: 6, range: 0.01...168, expected: "a number of hours from 0.01 to 168"),
                stateFolder: values.string(.arxivState) ?? "var/ingest",
                requestIntervalSeconds: try values.number(.arxivRequestInterval, default: 3, range: 0...600, expected: "a number of seconds from 0 to 600"))
        } else {
            arxivSync = nil
        }
    }

    /// `cs.LG,cs.CL` → ["cs.LG", "cs.CL"], or a clear error.
    public static func arxivCategories(_ list: String, option: String) throws(ConfigurationError) -> [String] {
        let wanted = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !wanted.isEmpty, wanted.count <= 100,
              wanted.allSatisfy({ $0.count <= 20 && $0.allSatisfy { ($0.isASCII && $0.isLetter) || $0 == "." || $0 == "-" } })
        else {
            throw ConfigurationError("\(option) takes arXiv categories like cs.LG,cs.CL")
        }
        return wanted
    }

    /// Typed reads with messages that name the flag and the variable.
    struct Values {
        let reader: ConfigReader

        func string(_ key: Key) -> String? {
            reader.string(forKey: ConfigKey([key.name]), isSecret: key.isSecret)
        }

        func integer(_ key: Key, default value: Int, range: ClosedRange<Int>, expected: String) throws(ConfigurationError) -> Int {
            guard let text = string(key) else { return value }
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
                throw ConfigurationError("\(key.label) must be \(expected), not \"\(text.prefix(40))\".")
            }
            return number
        }

        func number(_ key: Key, default value: Double, range: ClosedRange<Double>, expected: String) throws(ConfigurationError) -> Double {
            guard let text = string(key) else { return value }
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
                throw ConfigurationError("\(key.label) must be \(expected), not \"\(text.prefix(40))\".")
            }
            return number
        }
    }
}

/// A setting that cannot be used, with what to do about it.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
