import ArgumentParser
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

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Plan and send the digests due today (or for --period); retries and resumes through the outbox.",
            discussion: "Safe to run again or after a crash: each subscriber gets one digest per period.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var model: ModelOptions
        @OptionGroup var mail: MailOptions

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

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let store = try await database.openStore()
            var logger = Logger(label: "paperboy.digest")
            logger.logLevel = .notice
            let semantic = model.semanticIndex(store: store, logger: logger)
            if let semantic { _ = try await semantic.loadStoredEmbeddings() }
            let baseURL = publicURL ?? environment["PAPERBOY_PUBLIC_URL"] ?? "http://127.0.0.1:8080"
            // The database's keys, as the server uses: the links in these mails verify there.
            let security = Security(
                keys: try await SecretKeyRing.load(store: store, environmentSecret: environment["PAPERBOY_SECRET"]), secureCookies: false)
            let composer = try DigestComposer(
                store: store, search: SearchEngine(store: store, semantic: semantic, logger: logger), resources: try await SiteResources.load(),
                siteName: environment["PAPERBOY_SITE_NAME"] ?? "Paperboy", baseURL: baseURL, security: security, from: try mail.sender())
            let periods: [DigestPeriod]
            if let period {
                guard let parsed = DigestPeriod(period) else { throw ValidationError("--period is a day (2026-11-23) or an ISO week (2026-W47), not \(period)") }
                periods = [parsed]
            } else {
                periods = DigestPeriod.due(on: Day(containing: Date()))
                if periods.isEmpty { print("no digests are due today (weekend)"); return }
            }

            if let to {
                try await sendOne(to: to, periods: periods, store: store, composer: composer)
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
            guard try await lease.wait(timeout: .seconds(wait)) else {
                let holder = try await store.leaseHolder(DigestRunner.leaseName, now: Date()) ?? "another process"
                throw ValidationError("digests are being sent by \(holder); try again later or raise --wait")
            }
            let domain = URL(string: baseURL)?.host ?? "localhost"
            for period in periods {
                let planned = try await store.planDigests(period: period, messageIDDomain: domain, now: Date())
                print("planned \(planned) \(period.frequency.rawValue) digests for \(period.key)")
            }
            let runner = DigestRunner(store: store, composer: composer, destination: try mail.digestDestination(), lease: lease, logger: logger)
            let summary: DigestRunSummary
            do {
                summary = try await runner.sendDue()
            } catch {
                try? await lease.release()
                throw error
            }
            try await lease.release()
            print(summary)
        }

        func sendOne(to address: String, periods: [DigestPeriod], store: any PaperStore, composer: DigestComposer) async throws {
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
                    let id = try await mail.transport().send(message)
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
