import ArgumentParser
import PaperboySearch

@main
struct Paperboy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paperboy",
        abstract: "A self-hosted research paper feed: daily papers, paper pages and a Hugging Face compatible API.",
        subcommands: [Serve.self, Migrate.self, Import.self, Index.self, Search.self, Eval.self, Synth.self, Bench.self, User.self, Digest.self, Ingest.self, Copy.self, Secret.self, Backup.self, Restore.self, Thumbnails.self, Stars.self]
    )

    static func main() async {
        // Before anything uses OpenBLAS: it may run this program again with a faster kernel.
        OpenBLASKernel.chooseBeforeUse()
        await main(nil)
    }
}
