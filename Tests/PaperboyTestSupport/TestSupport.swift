import Foundation
import PaperboyCore
import PaperboySQLite
import PaperboyStore

/// A folder under the system temp directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `contents` to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        try write(name, Data(contents.utf8))
    }

    @discardableResult
    public func write(_ name: String, _ data: Data) throws -> String {
        let path = path(name)
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// A migrated SQLite store in a fresh file.
public func makeStore(in directory: TemporaryDirectory, name: String = "paperboy.sqlite") async throws -> SQLitePaperStore {
    let store = try SQLitePaperStore(path: directory.path(name))
    try await store.migrate()
    return store
}

/// A fixed instant tests measure "now" from: Tuesday 2025-02-04 12:00 UTC.
public let testNow = Date(timeIntervalSince1970: 1_738_670_400)

public func day(_ text: String) -> Day {
    guard let day = Day(iso: text) else { preconditionFailure("bad test date \(text)") }
    return day
}

/// A paper with sensible defaults; override what a test cares about.
public func samplePaper(
    id: String = "2502.00001",
    title: String = "A Sample Paper",
    abstract: String = "We study samples.",
    authors: [String] = ["Ada Lovelace", "Alan Turing"],
    daily: String? = "2025-02-04",
    dailyHour: Double = 9,
    submittedBy: String? = nil,
    upvotes: Int = 0,
    published: String = "2025-02-01",
    githubRepo: String? = nil
) -> Paper {
    let dailyDay = daily.map(day)
    return Paper(
        id: id, title: title, abstract: abstract, authors: authors, categories: ["cs.LG"],
        publishedAt: DateParsing.parse(published),
        githubRepo: githubRepo, source: "test", dailyDay: dailyDay,
        submittedOnDailyAt: dailyDay.map { $0.start.addingTimeInterval(dailyHour * 3600) },
        submittedBy: submittedBy, upvotes: upvotes)
}

public func record(_ paper: Paper, hasUpvotes: Bool = true) -> PaperRecord {
    PaperRecord(paper: paper, hasUpvotes: hasUpvotes)
}

/// A one-page PDF written by hand: a title line and a rectangle, with a correct cross-reference table.
public func makePDF(text: String, extraOperators: String = "") -> Data {
    let stream = "BT /F1 24 Tf 72 700 Td (\(text)) Tj ET 72 600 200 50 re S\n\(extraOperators)"
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        "<< /Length \(stream.utf8.count) >>\nstream\n\(stream)endstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    var body = "%PDF-1.4\n"
    var offsets: [Int] = []
    for (index, object) in objects.enumerated() {
        offsets.append(body.utf8.count)
        body += "\(index + 1) 0 obj\n\(object)\nendobj\n"
    }
    let xref = body.utf8.count
    body += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
    for offset in offsets { body += String(repeating: "0", count: 10 - String(offset).count) + "\(offset) 00000 n \n" }
    body += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
    return Data(body.utf8)
}
