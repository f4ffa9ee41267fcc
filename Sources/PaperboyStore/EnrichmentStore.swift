import Foundation
import PaperboyCore

/// Authors, claims, key phrases, GitHub stars and thumbnails (issue 19). Everything written here
/// lives beside what imports write, never in the same columns, so a re-import keeps it.
public protocol EnrichmentStore: Sendable {
    /// Papers that list exactly `name` (as written) among their authors, newest first; hidden ones
    /// left out. Two people with one name share the list: see `AuthorClaim`.
    func papers(byAuthor name: String, limit: Int) async throws -> [Paper]

    /// Records `accountID`'s claim to be `authorName` on paper `paperID`: approved at once when
    /// `verifiedBy` (a verified address found in the paper) is given, pending otherwise. One row per
    /// account and paper: claiming again returns the stored claim, upgraded to approved when
    /// verified now; of concurrent claims, one row results. Throws `CommunityError.noSuchPaper`.
    func claimAuthorship(paperID: String, accountID: Int64, authorName: String, verifiedBy: String?, now: Date) async throws -> AuthorClaim

    /// Claims on one paper, oldest first.
    func authorClaims(paperID: String) async throws -> [AuthorClaim]

    /// Claims waiting for a curator, oldest first.
    func pendingAuthorClaims(limit: Int) async throws -> [AuthorClaim]

    /// A curator's decision on a pending claim; false when there is no such pending claim (it was
    /// decided already: of two concurrent decisions, exactly one returns true).
    func decideAuthorClaim(paperID: String, accountID: Int64, approve: Bool, now: Date) async throws -> Bool

    /// Papers whose authorship `username` claimed and had approved, newest first.
    func claimedPapers(username: String, limit: Int) async throws -> [Paper]

    /// Papers without key phrases, or whose text changed since, after `afterKey`, by key.
    func papersNeedingKeyPhrases(afterKey: UInt32, limit: Int) async throws -> [KeyPhraseSource]

    /// Saves computed phrases; a paper whose text changed meanwhile (other hash) keeps needing them.
    func saveKeyPhrases(_ phrases: [ComputedKeyPhrases]) async throws

    /// Papers with a GitHub repository, published or on the feed since `since`, whose stars were
    /// last checked before `checkedBefore` (or never), least recently checked first.
    func papersNeedingStars(since: Date, checkedBefore: Date, limit: Int) async throws -> [StarsTarget]

    /// Stores what GitHub said about a paper's repository, and when.
    func saveStars(paperKey: UInt32, outcome: StarsOutcome, checkedAt: Date) async throws

    /// Papers with a PDF (a link, or an arXiv id) and no thumbnail yet, after `afterKey`, by key;
    /// with `arrivedSince`, only papers first stored since then (the server's new arrivals).
    func papersNeedingThumbnails(afterKey: UInt32, arrivedSince: Date?, limit: Int) async throws -> [ThumbnailSource]

    /// How many papers have a thumbnail state, and how many could have one.
    func thumbnailProgress() async throws -> (done: Int, total: Int)

    /// Stores rendered images (`.image`) or marks a placeholder (`images` nil).
    func saveThumbnail(paperKey: UInt32, images: ThumbnailImages?, now: Date) async throws

    /// One size of a paper's rendered thumbnail, with its media type.
    func thumbnail(paperID: String, size: ThumbnailSize) async throws -> (data: Data, mediaType: String)?
}
