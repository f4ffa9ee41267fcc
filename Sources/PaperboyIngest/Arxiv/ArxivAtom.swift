import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PaperboyCore

/// One entry of an arXiv API (Atom) response, every field the API gives.
public struct ArxivEntry: Sendable, Equatable {
    public struct Author: Sendable, Equatable {
        public var name: String
        public var affiliations: [String]
    }

    /// `2401.12345` (no version) and the version number from `…/abs/2401.12345v2`.
    public var id: String
    public var version: Int?
    public var published: Date?
    public var updated: Date?
    public var title: String
    public var summary: String
    public var authors: [Author]
    public var primaryCategory: String?
    public var categories: [String]
    public var comment: String?
    public var journalRef: String?
    public var doi: String?
    public var absURL: String?
    public var pdfURL: String?

    /// As an import record: source `arxiv`, categories primary first, a GitHub link from the
    /// abstract or comment when there is one.
    public var record: PaperRecord {
        var categories = categories
        if let primary = primaryCategory {
            categories.removeAll { $0 == primary }
            categories.insert(primary, at: 0)
        }
        let paper = Paper(
            id: id, title: TextTools.collapseWhitespace(title), abstract: TextTools.collapseWhitespace(summary),
            authors: authors.map(\.name), categories: categories, publishedAt: published, updatedAt: updated, version: version,
            doi: doi, journalRef: journalRef, authorComments: comment.map(TextTools.collapseWhitespace),
            githubRepo: TextTools.githubRepository(in: summary) ?? comment.flatMap(TextTools.githubRepository(in:)),
            // The response is outside input: a javascript: link here would become a live link on the paper page.
            pdfURL: RecordValidator.webURL(pdfURL), source: "arxiv")
        return PaperRecord(paper: paper, hasUpvotes: false)
    }
}

public struct ArxivFeed: Sendable, Equatable {
    public var totalResults: Int?
    public var entries: [ArxivEntry]
    /// Entries left out, with the reason (no id, no title).
    public var skipped: [String]
}

public enum ArxivParseError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    /// The API reports errors as a feed with one entry whose id is `…/api/errors#…`.
    case apiError(String)

    public var description: String {
        switch self {
        case .malformed(let reason): "the arXiv response is not a readable Atom feed: \(reason)"
        case .apiError(let message): "arXiv reported an error: \(message)"
        }
    }
}

/// Streaming Atom parser (Foundation's XMLParser) for `export.arxiv.org/api/query` responses.
public enum ArxivAtomParser {
    public static func parse(_ data: Data) throws(ArxivParseError) -> ArxivFeed {
        guard String(validating: data, as: UTF8.self) != nil else { throw .malformed("the body is not valid UTF-8") }
        if let problem = XMLInputCheck.problem(in: data) { throw .malformed(problem) }
        let delegate = Delegate()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.delegate = delegate
        guard parser.parse(), delegate.sawFeed else {
            throw .malformed(parser.parserError.map { "\($0.localizedDescription) at line \(parser.lineNumber)" } ?? "no <feed> element")
        }
        // libxml2 can report success for a document cut short; a feed must close.
        guard delegate.sawFeedEnd else { throw .malformed("the feed is cut short (no </feed>)") }
        if let error = delegate.apiError { throw .apiError(error) }
        return ArxivFeed(totalResults: delegate.totalResults, entries: delegate.entries, skipped: delegate.skipped)
    }

    final class Delegate: NSObject, XMLParserDelegate {
        static let atom = "http://www.w3.org/2005/Atom"
        static let arxiv = "http://arxiv.org/schemas/atom"
        static let opensearch = "http://a9.com/-/spec/opensearch/1.1/"

        var sawFeed = false
        var sawFeedEnd = false
        var totalResults: Int?
        var entries: [ArxivEntry] = []
        var skipped: [String] = []
        var apiError: String?
        var entry: ArxivEntry?
        var author: ArxivEntry.Author?
        var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            text = ""
            switch (namespaceURI, name) {
            case (Self.atom, "feed"): sawFeed = true
            case (Self.atom, "entry"):
                entry = ArxivEntry(id: "", title: "", summary: "", authors: [], categories: [])
            case (Self.atom, "author") where entry != nil:
                author = ArxivEntry.Author(name: "", affiliations: [])
            case (Self.atom, "category"):
                if let term = attributes["term"], !term.isEmpty { entry?.categories.append(term) }
            case (Self.arxiv, "primary_category"):
                entry?.primaryCategory = attributes["term"]
            case (Self.atom, "link"):
                if attributes["title"] == "pdf" { entry?.pdfURL = attributes["href"] }
                if attributes["rel"] == "alternate" { entry?.absURL = attributes["href"] }
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        /// Stops at the first error, recoverable or not: Foundation leaks every error it reports
        /// (a CFString each), and libxml2 goes on past namespace errors, so a page of undeclared
        /// prefixes leaked 15 times its size per parse and still parsed (found by Fuzz/OAIPMH).
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) { parser.abortParsing() }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let value = TextTools.trimmingASCIIWhitespace(text)
            defer { text = "" }
            if namespaceURI == Self.opensearch, name == "totalResults" { totalResults = Int(value); return }
            if namespaceURI == Self.atom, name == "feed" { sawFeedEnd = true; return }
            if var current = author {
                switch (namespaceURI, name) {
                case (Self.atom, "name"): current.name = TextTools.collapseWhitespace(value); author = current
                case (Self.arxiv, "affiliation"): current.affiliations.append(value); author = current
                case (Self.atom, "author"):
                    if !current.name.isEmpty { entry?.authors.append(current) }
                    author = nil
                default: break
                }
                return
            }
            guard var current = entry else { return }
            switch (namespaceURI, name) {
            case (Self.atom, "id"):
                if value.contains("/api/errors") { apiError = "error entry" } else {
                    let reference = value.components(separatedBy: "/abs/").last ?? value
                    if let parsed = ArxivID.parse(reference) { current.id = parsed.id; current.version = parsed.version }
                }
            case (Self.atom, "published"): current.published = DateParsing.parse(value)
            case (Self.atom, "updated"): current.updated = DateParsing.parse(value)
            case (Self.atom, "title"): current.title = value
            case (Self.atom, "summary"):
                current.summary = value
                if apiError != nil { apiError = value }
            case (Self.arxiv, "comment"): current.comment = value.isEmpty ? nil : value
            case (Self.arxiv, "journal_ref"): current.journalRef = value.isEmpty ? nil : value
            case (Self.arxiv, "doi"): current.doi = value.isEmpty ? nil : value
            case (Self.atom, "entry"):
                if apiError == nil {
                    if current.id.isEmpty { skipped.append("an entry without an arXiv id") }
                    else if current.title.isEmpty { skipped.append("\(current.id): no title") }
                    else { entries.append(current) }
                }
                entry = nil
                return
            default: break
            }
            entry = current
        }
    }
}
