import Foundation

/// Metrics of the commands that run apart from the server (`paperboy import`, `ingest`,
/// `digest send`, `index`), as a file for node_exporter's textfile collector
/// (`--metrics-textfile-dir`, pointed at the directory given to node_exporter's
/// `--collector.textfile.directory`).
///
/// Why a textfile: these commands run from cron or a systemd timer and exit, so there is nothing
/// for Prometheus to scrape, and Prometheus's own advice for batch jobs on a machine is the
/// textfile collector of the node_exporter that is already there; a Pushgateway is one more
/// service to run, and it keeps a dead job's last push forever.
///
/// Each command writes its own file, `paperboy_COMMAND.prom`, whole and then renamed into place,
/// so node_exporter never reads half of one. Counters carry on from the previous file, so
/// `rate()` and `increase()` work across runs (a lost file is an ordinary counter reset); the
/// last success's time is kept through failed runs, for an alert such as
/// `time() - paperboy_command_last_success_timestamp_seconds{command="digest_send"} > 26 * 3600`.
/// The label is `command`, not `job`, which Prometheus sets itself on every scraped series.
public struct JobMetricsFile: Sendable {
    /// One counter of the run, added to the file's running total.
    public struct Count: Sendable, Equatable {
        public let name: String
        public let help: String
        public let labels: [(String, String)]
        public let value: Int

        public init(_ name: String, help: String, labels: [(String, String)], value: Int) {
            self.name = name
            self.help = help
            self.labels = labels
            self.value = value
        }

        public static func == (left: Count, right: Count) -> Bool {
            left.name == right.name && left.labels.map { "\($0)=\($1)" } == right.labels.map { "\($0)=\($1)" } && left.value == right.value
        }
    }

    public let directory: String
    public let command: String

    public init(directory: String, command: String) {
        self.directory = directory
        self.command = command
    }

    public var path: String { (directory as NSString).appendingPathComponent("paperboy_\(command).prom") }

    /// Records a finished run: its outcome, its duration and its counts.
    public func record(succeeded: Bool, started: Date, finished: Date = Date(), counts: [Count]) throws(JobMetricsError) {
        var previous: [String: Double] = [:]
        var previousHelp: [String: String] = [:]
        if FileManager.default.fileExists(atPath: path) {
            // Unreadable or foreign content only loses the running totals (a counter reset).
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            previous = Self.samples(in: text)
            previousHelp = Self.counterHelp(in: text)
        }
        let commandLabel = "command=\"\(command)\""
        var families: [(name: String, help: String, type: String, samples: [(String, Double)])] = []
        func family(_ name: String, _ help: String, _ type: String, _ samples: [(String, Double)]) {
            if let index = families.firstIndex(where: { $0.name == name }) {
                families[index].samples += samples
            } else {
                families.append((name, help, type, samples))
            }
        }
        let lastSuccessKey = "paperboy_command_last_success_timestamp_seconds{\(commandLabel)}"
        family("paperboy_command_last_run_timestamp_seconds", "When a paperboy command last finished, successfully or not.", "gauge",
               [("{\(commandLabel)}", finished.timeIntervalSince1970)])
        if let lastSuccess = succeeded ? finished.timeIntervalSince1970 : previous[lastSuccessKey] {
            family("paperboy_command_last_success_timestamp_seconds", "When a paperboy command last finished successfully.", "gauge",
                   [("{\(commandLabel)}", lastSuccess)])
        }
        family("paperboy_command_last_run_success", "1 if the command's last run succeeded, 0 if it failed.", "gauge",
               [("{\(commandLabel)}", succeeded ? 1 : 0)])
        family("paperboy_command_last_run_duration_seconds", "How long the command's last run took.", "gauge",
               [("{\(commandLabel)}", finished.timeIntervalSince(started))])
        family("paperboy_command_runs_total", "Runs of a paperboy command, by outcome.", "counter",
               ["success", "failure"].map { outcome in
                   let labels = "{\(commandLabel),outcome=\"\(outcome)\"}"
                   return (labels, (previous["paperboy_command_runs_total" + labels] ?? 0) + ((outcome == "success") == succeeded ? 1 : 0))
               })
        for count in counts {
            let labels = "{" + count.labels.map { "\($0)=\"\(Self.escaped($1))\"" }.joined(separator: ",") + "}"
            family(count.name, count.help, "counter", [(labels, (previous[count.name + labels] ?? 0) + Double(count.value))])
        }
        // Totals of earlier runs whose labels this run did not produce (no failures this time) stay.
        for (key, value) in previous.sorted(by: { $0.key < $1.key }) {
            guard let brace = key.firstIndex(of: "{") else { continue }
            let name = String(key[..<brace])
            guard let help = previousHelp[name] else { continue }
            if let index = families.firstIndex(where: { $0.name == name }) {
                guard families[index].type == "counter", !families[index].samples.contains(where: { name + $0.0 == key }) else { continue }
                families[index].samples.append((String(key[brace...]), value))
            } else {
                families.append((name, help, "counter", [(String(key[brace...]), value)]))
            }
        }

        var text = ""
        for family in families {
            text += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n"
            for (labels, value) in family.samples { text += "\(family.name)\(labels) \(Self.format(value))\n" }
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            // node_exporter reads only *.prom: the temporary name is invisible to it until the rename.
            let temporary = (directory as NSString).appendingPathComponent(".paperboy_\(command).prom.\(getpid()).tmp")
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: temporary)
                throw JobMetricsError(path: path, reason: reason)
            }
        } catch let error as JobMetricsError {
            throw error
        } catch {
            throw JobMetricsError(path: path, reason: "\(error)")
        }
    }

    /// `name{labels} value` lines of an exposition, by `name{labels}`.
    static func samples(in text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// The HELP text of each counter family in an exposition, by name.
    static func counterHelp(in text: String) -> [String: String] {
        var help: [String: String] = [:]
        var counters: Set<String> = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
            guard parts.count >= 4, parts[0] == "#" else { continue }
            if parts[1] == "HELP" { help[parts[2]] = parts[3] }
            if parts[1] == "TYPE", parts[3] == "counter" { counters.insert(parts[2]) }
        }
        return help.filter { counters.contains($0.key) }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// The metrics file could not be written; the command's own work is done and stays done.
public struct JobMetricsError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "could not write the metrics file \(path): \(reason)" }
}
