import Foundation
import PaperboyMail
import PaperboyWeb

extension PaperboyConfiguration.MailSettings {
    /// SMTP settings when the transport is an smtp:// or smtps:// URL.
    public func smtp() throws(ConfigurationError) -> SMTPConfiguration? {
        guard transport.hasPrefix("smtp://") || transport.hasPrefix("smtps://") else { return nil }
        do {
            return try SMTPConfiguration.parse(transport)
        } catch {
            throw ConfigurationError("--mail: \(error)")
        }
    }

    /// Where single messages go: SMTP, or a folder of .eml files.
    public func messageTransport() throws(ConfigurationError) -> any MailTransport {
        if let smtp = try smtp() { return SMTPTransport(configuration: smtp) }
        var location = transport
        if location.hasPrefix("file://") { location.removeFirst("file://".count) }
        guard !location.isEmpty else { throw ConfigurationError("--mail needs a folder.") }
        return EMLFolderTransport(folder: URL(fileURLWithPath: location))
    }

    /// Digests go over one SMTP connection per run when SMTP is configured.
    public func digestDestination() throws(ConfigurationError) -> DigestDestination {
        if let smtp = try smtp() { return .smtp(smtp) }
        return .transport(try messageTransport())
    }

    public func sender() throws(ConfigurationError) -> MailAddress {
        do {
            return try MailAddress(from, name: "Paperboy")
        } catch {
            throw ConfigurationError("--mail-from: \(error)")
        }
    }
}

/// Sign-in links by mail, through whichever transport is configured.
public struct TransportSignInMailer: SignInMailer {
    let transport: any MailTransport
    let from: MailAddress

    public init(transport: any MailTransport, from: MailAddress) {
        self.transport = transport
        self.from = from
    }

    public func sendSignInLink(to address: String, link: String, siteName: String, expiresInMinutes: Int) async throws {
        let text = """
            Hello,

            Use this link to sign in to \(siteName):

            \(link)

            It works once, for the next \(expiresInMinutes) minutes. If you did not ask to sign in, ignore this mail.
            """
        let message = MailMessage(
            from: from, to: try MailAddress(address), subject: "Sign in to \(siteName)", text: text)
        try await transport.send(message)
    }

    public func sendEmailChangeLink(to address: String, link: String, siteName: String, username: String, expiresInHours: Int) async throws {
        let text = """
            Hello,

            The account \(username) on \(siteName) asked to sign in with this address from now on.
            Open this link to confirm the change:

            \(link)

            It works for the next \(expiresInHours) hours. If you did not ask for this, ignore this mail: nothing changes.
            """
        let message = MailMessage(
            from: from, to: try MailAddress(address), subject: "Confirm your new address on \(siteName)", text: text)
        try await transport.send(message)
    }
}
