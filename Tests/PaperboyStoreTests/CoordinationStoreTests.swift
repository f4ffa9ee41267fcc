import Foundation
import PaperboyStore
import PaperboyTestSupport
import Testing

extension StoreConformanceTests {
    @Suite struct Coordination {
        @Test(arguments: StoreKind.allCases) func lease_isExclusive_renewable_expires_andCanBeReleased(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let start = testNow
                #expect(try await store.acquireLease("digests", holder: "a", duration: 60, now: start, replacing: nil))
                #expect(try await !store.acquireLease("digests", holder: "b", duration: 60, now: start.addingTimeInterval(30), replacing: nil))
                // Renewing moves the expiry: b still cannot take it where the first term would have ended.
                #expect(try await store.acquireLease("digests", holder: "a", duration: 60, now: start.addingTimeInterval(50), replacing: nil))
                #expect(try await !store.acquireLease("digests", holder: "b", duration: 60, now: start.addingTimeInterval(70), replacing: nil))
                #expect(try await store.leaseHolder("digests", now: start.addingTimeInterval(70)) == "a")
                #expect(try await store.acquireLease("digests", holder: "b", duration: 60, now: start.addingTimeInterval(111), replacing: nil))
                // Other leases are independent; a named dead holder is replaced at once.
                #expect(try await store.acquireLease("arxiv-sync", holder: "a", duration: 60, now: start, replacing: nil))
                #expect(try await !store.acquireLease("arxiv-sync", holder: "c", duration: 60, now: start, replacing: "b"))
                #expect(try await store.acquireLease("arxiv-sync", holder: "c", duration: 60, now: start, replacing: "a"))
                try await store.releaseLease("digests", holder: "a")
                #expect(try await store.leaseHolder("digests", now: start.addingTimeInterval(112)) == "b")
                try await store.releaseLease("digests", holder: "b")
                #expect(try await store.leaseHolder("digests", now: start.addingTimeInterval(112)) == nil)
            }
        }

        @Test(arguments: StoreKind.allCases) func lease_manyContenders_exactlyOneWins(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for index in 0..<20 {
                        group.addTask { try await store.acquireLease("scheduler", holder: "instance-\(index)", duration: 60, now: testNow, replacing: nil) }
                    }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(winners == 1)
            }
        }

        @Test(arguments: StoreKind.allCases) func leaseKeeper_takesOverFromADeadProcessOnThisHost_notFromALiveOne(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let finished = Process()
                finished.executableURL = URL(fileURLWithPath: "/bin/true")
                try finished.run()
                finished.waitUntilExit()
                let host = ProcessInfo.processInfo.hostName
                #expect(try await store.acquireLease("digests", holder: "\(host)/\(finished.processIdentifier)/dead", duration: 600, now: Date(), replacing: nil))
                let keeper = LeaseKeeper(store: store, name: "digests", duration: 600)
                #expect(try await keeper.hold())
                #expect(try await store.leaseHolder("digests", now: Date()) == keeper.holder)

                // A live holder (this test process) keeps its lease until it expires.
                let live = "\(host)/\(ProcessInfo.processInfo.processIdentifier)/live"
                #expect(try await store.acquireLease("arxiv-sync", holder: live, duration: 600, now: Date(), replacing: nil))
                let other = LeaseKeeper(store: store, name: "arxiv-sync", duration: 600)
                #expect(try await !other.hold())
                #expect(try await !other.wait(timeout: .milliseconds(300), interval: .milliseconds(100)))
                try await store.releaseLease("arxiv-sync", holder: live)
                #expect(try await other.wait(timeout: .seconds(2), interval: .milliseconds(100)))
            }
        }

        @Test(arguments: StoreKind.allCases) func serviceState_roundTrips_andOverwrites(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                #expect(try await store.serviceState("arxiv-sync") == nil)
                try await store.setServiceState("arxiv-sync", value: "{\"a\":1}", now: testNow)
                try await store.setServiceState("arxiv-sync", value: "{\"a\":2} ünïcode", now: testNow)
                #expect(try await store.serviceState("arxiv-sync") == "{\"a\":2} ünïcode")
            }
        }

        @Test(arguments: StoreKind.allCases) func initialServiceState_manyInstancesAtOnce_allGetTheFirstValue(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let values = try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<20 {
                        group.addTask { try await store.initialServiceState("secret-keys", value: "key-\(index)", now: testNow) }
                    }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(values.count == 1)
                let stored = try #require(try await store.serviceState("secret-keys"))
                #expect(values == [stored])
                // Once set, it is what every later start reads.
                #expect(try await store.initialServiceState("secret-keys", value: "later", now: testNow) == stored)
            }
        }
    }
}
