import Testing
@testable import PaperboyCore

@Suite struct RaceTests {
    struct Unavailable: Error {}
    struct CancelledWork: Error {}

    /// When the watchdog throws, its error is the outcome, never the error the cancelled work
    /// throws as it stops (PostgresNIO's `requestCancelled`, which the server answered with a 500).
    @Test func watchdogError_winsOverTheCancelledWorksError() async throws {
        for _ in 0..<300 {
            let work = Task<Int, any Error> {
                // Ends as soon as it is cancelled, with an error of its own.
                while !Task.isCancelled { await Task.yield() }
                throw CancelledWork()
            }
            let watchdog = Task<Void, any Error> { throw Unavailable() }
            await #expect(throws: Unavailable.self) { try await Race.first(of: work, unless: watchdog) }
        }
    }

    @Test func work_thatEndsFirst_givesItsValue_andTheWatchdogIsCancelled() async throws {
        let watchdog = Task<Void, any Error> { try await Task.sleep(for: .seconds(30)) }
        let value = try await Race.first(of: Task { 42 }, unless: watchdog)
        #expect(value == 42)
        #expect(await watchdog.result.isFailure)
    }
}

private extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
}
