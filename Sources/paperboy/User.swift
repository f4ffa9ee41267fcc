import ArgumentParser
import PaperboyApp
import Foundation
import PaperboyCore
import PaperboyStore

/// `paperboy user create|role`: accounts from the command line, for the first admin.
struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create accounts and change roles.",
        subcommands: [Create.self, SetRole.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account; it signs in by emailed link.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Username (letters, digits, - and _).")
        var username: String

        @Option(help: "Email address; sign-in links go there.")
        var email: String

        @Flag(help: "Make the account an admin (the first admin is created this way).")
        var admin = false

        @Flag(help: "Make the account a curator.")
        var curator = false

        func run() async throws {
            let (store, _) = try await database.openStore()
            let role: Role = admin ? .admin : curator ? .curator : .member
            do {
                let account = try await store.createAccount(
                    username: try Username.validate(username, allowReserved: true), email: try EmailAddress.normalize(email), role: role,
                    passwordHash: nil, now: Date())
                print("created \(account.role.rawValue) \(account.username) <\(account.email)>")
            } catch let error as AccountInputError {
                throw ValidationError(error.description)
            } catch let error as CommunityError {
                throw ValidationError(error.description)
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "role", abstract: "Set an account's role: member, curator or admin.")

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The username.")
        var username: String

        @Argument(help: "member, curator or admin.")
        var role: String

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("the role is member, curator or admin, not \(self.role)") }
            let (store, _) = try await database.openStore()
            do {
                try await store.setRole(role, username: username)
            } catch let error as CommunityError {
                throw ValidationError(error.description)
            }
            print("\(username) is now \(role.rawValue)")
        }
    }
}
