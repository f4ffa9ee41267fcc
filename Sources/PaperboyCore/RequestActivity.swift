import Synchronization

/// How many web requests are being answered right now, so background work (embedding a backlog,
/// training models) can step aside between batches instead of competing with readers (issue 20).
public enum RequestActivity {
    private static let inFlight = Atomic<Int>(0)

    public static func begin() { inFlight.add(1, ordering: .relaxed) }
    public static func end() { inFlight.subtract(1, ordering: .relaxed) }

    public static var current: Int { inFlight.load(ordering: .relaxed) }

    /// Returns once no request is being answered, or after `limit` (so a busy site still gets its
    /// backlog done, slowly). Returns how long it waited.
    @discardableResult
    public static func waitForQuiet(limit: Duration = .seconds(2), interval: Duration = .milliseconds(10)) async throws -> Duration {
        let clock = ContinuousClock()
        let started = clock.now
        while current > 0, clock.now - started < limit {
            try await Task.sleep(for: interval)
        }
        return clock.now - started
    }
}
