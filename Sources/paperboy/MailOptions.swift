import ArgumentParser
import Foundation
import PaperboyApp

/// `--mail` and `--mail-from`: where outgoing mail goes and who it is from.
struct MailOptions: ParsableArguments, ConfigurationFlags {
    @Option(name: .customLong("mail"), help: "Mail transport: a folder for .eml files, or smtp://user:password@host:587[?starttls=required|optional|none], smtps://… (env: PAPERBOY_MAIL; default: var/mail).")
    var location: String?

    @Option(name: .customLong("mail-from"), help: "Sender address of outgoing mail (env: PAPERBOY_MAIL_FROM; default: paperboy@localhost.localdomain).")
    var from: String?

    var flags: [PaperboyConfiguration.Key: String] { given([.mail: location, .mailFrom: from]) }
}
