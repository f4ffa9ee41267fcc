import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
@testable import PaperboyWeb
import Testing

/// Decompresses with Debian's gzip, an implementation independent of the server's zlib binding.
func gunzip(_ bytes: ByteBuffer) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-dc"]
    let input = Pipe(), output = Pipe(), errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = Data(bytes.readableBytesView)
    // Written from another thread: gzip's output pipe would fill while we still write its input.
    let writer = Thread {
        input.fileHandleForWriting.write(data)
        try? input.fileHandleForWriting.close()
    }
    writer.start()
    let text = output.fileHandleForReading.readDataToEndOfFile()
    let problem = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw GunzipFailed(description: "gzip -dc failed: \(String(decoding: problem, as: UTF8.self))")
    }
    return String(decoding: text, as: UTF8.self)
}

struct GunzipFailed: Error, CustomStringConvertible { let description: String }

extension TestClientProtocol {
    /// `method` on `uri` with `headers`: status, raw body bytes and headers.
    func send(_ uri: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:]) async throws -> (status: HTTPResponse.Status, body: ByteBuffer, headers: HTTPFields) {
        try await execute(uri: uri, method: method, headers: headers) { response in
            (response.status, response.body, response.headers)
        }
    }
}

@Suite struct HTTPCachingTests {
    /// Pages, the API, the Atom feed and a Markdown export: every kind the page cache keeps.
    static let cachedAddresses = ["/", "/api/daily_papers", "/feed.atom", "/papers/2502.00001.md", "/papers/2502.00001", "/search?q=sparse"]

    /// Which bodies are gzipped, by media type: parameters, case and spaces around it do not matter.
    /// A weak ETag of the body's SHA-256, its first 16 bytes in lower-case hex (FIPS 180-2's
    /// "abc" vector), the same for the same bytes and different for others.
    @Test func etag_isTheFirstHalfOfTheBodysSHA256() {
        #expect(PageRepresentations.etag(of: ByteBuffer(string: "abc")) == #"W/"ba7816bf8f01cfea414140de5dae2223""#)
        #expect(PageRepresentations.etag(of: ByteBuffer(string: "")) == #"W/"e3b0c44298fc1c149afbf4c8996fb924""#)
        #expect(PageRepresentations.etag(of: ByteBuffer(string: "abd")) != PageRepresentations.etag(of: ByteBuffer(string: "abc")))
    }

    @Test func isCompressible_readsTheMediaTypeAlone() {
        for type in ["text/html; charset=utf-8", "TEXT/CSS", " application/json ", "application/atom+xml;charset=utf-8", "\tapplication/xml\t; q=1"] {
            #expect(PageRepresentations.isCompressible(type), "\(type)")
        }
        for type in ["image/png", "application/gzip", "", ";text/html", "application/jsonx", "image/svg+xml"] {
            #expect(!PageRepresentations.isCompressible(type), "\(type)")
        }
    }

    @Test func cachedPages_carryValidators_andAnswer304ToEitherOne() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            for address in Self.cachedAddresses {
                let first = try await client.send(address)
                #expect(first.status == .ok, "\(address)")
                let etag = try #require(first.headers[.eTag], "\(address) has no ETag")
                #expect(etag.hasPrefix("W/\"") && etag.hasSuffix("\""))
                let lastModified = try #require(first.headers[.lastModified], "\(address) has no Last-Modified")
                // The page cache's clock is the fixture's: the page appeared at testNow.
                #expect(lastModified == "Tue, 04 Feb 2025 12:00:00 GMT")

                let byTag = try await client.send(address, headers: [.ifNoneMatch: etag])
                #expect(byTag.status == .notModified, "\(address)")
                #expect(byTag.body.readableBytes == 0)
                #expect(byTag.headers[.eTag] == etag)
                #expect(byTag.headers[.vary] == "Accept-Encoding")
                // A list, with the tag in its strong spelling, still matches (weak comparison).
                let listed = try await client.send(address, headers: [.ifNoneMatch: "\"other\", \(etag.dropFirst(2))"])
                #expect(listed.status == .notModified, "\(address)")

                let byDate = try await client.send(address, headers: [.ifModifiedSince: lastModified])
                #expect(byDate.status == .notModified, "\(address)")
                let later = try await client.send(address, headers: [.ifModifiedSince: "Wed, 05 Feb 2025 00:00:00 GMT"])
                #expect(later.status == .notModified, "\(address)")
            }
        }
    }

    @Test func changedOrOlderValidators_getTheWholePage() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let first = try await client.send("/feed.atom")
            let body = String(buffer: first.body)
            let stale = try await client.send("/feed.atom", headers: [.ifNoneMatch: "W/\"0123456789abcdef0123456789abcdef\""])
            #expect(stale.status == .ok)
            #expect(String(buffer: stale.body) == body)
            let older = try await client.send("/feed.atom", headers: [.ifModifiedSince: "Tue, 04 Feb 2025 11:59:59 GMT"])
            #expect(older.status == .ok)
            #expect(String(buffer: older.body) == body)
            // If-None-Match decides when both are sent (RFC 9110 §13.2.2): a date alone would match.
            let both = try await client.send("/feed.atom", headers: [.ifNoneMatch: "W/\"different\"", .ifModifiedSince: "Wed, 05 Feb 2025 00:00:00 GMT"])
            #expect(both.status == .ok)
            // A date that is not an HTTP date is ignored, not taken as "long ago" or "now".
            let garbage = try await client.send("/feed.atom", headers: [.ifModifiedSince: "yesterday"])
            #expect(garbage.status == .ok)
        }
    }

    @Test func head_answers304AndGzipHeadersLikeGet() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let get = try await client.send("/", headers: [.acceptEncoding: "gzip"])
            let head = try await client.send("/", method: .head, headers: [.acceptEncoding: "gzip"])
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentEncoding] == "gzip")
            #expect(head.headers[.contentLength] == String(get.body.readableBytes))
            #expect(head.headers[.eTag] == get.headers[.eTag])
            let conditional = try await client.send("/", method: .head, headers: [.ifNoneMatch: try #require(get.headers[.eTag])])
            #expect(conditional.status == .notModified)
        }
    }

    @Test func gzip_whenAccepted_decompressesToThePlainBody_forEveryTextType() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            for address in Self.cachedAddresses + ["/static/paperboy.css", "/api/openapi.json"] {
                let plain = try await client.send(address)
                let compressed = try await client.send(address, headers: [.acceptEncoding: "br;q=1.0, gzip;q=0.8, *;q=0.1"])
                #expect(plain.headers[.contentEncoding] == nil)
                #expect(plain.headers[.vary] == "Accept-Encoding", "\(address)")
                #expect(compressed.headers[.vary] == "Accept-Encoding")
                guard plain.body.readableBytes >= PageRepresentations.minimumCompressedLength else { continue }
                #expect(compressed.headers[.contentEncoding] == "gzip", "\(address)")
                #expect(compressed.body.readableBytes < plain.body.readableBytes, "\(address)")
                #expect(try gunzip(compressed.body) == String(buffer: plain.body), "\(address)")
                // One tag names both forms, so a client switching encodings still gets its 304.
                #expect(compressed.headers[.eTag] == plain.headers[.eTag])
            }
        }
    }

    /// A page made for one request (the cache off, or a signed-in page) is compressed at zlib's
    /// fastest level: it is compressed for that one answer, and the default level cost a third of
    /// an uncached daily page's rate (BENCHMARKS.md, issue 17). It still decompresses to the page.
    @Test func gzip_ofAnUncachedPage_isTheFastestLevel_andDecompressesToThePlainBody() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        try await fixture.test { client in
            let plain = try await client.send("/")
            let compressed = try await client.send("/", headers: [.acceptEncoding: "gzip"])
            #expect(compressed.headers[.contentEncoding] == "gzip")
            #expect(try gunzip(compressed.body) == String(buffer: plain.body))
            let fastest = try #require(PageRepresentations.gzip(plain.body, contentType: "text/html; charset=utf-8", level: .fastestCompression))
            #expect(compressed.body == fastest)
            #expect(compressed.headers[.eTag] == plain.headers[.eTag])
        }
    }

    @Test func gzip_refusedOrNotOffered_sendsThePlainBody() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let plain = try await client.send("/")
            for header in ["gzip;q=0", "identity", "br", "*;q=0", "gzip;q=0, *"] {
                let answer = try await client.send("/", headers: [.acceptEncoding: header])
                #expect(answer.headers[.contentEncoding] == nil, "Accept-Encoding: \(header)")
                #expect(answer.body == plain.body)
            }
        }
    }

    @Test func errorsAndSmallBodies_areNotCompressedOrValidated() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let missing = try await client.send("/papers/9999.99999", headers: [.acceptEncoding: "gzip"])
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentEncoding] == nil)
            #expect(missing.headers[.eTag] == nil)
            let small = try await client.send("/healthz", headers: [.acceptEncoding: "gzip"])
            #expect(small.headers[.contentEncoding] == nil)
        }
    }

    @Test func pageCache_hashesAndCompressesOnce_andKeepsLastModifiedForUnchangedContent() async throws {
        let fixture = try await WebFixture()
        let clock = TestClock(testNow)
        let cache = PageCache(store: fixture.store, lifetime: .milliseconds(1), now: { clock.now })
        let body = String(repeating: "<p>the same daily page</p>\n", count: 200)
        let first = try await cache.page(for: SecurityTests.request("/")) { Responses.html(body) }
        let kept = try #require(first.representations)
        #expect(kept.gzipped != nil)
        #expect(kept.lastModified == testNow)
        // Expired and rendered again an hour later with the same content: the same representations.
        clock.now = testNow.addingTimeInterval(3600)
        try await Task.sleep(for: .milliseconds(5))
        let again = try await cache.page(for: SecurityTests.request("/")) { Responses.html(body) }
        #expect(again.representations?.lastModified == testNow)
        #expect(again.representations?.gzipped == kept.gzipped)
        // New content: a new tag and the time it appeared.
        try await Task.sleep(for: .milliseconds(5))
        let changed = try await cache.page(for: SecurityTests.request("/")) { Responses.html(body + "<p>one more</p>") }
        #expect(changed.representations?.etag != kept.etag)
        #expect(changed.representations?.lastModified == testNow.addingTimeInterval(3600))
    }

    @Test func acceptEncoding_parsing() {
        #expect(ContentNegotiation.acceptsGzip("gzip"))
        #expect(ContentNegotiation.acceptsGzip("gzip, deflate, br"))
        #expect(ContentNegotiation.acceptsGzip("deflate, GZIP;q=0.5"))
        #expect(ContentNegotiation.acceptsGzip("x-gzip"))
        #expect(ContentNegotiation.acceptsGzip("br, *;q=0.1"))
        #expect(!ContentNegotiation.acceptsGzip(""))
        #expect(!ContentNegotiation.acceptsGzip("gzip;q=0"))
        #expect(!ContentNegotiation.acceptsGzip("gzip; q=0.000"))
        #expect(!ContentNegotiation.acceptsGzip("*, gzip;q=0"))
        #expect(!ContentNegotiation.acceptsGzip("identity, br"))
        #expect(!ContentNegotiation.acceptsGzip("gzip;q=banana"))
    }

    @Test func httpDates_writtenAsFixdate_readInAllThreeForms() {
        let date = Date(timeIntervalSince1970: 784_111_777)
        #expect(HTTPDate.format(date) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(testNow) == "Tue, 04 Feb 2025 12:00:00 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == date)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == date)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == date)
        for bad in ["", "yesterday", "Sun, 06 Nov 1994 08:49:37 CET", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT"] {
            #expect(HTTPDate.parse(bad) == nil, "\(bad)")
        }
        // Every day of several years survives a round trip.
        for day in stride(from: -800, to: 40_000, by: 13) {
            let moment = Date(timeIntervalSince1970: Double(day) * 86_400 + 45_296)
            #expect(HTTPDate.parse(HTTPDate.format(moment)) == moment)
        }
    }
}

/// A clock a test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Date
    init(_ start: Date) { value = start }
    var now: Date {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
