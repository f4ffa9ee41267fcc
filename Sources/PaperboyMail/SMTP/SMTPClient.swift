import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// An SMTP client on SwiftNIO (no SMTP package is available here): greeting, EHLO (HELO as a
/// fallback), STARTTLS or implicit TLS through swift-nio-ssl, AUTH PLAIN or LOGIN, then any
/// number of messages over one connection (RSET between them), QUIT. Every reply is awaited
/// with a timeout; 4xx replies become `SMTPError.temporary`, 5xx `SMTPError.permanent`.
public enum SMTPClient {
    /// Opens a session, runs `body` with it and closes the connection, whatever happens.
    public static func withSession<Result: Sendable>(
        _ configuration: SMTPConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        _ body: (SMTPSession) async throws -> Result
    ) async throws -> Result {
        let tlsContext = try configuration.security == .none ? nil : makeTLSContext(configuration)
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(Int64(configuration.timeout * 1000)))
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if configuration.security == .implicitTLS, let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname(configuration.host)))
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyLineDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPError.connection("\(configuration.host):\(configuration.port): \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            let session = SMTPSession(
                configuration: configuration, channel: channel.channel, lines: inbound.makeAsyncIterator(), outbound: outbound,
                tlsContext: tlsContext)
            try await session.open()
            let result = try await body(session)
            try? await session.quit()
            return result
        }
    }

    static func makeTLSContext(_ configuration: SMTPConfiguration) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.trustRootsFile {
            tls.trustRoots = .file(file)
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw SMTPError.configuration("TLS: \(error)")
        }
    }

    /// SNI takes names, not addresses.
    static func serverHostname(_ host: String) -> String? {
        host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : host
    }
}

/// One open SMTP connection. Use it from one task at a time.
public final class SMTPSession: @unchecked Sendable {
    let configuration: SMTPConfiguration
    let channel: Channel
    var lines: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let tlsContext: NIOSSLContext?
    private(set) var capabilities: Set<String> = []
    private(set) var isEncrypted: Bool
    var messagesSent = 0
    var transactionStarted = false

    init(configuration: SMTPConfiguration, channel: Channel, lines: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
         outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, tlsContext: NIOSSLContext?) {
        self.configuration = configuration
        self.channel = channel
        self.lines = lines
        self.outbound = outbound
        self.tlsContext = tlsContext
        isEncrypted = configuration.security == .implicitTLS
    }

    func open() async throws {
        try expect(try await readReply("greeting"), 220)
        try await hello()
        if !isEncrypted, configuration.security != .none {
            if capabilities.contains("STARTTLS") {
                try expect(try await command("STARTTLS"), 220)
                try await startTLS()
                try await hello()
            } else if configuration.security == .startTLSRequired {
                throw SMTPError.protocolViolation("the server does not offer STARTTLS; use ?starttls=optional or none to send in plain text")
            }
        }
        if let username = configuration.username, let password = configuration.password {
            try await authenticate(username: username, password: password)
        }
    }

    func hello() async throws {
        let reply = try await command("EHLO \(configuration.helloName)")
        if reply.code == 250 {
            capabilities = Set(reply.lines.dropFirst().map { $0.split(separator: " ").first.map { $0.uppercased() } ?? "" })
            for line in reply.lines.dropFirst() where line.uppercased().hasPrefix("AUTH ") {
                for mechanism in line.dropFirst(5).split(separator: " ") { capabilities.insert("AUTH=" + mechanism.uppercased()) }
            }
            return
        }
        try expect(try await command("HELO \(configuration.helloName)"), 250)
        capabilities = []
    }

    func startTLS() async throws {
        guard let tlsContext else { throw SMTPError.configuration("no TLS context") }
        let hostname = SMTPClient.serverHostname(configuration.host)
        let channel = channel
        do {
            // Made and added on the event loop: the TLS handler is not Sendable.
            try await channel.eventLoop.submit {
                let handler = try NIOSSLClientHandler(context: tlsContext, serverHostname: hostname)
                try channel.pipeline.syncOperations.addHandler(handler, position: .first)
            }.get()
        } catch {
            throw SMTPError.connection("TLS handshake: \(error)")
        }
        isEncrypted = true
    }

    func authenticate(username: String, password: String) async throws {
        guard isEncrypted || configuration.security == .none else {
            throw SMTPError.protocolViolation("refusing to send a password without TLS")
        }
        if capabilities.contains("AUTH=PLAIN") {
            let token = Data("\u{0}\(username)\u{0}\(password)".utf8).base64EncodedString()
            try expect(try await command("AUTH PLAIN \(token)", redacted: "AUTH PLAIN ***"), 235)
        } else if capabilities.contains("AUTH=LOGIN") {
            try expect(try await command("AUTH LOGIN"), 334)
            try expect(try await command(Data(username.utf8).base64EncodedString(), redacted: "***"), 334)
            try expect(try await command(Data(password.utf8).base64EncodedString(), redacted: "***"), 235)
        } else {
            throw SMTPError.protocolViolation("the server offers neither AUTH PLAIN nor AUTH LOGIN")
        }
    }

    /// Sends one rendered message (CRLF line endings) from `sender` to `recipient`.
    /// `beforeCommit` runs just before the final "." that asks the server to take the message.
    @discardableResult
    public func send(_ rendered: String, from sender: String, to recipient: String) async throws -> SMTPReply {
        // After any earlier transaction (sent or refused half-way), start clean.
        if transactionStarted { try expect(try await command("RSET"), 250) }
        for address in [sender, recipient] where address.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "<" || $0 == ">" }) {
            throw SMTPError.protocolViolation("address \(address.debugDescription) contains forbidden characters")
        }
        transactionStarted = true
        try expect(try await command("MAIL FROM:<\(sender)>"), 250)
        try expect(try await command("RCPT TO:<\(recipient)>"), 250, 251)
        try expect(try await command("DATA"), 354)
        try await write(Self.dotStuffed(rendered))
        let reply = try await command(".")
        try expect(reply, 250)
        messagesSent += 1
        return reply
    }

    func quit() async throws {
        _ = try await command("QUIT")
    }

    /// Lines starting with "." get another "." (RFC 5321 4.5.2); bare LFs become CRLF; the text ends in CRLF.
    static func dotStuffed(_ text: String) -> ByteBuffer {
        var output = ByteBufferAllocator().buffer(capacity: text.utf8.count + 64)
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte == 0x0A && previous != 0x0D { output.writeInteger(UInt8(0x0D)) }
            if atLineStart && byte == UInt8(ascii: ".") { output.writeInteger(UInt8(ascii: ".")) }
            output.writeInteger(byte)
            atLineStart = byte == 0x0A
            previous = byte
        }
        if !atLineStart { output.writeString("\r\n") }
        return output
    }

    // MARK: Wire

    func write(_ buffer: ByteBuffer) async throws {
        do {
            try await outbound.write(buffer)
        } catch {
            throw SMTPError.connection("write failed: \(error)")
        }
    }

    func command(_ line: String, redacted: String? = nil) async throws -> SMTPReply {
        try await write(ByteBuffer(string: line + "\r\n"))
        return try await readReply(redacted ?? line)
    }

    /// Reads one (possibly multi-line) reply, closing the connection when it takes too long.
    func readReply(_ what: String) async throws -> SMTPReply {
        let channel = channel
        let timeout = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(configuration.timeout * 1000))) {
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        var parser = SMTPReplyParser()
        while true {
            let next: ByteBuffer?
            do {
                next = try await lines.next()
            } catch {
                throw SMTPError.connection("\(error) (after \(what))")
            }
            guard let line = next else {
                throw channel.isActive ? SMTPError.connection("closed after \(what)") : SMTPError.timeout("after \(what)")
            }
            let reply: SMTPReply?
            do {
                reply = try parser.add(line: line.readableBytesView)
            } catch {
                throw SMTPError.protocolViolation("unreadable reply after \(what)")
            }
            if let reply { return reply }
        }
    }

    func expect(_ reply: SMTPReply, _ codes: Int...) throws {
        if codes.contains(reply.code) { return }
        switch reply.code {
        case 400..<500: throw SMTPError.temporary(code: reply.code, message: reply.text)
        case 500..<600: throw SMTPError.permanent(code: reply.code, message: reply.text)
        default: throw SMTPError.protocolViolation("unexpected reply \(reply.code) \(reply.text)")
        }
    }
}

/// Splits the byte stream into reply lines (LF-terminated); refuses absurdly long lines.
struct SMTPReplyLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > SMTPReplyParser.maxLineBytes { throw SMTPError.protocolViolation("reply line longer than 8 KB") }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex + 1
        guard let line = buffer.readSlice(length: length) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Delivers each message over SMTP. For many messages, use `SMTPClient.withSession` and send
/// them over one connection instead.
public struct SMTPTransport: MailTransport {
    public let configuration: SMTPConfiguration
    let domain: String

    public init(configuration: SMTPConfiguration, messageIDDomain: String = "paperboy.localhost") {
        self.configuration = configuration
        domain = messageIDDomain
    }

    @discardableResult
    public func send(_ message: MailMessage) async throws -> String {
        let messageID = "<\(UUID().uuidString.lowercased())@\(domain)>"
        let rendered = try message.render(date: Date(), messageID: messageID)
        try await sendRendered(rendered, from: message.from.address, to: message.to.address)
        return messageID
    }

    public func sendRendered(_ text: String, from sender: String, to recipient: String) async throws {
        try await SMTPClient.withSession(configuration) { session in
            _ = try await session.send(text, from: sender, to: recipient)
        }
    }
}
