import Foundation
import Logging
import PaperboyCore
import PaperboyStore

/// Renders a PDF's first page with `pdftoppm` (Debian's poppler-utils) and encodes it as WebP at
/// two widths with `cwebp` (Debian's webp). Each program runs under `timeout` and `prlimit`: a
/// wall-clock limit, an address-space limit and a CPU limit, so a hostile or enormous PDF costs
/// at most that and becomes a placeholder.
public struct ThumbnailRenderer: Sendable {
    public struct Limits: Sendable {
        public var seconds: Int
        public var memoryBytes: Int

        public init(seconds: Int = 30, memoryBytes: Int = 768 << 20) {
            self.seconds = seconds
            self.memoryBytes = memoryBytes
        }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// A program is not installed: an operator's problem, not the PDF's.
        case missingTool(String)
        /// The PDF could not be rendered (broken, too large, too slow): it gets a placeholder.
        case unrenderable(String)

        public var description: String {
            switch self {
            case .missingTool(let tool): "\(tool) is not installed (Debian: apt-get install poppler-utils webp)"
            case .unrenderable(let reason): "cannot render the first page: \(reason)"
            }
        }
    }

    public let limits: Limits
    let tools: (pdftoppm: String, cwebp: String, timeout: String, prlimit: String, nice: String)

    public init(limits: Limits = Limits()) throws(Failure) {
        self.limits = limits
        func find(_ name: String) throws(Failure) -> String {
            for folder in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
            throw .missingTool(name)
        }
        tools = (try find("pdftoppm"), try find("cwebp"), try find("timeout"), try find("prlimit"), try find("nice"))
    }

    /// Both sizes of `pdf`'s first page as WebP.
    public func render(_ pdf: Data) async throws(Failure) -> ThumbnailImages {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-thumbnail-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try pdf.write(to: folder.appendingPathComponent("paper.pdf"))
        } catch {
            throw .unrenderable("cannot write a temporary file: \(error)")
        }
        guard pdf.starts(with: Array("%PDF".utf8)) else { throw .unrenderable("not a PDF") }
        let page = folder.appendingPathComponent("page").path
        try await run(tools.pdftoppm, ["-f", "1", "-l", "1", "-singlefile", "-png", "-scale-to-x", String(ThumbnailSize.large.width),
                                       "-scale-to-y", "-1", folder.appendingPathComponent("paper.pdf").path, page], what: "pdftoppm")
        var encoded: [ThumbnailSize: Data] = [:]
        for size in ThumbnailSize.allCases {
            let output = folder.appendingPathComponent("\(size.rawValue).webp")
            try await run(tools.cwebp, ["-quiet", "-q", "78", "-resize", String(size.width), "0", page + ".png", "-o", output.path], what: "cwebp")
            guard let data = FileManager.default.contents(atPath: output.path), !data.isEmpty else { throw .unrenderable("cwebp wrote nothing") }
            encoded[size] = data
        }
        return ThumbnailImages(mediaType: "image/webp", small: encoded[.small] ?? Data(), large: encoded[.large] ?? Data())
    }

    /// Runs `program` under the limits; a non-zero exit (including being killed) is `unrenderable`.
    func run(_ program: String, _ arguments: [String], what: String) async throws(Failure) {
        let process = Process()
        // At the lowest priority, like all background work: a render never slows a request (issue 20).
        process.executableURL = URL(fileURLWithPath: tools.nice)
        process.arguments = ["-n", "19", tools.timeout, "--signal=KILL", "\(limits.seconds)s", tools.prlimit, "--as=\(limits.memoryBytes)", "--cpu=\(limits.seconds)", "--", program] + arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        let status: Int32
        let killed: Bool
        do {
            (status, killed) = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Int32, Bool), any Error>) in
                process.terminationHandler = { finished in
                    continuation.resume(returning: (finished.terminationStatus, finished.terminationReason == .uncaughtSignal))
                }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: error)
                }
            }
        } catch {
            throw .unrenderable("cannot start \(what): \(error)")
        }
        guard status == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile().prefix(300), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            // `timeout --signal=KILL` kills the program and then itself with the same signal.
            let timedOut = (killed && status == SIGKILL) || status == 124 || status == 128 + SIGKILL
            let reason = timedOut ? "took longer than \(limits.seconds) s"
                : killed ? "\(what) was stopped by signal \(status) (over the memory or CPU limit?)"
                : "\(what) exited with \(status)\(message.isEmpty ? "" : ": \(message)")"
            throw .unrenderable(reason)
        }
    }
}

/// Where PDFs come from: arXiv's polite gate in the server and the command (`ArxivAPIClient`).
public protocol PDFSource: Sendable {
    func download(_ url: String, maxBytes: Int) async throws -> Data
}

extension ArxivAPIClient: PDFSource {}

/// Renders thumbnails for papers that have none, resumably: each paper's outcome is stored as it
/// is done, so a stopped run continues where it was. Broken, huge or slow PDFs get a placeholder;
/// when the network fails the run stops and the paper stays to do.
public struct ThumbnailBackfill: Sendable {
    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        public var rendered = 0
        public var placeholders = 0
        /// Set when the run stopped because PDFs could not be fetched.
        public var stoppedBy: String?

        public init(rendered: Int = 0, placeholders: Int = 0, stoppedBy: String? = nil) {
            self.rendered = rendered
            self.placeholders = placeholders
            self.stoppedBy = stoppedBy
        }

        public var description: String {
            "\(rendered) rendered / \(placeholders) placeholders" + (stoppedBy.map { "; stopped: \($0)" } ?? "")
        }
    }

    public let store: any PaperStore
    public let source: any PDFSource
    public let renderer: ThumbnailRenderer
    /// PDFs larger than this are not downloaded: a placeholder stands in.
    public var maxPDFBytes: Int
    let logger: Logger
    let now: @Sendable () -> Date

    public init(store: any PaperStore, source: any PDFSource, renderer: ThumbnailRenderer, maxPDFBytes: Int = 40 << 20,
                logger: Logger = Logger(label: "paperboy.thumbnails"), now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.source = source
        self.renderer = renderer
        self.maxPDFBytes = maxPDFBytes
        self.logger = logger
        self.now = now
    }

    /// `arrivedSince`: only papers first stored since then (the server's new arrivals); nil for
    /// every paper (the backfill command).
    public func run(limit: Int? = nil, arrivedSince: Date? = nil, progress: (@Sendable (Summary) -> Void)? = nil) async throws -> Summary {
        var summary = Summary()
        var after: UInt32 = 0
        while limit.map({ summary.rendered + summary.placeholders < $0 }) ?? true {
            let batch = try await store.papersNeedingThumbnails(afterKey: after, arrivedSince: arrivedSince, limit: 20)
            guard !batch.isEmpty else { break }
            for paper in batch {
                try Task.checkCancellation()
                after = paper.key
                let pdf: Data
                do {
                    pdf = try await source.download(paper.pdfURL, maxBytes: maxPDFBytes)
                } catch let error as ArxivAPIClient.ClientError {
                    // A PDF too large, or one the server refuses for good (404, 403), is this
                    // paper's problem; anything else (network, 5xx) stops the run until later.
                    let permanent = switch error {
                    case .tooLarge: true
                    case .http(let status): (400..<500).contains(status) && status != 429
                    default: false
                    }
                    guard permanent else {
                        summary.stoppedBy = "\(paper.pdfURL): \(error)"
                        return summary
                    }
                    try await placeholder(paper, reason: error.description, summary: &summary)
                    progress?(summary)
                    continue
                }
                do {
                    let images = try await renderer.render(pdf)
                    try await store.saveThumbnail(paperKey: paper.key, images: images, now: now())
                    summary.rendered += 1
                } catch ThumbnailRenderer.Failure.unrenderable(let reason) {
                    try await placeholder(paper, reason: reason, summary: &summary)
                }
                progress?(summary)
                if let limit, summary.rendered + summary.placeholders >= limit { break }
            }
        }
        return summary
    }

    func placeholder(_ paper: ThumbnailSource, reason: String, summary: inout Summary) async throws {
        logger.info("thumbnail of \(paper.paperID): placeholder (\(reason))")
        try await store.saveThumbnail(paperKey: paper.key, images: nil, now: now())
        summary.placeholders += 1
    }
}
