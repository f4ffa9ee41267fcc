import Foundation

/// Where mail goes. The default writes .eml files to a folder (the demo's inbox); SMTP is the
/// other transport.
public protocol MailTransport: Sendable {
    /// Sends `message`; returns its Message-ID.
    @discardableResult
    func send(_ message: MailMessage) async throws -> String

    /// Sends an already rendered message (the digest sender fixes each Message-ID itself).
    func sendRendered(_ text: String, from sender: String, to recipient: String) async throws
}

/// Writes each message as an .eml file, named so that a listing sorts by time. Files appear
/// whole (written to a temporary name, then renamed), so a reader never sees half a message.
public struct EMLFolderTransport: MailTransport {
    public let folder: URL
    let domain: String
    let now: @Sendable () -> Date

    public init(folder: URL, domain: String = "paperboy.localhost", now: @escaping @Sendable () -> Date = Date.init) {
        self.folder = folder
        self.domain = domain
        self.now = now
    }

    @discardableResult
    public func send(_ message: MailMessage) async throws -> String {
        let messageID = "<\(UUID().uuidString.lowercased())@\(domain)>"
        try await sendRendered(try message.render(date: now(), messageID: messageID), from: message.from.address, to: message.to.address)
        return messageID
    }

    public func sendRendered(_ text: String, from sender: String, to recipient: String) async throws {
        let unique = UUID().uuidString.lowercased()
        let date = now()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let stamp = String(format: "%.6f", date.timeIntervalSince1970)
            let name = "\(stamp)-\(unique).eml"
            let temporary = folder.appendingPathComponent(".\(name).tmp")
            try Data(text.utf8).write(to: temporary)
            try FileManager.default.moveItem(at: temporary, to: folder.appendingPathComponent(name))
        } catch {
            throw MailError.cannotWrite("\(folder.path): \(error.localizedDescription)")
        }
    }
}
