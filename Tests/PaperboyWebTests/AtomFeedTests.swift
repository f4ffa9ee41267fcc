import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PaperboyTestSupport
import Testing

/// Collects the element tree of an XML document as paths with their text.
final class XMLOutline: NSObject, XMLParserDelegate {
    var stack: [String] = []
    var elements: [(path: String, attributes: [String: String], text: String)] = []
    var text = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        stack.append(name)
        elements.append((stack.joined(separator: "/"), attributes, ""))
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        let path = stack.joined(separator: "/")
        if let index = elements.lastIndex(where: { $0.path == path }) { elements[index].text = text }
        stack.removeLast()
        text = ""
    }

    func all(_ path: String) -> [(path: String, attributes: [String: String], text: String)] { elements.filter { $0.path == path } }
}

@Suite struct AtomFeedTests {
    @Test func feed_isWellFormedAtom_withRequiredElements() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, xml, headers) = try await client.get("/feed.atom")
            #expect(status == .ok)
            #expect(headers[.contentType] == "application/atom+xml; charset=utf-8")
            let outline = XMLOutline()
            let parser = XMLParser(data: Data(xml.utf8))
            parser.delegate = outline
            #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
            // RFC 4287: feed has id, title, updated, an author; each entry has id, title, updated.
            #expect(outline.all("feed/id").first?.text == "https://papers.example.org/feed.atom")
            #expect(outline.all("feed/title").first?.text == "Test Lab Papers: daily papers")
            #expect(outline.all("feed/updated").first?.text == "2025-02-04T11:00:00Z")
            #expect(outline.all("feed/author/name").count == 1)
            #expect(outline.all("feed/link").contains { $0.attributes["rel"] == "self" })
            let entries = outline.all("feed/entry")
            #expect(entries.count == 4)
            #expect(outline.all("feed/entry/id").count == 4)
            #expect(outline.all("feed/entry/updated").count == 4)
            let titles = outline.all("feed/entry/title").map(\.text)
            // The hostile title survives as text, escaped in the XML.
            #expect(titles.contains(#"<script>alert("title")</script> & <b>bold</b>"#))
            #expect(!xml.contains("<script>"))
            #expect(outline.all("feed/entry/id").map(\.text).contains("https://papers.example.org/papers/2502.00001"))
        }
    }

    @Test func feed_withoutPublicURL_usesTheListeningAddress_neverTheRequestHost() async throws {
        let fixture = try await WebFixture(publicURL: nil)
        try await fixture.test { client in
            // The in-process client sends requests for authority "localhost"; ids must not follow it.
            let xml = try await client.execute(uri: "/feed.atom", method: .get, headers: [HTTPField.Name("X-Forwarded-Host")!: "attacker.example"]) {
                String(buffer: $0.body)
            }
            #expect(xml.contains("<id>http://127.0.0.1:8080/feed.atom</id>"))
            #expect(!xml.contains("localhost") && !xml.contains("attacker.example"))
        }
    }
}
