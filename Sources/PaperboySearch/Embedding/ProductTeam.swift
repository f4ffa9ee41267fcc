import CMatrixKernels
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Threads that share one short forward pass's weight products with the thread running it.
///
/// A query's pass is 24 products of a few rows each, about 0.2 ms apiece. Handing each to the
/// dispatch pool (`concurrentPerform`) wakes a sleeping thread every time, and the wake costs
/// about as much as the slice it brings: split over two cores, a query took 87% of its
/// one-thread time (issue 17). The team's threads spin for a short while after each part
/// (`spinLimit`, longer than the gap between two products), so the next product's parts start at
/// once, and sleep when the pass has ended. A bounded spin matters: a thread spinning on a core
/// its pass's own thread needs would hold it for a whole time slice.
///
/// One pass uses the team at a time (`begin` says whether this one got it); a pass that finds it
/// busy runs alone, since another pass already has the cores. A part is claimed by whichever
/// thread gets to it first, the pass's own thread included: if a team thread is descheduled the
/// pass does its parts itself, never waiting for a part no one has started.
final class ProductTeam: @unchecked Sendable {
    /// One product's parts: tickets `first ..< end` of the team's running count.
    private struct Job: @unchecked Sendable {
        let work: (Int) -> Void
        let first: Int
        let end: Int
    }

    let members: Int
    /// How long a team thread keeps looking for the next product before it sleeps.
    static let spinLimit: Duration = .microseconds(200)

    private let inUse = Atomic<Bool>(false)
    private let published = Atomic<Int>(0)
    private let ticket = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    /// Team threads asleep (or about to be) on `wake`.
    private let sleepers = Atomic<Int>(0)
    private let job = Mutex<Job?>(nil)
    private let wake = DispatchSemaphore(value: 0)
    private let started = Mutex(false)
    /// Tickets handed out so far; only the pass holding the team touches it.
    private var nextTicket = 0

    /// `members` threads beside the pass's own (none: every pass runs alone).
    init(members: Int) {
        self.members = max(0, members)
    }

    /// Takes the team for one pass; false when another pass has it (or the team has no
    /// threads). Every `true` needs an `end()`.
    func begin() -> Bool {
        guard members > 0 else { return false }
        guard inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        startThreadsOnce()
        return true
    }

    /// Frees the team for the next pass (its threads go to sleep by themselves).
    func end() {
        inUse.store(false, ordering: .releasing)
    }

    /// Runs `work(0) … work(parts - 1)` on the pass's thread and the team's, returning when all
    /// are done. Only between `begin()` and `end()`, from the thread that began.
    func run(parts: Int, _ work: @escaping (Int) -> Void) {
        let first = nextTicket
        let end = first + parts
        nextTicket = end
        let next = Job(work: work, first: first, end: end)
        job.withLock { $0 = next }
        published.add(1, ordering: .releasing)
        let asleep = sleepers.exchange(0, ordering: .acquiringAndReleasing)
        for _ in 0 ..< asleep { wake.signal() }
        Self.claim(next, ticket: ticket, completed: completed)
        // Parts others claimed: spin, then give the core away in case their thread shares it.
        var spins = 0
        while completed.load(ordering: .acquiring) < end {
            spins += 1
            if spins < 4096 { paperboy_spin_pause() } else { sched_yield() }
        }
    }

    /// Does parts of `job` until none is left unclaimed. A thread holding an older job stops at
    /// once: the count is already past that job's end.
    private static func claim(_ job: Job, ticket: borrowing Atomic<Int>, completed: borrowing Atomic<Int>) {
        while true {
            let current = ticket.load(ordering: .relaxed)
            guard current >= job.first, current < job.end else { return }
            if ticket.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing).exchanged {
                job.work(current - job.first)
                completed.add(1, ordering: .releasing)
            }
        }
    }

    private func startThreadsOnce() {
        started.withLock { started in
            guard !started else { return }
            started = true
            for number in 0 ..< members {
                let thread = Thread { [self] in loop() }
                thread.name = "paperboy-product-\(number)"
                thread.start()
            }
        }
    }

    private func loop() {
        var seen = published.load(ordering: .acquiring)
        while true {
            // Look for a new product until `spinLimit` passes without one.
            var lastWork = ContinuousClock.now
            var spins = 0
            while true {
                let current = published.load(ordering: .acquiring)
                if current != seen, let job = job.withLock({ $0 }) {
                    seen = current
                    Self.claim(job, ticket: ticket, completed: completed)
                    lastWork = ContinuousClock.now
                    continue
                }
                paperboy_spin_pause()
                spins += 1
                if spins & 63 == 0, ContinuousClock.now - lastWork > Self.spinLimit { break }
            }
            // Sleep until the next product. Counted first, then checked again: a product
            // published in between either sees this sleeper (and signals) or is seen here.
            sleepers.add(1, ordering: .acquiringAndReleasing)
            if published.load(ordering: .acquiring) != seen, Self.takeBack(sleepers) { continue }
            wake.wait()
        }
    }

    /// Undoes one `sleepers` count if no pass has taken it yet (then that pass will signal).
    private static func takeBack(_ sleepers: borrowing Atomic<Int>) -> Bool {
        var current = sleepers.load(ordering: .acquiring)
        while current > 0 {
            let (exchanged, original) = sleepers.compareExchange(expected: current, desired: current - 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }
}
