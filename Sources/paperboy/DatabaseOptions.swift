import ArgumentParser
import Foundation
import PaperboyApp
import PaperboyStore

/// The flags a command was given, by configuration key; `PaperboyConfiguration.load` puts them
/// before the environment and the config file.
protocol ConfigurationFlags {
    var flags: [PaperboyConfiguration.Key: String] { get }
}

extension ConfigurationFlags {
    /// The flags that were given, by key.
    func given(_ flags: KeyValuePairs<PaperboyConfiguration.Key, String?>) -> [PaperboyConfiguration.Key: String] {
        flags.reduce(into: [:]) { result, flag in result[flag.key] = flag.value }
    }
}

/// Reads the configuration once for a command, from the flags of its option groups.
func loadConfiguration(_ groups: any ConfigurationFlags...) async throws -> PaperboyConfiguration {
    var flags: [PaperboyConfiguration.Key: String] = [:]
    for group in groups { flags.merge(group.flags) { $1 } }
    do {
        return try await PaperboyConfiguration.load(commandLine: flags)
    } catch let error as ConfigurationError {
        throw ValidationError(error.description)
    }
}

/// `--database` and `--config`, shared by every command that touches the store.
struct DatabaseOptions: ParsableArguments, ConfigurationFlags {
    @Option(name: .long, help: "SQLite file path, sqlite:PATH URL or postgres://USER:PASSWORD@HOST:PORT/DATABASE URL (env: PAPERBOY_DATABASE; default: var/paperboy.sqlite).")
    var database: String?

    @Option(name: .long, help: "A JSON file of settings, by the names of their environment variables without PAPERBOY_ in camelCase ({\"publicURL\": …, \"mail\": …}); flags and the environment come first (env: PAPERBOY_CONFIG).")
    var config: String?

    var flags: [PaperboyConfiguration.Key: String] { given([.database: database, .config: config]) }

    /// Reads the configuration with only these flags, and opens and migrates its store.
    func openStore() async throws -> (any PaperStore, PaperboyConfiguration) {
        let configuration = try await loadConfiguration(self)
        return (try await Stores.open(configuration), configuration)
    }
}

/// `--metrics-textfile-dir`, for the commands that run apart from the server (see `JobMetricsFile`).
struct MetricsFileOptions: ParsableArguments, ConfigurationFlags {
    @Option(name: .customLong("metrics-textfile-dir"), help: "Write this run's counts, outcome and time to paperboy_COMMAND.prom in this directory, for node_exporter's textfile collector (env: PAPERBOY_METRICS_TEXTFILE_DIR; default: none).")
    var metricsTextfileDir: String?

    var flags: [PaperboyConfiguration.Key: String] { given([.metricsTextfileDir: metricsTextfileDir]) }
}

/// Runs a command's work and, with `--metrics-textfile-dir`, records its outcome and counts
/// there, failures included. A metrics file that cannot be written is reported on standard
/// error and fails the command (cron then says so), after the work itself is done.
@discardableResult
func recordingRun<Result>(
    _ command: String, configuration: PaperboyConfiguration, counts: (Result) -> [JobMetricsFile.Count],
    _ work: () async throws -> Result
) async throws -> Result {
    guard let directory = configuration.metricsTextfileDirectory else { return try await work() }
    let file = JobMetricsFile(directory: directory, command: command)
    let started = Date()
    let result: Result
    do {
        result = try await work()
    } catch {
        do { try file.record(succeeded: false, started: started, counts: []) } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
        }
        throw error
    }
    do { try file.record(succeeded: true, started: started, counts: counts(result)) } catch { throw ValidationError(error.description) }
    return result
}
