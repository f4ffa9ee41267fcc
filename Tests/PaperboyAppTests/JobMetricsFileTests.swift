import Foundation
@testable import PaperboyApp
import PaperboyTestSupport
import Testing

@Suite struct JobMetricsFileTests {
    static let help = "Records imported or harvested, by source and outcome."

    @Test func record_acrossRuns_countersAddUp_andAFailureKeepsTheLastSuccess() throws {
        let directory = try TemporaryDirectory()
        let file = JobMetricsFile(directory: directory.path("textfile"), command: "import")
        let first = Date(timeIntervalSince1970: 1_800_000_000)
        try file.record(succeeded: true, started: first, finished: first.addingTimeInterval(12.5), counts: [
            .init("paperboy_ingested_records_total", help: Self.help, labels: [("source", "import"), ("result", "new")], value: 228),
            .init("paperboy_ingested_records_total", help: Self.help, labels: [("source", "import"), ("result", "skipped")], value: 2),
        ])
        let second = first.addingTimeInterval(3600)
        try file.record(succeeded: true, started: second, finished: second.addingTimeInterval(1), counts: [
            .init("paperboy_ingested_records_total", help: Self.help, labels: [("source", "import"), ("result", "new")], value: 10),
        ])
        let third = second.addingTimeInterval(3600)
        try file.record(succeeded: false, started: third, finished: third.addingTimeInterval(2), counts: [])

        let text = try String(contentsOfFile: directory.path("textfile/paperboy_import.prom"), encoding: .utf8)
        let samples = JobMetricsFile.samples(in: text)
        #expect(samples[#"paperboy_ingested_records_total{source="import",result="new"}"#] == 238)
        #expect(samples[#"paperboy_ingested_records_total{source="import",result="skipped"}"#] == 2, "totals of earlier runs stay")
        #expect(samples[#"paperboy_command_last_run_success{command="import"}"#] == 0)
        #expect(samples[#"paperboy_command_last_run_timestamp_seconds{command="import"}"#] == third.addingTimeInterval(2).timeIntervalSince1970)
        #expect(samples[#"paperboy_command_last_success_timestamp_seconds{command="import"}"#] == second.addingTimeInterval(1).timeIntervalSince1970)
        #expect(samples[#"paperboy_command_last_run_duration_seconds{command="import"}"#] == 2)
        #expect(samples[#"paperboy_command_runs_total{command="import",outcome="success"}"#] == 2)
        #expect(samples[#"paperboy_command_runs_total{command="import",outcome="failure"}"#] == 1)
        // One HELP and TYPE per family, before its samples; nothing left behind but the .prom file.
        #expect(text.components(separatedBy: "# TYPE paperboy_ingested_records_total counter\n").count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("textfile")) == ["paperboy_import.prom"])
    }

    @Test func record_intoAFile_thatIsNotADirectory_failsWithThePath() throws {
        let directory = try TemporaryDirectory()
        let blocker = try directory.write("blocker", "not a directory")
        let file = JobMetricsFile(directory: blocker, command: "index")
        #expect(throws: JobMetricsError.self) { try file.record(succeeded: true, started: Date(), counts: []) }
        do { try file.record(succeeded: true, started: Date(), counts: []) } catch { #expect(error.description.contains("\(blocker)/paperboy_index.prom")) }
    }
}
