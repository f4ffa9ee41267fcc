import PaperboyBench
import ArgumentParser
import Foundation
import PaperboyIngest

struct Synth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write synthetic papers in the arXiv snapshot format, for benchmarks.")

    @Option(help: "How many papers.")
    var count: Int = 100_000

    @Option(help: "Random seed; the same seed gives the same file.")
    var seed: UInt64 = 42

    @Option(name: .shortAndLong, help: "Output file (default: standard output).")
    var output: String?

    func run() async throws {
        guard count >= 0, count <= 100_000_000 else { throw ValidationError("--count must be from 0 to 100000000") }
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else {
                throw ValidationError("cannot create \(output)")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        } else {
            handle = FileHandle.standardOutput
        }
        let started = Date()
        try SyntheticCorpus(count: count, seed: seed).generate { try handle.write(contentsOf: $0) }
        if output != nil { try handle.close() }
        FileHandle.standardError.write(Data("wrote \(count) synthetic papers in \(String(format: "%.1f", Date().timeIntervalSince(started))) s\n".utf8))
    }
}
