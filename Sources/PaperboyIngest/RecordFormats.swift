import Foundation
import PaperboyCore

/// A record as read from a file, before validation.
struct RawRecord {
    var id: String?
    var title: String?
    var abstract: String?
    var authors: [String] = []
    var authorCount: Int?
    var categories: [String] = []
    var published: String?
    var updated: String?
    var version: Int?
    var doi: String?
    var journalRef: String?
    var authorComments: String?
    var githubRepo: String?
    var projectPage: String?
    var pdfURL: String?
    var source: String
    var dailyDate: String?
    var submittedOnDailyAt: String?
    var submittedBy: String?
    var upvotes: Int?
    var commentCount: Int?
}

/// One line of Paperboy's own JSON Lines. Every field but `title` is optional.
struct PaperboyLine: Decodable {
    var id: String?
    var title: String?
    var abstract: String?
    var authors: [String]?
    var authors_count: Int?
    var categories: [String]?
    var published: String?
    var updated: String?
    var version: Int?
    var doi: String?
    var journal_ref: String?
    var comments: String?
    var github: OneOrMany<String>?
    var project_page: String?
    var pdf_url: String?
    var daily_date: String?
    var submitted_by: String?
    var upvotes: Int?
    var num_comments: Int?

    var raw: RawRecord {
        RawRecord(
            id: id, title: title, abstract: abstract, authors: authors ?? [], authorCount: authors_count,
            categories: categories ?? [], published: published, updated: updated, version: version, doi: doi,
            journalRef: journal_ref, authorComments: comments, githubRepo: github?.values.first, projectPage: project_page,
            pdfURL: pdf_url, source: "paperboy", dailyDate: daily_date, submittedBy: submitted_by,
            upvotes: upvotes, commentCount: num_comments)
    }
}

/// One line of the arXiv metadata snapshot.
struct ArxivSnapshotLine: Decodable {
    struct Version: Decodable {
        var version: String
        var created: String
    }

    var id: String
    var submitter: String?
    var authors: String?
    var title: String?
    var comments: String?
    var journalRef: String?
    var doi: String?
    var categories: String?
    var abstract: String?
    var versions: [Version]?
    var update_date: String?
    var authors_parsed: [[String]]?

    enum CodingKeys: String, CodingKey {
        case id, submitter, authors, title, comments, doi, categories, abstract, versions, update_date, authors_parsed
        case journalRef = "journal-ref"
    }

    var raw: RawRecord {
        // authors_parsed is [last, first, suffix]; fall back to splitting the free-text field.
        let names: [String]
        if let parsed = authors_parsed, !parsed.isEmpty {
            names = parsed.map { parts in
                let last = parts.first ?? ""
                let first = parts.count > 1 ? parts[1] : ""
                let suffix = parts.count > 2 ? parts[2] : ""
                return [first, last, suffix].filter { !$0.isEmpty }.joined(separator: " ")
            }
        } else {
            names = ArxivAuthors.split(authors ?? "").map(\.name)
        }
        let versionNumbers = (versions ?? []).compactMap { Int($0.version.dropFirst()) }
        let latest = versionNumbers.max()
        return RawRecord(
            id: id, title: title, abstract: abstract, authors: names,
            categories: (categories ?? "").split(separator: " ").map(String.init),
            published: versions?.first?.created, updated: versions?.last?.created ?? update_date, version: latest,
            doi: doi, journalRef: journalRef, authorComments: comments,
            githubRepo: TextTools.githubRepository(in: (abstract ?? "") + " " + (comments ?? "")),
            pdfURL: "https://arxiv.org/pdf/\(id)", source: "arxiv")
    }
}

/// One element of the Hub's `/api/daily_papers` array.
struct HubDailyEntry: Decodable {
    struct HubUser: Decodable {
        var user: String?
        var fullname: String?
    }

    struct HubAuthor: Decodable {
        var name: String?
    }

    struct HubPaper: Decodable {
        var id: String?
        var title: String?
        var summary: String?
        var authors: [HubAuthor]?
        var publishedAt: String?
        var submittedOnDailyAt: String?
        var submittedOnDailyBy: HubUser?
        var upvotes: Int?
        var githubRepo: String?
        var projectPage: String?
    }

    var paper: HubPaper?
    var title: String?
    var summary: String?
    var publishedAt: String?
    var numComments: Int?
    var submittedBy: HubUser?

    var raw: RawRecord {
        let daily = paper?.submittedOnDailyAt ?? publishedAt
        return RawRecord(
            id: paper?.id, title: paper?.title ?? title, abstract: paper?.summary ?? summary,
            authors: (paper?.authors ?? []).compactMap(\.name), published: paper?.publishedAt,
            githubRepo: paper?.githubRepo, projectPage: paper?.projectPage,
            pdfURL: paper?.id.map { "https://arxiv.org/pdf/\($0)" }, source: "huggingface",
            dailyDate: daily.flatMap { DateParsing.parse($0) }.map { Day(containing: $0).iso },
            submittedOnDailyAt: daily, submittedBy: paper?.submittedOnDailyBy?.user ?? submittedBy?.user,
            upvotes: paper?.upvotes, commentCount: numComments)
    }
}
