import Foundation
import PaperboyCore
import PaperboyPostgres
import PaperboySQLite
import PaperboyStore
import PaperboyTestSupport
import Testing

/// The real binary's `paperboy copy`: SQLite to PostgreSQL and back, and what it refuses.
@Suite(.serialized) struct CopyEndToEndTests {
    /// A SQLite deployment with 250 papers, an admin who voted and commented, and a subscriber.
    static func makeSource(in directory: TemporaryDirectory) async throws -> String {
        let store = try await makeStore(in: directory, name: "source.sqlite")
        let papers = (1...250).map { index in
            samplePaper(id: String(format: "2502.%05d", index), title: "Paper number \(index) on diffusion", upvotes: index % 7)
        }
        _ = try await store.upsert(papers.map { record($0) })
        let admin = try await store.createAccount(username: "adam", email: "adam@example.org", role: .admin, passwordHash: "$2b$12$hash", now: testNow)
        _ = try await store.setVote(true, paperID: "2502.00007", accountID: admin.id, now: testNow)
        _ = try await store.addComment(paperID: "2502.00007", accountID: admin.id, body: "First!", now: testNow)
        _ = try await store.subscribe(email: "reader@example.org", frequency: .weekly, topics: ["diffusion"], token: "tok-reader", now: testNow)
        return directory.path("source.sqlite")
    }

    @Test func binary_copy_sqliteToPostgresAndBack() async throws {
        let directory = try TemporaryDirectory()
        let source = try await Self.makeSource(in: directory)
        let postgres = try await PostgresServer.shared().createDatabase()

        let copy = try run(Locations.binary, ["copy", "--from", "sqlite:\(source)", "--to", postgres, "--batch-size", "100"])
        #expect(copy.status == 0, "\(copy.standardError)")
        #expect(copy.standardOutput.contains("paper: 250 rows"), "\(copy.standardOutput)")
        #expect(copy.standardOutput.contains(
            "counts match the source: paper 250, paper_embedding 0, account 1, sign_in_token 0, session 0, vote 1, comment 1, subscriber 1, digest_outbox 0, service_state 0"),
            "\(copy.standardOutput)")

        let copied = try PostgresPaperStore(url: postgres)
        try await copied.migrate()
        #expect(try await copied.paperCount() == 250)
        #expect(try await copied.paper(id: "2502.00007")?.upvotes == 1)
        #expect(try await copied.account(username: "adam")?.role == .admin)
        #expect(try await copied.subscriber(token: "tok-reader")?.topics == ["diffusion"])
        #expect(try await copied.comments(paperID: "2502.00007", includeHidden: false).map(\.body) == ["First!"])
        await copied.close()

        // Copying again into the now full database is refused, and leaves it as it was.
        let again = try run(Locations.binary, ["copy", "--from", "sqlite:\(source)", "--to", postgres])
        #expect(again.status != 0)
        #expect(again.standardError.contains("the destination already holds data in paper (250)"), "\(again.standardError)")

        // And back: PostgreSQL to a new SQLite file.
        let back = directory.path("back.sqlite")
        let reverse = try run(Locations.binary, ["copy", "--from", postgres, "--to", "sqlite:\(back)"])
        #expect(reverse.status == 0, "\(reverse.standardError)")
        let roundTrip = try SQLitePaperStore(path: back)
        #expect(try await roundTrip.paperCount() == 250)
        #expect(try await roundTrip.account(username: "adam")?.passwordHash == "$2b$12$hash")
    }

    @Test func binary_copy_badInput_failsClearlyAndWritesNothing() async throws {
        let directory = try TemporaryDirectory()
        let source = try await Self.makeSource(in: directory)
        let target = directory.path("target.sqlite")

        let missing = directory.path("missing.sqlite")
        let noSource = try run(Locations.binary, ["copy", "--from", "sqlite:\(missing)", "--to", "sqlite:\(target)"])
        #expect(noSource.status != 0)
        #expect(noSource.standardError.contains("cannot read the source database at \(missing): no such file"), "\(noSource.standardError)")
        #expect(!FileManager.default.fileExists(atPath: missing), "a missing source is not created")

        let scheme = try run(Locations.binary, ["copy", "--from", "mysql://root@localhost/papers", "--to", "sqlite:\(target)"])
        #expect(scheme.status != 0)
        #expect(scheme.standardError.contains("unsupported database URL scheme mysql"), "\(scheme.standardError)")

        // Nothing listens on port 1.
        let unreachable = try run(Locations.binary, ["copy", "--from", "sqlite:\(source)", "--to", "postgres://paperboy:secret@127.0.0.1:1/papers?sslmode=disable"],
                                  timeout: 60)
        #expect(unreachable.status != 0)
        #expect(unreachable.standardError.contains("cannot open database at postgres://paperboy:***@127.0.0.1:1/papers"), "\(unreachable.standardError)")
        #expect(!unreachable.standardError.contains("secret"))
        let unreachableSource = try run(Locations.binary, ["copy", "--from", "postgres://paperboy@127.0.0.1:1/papers?sslmode=disable", "--to", "sqlite:\(target)"],
                                        timeout: 60)
        #expect(unreachableSource.status != 0)
        #expect(unreachableSource.standardError.contains("cannot open database at postgres://paperboy@127.0.0.1:1/papers"), "\(unreachableSource.standardError)")
        #expect(!FileManager.default.fileExists(atPath: target), "nothing is created before the source is found")

        let store = try SQLitePaperStore(path: source)
        #expect(try await store.paperCount() == 250)
        #expect(try await store.accountCount() == 1)
    }
}
