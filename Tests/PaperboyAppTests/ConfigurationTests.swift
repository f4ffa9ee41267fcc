import Foundation
import PaperboyApp
import PaperboyCore
import PaperboyTestSupport
import Testing

@Suite struct ConfigurationTests {
    @Test func load_commandLineBeatsEnvironment_beatsTheFile_beatsDefaults() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("paperboy.json", #"{"port": "9000", "siteName": "From The File", "publicURL": "https://file.example.org", "mailFrom": "file@example.org"}"#)
        let environment = ["PAPERBOY_CONFIG": file, "PAPERBOY_PORT": "9100", "PAPERBOY_PUBLIC_URL": "https://env.example.org", "PAPERBOY_TRUSTED_PROXIES": "10.0.0.0/8"]
        let configuration = try await PaperboyConfiguration.load(commandLine: [.port: "9200"], environment: environment)
        #expect(configuration.server.port == 9200)
        #expect(configuration.server.publicURL == "https://env.example.org")
        #expect(configuration.server.siteName == "From The File")
        #expect(configuration.mail.from == "file@example.org")
        #expect(configuration.server.trustedProxies.trusts(try #require(IPAddress("10.1.2.3"))))
        // Defaults where nobody said anything.
        #expect(configuration.server.host == "127.0.0.1" && configuration.server.cacheSeconds == 2)
        #expect(configuration.database == .sqlite(path: "var/paperboy.sqlite"))
        #expect(configuration.digestHour == 7 && configuration.arxivSync == nil && configuration.arxivAPI == "https://export.arxiv.org/api/query")
    }

    @Test func enrichment_offByDefault_onWithTheTokenFromTheEnvironment_badValuesRefused() async throws {
        let defaults = try await PaperboyConfiguration.load(environment: [:])
        #expect(defaults.githubStars == nil && defaults.thumbnails == nil && defaults.arxivRequestIntervalSeconds == 3)
        let on = try await PaperboyConfiguration.load(
            commandLine: [.githubStars: "on", .githubAPI: "http://127.0.0.1:9", .thumbnails: "on", .thumbnailSeconds: "5"],
            environment: ["PAPERBOY_GITHUB_TOKEN": "ghp_secret", "PAPERBOY_THUMBNAIL_MAX_MB": "12"])
        #expect(on.githubStars?.apiURL == "http://127.0.0.1:9" && on.githubStars?.token == "ghp_secret" && on.githubStars?.recentDays == 30)
        #expect(on.thumbnails?.renderSeconds == 5 && on.thumbnails?.maxPDFMegabytes == 12 && on.thumbnails?.renderMegabytes == 768)
        await #expect(throws: ConfigurationError.self) { try await PaperboyConfiguration.load(commandLine: [.githubStars: "yes"], environment: [:]) }
        await #expect(throws: ConfigurationError.self) { try await PaperboyConfiguration.load(commandLine: [.thumbnails: "on", .thumbnailSeconds: "0"], environment: [:]) }
    }

    @Test func environmentNames_areTheOnesPaperboyHasAlwaysRead() {
        #expect(PaperboyConfiguration.Key.publicURL.environmentName == "PAPERBOY_PUBLIC_URL")
        #expect(PaperboyConfiguration.Key.oaiURL.environmentName == "PAPERBOY_OAI_URL")
        #expect(PaperboyConfiguration.Key.arxivSyncHours.environmentName == "PAPERBOY_ARXIV_SYNC_HOURS")
        #expect(PaperboyConfiguration.Key.pgConcurrentUpserts.environmentName == "PAPERBOY_PG_CONCURRENT_UPSERTS")
        #expect(PaperboyConfiguration.Key.mailFrom.environmentName == "PAPERBOY_MAIL_FROM")
    }

    @Test func badValues_failWithTheFlagAndTheVariableNamed() async throws {
        await #expect(throws: ConfigurationError("--port (or PAPERBOY_PORT) must be a number from 0 to 65535, not \"eighty\".")) {
            try await PaperboyConfiguration.load(environment: ["PAPERBOY_PORT": "eighty"])
        }
        await #expect(throws: ConfigurationError.self) { try await PaperboyConfiguration.load(commandLine: [.digestHour: "24"], environment: [:]) }
        await #expect(throws: ConfigurationError.self) { try await PaperboyConfiguration.load(commandLine: [.arxivCategories: "cs.LG;DROP"], environment: [:]) }
        await #expect(throws: ConfigurationError.self) { try await PaperboyConfiguration.load(commandLine: [.trustedProxies: "proxy.internal"], environment: [:]) }
        await #expect(throws: ConfigurationError.self) { try await PaperboyConfiguration.load(commandLine: [.config: "/nonexistent/paperboy.json"], environment: [:]) }
        let off = try await PaperboyConfiguration.load(commandLine: [.arxivAPI: "off", .digestHour: "-1"], environment: [:])
        #expect(off.arxivAPI == nil && off.digestHour == nil)
        let sync = try await PaperboyConfiguration.load(commandLine: [.arxivCategories: "cs.LG, cs.CL", .arxivFeed: "curated"], environment: [:])
        #expect(sync.arxivSync?.categories == ["cs.LG", "cs.CL"] && sync.arxivSync?.feed == .curated)
    }

    @Test func databaseLocation_parsesFilesSQLiteAndPostgresURLs_andHidesPasswords() throws {
        #expect(try DatabaseLocation("var/x.sqlite", option: "--database") == .sqlite(path: "var/x.sqlite"))
        #expect(try DatabaseLocation("sqlite:var/x.sqlite", option: "--database") == .sqlite(path: "var/x.sqlite"))
        #expect(try DatabaseLocation("SQLITE:///tmp/x.sqlite", option: "--database") == .sqlite(path: "/tmp/x.sqlite"))
        let postgres = try DatabaseLocation("postgres://paperboy:secret@127.0.0.1:5432/paperboy", option: "--database")
        #expect(postgres.isPostgres && postgres.display == "postgres://paperboy:***@127.0.0.1:5432/paperboy")
        #expect(throws: ConfigurationError("--to: unsupported database URL scheme mysql; use sqlite:PATH or postgres://…")) {
            try DatabaseLocation("mysql://x", option: "--to")
        }
        #expect(throws: ConfigurationError("--database needs a file path.")) { try DatabaseLocation("sqlite:", option: "--database") }
    }
}
