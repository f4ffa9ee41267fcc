import Foundation
import Mustache
import PaperboyCore
@testable import PaperboyWeb
import PaperboyTestSupport
import Testing

/// The feed and search pages are written whole in Swift (`SiteChrome.document`); every other page
/// goes through `layout.mustache`. The two must stay one document, so a change to the layout that
/// misses the Swift copy fails here: a probe page shaped like the feed's old template, rendered
/// through the layout and written by `document`, anonymous and signed in, with and without the
/// header's search box.
@Suite struct SiteDocumentTests {
    struct Probe: MustacheParent {
        let site: SiteChrome
        let heading: String
        let contentHTML: String

        func child(named name: String) -> Any? {
            switch name {
            case "site": site
            case "heading": heading
            case "contentHTML": contentHTML
            default: nil
            }
        }
    }

    @Test(arguments: [false, true], [true, false])
    func swiftDocument_isTheMustacheLayoutsDocument(signedIn: Bool, headerSearch: Bool) async throws {
        var library = try await SiteResources.load().library
        try library.register("""
            {{%CONTENT_TYPE:\(HTMLEscaping.name)}}
            {{<layout}}
            {{$title}}{{heading}} · {{site.name}}{{/title}}
            \(headerSearch ? "" : "{{$headerSearch}}{{/headerSearch}}\n"){{$content}}
            {{{contentHTML}}}
            {{/content}}
            {{/layout}}

            """, named: "probe")
        let viewer = Viewer(
            account: Account(id: 1, username: "o'reader", email: "reader@example.org", role: .member, createdAt: Date()),
            sessionHash: Data(), csrfToken: "to<ken>")
        let site = signedIn
            ? Viewer.$current.withValue(viewer) { SiteChrome(name: "Lab \"papers\" & <co>", today: day("2025-02-04")) }
            : SiteChrome(name: "Lab \"papers\" & <co>", today: day("2025-02-04"))
        let content = "<h1>Probe &amp; “quotes”</h1>\n<p>é</p>"
        let mustache = try #require(library.render(Probe(site: site, heading: "A & <B>", contentHTML: content), withTemplate: "probe"))
        let swift = site.document(title: "A & <B> · Lab \"papers\" & <co>", headerSearch: headerSearch, capacity: 0) { $0.append(html: content) }
        #expect(String(decoding: swift, as: UTF8.self) == mustache)
        #expect(mustache.contains("o&#39;reader") == signedIn, "the probe shows the signed-in navigation")
        #expect(mustache.contains("Search papers") == headerSearch)
    }
}
