import Foundation
import PaperboyCore
import PaperboySQLite
import PaperboyStore
import PaperboyTestSupport
import Testing

/// `paperboy digest send` killed with SIGKILL half-way through, then run again: every
/// subscriber ends up with their digest at the SMTP server (aiosmtpd on 127.0.0.1), at most one
/// of them twice with the same Message-ID (the one the kill caught between send and mark).
@Suite struct DigestCrashTests {
    @Test func digestSend_killedMidRunAndRestarted_everySubscriberGetsOneDigest_aResentCopyKeepsItsMessageID() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("digests.sqlite")
        let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path
        let imported = try run(Locations.binary, ["import", seed, "--database", database, "--daily", "spread", "--spread-days", "3", "--no-embed"])
        #expect(imported.status == 0, "\(imported.standardError)")
        let store = try SQLitePaperStore(path: database)
        try await store.migrate()
        let day = try #require(try await store.latestDay())
        let count = 30
        for index in 0..<count {
            let pending = try await store.subscribe(email: "reader\(index)@example.org", frequency: .daily, topics: index % 2 == 0 ? ["diffusion"] : [], token: "t\(index)-\(UUID().uuidString)", now: Date())
            _ = try await store.confirmSubscription(token: pending.token, now: Date())
        }
        // Each RCPT waits 80 ms at the server, so the kill lands in the middle of the run.
        let sink = try SMTPSink(in: directory, arguments: ["--delay", "0.08"])
        defer { sink.stop() }
        let arguments = ["digest", "send", "--period", day.iso, "--database", database, "--model", "/nonexistent",
                         "--mail", "smtp://127.0.0.1:\(sink.port)?starttls=none", "--public-url", "https://papers.example.org"]

        let first = Process()
        first.executableURL = URL(fileURLWithPath: Locations.binary)
        first.arguments = arguments
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        first.environment = ProcessInfo.processInfo.environment.merging(["PAPERBOY_SECRET": String(repeating: "k", count: 40)]) { $1 }
        try first.run()
        let deadline = Date().addingTimeInterval(60)
        while try sink.messages().count < 8, Date() < deadline, first.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let beforeRestart = try sink.messages().count
        #expect(beforeRestart >= 8 && beforeRestart < count, "the kill came too late to test anything: \(beforeRestart) sent")

        let second = try run(Locations.binary, arguments, environment: ["PAPERBOY_SECRET": String(repeating: "k", count: 40)], timeout: 120)
        #expect(second.status == 0, "\(second.standardOutput) \(second.standardError)")
        #expect(second.standardOutput.contains("planned 0 daily digests"), "\(second.standardOutput)")

        // A message the server accepted just before the kill, whose "sent" mark the kill then
        // prevented, goes again at the restart (at least once: SMTP and the database cannot commit
        // together). It goes with the same Message-ID, so the receiving side can drop the copy.
        // One kill allows one such copy; usually the kill lands in a server wait and there is none
        // (the helper saw 31 of 30 twice on a loaded machine, issue 17's session).
        let recipients = try sink.envelopes().compactMap { ($0["to"] as? [String])?.first }
        #expect(recipients.count == count || recipients.count == count + 1, "\(recipients.count) messages for \(count) subscribers")
        #expect(Set(recipients) == Set((0..<count).map { "reader\($0)@example.org" }))
        let messageIDs = try sink.messages().compactMap { raw in
            raw.split(separator: "\r\n").first { $0.hasPrefix("Message-ID: ") }.map { String($0.dropFirst(12)) }
        }
        #expect(messageIDs.count == recipients.count)
        #expect(Set(messageIDs).count == count, "a copy sent again must keep its Message-ID")
        var idByRecipient: [String: String] = [:]
        for (recipient, id) in zip(recipients, messageIDs) {
            #expect(idByRecipient.updateValue(id, forKey: recipient) ?? id == id, "\(recipient) got two different messages")
        }
        #expect(try await store.outboxCounts(period: day.iso) == ["sent": count])
    }

    @Test func digestSend_dryRunAndTo_sendNothingThroughTheOutbox() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("dry.sqlite")
        let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path
        _ = try run(Locations.binary, ["import", seed, "--database", database, "--daily", "spread", "--spread-days", "3", "--no-embed"])
        let store = try SQLitePaperStore(path: database)
        try await store.migrate()
        let day = try #require(try await store.latestDay())
        for index in 0..<3 {
            let pending = try await store.subscribe(email: "r\(index)@example.org", frequency: .daily, topics: ["diffusion"], token: "dry\(index)", now: Date())
            _ = try await store.confirmSubscription(token: pending.token, now: Date())
        }
        let mail = directory.path("mail")
        let common = ["--period", day.iso, "--database", database, "--model", "/nonexistent", "--mail", mail]
        let dry = try run(Locations.binary, ["digest", "send", "--dry-run"] + common)
        #expect(dry.status == 0 && dry.standardOutput.contains("composed 3 digests"), "\(dry.standardOutput) \(dry.standardError)")
        let preview = try run(Locations.binary, ["digest", "send", "--dry-run", "--to", "R1@example.org"] + common)
        #expect(preview.standardOutput.contains("To: r1@example.org") && preview.standardOutput.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
        #expect(!FileManager.default.fileExists(atPath: mail))
        let one = try run(Locations.binary, ["digest", "send", "--to", "r2@example.org"] + common)
        #expect(one.status == 0 && one.standardOutput.contains("sent \(day.iso) digest to r2@example.org"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: mail).filter { $0.hasSuffix(".eml") }.count == 1)
        #expect(try await store.outboxCounts(period: day.iso).isEmpty)
        let unknown = try run(Locations.binary, ["digest", "send", "--to", "nobody@example.org"] + common)
        #expect(unknown.status != 0 && unknown.standardError.contains("nobody subscribed"))
    }
}
