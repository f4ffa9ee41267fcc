import Foundation

/// Sends the one-time sign-in link. The application passes in an implementation backed by a
/// mail transport (`PaperboyMail`): a folder of .eml files by default, SMTP when configured.
public protocol SignInMailer: Sendable {
    func sendSignInLink(to address: String, link: String, siteName: String, expiresInMinutes: Int) async throws
    /// Sent to a new address a reader gave in Settings; the address changes only when the link is used.
    func sendEmailChangeLink(to address: String, link: String, siteName: String, username: String, expiresInHours: Int) async throws
}
