import ArgumentParser
import PaperboyApp

/// `paperboy serve`'s options for the scheduled arXiv sync. With no categories there is no sync.
struct ArxivSyncOptions: ParsableArguments, ConfigurationFlags {
    @Option(name: .customLong("arxiv-categories"), help: "Harvest these arXiv categories by OAI-PMH on a schedule, e.g. cs.LG,cs.CL (env: PAPERBOY_ARXIV_CATEGORIES; default: no sync).")
    var categories: String?

    @Option(name: .customLong("arxiv-feed"), help: "all: new papers go on the feed of their submission day; curated: stored and searchable only (env: PAPERBOY_ARXIV_FEED; default: all).")
    var feed: String?

    @Option(name: .customLong("arxiv-oai"), help: "OAI-PMH endpoint (env: PAPERBOY_OAI_URL; default: https://oaipmh.arxiv.org/oai).")
    var oai: String?

    @Option(name: .customLong("arxiv-format"), help: "OAI-PMH metadata format, arXiv or arXivRaw (env: PAPERBOY_ARXIV_FORMAT; default: arXiv).")
    var format: String?

    @Option(name: .customLong("arxiv-sync-hours"), help: "Hours between harvests; the first runs at start-up (env: PAPERBOY_ARXIV_SYNC_HOURS; default: 6).")
    var hours: String?

    @Option(name: .customLong("arxiv-state"), help: "Folder for harvest checkpoints; the last successful run is kept in the database (env: PAPERBOY_ARXIV_STATE; default: var/ingest).")
    var state: String?

    @Option(name: .customLong("arxiv-request-interval"), help: "Seconds between requests to arXiv, at least 3 against arXiv itself (env: PAPERBOY_ARXIV_REQUEST_INTERVAL; default: 3).")
    var requestInterval: String?

    var flags: [PaperboyConfiguration.Key: String] {
        given([
            .arxivCategories: categories,
            .arxivFeed: feed,
            .oaiURL: oai,
            .arxivFormat: format,
            .arxivSyncHours: hours,
            .arxivState: state,
            .arxivRequestInterval: requestInterval,
        ])
    }
}
