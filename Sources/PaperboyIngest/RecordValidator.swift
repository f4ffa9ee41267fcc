import Foundation
import PaperboyCore

/// Why a record was skipped.
public struct RecordRejection: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Turns what a file says into a clean `PaperRecord`, or says why it cannot.
/// Limits keep one hostile record from bloating the database or the pages.
enum RecordValidator {
    static let maxTitleLength = 1_000
    static let maxAbstractLength = 50_000
    static let maxAuthors = 5_000
    static let maxAuthorNameLength = 300
    static let maxFieldLength = 2_000
    static let maxCount = 100_000_000

    static func validate(_ raw: RawRecord) throws(RecordRejection) -> PaperRecord {
        let title = TextTools.collapseWhitespace(clean(raw.title ?? ""))
        guard !title.isEmpty else { throw RecordRejection("missing title") }
        guard !isLonger(title, than: maxTitleLength) else { throw RecordRejection("title longer than \(maxTitleLength) characters") }
        let abstract = TextTools.collapseWhitespace(clean(raw.abstract ?? ""))
        guard !isLonger(abstract, than: maxAbstractLength) else { throw RecordRejection("abstract longer than \(maxAbstractLength) characters") }

        var id = TextTools.localID(forTitle: title)
        var version = raw.version
        if let given = raw.id?.trimmingCharacters(in: .whitespaces), !given.isEmpty {
            if let arxiv = ArxivID.parse(given) {
                id = arxiv.id
                version = version ?? arxiv.version
            } else if isLocalID(given) {
                id = given
            } else {
                throw RecordRejection("invalid id \"\(given.prefix(40))\": expected an arXiv id like 2405.12345 or letters, digits, '.', '-', '_'")
            }
        }

        guard raw.authors.count <= maxAuthors else { throw RecordRejection("more than \(maxAuthors) authors") }
        let authors = raw.authors.map { TextTools.collapseWhitespace(clean($0)) }.filter { !$0.isEmpty }
        guard !authors.contains(where: { isLonger($0, than: maxAuthorNameLength) }) else {
            throw RecordRejection("author name longer than \(maxAuthorNameLength) characters")
        }
        if let count = raw.authorCount, count < 0 || count > maxCount { throw RecordRejection("authors_count out of range") }
        if let upvotes = raw.upvotes, upvotes < 0 || upvotes > maxCount { throw RecordRejection("upvotes out of range: \(upvotes)") }
        if let comments = raw.commentCount, comments < 0 || comments > maxCount { throw RecordRejection("comment count out of range") }

        let categories = raw.categories.map { clean($0) }.filter { !$0.isEmpty && !isLonger($0, than: 40) }
        let publishedAt = try date(raw.published, field: "published")
        let updatedAt = try date(raw.updated, field: "updated")
        var dailyDay: Day?
        if let text = raw.dailyDate {
            guard let day = Day(iso: text) else { throw RecordRejection("daily_date is not YYYY-MM-DD: \"\(text.prefix(40))\"") }
            dailyDay = day
        }
        let submittedOnDailyAt = try date(raw.submittedOnDailyAt, field: "submittedOnDailyAt") ?? dailyDay?.start
        let submitter = raw.submittedBy.map { clean($0) }.flatMap { $0.isEmpty ? nil : $0 }
        if let submitter, !isUsername(submitter) { throw RecordRejection("invalid submitter name \"\(submitter.prefix(40))\"") }

        let paper = Paper(
            id: id, title: title, abstract: abstract, authors: authors, authorCount: raw.authorCount,
            categories: categories, publishedAt: publishedAt, updatedAt: updatedAt, version: version,
            doi: optionalText(raw.doi), journalRef: optionalText(raw.journalRef),
            authorComments: optionalText(raw.authorComments),
            githubRepo: webURL(raw.githubRepo).flatMap(TextTools.githubRepository(in:))
                ?? TextTools.githubRepository(in: abstract),
            projectPage: webURL(raw.projectPage), pdfURL: webURL(raw.pdfURL), source: raw.source,
            dailyDay: dailyDay, submittedOnDailyAt: submittedOnDailyAt, submittedBy: submitter,
            upvotes: raw.upvotes ?? 0, commentCount: raw.commentCount ?? 0)
        return PaperRecord(paper: paper, hasUpvotes: raw.upvotes != nil, hasCommentCount: raw.commentCount != nil)
    }

    /// Drops control characters (including the list separator the store uses) but keeps line breaks and tabs.
    static func clean(_ text: String) -> String {
        guard mayContainControlCharacters(text) else { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.filter { $0.properties.generalCategory != .control || $0 == "\n" || $0 == "\t" })
        return String(scalars)
    }

    /// A byte scan for C0 controls other than tab and newline, DEL, and C1 controls (UTF-8 C2 80–9F),
    /// so clean text skips the per-character Unicode lookups.
    static func mayContainControlCharacters(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20, byte != 0x0A, byte != 0x09 { return true }
            if byte == 0x7F || (previous == 0xC2 && byte >= 0x80 && byte <= 0x9F) { return true }
            previous = byte
        }
        return false
    }

    /// Whether `text` has more than `limit` characters, without counting graphemes when the bytes already tell.
    static func isLonger(_ text: String, than limit: Int) -> Bool {
        text.utf8.count > limit && text.count > limit
    }

    static func optionalText(_ text: String?) -> String? {
        guard let text else { return nil }
        let cleaned = TextTools.collapseWhitespace(clean(text))
        return cleaned.isEmpty ? nil : String(cleaned.prefix(maxFieldLength))
    }

    /// Only http(s) links are kept: anything else (javascript:, data:) would become a live link on a page.
    static func webURL(_ text: String?) -> String? {
        guard let text = optionalText(text), !isLonger(text, than: maxFieldLength - 1),
              let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "https" || scheme == "http", url.host != nil
        else { return nil }
        return text
    }

    static func date(_ text: String?, field: String) throws(RecordRejection) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        guard let date = DateParsing.parse(text) else { throw RecordRejection("\(field) is not a date: \"\(text.prefix(40))\"") }
        return date
    }

    static func isLocalID(_ text: String) -> Bool {
        text.count <= 64 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
            && !text.hasPrefix(".") && !text.hasSuffix(".md")
    }

    static func isUsername(_ text: String) -> Bool {
        text.count <= 64 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
