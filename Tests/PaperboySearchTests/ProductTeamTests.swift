import Foundation
import Synchronization
import Testing
@testable import PaperboySearch

/// `ProductTeam`: the threads that share a short query's weight products (issue 17, target 2).
@Suite struct ProductTeamTests {
    /// Every part of every product runs once, none twice, and the team's thread does some of them
    /// (the first version of the team did 0.4% of the products: its thread gave its core away).
    @Test func run_manyProducts_doesEveryPartOnceAndTheTeamShares() {
        let team = ProductTeam(members: 1)
        #expect(team.begin())
        let caller = pthread_self()
        let counts = Mutex([Int](repeating: 0, count: 5))
        let byTeam = Atomic<Int>(0)
        var expected = [Int](repeating: 0, count: 5)
        for product in 0 ..< 2000 {
            let parts = 2 + product % 4
            for part in 0 ..< parts { expected[part] += 1 }
            team.run(parts: parts) { part in
                // About 20 µs of work, as a slice of a query's product is.
                var sum = 0.0
                for value in 0 ..< 4000 { sum += Double(value).squareRoot() }
                counts.withLock { $0[part] += 1 }
                if pthread_equal(pthread_self(), caller) == 0, sum > 0 { byTeam.add(1, ordering: .relaxed) }
            }
        }
        team.end()
        #expect(counts.withLock { $0 } == expected)
        #expect(byTeam.load(ordering: .relaxed) > 0, "the team's thread did no part of 2,000 products")
    }

    @Test func begin_whileAnotherPassHoldsTheTeam_refusesUntilItEnds() {
        let team = ProductTeam(members: 1)
        #expect(team.begin())
        #expect(!team.begin())
        team.end()
        #expect(team.begin())
        team.end()
    }

    @Test func begin_teamWithoutThreads_refuses() {
        #expect(!ProductTeam(members: 0).begin())
    }
}
