import ArgumentParser
import PaperboyApp
import Foundation
import PaperboyWeb

struct Secret: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The key that signs forms and mailed links, kept in the database and shared by every server.",
        subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new signing key. The old one stays valid for a grace period, so links already mailed (unsubscribe included) and open forms keep working; servers pick the new key up within a minute.")

        @OptionGroup var database: DatabaseOptions

        @Option(name: .customLong("grace-days"), help: "How long the old key is still accepted, in days (0 to 365).")
        var graceDays: Double = 30

        func run() async throws {
            guard (0...365).contains(graceDays) else { throw ValidationError("--grace-days is 0 to 365, not \(graceDays)") }
            let (store, configuration) = try await database.openStore()
            if configuration.secret != nil {
                print("note: PAPERBOY_SECRET is set here; servers started with it sign with it and ignore the database's keys")
            }
            let now = Date()
            let keys = try await SecretKeyRing.rotate(store: store, grace: graceDays * 86_400, now: now)
            let until = ISO8601DateFormatter().string(from: now.addingTimeInterval(graceDays * 86_400))
            print("rotated the signing key in \(configuration.database.display): the previous key is accepted until \(until); \(keys.retired.count) retired key\(keys.retired.count == 1 ? "" : "s") kept")
        }
    }
}
