import Foundation

/// Sends the one-time sign-in link. The application passes in an implementation backed by a
/// mail transport (`PaperboyMail`): a folder of .eml files by default, SMTP when configured.
public protocol SignInMailer: Sendable {
    func sendSignInLink(to address: String, link: String, siteName: String, expiresInMinutes: Int) async throws
}
