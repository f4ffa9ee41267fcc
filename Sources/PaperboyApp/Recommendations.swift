import Foundation
import Logging
import PaperboySearch
import PaperboyStore

/// The background side of per-reader recommendations (issue 15): counting the TF-IDF
/// vocabulary as papers arrive, and retraining the models whose readers' signals changed.
/// Requests never train a reader's model; they read the last one trained.
public enum RecommendationJobs {
    /// One instance retrains at a time; the fingerprint check makes a second run find nothing stale.
    public static let leaseName = "recommendation retraining"

    public static func make(_ recommender: Recommender, store: any PaperStore, now: @escaping @Sendable () -> Date, logger: Logger) -> [ScheduledJob] {
        [
            // Every instance: counting is safe to race (each batch is added once), and each
            // instance reloads the vocabulary it scores with.
            ScheduledJob("recommendation vocabulary", every: .seconds(60), logger: logger) {
                // Both jobs compute on the idle thread, stepping aside while requests are answered (issue 20).
                let counted = try await recommender.updateVocabulary(inBackground: true)
                if counted > 0 { logger.info("recommendations: \(counted) papers added to the vocabulary") }
            },
            ScheduledJob("recommendation retraining", every: .seconds(15), lease: LeaseKeeper(store: store, name: leaseName, duration: 120),
                         firstRoundAfter: .seconds(5), now: now, logger: logger) {
                let trained = try await recommender.retrainStaleModels(now: now(), inBackground: true)
                if trained > 0 { logger.info("recommendations: \(trained) models retrained (\(IdleThread.shared.priority), pausing while requests are answered)") }
            },
        ]
    }
}
