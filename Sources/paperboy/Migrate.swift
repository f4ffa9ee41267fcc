import ArgumentParser
import PaperboyApp

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema (serve and import also do this).")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let (store, configuration) = try await database.openStore()
        let applied = try await store.appliedMigrations()
        print("database \(configuration.database.display) is at schema \(applied.last ?? "none") (\(applied.count) migration\(applied.count == 1 ? "" : "s") applied)")
    }
}
