import Foundation
import PaperboyCore

/// The JSON shapes of the Hugging Face papers API, field for field, so `huggingface_hub`
/// (`HfApi.list_daily_papers`, `paper_info`, `hf papers ls|info`) reads Paperboy unchanged.
enum HubAPI {
    struct Author: Encodable {
        let _id: String
        let name: String
        let hidden: Bool
    }

    struct User: Encodable {
        let _id: String
        let user: String
        let fullname: String
        let avatarUrl: String
        let type = "user"
        let isPro = false
    }

    /// `GET /api/papers/{id}` and the `paper` object inside a daily entry.
    struct Paper: Encodable {
        let id: String
        let authors: [Author]
        let publishedAt: String?
        let submittedOnDailyAt: String?
        let submittedOnDailyBy: User?
        let title: String
        let summary: String
        let upvotes: Int
        let numComments: Int
        let discussionId: String
        let githubRepo: String?
        let projectPage: String?
        let categories: [String]
        let doi: String?
        let journalRef: String?
        let version: Int?
        let source: String
        // Issue 19, with the Hub's names.
        let githubStars: Int?
        let ai_keywords: [String]
        let thumbnail: String?
    }

    /// One element of `GET /api/daily_papers`.
    struct DailyEntry: Encodable {
        let paper: Paper
        /// On the Hub this is when the paper reached the daily feed.
        let publishedAt: String?
        let title: String
        let summary: String
        /// Not on the Hub's entries; huggingface_hub reads `paper.upvotes or upvotes`, so a paper with
        /// no votes would show an empty count without it.
        let upvotes: Int
        let thumbnail: String?
        let numComments: Int
        let submittedBy: User?
        let isAuthorParticipating = false
    }

    struct ErrorBody: Encodable {
        let error: String
    }

    /// The rendered first page, as an absolute URL (the Hub's thumbnails are on its CDN).
    static func thumbnail(_ paper: PaperboyCore.Paper, baseURL: String) -> String? {
        paper.thumbnail == .image ? baseURL + Links.thumbnail(paper.id, size: .large) : nil
    }

    static func paper(_ paper: PaperboyCore.Paper, baseURL: String) -> Paper {
        // Stable per-paper and per-user ids where the Hub has Mongo ObjectIds.
        let authors = paper.authors.enumerated().map { index, name in
            Author(_id: "\(paper.id)-author-\(index)", name: name, hidden: false)
        }
        return Paper(
            id: paper.id,
            authors: authors,
            publishedAt: paper.publishedAt.map(DateParsing.iso8601String),
            submittedOnDailyAt: paper.submittedOnDailyAt.map(DateParsing.iso8601String),
            submittedOnDailyBy: paper.submittedBy.map(user),
            title: paper.title,
            summary: paper.abstract,
            upvotes: paper.upvotes,
            numComments: paper.commentCount,
            discussionId: "discussion-\(paper.id)",
            githubRepo: paper.githubRepo,
            projectPage: paper.projectPage,
            categories: paper.categories,
            doi: paper.doi,
            journalRef: paper.journalRef,
            version: paper.version,
            source: paper.source,
            githubStars: paper.githubRepo == nil ? nil : paper.githubStars,
            ai_keywords: paper.keyPhrases,
            thumbnail: thumbnail(paper, baseURL: baseURL))
    }

    static func dailyEntry(_ paper: PaperboyCore.Paper, baseURL: String) -> DailyEntry {
        let body = self.paper(paper, baseURL: baseURL)
        return DailyEntry(
            paper: body,
            publishedAt: body.submittedOnDailyAt ?? body.publishedAt,
            title: paper.title,
            summary: paper.abstract,
            upvotes: paper.upvotes,
            thumbnail: body.thumbnail,
            numComments: paper.commentCount,
            submittedBy: body.submittedOnDailyBy)
    }

    static func user(_ username: String) -> User {
        User(_id: "user-\(username)", user: username, fullname: username, avatarUrl: "")
    }
}
