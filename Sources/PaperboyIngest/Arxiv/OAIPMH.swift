import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PaperboyCore

/// The two metadata formats arXiv's OAI-PMH endpoint offers with full records.
public enum OAIMetadataFormat: String, Codable, Sendable, CaseIterable {
    /// Structured authors with affiliations; `created`/`updated` dates.
    case arXiv
    /// The free-text author field and the full version history (dates of every version).
    case arXivRaw
}

/// One page of an OAI-PMH `ListRecords` answer in arXiv's `arXiv` or `arXivRaw` metadata format.
public struct OAIPage: Sendable, Equatable {
    public var records: [ArxivEntry]
    /// Identifiers (arXiv ids) the repository reports as deleted.
    public var deleted: [String]
    /// Records left out, with the reason.
    public var skipped: [String]
    /// Empty or absent on the last page.
    public var resumptionToken: String?
    public var completeListSize: Int?
    public var cursor: Int?
}

public enum OAIPMHError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case badResumptionToken(String)
    case badArgument(String)
    /// Any other OAI-PMH error code.
    case repository(code: String, message: String)

    public var description: String {
        switch self {
        case .malformed(let reason): "the OAI-PMH response is not readable XML: \(reason)"
        case .badResumptionToken(let message): "the repository refused the resumption token: \(message)"
        case .badArgument(let message): "the repository refused the request: \(message)"
        case .repository(let code, let message): "OAI-PMH error \(code): \(message)"
        }
    }
}

/// Streaming parser for `ListRecords` pages (metadataPrefix `arXiv` or `arXivRaw`, told apart
/// by their namespaces). `noRecordsMatch` is an
/// empty page, not an error: a day without new papers is normal.
public enum OAIPMHParser {
    public static func parse(_ data: Data) throws(OAIPMHError) -> OAIPage {
        guard String(validating: data, as: UTF8.self) != nil else { throw .malformed("the body is not valid UTF-8") }
        if let problem = XMLInputCheck.problem(in: data) { throw .malformed(problem) }
        let delegate = Delegate()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.delegate = delegate
        guard parser.parse(), delegate.sawRoot else {
            throw .malformed(parser.parserError.map { "\($0.localizedDescription) at line \(parser.lineNumber)" } ?? "no <OAI-PMH> element")
        }
        guard delegate.sawRootEnd else { throw .malformed("the response is cut short (no </OAI-PMH>)") }
        if let (code, message) = delegate.error {
            switch code {
            case "noRecordsMatch": return OAIPage(records: [], deleted: [], skipped: [], resumptionToken: nil)
            case "badResumptionToken": throw .badResumptionToken(message)
            case "badArgument": throw .badArgument(message)
            default: throw .repository(code: code, message: message)
            }
        }
        return OAIPage(
            records: delegate.records, deleted: delegate.deleted, skipped: delegate.skipped,
            resumptionToken: delegate.token.flatMap { $0.isEmpty ? nil : $0 },
            completeListSize: delegate.completeListSize, cursor: delegate.cursor)
    }

    final class Delegate: NSObject, XMLParserDelegate {
        static let oai = "http://www.openarchives.org/OAI/2.0/"
        static let arxiv = "http://arxiv.org/OAI/arXiv/"
        static let arxivRaw = "http://arxiv.org/OAI/arXivRaw/"

        var sawRoot = false
        var sawRootEnd = false
        var error: (String, String)?
        var errorCode: String?
        var records: [ArxivEntry] = []
        var deleted: [String] = []
        var skipped: [String] = []
        var token: String?
        var completeListSize: Int?
        var cursor: Int?
        var headerDeleted = false
        var identifier = ""
        var entry: ArxivEntry?
        var keyname = ""
        var forenames = ""
        var affiliations: [String] = []
        var versionNumber: Int?
        var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            text = ""
            switch (namespaceURI, name) {
            case (Self.oai, "OAI-PMH"): sawRoot = true
            case (Self.oai, "error"): errorCode = attributes["code"] ?? "unknown"
            case (Self.oai, "header"):
                headerDeleted = attributes["status"] == "deleted"
                identifier = ""
            case (Self.oai, "resumptionToken"):
                completeListSize = attributes["completeListSize"].flatMap { Int($0) }
                cursor = attributes["cursor"].flatMap { Int($0) }
            case (Self.arxiv, "arXiv"), (Self.arxivRaw, "arXivRaw"):
                entry = ArxivEntry(id: "", title: "", summary: "", authors: [], categories: [])
            case (Self.arxivRaw, "version"):
                versionNumber = attributes["version"].flatMap { Int($0.drop { !$0.isNumber }) }
            case (Self.arxiv, "author"):
                keyname = ""
                forenames = ""
                affiliations = []
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
            if namespaceURI == Self.oai {
                switch name {
                case "OAI-PMH": sawRootEnd = true
                case "error": error = (errorCode ?? "unknown", value)
                case "identifier": identifier = value
                case "header":
                    if headerDeleted {
                        let id = identifier.components(separatedBy: ":").dropFirst(2).joined(separator: ":")
                        deleted.append(id.isEmpty ? identifier : id)
                    }
                case "resumptionToken": token = value
                default: break
                }
                return
            }
            guard namespaceURI == Self.arxiv || namespaceURI == Self.arxivRaw, var current = entry else { return }
            if namespaceURI == Self.arxivRaw {
                switch name {
                case "authors":
                    current.authors = ArxivAuthors.split(value)
                    entry = current
                    return
                case "date":
                    // Versions come oldest first: the first date is the submission, the last the update.
                    let date = DateParsing.parse(value)
                    if current.published == nil { current.published = date }
                    current.updated = date
                    entry = current
                    return
                case "version":
                    if let versionNumber { current.version = max(current.version ?? 0, versionNumber) }
                    entry = current
                    return
                case "arXivRaw":
                    // Same bookkeeping as the arXiv format's closing element.
                    return finishEntry(current)
                default: break
                }
            }
            switch name {
            case "id":
                if let parsed = ArxivID.parse(value) { current.id = parsed.id }
            case "created": current.published = DateParsing.parse(value)
            case "updated": current.updated = DateParsing.parse(value)
            case "title": current.title = value
            case "abstract": current.summary = value
            case "categories": current.categories = value.split(separator: " ").map(String.init)
            case "comments": current.comment = value.isEmpty ? nil : value
            case "journal-ref": current.journalRef = value.isEmpty ? nil : value
            case "doi": current.doi = value.isEmpty ? nil : value
            case "keyname": keyname = value
            case "forenames": forenames = value
            case "affiliation": affiliations.append(value)
            case "author":
                let full = TextTools.collapseWhitespace(forenames.isEmpty ? keyname : "\(forenames) \(keyname)")
                if !full.isEmpty { current.authors.append(ArxivEntry.Author(name: full, affiliations: affiliations)) }
            case "arXiv":
                return finishEntry(current)
            default: break
            }
            entry = current
        }

        func finishEntry(_ finished: ArxivEntry) {
            var current = finished
            // The first listed category is the primary one in arXiv's OAI records.
            current.primaryCategory = current.categories.first
            if current.id.isEmpty { skipped.append("\(identifier.isEmpty ? "a record" : identifier): no arXiv id") }
            else if current.title.isEmpty { skipped.append("\(current.id): no title") }
            else { records.append(current) }
            entry = nil
        }
    }
}

/// Where a harvest stands, saved after each stored page so a crash resumes from the last token.
public struct HarvestCheckpoint: Codable, Sendable, Equatable {
    public var set: String
    public var from: String?
    /// `nil` is `arXiv` (checkpoints written before arXivRaw existed).
    public var format: OAIMetadataFormat?
    public var token: String?
    public var pagesDone: Int
    public var recordsDone: Int
    public var finished: Bool

    public init(set: String, from: String?, format: OAIMetadataFormat = .arXiv, token: String? = nil, pagesDone: Int = 0, recordsDone: Int = 0, finished: Bool = false) {
        self.set = set
        self.from = from
        self.format = format
        self.token = token
        self.pagesDone = pagesDone
        self.recordsDone = recordsDone
        self.finished = finished
    }

    public static func load(_ path: String) throws -> HarvestCheckpoint? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try JSONDecoder().decode(HarvestCheckpoint.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    public func save(_ path: String) throws {
        let data = try JSONEncoder().encode(self)
        let temporary = path + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }
}
