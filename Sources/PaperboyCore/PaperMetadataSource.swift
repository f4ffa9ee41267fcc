import Foundation

/// Where submitted arXiv ids get their metadata: the arXiv API once ingestion is configured.
public protocol PaperMetadataSource: Sendable {
    /// The paper for an arXiv id (no version), or nil when the source does not know it.
    func record(arxivID: String) async throws -> PaperRecord?
    /// Said to the submitter when `record` found nothing.
    var notFoundAdvice: String { get }
}

/// Until the arXiv client is configured, only papers already in the database can be submitted.
public struct LocalOnlyMetadataSource: PaperMetadataSource {
    public init() {}
    public func record(arxivID: String) async throws -> PaperRecord? { nil }
    public var notFoundAdvice: String {
        "It is not in this site's database, and this site does not fetch from arXiv (no arXiv sync is configured). Import it first, or ask an admin to enable arXiv fetching."
    }
}
