import CompressNIO
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What a 200 page is sent as besides its body: its validators (`ETag`, `Last-Modified`) and, for
/// text worth compressing, its gzip form. The page cache makes these once per cached page, so a
/// cached page is hashed and compressed once, not once per request.
struct PageRepresentations: Sendable {
    /// A weak validator (`W/"…"`): the plain and the gzip form are the same content, so one tag
    /// names both, and nginx's gzip (which weakens strong tags) does not break it. nil for a
    /// page made for one signed-in reader (`response(to:)`).
    let etag: String?
    /// When this content first appeared in this process; nil for pages never cached.
    let lastModified: Date?
    /// `lastModified` as the header writes it, formatted once.
    let lastModifiedText: String?
    /// The body gzip-compressed, when the type is text and the body long enough to gain from it.
    let gzipped: ByteBuffer?

    /// Bodies shorter than this are sent as they are: the gzip header and a packet's worth of
    /// bytes would save nothing.
    static let minimumCompressedLength = 1024

    /// `level`: zlib's default for what the page cache keeps (compressed once, sent many times);
    /// a page made for one request (signed in, or the cache off) is compressed at level 1: the
    /// uncached daily page for a client that accepts gzip went from 1,503–1,516 to 1,971–2,002
    /// req/s, for a body 12% larger (BENCHMARKS.md, issue 17).
    /// `validated`: false for a page no cache keeps, which goes without an ETag.
    init(body: ByteBuffer, contentType: String, etag: String? = nil, validated: Bool = true, lastModified: Date?, compress: Bool = true,
         level: ZlibConfiguration.CompressionLevel = .defaultCompressionLevel) {
        self.etag = validated ? etag ?? Self.etag(of: body) : nil
        self.lastModified = lastModified
        lastModifiedText = lastModified.map(HTTPDate.format)
        gzipped = compress ? Self.gzip(body, contentType: contentType, level: level) : nil
    }

    static func etag(of body: ByteBuffer) -> String {
        let digest = body.withUnsafeReadableBytes { SHA256.hash(data: $0) }
        let hex = digest.prefix(16).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        return "W/\"\(hex)\""
    }

    /// HTML, JSON, Atom, Markdown, CSS and plain text; not images or anything already compressed.
    static func isCompressible(_ contentType: String) -> Bool {
        // Spaces and tabs trimmed by hand: Foundation's trimming built a character set per call,
        // 2% of an uncached daily page (perf).
        let type = contentType.prefix { $0 != ";" }.drop { $0 == " " || $0 == "\t" }.lowercased()
        let trimmed = type.hasSuffix(" ") || type.hasSuffix("\t") ? String(type.reversed().drop { $0 == " " || $0 == "\t" }.reversed()) : type
        return trimmed.hasPrefix("text/") || trimmed == "application/json" || trimmed == "application/atom+xml" || trimmed == "application/xml"
    }

    static func gzip(_ body: ByteBuffer, contentType: String, level: ZlibConfiguration.CompressionLevel = .defaultCompressionLevel) -> ByteBuffer? {
        guard body.readableBytes >= minimumCompressedLength, isCompressible(contentType) else { return nil }
        var input = body
        // zlib only fails for want of memory; the page then goes out uncompressed.
        guard let compressed = try? input.compress(with: .gzip(configuration: .init(compressionLevel: level))) else { return nil }
        return compressed.readableBytes < body.readableBytes ? compressed : nil
    }
}

extension Page {
    /// The response to `request`: 304 when the client's copy is current, the gzip body when the
    /// client accepts it, the plain body otherwise. Only 200 pages carry validators, and not a
    /// page made for one signed-in reader: `SessionMiddleware` sends it `private, no-store`, so no
    /// cache keeps it and nothing would ever revalidate it, and hashing it for an ETag was 7% of
    /// the signed-in daily page's CPU (perf, issue 17).
    func response(to request: Request) -> Response {
        guard status == .ok else { return response() }
        let negotiation = ContentNegotiation(request.headers)
        let representations = self.representations
            ?? PageRepresentations(
                body: body, contentType: contentType, validated: Viewer.current == nil, lastModified: nil,
                compress: negotiation.acceptsGzip, level: .fastestCompression)
        var headers: HTTPFields = [.contentType: contentType]
        if let cacheControl { headers[.cacheControl] = cacheControl }
        if let lastModified = representations.lastModifiedText { headers[.lastModified] = lastModified }
        if PageRepresentations.isCompressible(contentType) { headers[.vary] = "Accept-Encoding" }
        if let etag = representations.etag {
            headers[.eTag] = etag
            if negotiation.isNotModified(etag: etag, lastModified: representations.lastModified) {
                headers[.contentType] = nil
                return Response(status: .notModified, headers: headers)
            }
        }
        if negotiation.acceptsGzip, let gzipped = representations.gzipped {
            headers[.contentEncoding] = "gzip"
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: gzipped))
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}

/// `--compression off`: every client is answered as if it accepted no encoding (for a proxy
/// that compresses itself, or to measure what compression costs).
struct IdentityEncodingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var head = request.head
        head.headerFields[.acceptEncoding] = nil
        return try await next(Request(head: head, body: request.body), context)
    }
}

/// The request headers that choose between a page's representations.
struct ContentNegotiation {
    let acceptsGzip: Bool
    let ifNoneMatch: String?
    let ifModifiedSince: Date?

    init(_ headers: HTTPFields) {
        // Most requests send one Accept-Encoding line and no validators: no arrays for them.
        if let encodings = headers[.acceptEncoding] {
            let lines = headers[values: .acceptEncoding]
            acceptsGzip = Self.acceptsGzip(lines.count == 1 ? encodings : lines.joined(separator: ","))
        } else {
            acceptsGzip = false
        }
        ifNoneMatch = headers[.ifNoneMatch] == nil ? nil : headers[values: .ifNoneMatch].joined(separator: ",")
        ifModifiedSince = headers[.ifModifiedSince].flatMap(HTTPDate.parse)
    }

    /// RFC 9110 §12.5.3: gzip (or x-gzip) with a non-zero weight, or `*` with one when gzip is not named.
    static func acceptsGzip(_ header: String) -> Bool {
        var star: Bool?
        for item in header.utf8.split(separator: UInt8(ascii: ",")) {
            var parts = item.split(separator: UInt8(ascii: ";")).makeIterator()
            guard let coding = parts.next().map(trimmed), !coding.isEmpty else { continue }
            var weight = 1.0
            while let parameter = parts.next() {
                let pair = parameter.split(separator: UInt8(ascii: "="), maxSplits: 1)
                if pair.count == 2, equalsIgnoringCase(trimmed(pair[0]), "q") {
                    weight = Double(String(decoding: trimmed(pair[1]), as: UTF8.self)) ?? 0
                }
            }
            if equalsIgnoringCase(coding, "gzip") || equalsIgnoringCase(coding, "x-gzip") { return weight > 0 }
            if equalsIgnoringCase(coding, "*") { star = weight > 0 }
        }
        return star ?? false
    }

    private static func trimmed(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var text = bytes
        while let first = text.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { text = text.dropFirst() }
        while let last = text.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { text = text.dropLast() }
        return text
    }

    private static func equalsIgnoringCase(_ bytes: Substring.UTF8View.SubSequence, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { byte, letter in (byte | 0x20) == letter || byte == letter }
        }
    }

    /// RFC 9110 §13.1.2 and §13.2.2: `If-None-Match` (weak comparison) decides when present;
    /// otherwise `If-Modified-Since`, to the second.
    func isNotModified(etag: String, lastModified: Date?) -> Bool {
        if let ifNoneMatch {
            let opaque = Self.opaqueTag(etag)
            return ifNoneMatch.split(separator: ",").contains { candidate in
                let tag = candidate.trimmingCharacters(in: .whitespaces)
                return tag == "*" || Self.opaqueTag(tag) == opaque
            }
        }
        guard let ifModifiedSince, let lastModified else { return false }
        return lastModified.timeIntervalSince1970.rounded(.down) <= ifModifiedSince.timeIntervalSince1970
    }

    private static func opaqueTag(_ tag: String) -> Substring {
        tag.hasPrefix("W/") ? tag.dropFirst(2) : Substring(tag)
    }
}

/// HTTP dates (RFC 9110 §5.6.7): written as IMF-fixdate, read in all three forms.
enum HTTPDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    static func format(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let dayNumber = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - dayNumber * 86_400
        let (year, month, day) = civil(fromDays: dayNumber)
        let weekday = days[((dayNumber % 7) + 7) % 7]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekday), \(two(day)) \(months[month - 1]) \(year) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) GMT"
    }

    /// IMF-fixdate, RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) or asctime (`Sun Nov  6 08:49:37 1994`);
    /// nil for anything else, and then the header is ignored (§13.1.3).
    static func parse(_ text: String) -> Date? {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var day: Int?, monthName: String?, year: Int?, clock: String?
        if words.count == 6, words[5] == "GMT", words[0].hasSuffix(",") {
            (day, monthName, year, clock) = (Int(words[1]), words[2], Int(words[3]), words[4])
        } else if words.count == 4, words[3] == "GMT", words[0].hasSuffix(",") {
            let parts = words[1].split(separator: "-").map(String.init)
            guard parts.count == 3, let shortYear = Int(parts[2]), parts[2].count == 2 else { return nil }
            // RFC 9110: a two-digit year more than 50 years ahead is in the past century.
            (day, monthName, year, clock) = (Int(parts[0]), parts[1], shortYear + (shortYear < 70 ? 2000 : 1900), words[2])
        } else if words.count == 5 {
            (day, monthName, year, clock) = (Int(words[2]), words[1], Int(words[4]), words[3])
        }
        guard let day, let monthName, let year, let clock, let month = months.firstIndex(of: monthName),
              (1...31).contains(day), (1...9999).contains(year) else { return nil }
        let time = clock.split(separator: ":").map { Int($0) }
        guard time.count == 3, let hour = time[0], let minute = time[1], let second = time[2],
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        let days = days(fromCivil: year, month: month + 1, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second))
    }

    // Howard Hinnant's days-from-civil and its inverse: exact for the proleptic Gregorian calendar.
    private static func days(fromCivil year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted + (shifted < 10 ? 3 : -9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
