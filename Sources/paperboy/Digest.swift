import ArgumentParser
import PaperboyApp
import Foundation
import Logging
import PaperboyCore
import PaperboyMail
import PaperboySearch
import PaperboyStore
import PaperboyWeb

/// `paperboy digest send`: plan and send the digests due, through the outbox.
struct Digest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Email digests of trending papers.", subcommands: [Send.self])

    struct Send: AsyncParsableCommand, ConfigurationFlags {
        static let configuration = CommandConfiguration(
            abstract: "Plan and send the digests due today (or for --period); retries and resumes through the outbox.",
            discussion: "Safe to run again or after a crash: each subscriber gets one digest per period.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var model: ModelOptions
        @OptionGroup var mail: MailOptions
        @OptionGroup var metricsFile: MetricsFileOptions

        @Option(help: "A day (2026-11-23) for daily digests or an ISO week (2026-W47) for weekly ones; default: what is due today.")
        var period: String?

        @Option(help: "Only this subscriber: compose and send their digest now, outside the outbox.")
        var to: String?

        @Flag(name: .customLong("dry-run"), help: "Compose without sending or recording anything; with --to, print the message.")
        var dryRun = false

        @Option(help: "Seconds to wait for another sender (a server's digest service, another digest send) to finish.")
        var wait: Int = 120

        @Option(name: .customLong("public-url"), help: "Base URL of links in the mail (env: PAPERBOY_PUBLIC_URL; default: http://127.0.0.1:8080).")
        var publicURL: String?

        @Option(name: .customLong("site-name"), help: "Name the mail is signed with (env: PAPERBOY_SITE_NAME).")
        var siteName: String?

        var flags: [PaperboyConfiguration.Key: String] { given([.publicURL: publicURL, .siteName: siteName]) }

        func run() async throws {
            let configuration = try await loadConfiguration(database, model, mail, metricsFile, self)
            let store = try await Stores.open(configuration)
            var logger = Logger(label: "paperboy.digest")
            logger.logLevel = .notice
            let semantic = configuration.semanticIndex(store: store, logger: logger)
            if let semantic { _ = try await semantic.loadStoredEmbeddings() }
            // Links point at --public-url, else where the demo server listens.
            let site: SiteAddress
            do { site = try configuration.site(orListeningOn: "127.0.0.1", port: 8080) } catch { throw ValidationError(error.description) }
            // The database's keys, as the server uses: the links in these mails verify there.
            let security = Security(
                keys: try await SecretKeyRing.load(store: store, environmentSecret: configuration.secret), secureCookies: false)
            let composer: DigestComposer
            do {
                composer = try await configuration.digestComposer(
                    store: store, search: SearchEngine(store: store, semantic: semantic, logger: logger), site: site, security: security,
                    recommender: Recommender(store: store, semantic: semantic, logger: logger))
            } catch let error as ConfigurationError {
                throw ValidationError(error.description)
            }
            let periods: [DigestPeriod]
            if let period {
                guard let parsed = DigestPeriod(period) else { throw ValidationError("--period is a day (2026-11-23) or an ISO week (2026-W47), not \(period)") }
                periods = [parsed]
            } else {
                periods = DigestPeriod.due(on: Day(containing: Date()))
                if periods.isEmpty {
                    print("no digests are due today (weekend)")
                    // A run with nothing to do still succeeded: a staleness alert must not fire every weekend.
                    try await recordingRun("digest_send", configuration: configuration, counts: { _ in [] }) {}
                    return
                }
            }

            if let to {
                try await sendOne(to: to, periods: periods, store: store, composer: composer, configuration: configuration)
                return
            }
            if dryRun {
                try await composeAll(periods: periods, store: store, composer: composer)
                return
            }
            // One sender at a time across servers and this command: a server's digest service or
            // another `digest send` holds the lease while it sends; wait for it (a crashed
            // sender on this host is replaced at once, one elsewhere when its lease runs out).
            let lease = LeaseKeeper(store: store, name: DigestRunner.leaseName, duration: 90)
            if let holder = try await store.leaseHolder(DigestRunner.leaseName, now: Date()) {
                print("a server's digest run (\(holder)) is sending; waiting up to \(wait) s for it to finish, then sending what is left")
            }
            guard try await lease.wait(timeout: .seconds(wait)) else {
                let holder = try await store.leaseHolder(DigestRunner.leaseName, now: Date()) ?? "another process"
                throw ValidationError("digests are being sent by \(holder); try again later or raise --wait")
            }
            let destination: DigestDestination
            do { destination = try configuration.mail.digestDestination() } catch { throw ValidationError(error.description) }
            let sending = DigestSending(store: store, composer: composer, destination: destination, lease: lease, messageIDDomain: site.host, logger: logger)
            let outcome: (planned: [(period: DigestPeriod, count: Int)], summary: DigestRunSummary)
            do {
                // Only the outbox run is recorded: --to and --dry-run send nothing through it.
                outcome = try await recordingRun("digest_send", configuration: configuration, counts: { outcome in
                    // The server's daily run counts the same way, under the same name.
                    let summary = outcome.summary
                    return [("sent", summary.sent), ("retrying", summary.retrying), ("bounced", summary.bounced), ("failed", summary.failed)].map {
                        JobMetricsFile.Count("paperboy_digests_total", help: "Digests by outcome.", labels: [("result", $0.0)], value: $0.1)
                    }
                }) {
                    try await sending.planAndSend(periods, now: Date())
                }
            } catch {
                try? await lease.release()
                throw error
            }
            try await lease.release()
            for (period, count) in outcome.planned { print("planned \(count) \(period.frequency.rawValue) digests for \(period.key)") }
            print(outcome.summary)
        }

        func sendOne(to address: String, periods: [DigestPeriod], store: any PaperStore, composer: DigestComposer, configuration: PaperboyConfiguration) async throws {
            let email: String
            do { email = try EmailAddress.normalize(address) } catch { throw ValidationError("--to: \(error)") }
            guard let subscriber = try await store.subscriber(email: email) else { throw ValidationError("nobody subscribed with \(email)") }
            for period in periods {
                guard let message = try await composer.message(for: subscriber, period: period) else {
                    print("nothing to send for \(period.key)")
                    continue
                }
                if dryRun {
                    print(try message.render(date: Date(), messageID: "<dry-run@localhost>"))
                } else {
                    let id = try await configuration.mail.messageTransport().send(message)
                    print("sent \(period.key) digest to \(email) as \(id)")
                }
            }
        }

        func composeAll(periods: [DigestPeriod], store: any PaperStore, composer: DigestComposer) async throws {
            let started = Date()
            var count = 0
            var bytes = 0
            for period in periods {
                for subscriber in try await store.activeSubscribers(frequency: period.frequency) {
                    guard let message = try await composer.message(for: subscriber, period: period) else { continue }
                    bytes += try message.render(date: Date(), messageID: "<dry-run@localhost>").utf8.count
                    count += 1
                }
            }
            print("composed \(count) digests (\(bytes / 1024) KiB) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; nothing sent")
        }
    }
}
