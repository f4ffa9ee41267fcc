import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import PaperboyCore
import PaperboyPostgres
import PaperboyStore
import PaperboyTestSupport
import Testing

/// Several instances on one PostgreSQL database, and PostgreSQL going away under a running server.
@Suite struct ScaleOutTests {
    @Test func twoInstancesOnOneDatabase_seeEachOthersWrites_andSessions() async throws {
        let url = try await PostgresServer.shared().createDatabase()
        let first = try PostgresPaperStore(url: url)
        let second = try PostgresPaperStore(url: url)
        // Both start at once, as two servers behind a load balancer would.
        async let migrateFirst: Void = first.migrate()
        async let migrateSecond: Void = second.migrate()
        _ = try await (migrateFirst, migrateSecond)
        let one = try await WebFixture(store: first)
        let two = try await WebFixture(cacheLifetime: .zero, store: second, seed: false)
        try await one.test { clientOne in
            try await two.test { clientTwo in
                let ada = Browser(clientOne)
                try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: one.mailFolder)
                let csrf = try #require(try await ada.get("/papers/2502.00001").csrf)
                #expect(try await ada.post("/papers/2502.00001/upvote", ["on": "1", "csrf": csrf]).status == .seeOther)
                #expect(try await ada.post("/papers/2502.00001/comments", ["body": "Seen from the other instance?", "csrf": csrf]).status == .seeOther)

                let api = try await clientTwo.getJSON("/api/papers/2502.00001").json as? [String: Any]
                #expect(api?["upvotes"] as? Int == 13 && api?["numComments"] as? Int == 1)
                // The session made through the first instance is good on the second.
                let adaOnTwo = Browser(clientTwo)
                adaOnTwo.cookies = ada.cookies
                let page = try await adaOnTwo.get("/papers/2502.00001")
                #expect(page.body.contains("Seen from the other instance?") && page.body.contains("/u/ada"))
                #expect(try await adaOnTwo.get("/settings").status == .ok)

                // An import through the second shows on the first.
                _ = try await second.upsert([record(samplePaper(id: "2502.00099", title: "Imported Elsewhere", daily: "2025-02-04"))])
                let imported = try await clientOne.getJSON("/api/papers/2502.00099").json as? [String: Any]
                #expect(imported?["title"] as? String == "Imported Elsewhere")
            }
        }
        await first.close()
        await second.close()
    }

    @Test func postgresRestartsUnderLoad_requestsFailFastWith503_recover_andNoWriteIsLostOrDoubled() async throws {
        let server = try PostgresServer.dedicated()
        let store = try PostgresPaperStore(url: try await server.createDatabase())
        try await store.migrate()
        let papers = (0..<55).map { String(format: "2503.%05d", $0 + 1) }
        _ = try await store.upsert(papers.map { record(samplePaper(id: $0, title: "Paper \($0)", daily: "2025-03-03", upvotes: 5)) })
        let fixture = try await WebFixture(cacheLifetime: .zero, store: store)
        try await fixture.test { client in
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await ada.get("/papers/\(papers[0])").csrf)

            var acknowledged: Set<String> = []
            var attempted: Set<String> = []
            var failuresDuringOutage = 0
            var successesAfterRestart = 0
            var phase = "up"
            for paper in papers {
                if phase == "up", acknowledged.count == 10 {
                    server.stopImmediately()
                    phase = "down"
                }
                let started = ContinuousClock.now
                attempted.insert(paper)
                let answer = try await ada.post("/papers/\(paper)/upvote", ["on": "1", "csrf": csrf], accept: "application/json")
                let took = ContinuousClock.now - started
                if answer.status == .ok {
                    acknowledged.insert(paper)
                    if phase == "restarted" { successesAfterRestart += 1 }
                } else {
                    // Never a 500, never a hang: 503 within the pool's two-second wait.
                    #expect(answer.status == .serviceUnavailable && answer.headers[.retryAfter] != nil, "\(answer.status) \(answer.body.prefix(200))")
                    #expect(took < .seconds(3), "a request during the outage took \(took)")
                    if phase == "down" { failuresDuringOutage += 1 }
                }
                if phase == "down", failuresDuringOutage == 4 {
                    try server.restart()
                    phase = "restarted"
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(failuresDuringOutage == 4 && successesAfterRestart >= 10, "failed \(failuresDuringOutage), then succeeded \(successesAfterRestart)")
            let voted = try await store.votedPaperIDs(accountID: try #require(try await store.account(username: "ada")).id, among: papers)
            // Every acknowledged vote is stored, none twice, and nothing that was not asked for.
            #expect(acknowledged.isSubset(of: voted) && voted.isSubset(of: attempted), "acknowledged \(acknowledged.count), stored \(voted.count)")
            for paper in voted {
                #expect(try await store.voteRowCount(paperID: paper) == 1)
                #expect(try await store.paper(id: paper)?.upvotes == 6)
            }
        }
        await store.close()
    }
}
