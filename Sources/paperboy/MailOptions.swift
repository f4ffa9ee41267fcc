import ArgumentParser
import Foundation
import PaperboyMail
import PaperboyWeb

/// `--mail` and `--mail-from`: where outgoing mail goes and who it is from.
struct MailOptions: ParsableArguments {
    @Option(name: .customLong("mail"), help: "Mail transport: a folder for .eml files, or smtp://user:password@host:587[?starttls=required|optional|none], smtps://… (env: PAPERBOY_MAIL; default: var/mail).")
    var location: String?

    @Option(name: .customLong("mail-from"), help: "Sender address of outgoing mail (env: PAPERBOY_MAIL_FROM; default: paperboy@localhost).")
    var from: String?

    var resolvedLocation: String { location ?? ProcessInfo.processInfo.environment["PAPERBOY_MAIL"] ?? "var/mail" }

    /// SMTP settings when `--mail` is an smtp:// or smtps:// URL.
    func smtp() throws -> SMTPConfiguration? {
        let location = resolvedLocation
        guard location.hasPrefix("smtp://") || location.hasPrefix("smtps://") else { return nil }
        do {
            return try SMTPConfiguration.parse(location)
        } catch {
            throw ValidationError("--mail: \(error)")
        }
    }

    func transport() throws -> any MailTransport {
        if let smtp = try smtp() { return SMTPTransport(configuration: smtp) }
        var location = resolvedLocation
        if location.hasPrefix("file://") { location.removeFirst("file://".count) }
        guard !location.isEmpty else { throw ValidationError("--mail needs a folder.") }
        return EMLFolderTransport(folder: URL(fileURLWithPath: location))
    }

    /// Digests go over one SMTP connection per run when SMTP is configured.
    func digestDestination() throws -> DigestDestination {
        if let smtp = try smtp() { return .smtp(smtp) }
        return .transport(try transport())
    }

    func sender() throws -> MailAddress {
        let text = from ?? ProcessInfo.processInfo.environment["PAPERBOY_MAIL_FROM"] ?? "paperboy@localhost.localdomain"
        do {
            return try MailAddress(text, name: "Paperboy")
        } catch {
            throw ValidationError("--mail-from: \(error)")
        }
    }
}

/// Sign-in links by mail, through whichever transport is configured.
struct TransportSignInMailer: SignInMailer {
    let transport: any MailTransport
    let from: MailAddress

    func sendSignInLink(to address: String, link: String, siteName: String, expiresInMinutes: Int) async throws {
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
}
