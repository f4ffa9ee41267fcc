import Foundation
import PaperboyCore

/// Accounts, sessions, votes, comments, submissions and curation. Every count a page shows is
/// kept equal to the rows behind it inside the transaction that changes those rows.
public protocol CommunityStore: Sendable {
    /// Fails with `CommunityError.usernameTaken` / `.emailTaken` when either is in use.
    func createAccount(username: String, email: String, role: Role, passwordHash: String?, now: Date) async throws -> Account
    func account(id: Int64) async throws -> Account?
    func account(username: String) async throws -> Account?
    func account(email: String) async throws -> Account?
    func accountCount() async throws -> Int
    func setRole(_ role: Role, username: String) async throws
    func setPasswordHash(_ hash: String?, accountID: Int64) async throws
    /// Renames an account; the papers it submitted keep their credit under the new name. Fails
    /// with `CommunityError.usernameTaken` when another account has the name in any case.
    func renameAccount(id: Int64, to username: String) async throws
    /// Changes the address an account signs in with. Fails with `CommunityError.emailTaken`
    /// when another account has it.
    func setEmail(_ email: String, accountID: Int64) async throws

    /// Stores a one-time sign-in token (only its hash) for `email`.
    func saveSignInToken(hash: Data, email: String, expiresAt: Date) async throws
    /// Marks the token used and returns its address, or nil when it is unknown, used or expired.
    /// Atomic: of two concurrent uses, exactly one succeeds.
    func consumeSignInToken(hash: Data, now: Date) async throws -> String?
    /// True while the token is unused and unexpired (the confirmation page shows before use).
    func signInTokenIsValid(hash: Data, now: Date) async throws -> String?

    func createSession(hash: Data, accountID: Int64, now: Date, expiresAt: Date) async throws
    /// The signed-in account for a session token hash, nil when unknown or expired.
    func sessionAccount(hash: Data, now: Date) async throws -> Account?
    func deleteSession(hash: Data) async throws
    /// When the session was made, that is when its holder last proved who they are; nil when unknown.
    func sessionStartedAt(hash: Data) async throws -> Date?

    /// Puts an arXiv paper (fetched or already stored) on `day`'s feed, credited to `username`,
    /// unless it is on the feed already.
    func submit(_ record: PaperRecord, by username: String, day: Day, now: Date) async throws -> SubmissionOutcome

    /// Adds or removes `accountID`'s vote on paper `paperID`.
    func setVote(_ on: Bool, paperID: String, accountID: Int64, now: Date) async throws -> VoteState
    /// Which of `paperIDs` this account has upvoted.
    func votedPaperIDs(accountID: Int64, among paperIDs: [String]) async throws -> Set<String>
    /// Local votes on a paper (rows in the vote table), for audits and tests.
    func voteRowCount(paperID: String) async throws -> Int

    func comments(paperID: String, includeHidden: Bool) async throws -> [Comment]
    /// An account's comments that are not deleted, newest first, with their papers' titles.
    /// Hidden ones only with `includeHidden` (the author's own export; a profile shows none).
    func comments(accountID: Int64, includeHidden: Bool, limit: Int) async throws -> [AccountComment]
    func comment(id: Int64) async throws -> Comment?
    func addComment(paperID: String, accountID: Int64, body: String, now: Date) async throws -> Comment
    /// Only the author may edit or delete; returns false when `accountID` is not the author.
    func editComment(id: Int64, accountID: Int64, body: String, now: Date) async throws -> Bool
    func deleteComment(id: Int64, accountID: Int64) async throws -> Bool
    func setCommentHidden(_ hidden: Bool, id: Int64) async throws

    func setFeatured(_ featured: Bool, paperID: String) async throws
    func setPaperHidden(_ hidden: Bool, paperID: String) async throws
    /// Featured papers of a day's feed come first; hidden ones leave every feed and search.
    func curation(paperID: String) async throws -> (featured: Bool, hidden: Bool)

    func submissions(username: String, limit: Int) async throws -> [Paper]
    func upvotedPapers(username: String, limit: Int) async throws -> [Paper]

    /// Papers on the feed from `since` on, by the trending formula (`Trending`) over their votes.
    func trendingPapers(since: Day, now: Date, offset: Int, limit: Int) async throws -> [Paper]
}

/// A comment with the title of the paper it is on, for profiles and data exports.
public struct AccountComment: Sendable, Equatable {
    public var comment: Comment
    public var paperTitle: String

    public init(comment: Comment, paperTitle: String) {
        self.comment = comment
        self.paperTitle = paperTitle
    }
}

public enum CommunityError: Error, Equatable, CustomStringConvertible {
    case usernameTaken(String)
    case emailTaken(String)
    case noSuchAccount(String)
    case noSuchPaper(String)
    case noSuchComment(Int64)

    public var description: String {
        switch self {
        case .usernameTaken(let name): "the username \(name) is taken"
        case .emailTaken: "an account with that email address exists"
        case .noSuchAccount(let name): "no account named \(name)"
        case .noSuchPaper(let id): "no paper \(id)"
        case .noSuchComment(let id): "no comment \(id)"
        }
    }
}
