import Synchronization

/// The first outcome of two tasks, without waiting for the other.
public final class Race<Value: Sendable>: Sendable {
    private struct State: Sendable {
        var continuation: CheckedContinuation<Value, any Error>?
        var early: Result<Value, any Error>?
        var finished = false
    }

    private let state = Mutex(State())

    /// `work`'s result, unless `watchdog` throws first (a `CancellationError` from it is ignored:
    /// it is cancelled when the work ends) or the caller is cancelled. The loser is cancelled and
    /// left to end on its own.
    public static func first(of work: Task<Value, any Error>, unless watchdog: Task<Void, any Error>) async throws -> Value {
        let race = Race()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.wait(continuation)
                Task {
                    let result = await work.result
                    watchdog.cancel()
                    race.finish(result)
                }
                Task {
                    if case .failure(let error) = await watchdog.result, !(error is CancellationError) {
                        // The outcome first: cancelling the work first let its cancellation error
                        // (PostgresNIO's `requestCancelled`) end the race now and then, a 500
                        // instead of the watchdog's "unavailable".
                        race.finish(.failure(error))
                        work.cancel()
                    }
                }
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
            work.cancel()
            watchdog.cancel()
        }
    }

    private func wait(_ continuation: CheckedContinuation<Value, any Error>) {
        let ready: Result<Value, any Error>? = state.withLock { state in
            if let early = state.early {
                state.early = nil
                return early
            }
            state.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready) }
    }

    private func finish(_ result: Result<Value, any Error>) {
        let waiting: CheckedContinuation<Value, any Error>? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            if let continuation = state.continuation {
                state.continuation = nil
                return continuation
            }
            state.early = result
            return nil
        }
        waiting?.resume(with: result)
    }
}
