import ArgumentParser
import PaperboyApp
import Foundation
import Logging
import PaperboyCore
import PaperboySearch

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Search papers from the terminal.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions

    @Argument(help: "The query: words, \"phrases\", -excluded, author:, category:, year:, from:, to:.")
    var query: String

    @Option(help: "keyword, semantic or hybrid.")
    var mode: String = "hybrid"

    @Option(help: "How many results.")
    var limit: Int = 10

    func run() async throws {
        guard let mode = SearchMode(rawValue: mode) else { throw ValidationError("--mode must be keyword, semantic or hybrid") }
        guard (1...100).contains(limit) else { throw ValidationError("--limit must be from 1 to 100") }
        let configuration = try await loadConfiguration(database, model)
        let store = try await Stores.open(configuration)
        var logger = Logger(label: "paperboy.search")
        logger.logLevel = .warning
        let semantic = mode == .keyword ? nil : configuration.semanticIndex(store: store, logger: logger)
        try await semantic?.loadStoredEmbeddings()
        let engine = SearchEngine(store: store, semantic: semantic)
        let response: SearchResponse
        do {
            response = try await engine.search(query, mode: mode, limit: limit)
        } catch {
            throw ValidationError(error.description)
        }
        for correction in response.corrections {
            print("(no paper contains \"\(correction.word)\"; searched for \(correction.stem)… instead)")
        }
        if response.semanticUnavailable { print("(semantic search unavailable: keyword results)") }
        if response.results.isEmpty { print("no papers match") }
        for (index, result) in response.results.enumerated() {
            let paper = result.paper
            let year = paper.publishedAt.map { " (\(Day(containing: $0).components.year))" } ?? ""
            print("\(index + 1). \(paper.title)\(year)  [\(paper.id)]")
        }
    }
}
