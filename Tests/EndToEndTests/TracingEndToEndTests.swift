import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyTestSupport
import Synchronization
import Testing

/// Issue 18, item 2: `serve --otlp-endpoint` sends each request's trace by OTLP/HTTP. A local
/// collector (an HTTP server that keeps what is posted to `/v1/traces`) receives the protobuf
/// export, which the test decodes by the protobuf wire format itself.
@Suite(.serialized) struct TracingEndToEndTests {
    /// What the collector received: one export request body per POST.
    final class Received: Sendable {
        let bodies = Mutex<[[UInt8]]>([])
        let contentTypes = Mutex<[String]>([])
    }

    static func collector(_ received: Received) -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            received.bodies.withLock { $0.append(Array(body.readableBytesView)) }
            received.contentTypes.withLock { $0.append(request.headers[.contentType] ?? "") }
            // An empty ExportTraceServiceResponse: all spans accepted.
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf"], body: ResponseBody(byteBuffer: ByteBuffer()))
        }
        return Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test func otlpEndpoint_requestTrace_spansRouteSearchAndStore_asParentsAndChildren() async throws {
        let directory = try TemporaryDirectory()
        let database = try OperationsEndToEndTests.seeded(directory)
        let received = Received()
        try await Self.collector(received).test(.live) { client in
            let collector = "http://127.0.0.1:\(try #require(client.port))"
            let server = try ServerProcess(database: database, extraArguments: [
                "--mail", directory.path("mail"), "--digest-hour=-1", "--arxiv-api", "off", "--log-level", "notice",
                "--otlp-endpoint", collector,
            ])
            defer { _ = server.stop() }
            #expect(server.serverOutput().contains("tracing: requests' spans go to \(collector)/v1/traces"), "\(server.serverOutput())")
            // With the model loaded the search is hybrid, whether or not the background embedding
            // of the imported papers has finished.
            let callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
            let callerSpan = "00f067aa0ba902b7"
            // A caller that is itself traced passes its context (W3C traceparent); the request joins its trace.
            let answer = try RawConnection.exchange(port: server.port, """
                GET /search?q=attention+zebracorn&mode=hybrid HTTP/1.1\r
                Host: 127.0.0.1\r
                traceparent: 00-\(callerTrace)-\(callerSpan)-01\r
                Connection: close\r
                \r

                """)
            #expect(answer.httpStatus == 200)
            // The batch processor exports every 5 s, and at shutdown what is left.
            var spans: [OTLPSpan] = []
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                spans = try received.bodies.withLock { $0 }.flatMap(OTLPSpan.decode(exportRequest:))
                if spans.contains(where: { $0.name == "/search" }), spans.contains(where: { $0.name == "search" }) { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(server.stop() == 0)
            spans = try received.bodies.withLock { $0 }.flatMap(OTLPSpan.decode(exportRequest:))
            #expect(received.contentTypes.withLock { $0 }.allSatisfy { $0 == "application/x-protobuf" })

            let route = try #require(spans.first { $0.name == "/search" }, "spans received: \(spans.map(\.name))")
            #expect(route.traceID == callerTrace)
            #expect(route.parentSpanID == callerSpan)
            #expect(route.kind == 2, "a server span")
            #expect(route.attributes["http.route"] == "/search")
            #expect(route.attributes["http.response.status_code"] == "200")
            let inTrace = spans.filter { $0.traceID == callerTrace }
            let byID = Dictionary(inTrace.map { ($0.spanID, $0) }, uniquingKeysWith: { first, _ in first })
            func parent(of span: OTLPSpan) -> OTLPSpan? { span.parentSpanID.flatMap { byID[$0] } }
            /// The span's ancestors' names, nearest first.
            func ancestors(of span: OTLPSpan) -> [String] {
                var names: [String] = []
                var current = span
                while let up = parent(of: current), names.count < 20 { names.append(up.name); current = up }
                return names
            }

            let search = try #require(inTrace.first { $0.name == "search" }, "\(inTrace.map(\.name))")
            #expect(search.parentSpanID == route.spanID)
            #expect(search.attributes["paperboy.search.mode"] == "hybrid")
            let keyword = try #require(inTrace.first { $0.name == "search.keyword" })
            let semantic = try #require(inTrace.first { $0.name == "search.semantic" })
            #expect(keyword.parentSpanID == search.spanID && semantic.parentSpanID == search.spanID)
            let embedding = try #require(inTrace.first { $0.name == "search.embed_query" })
            #expect(embedding.parentSpanID == semantic.spanID)
            #expect(inTrace.first { $0.name == "search.vector_index" }?.parentSpanID == semantic.spanID)
            // The store's statements: under the keyword side (its postings and ranking) and under
            // the search itself (reading the result papers), as client spans of SQLite.
            let storeSpans = inTrace.filter { $0.name.hasPrefix("store ") }
            #expect(storeSpans.allSatisfy { $0.kind == 3 && $0.attributes["db.system.name"] == "sqlite" }, "\(storeSpans)")
            #expect(storeSpans.contains { ancestors(of: $0).first == "search.keyword" }, "\(storeSpans.map { ($0.name, ancestors(of: $0)) })")
            #expect(storeSpans.contains { $0.name == "store papers" && parent(of: $0)?.name == "search" },
                    "\(storeSpans.map { ($0.name, ancestors(of: $0)) })")
            #expect(storeSpans.allSatisfy { ancestors(of: $0).last == "/search" })
            // Every span of the request ends inside its route span.
            #expect(inTrace.allSatisfy { $0.spanID == route.spanID || ancestors(of: $0).contains("/search") })
            // What was searched for stays out of the trace, as out of the log.
            #expect(!received.bodies.withLock { $0 }.contains { String(decoding: $0, as: UTF8.self).contains("zebracorn") })
            #expect(route.attributes["url.query"]?.contains("q=REDACTED") == true, "\(route.attributes)")
        }
    }
}

/// One span from an OTLP `ExportTraceServiceRequest`, read by the protobuf wire format
/// (opentelemetry-proto's trace.proto: ResourceSpans 1 → ScopeSpans 2 → Span 2).
struct OTLPSpan: CustomStringConvertible {
    var traceID = ""
    var spanID = ""
    var parentSpanID: String?
    var name = ""
    var kind = 0
    var attributes: [String: String] = [:]

    var description: String { "\(name) \(spanID)←\(parentSpanID ?? "-") \(attributes)" }

    static func decode(exportRequest bytes: [UInt8]) throws -> [OTLPSpan] {
        var spans: [OTLPSpan] = []
        for resourceSpans in try ProtobufWire.fields(bytes[...]) where resourceSpans.number == 1 {
            for scopeSpans in try ProtobufWire.fields(resourceSpans.bytes) where scopeSpans.number == 2 {
                for span in try ProtobufWire.fields(scopeSpans.bytes) where span.number == 2 {
                    spans.append(try OTLPSpan(span.bytes))
                }
            }
        }
        return spans
    }

    init(_ bytes: ArraySlice<UInt8>) throws {
        for field in try ProtobufWire.fields(bytes) {
            switch field.number {
            case 1: traceID = Self.hex(field.bytes)
            case 2: spanID = Self.hex(field.bytes)
            case 4: parentSpanID = field.bytes.isEmpty ? nil : Self.hex(field.bytes)
            case 5: name = String(decoding: field.bytes, as: UTF8.self)
            case 6: kind = Int(field.varint)
            case 9:
                // KeyValue: key 1, AnyValue 2 (string 1, bool 2, int 3, double 4).
                var key = ""
                var value = ""
                for part in try ProtobufWire.fields(field.bytes) {
                    if part.number == 1 { key = String(decoding: part.bytes, as: UTF8.self) }
                    if part.number == 2 {
                        for any in try ProtobufWire.fields(part.bytes) {
                            switch any.number {
                            case 1: value = String(decoding: any.bytes, as: UTF8.self)
                            case 2: value = any.varint != 0 ? "true" : "false"
                            case 3: value = String(Int64(bitPattern: any.varint))
                            default: value = "(\(any.number))"
                            }
                        }
                    }
                }
                attributes[key] = value
            default: break
            }
        }
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// The protobuf wire format: a field is a varint key (number << 3 | wire type) and a value.
enum ProtobufWire {
    struct Field {
        let number: Int
        var varint: UInt64 = 0
        var bytes: ArraySlice<UInt8> = []
    }

    struct Malformed: Error {}

    static func fields(_ bytes: ArraySlice<UInt8>) throws -> [Field] {
        var fields: [Field] = []
        var index = bytes.startIndex
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < bytes.endIndex, shift < 64 else { throw Malformed() }
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while index < bytes.endIndex {
            let key = try varint()
            var field = Field(number: Int(key >> 3))
            switch key & 7 {
            case 0: field.varint = try varint()
            case 1, 5:
                let width = key & 7 == 1 ? 8 : 4
                guard bytes.endIndex - index >= width else { throw Malformed() }
                field.bytes = bytes[index..<index + width]
                index += width
            case 2:
                let length = Int(try varint())
                guard length >= 0, bytes.endIndex - index >= length else { throw Malformed() }
                field.bytes = bytes[index..<index + length]
                index += length
            default: throw Malformed()
            }
            fields.append(field)
        }
        return fields
    }
}
