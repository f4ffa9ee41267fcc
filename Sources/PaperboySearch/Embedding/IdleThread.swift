import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One OS thread at the lowest priority Linux has, for CPU-heavy background work (embedding a
/// backlog): under `SCHED_IDLE` it runs only when no other thread wants a core, so requests are
/// never queued behind it. Swift's concurrency threads cannot be given a priority of their own,
/// hence a thread. Falls back to nice 19 where `SCHED_IDLE` is refused.
///
/// OpenBLAS's own worker threads keep their priority; `RequestActivity.waitForQuiet` between
/// batches covers the time they work.
public final class IdleThread: @unchecked Sendable {
    public static let shared = IdleThread()

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [() -> Void] = []
    private var started = false
    private var policy = "not started"

    /// `SCHED_IDLE`, `nice 19`, or why neither could be set; for the log.
    public var priority: String {
        condition.lock()
        defer { condition.unlock() }
        return policy
    }

    /// Runs `work` on the idle thread and returns its result.
    public func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            enqueue { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs `work` on the idle thread and blocks the calling thread until it is done: for a
    /// dispatch queue that serialises background work (the vector index's rebuilds), never for
    /// the cooperative pool or the idle thread itself.
    public func runAndWait(_ work: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        enqueue {
            work()
            done.signal()
        }
        done.wait()
    }

    private func enqueue(_ job: @escaping () -> Void) {
        condition.lock()
        defer { condition.unlock() }
        if !started {
            started = true
            let thread = Thread { [self] in loop() }
            thread.name = "paperboy-idle"
            thread.start()
        }
        jobs.append(job)
        condition.signal()
    }

    private func loop() {
        let set = Self.lowerPriority()
        condition.lock()
        policy = set
        condition.unlock()
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// For the calling thread (Linux scheduling attributes are per thread).
    static func lowerPriority() -> String {
        #if os(Linux)
        var parameters = sched_param()
        parameters.sched_priority = 0
        // SCHED_IDLE is 5 in <sched.h>; Glibc's Swift module does not export the constant.
        if sched_setscheduler(0, 5, &parameters) == 0 { return "SCHED_IDLE" }
        if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19) == 0 { return "nice 19" }
        return "normal (SCHED_IDLE and nice refused: errno \(errno))"
        #else
        return "normal"
        #endif
    }

    /// The calling thread's scheduling policy and nice value, for tests.
    public static func currentScheduling() -> (policy: Int32, nice: Int32) {
        #if os(Linux)
        return (sched_getscheduler(0), getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
        #else
        return (0, 0)
        #endif
    }
}
