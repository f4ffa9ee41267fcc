import Foundation
import Logging
import PaperboyApp
import PaperboyStore
import PaperboyTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@Suite struct ScheduledJobTests {
    struct Failure: Error {}

    /// Runs `jobs` in a service group for `duration`, or until `done` (checked every 10 ms, for
    /// at most 20 s on a loaded machine), then shuts it down gracefully.
    static func run(_ jobs: [any Service], for duration: Duration, until done: (@Sendable () -> Bool)? = nil) async throws {
        let group = ServiceGroup(configuration: .init(services: jobs, logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            if let done {
                let deadline = ContinuousClock.now.advanced(by: .seconds(20))
                while !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            } else {
                try await Task.sleep(for: duration)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func job_runsEveryInterval_survivesFailures_andStopsAtShutdown() async throws {
        let rounds = Atomic<Int>(0)
        let job = ScheduledJob("test job", every: .milliseconds(50), logger: Logger(label: "test")) {
            let round = rounds.add(1, ordering: .relaxed).newValue
            if round % 2 == 0 { throw Failure() }
        }
        try await Self.run([job], for: .zero, until: { rounds.load(ordering: .relaxed) >= 4 })
        #expect(rounds.load(ordering: .relaxed) >= 4, "failed rounds did not stop the job")
        // A long wait between rounds ends at shutdown.
        let slow = ScheduledJob("slow job", every: .seconds(600), logger: Logger(label: "test")) {}
        let started = ContinuousClock.now
        try await Self.run([slow], for: .milliseconds(100))
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func jobWithALease_runsOnOneInstanceOnly_andGivesTheLeaseUpAtShutdown() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let first = Atomic<Int>(0)
        let second = Atomic<Int>(0)
        let jobs: [any Service] = [
            ScheduledJob("a", every: .milliseconds(30), lease: LeaseKeeper(store: store, name: "job", duration: 60), logger: Logger(label: "a")) {
                first.add(1, ordering: .relaxed)
            },
            ScheduledJob("b", every: .milliseconds(30), lease: LeaseKeeper(store: store, name: "job", duration: 60), logger: Logger(label: "b")) {
                second.add(1, ordering: .relaxed)
            },
        ]
        try await Self.run(jobs, for: .zero, until: { first.load(ordering: .relaxed) + second.load(ordering: .relaxed) >= 5 })
        let counts = [first.load(ordering: .relaxed), second.load(ordering: .relaxed)]
        #expect(counts.filter { $0 > 0 }.count == 1, "\(counts)")
        #expect(try await store.leaseHolder("job", now: Date()) == nil)
    }

    @Test func afterAFailure_theNextRoundWaitsTheRetryDelay() async throws {
        let rounds = Atomic<Int>(0)
        let job = ScheduledJob("failing", every: .milliseconds(20), retryAfterFailure: .seconds(30), logger: Logger(label: "test")) {
            rounds.add(1, ordering: .relaxed)
            throw Failure()
        }
        try await Self.run([job], for: .milliseconds(300))
        #expect(rounds.load(ordering: .relaxed) == 1)
    }

    /// `paperboy digest send` could not send while a server ran: the server's job held the lease
    /// for good. With the lease given up after each round, another holder gets its turn.
    @Test func jobReleasingItsLeaseAfterEachRound_letsAnotherHolderTakeItsTurn() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let rounds = Atomic<Int>(0)
        let job = ScheduledJob(
            "digests", every: .milliseconds(200), lease: LeaseKeeper(store: store, name: "digests", duration: 90),
            releasingLeaseAfterRound: true, logger: Logger(label: "test")
        ) {
            rounds.add(1, ordering: .relaxed)
        }
        let byHand = LeaseKeeper(store: store, name: "digests", duration: 90)
        let group = ServiceGroup(configuration: .init(services: [job], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now.advanced(by: .seconds(20))
            while rounds.load(ordering: .relaxed) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try await byHand.wait(timeout: .seconds(10), interval: .milliseconds(20)), "the command got its turn")
            // While the command holds it, the job's rounds skip the work.
            let before = rounds.load(ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(600))
            #expect(rounds.load(ordering: .relaxed) == before)
            try await byHand.release()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
