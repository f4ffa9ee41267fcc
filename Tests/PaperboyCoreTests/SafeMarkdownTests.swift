import Foundation
import PaperboyCore
import Testing

@Suite struct SafeMarkdownTests {
    /// Every `<` in the output starts a tag the renderer writes, and links are http(s) only.
    static func assertSafe(_ html: String, input: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let allowed = ["p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a"]
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            let after = rest[rest.index(after: open)...]
            let name = after.drop(while: { $0 == "/" }).prefix(while: { $0.isLetter })
            #expect(allowed.contains(String(name)), "tag <\(name)> from \(input.debugDescription)", sourceLocation: sourceLocation)
            guard let close = after.firstIndex(of: ">") else {
                Issue.record("unclosed tag in output of \(input.debugDescription)", sourceLocation: sourceLocation)
                return
            }
            let tag = rest[open...close]
            if name == "a", !tag.hasPrefix("</") {
                #expect(tag.hasPrefix("<a href=\"https://") || tag.hasPrefix("<a href=\"http://") || tag.hasPrefix("<a href=\"/papers/"),
                        "link \(tag) from \(input.debugDescription)", sourceLocation: sourceLocation)
                // Attributes are exactly the ones we write: nothing injected after the href.
                let attributes = tag.split(separator: "\"").count
                #expect(attributes == 7 || attributes == 3, "unexpected attributes in \(tag)", sourceLocation: sourceLocation)
            } else if !tag.hasPrefix("</") {
                #expect(tag == "<\(name)>", "attributes on \(tag) from \(input.debugDescription)", sourceLocation: sourceLocation)
            }
            rest = rest[rest.index(after: close)...]
        }
        let lower = html.lowercased()
        for forbidden in ["javascript:", "vbscript:", "data:text"] {
            #expect(!lower.contains("href=\"\(forbidden)"), sourceLocation: sourceLocation)
        }
    }

    @Test func features_renderAsTheirTags() {
        #expect(SafeMarkdown.html("Hello **bold** and *it* and _also_ and `x < y`") ==
                "<p>Hello <strong>bold</strong> and <em>it</em> and <em>also</em> and <code>x &lt; y</code></p>\n")
        #expect(SafeMarkdown.html("line one\nline two\n\nnext") == "<p>line one<br>\nline two</p>\n<p>next</p>\n")
        #expect(SafeMarkdown.html("- a\n- b") == "<ul><li>a</li><li>b</li></ul>\n")
        #expect(SafeMarkdown.html("1. first\n2. second") == "<ol><li>first</li><li>second</li></ol>\n")
        #expect(SafeMarkdown.html("> quoted\n> more") == "<blockquote><p>quoted<br>\nmore</p></blockquote>\n")
        #expect(SafeMarkdown.html("```\n<b>code</b>\n```") == "<pre><code>&lt;b&gt;code&lt;/b&gt;</code></pre>\n")
        #expect(SafeMarkdown.html("[the paper](https://arxiv.org/abs/1706.03762)") ==
                "<p><a href=\"https://arxiv.org/abs/1706.03762\" rel=\"nofollow ugc noopener\" target=\"_blank\">the paper</a></p>\n")
        #expect(SafeMarkdown.html("see https://example.org/x.") ==
                "<p>see <a href=\"https://example.org/x\" rel=\"nofollow ugc noopener\" target=\"_blank\">https://example.org/x</a>.</p>\n")
        #expect(SafeMarkdown.html("Compare arXiv:1706.03762.") == "<p>Compare <a href=\"/papers/1706.03762\">arXiv:1706.03762</a>.</p>\n")
        #expect(SafeMarkdown.html("snake_case_name stays") == "<p>snake_case_name stays</p>\n")
        #expect(SafeMarkdown.plainText("**Bold** [link](https://a.org) & <tag>") == "Bold link & <tag>\n")
    }

    @Test func hostileInput_neverProducesMarkupOrScriptLinks() {
        let payloads = [
            "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(1)>",
            "[x](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))", "[x]( javascript:alert(1))", "[x](java\tscript:alert(1))",
            "[x](java&#115;cript:alert(1))", "[x](&#106;avascript:alert(1))", "[x](data:text/html,<script>alert(1)</script>)",
            "[x](vbscript:msgbox(1))", "[x](//evil.example)", "[<img src=x onerror=alert(1)>](https://a.org)",
            "[x](https://a.org/\"onmouseover=\"alert(1))", "[x](https://a.org/'onmouseover='alert(1))", "`<script>`",
            "```\n</code></pre><script>alert(1)</script>\n```", "**<b onclick=x>**", "_<i>_", "https://a.org/\"><script>",
            "https://a.org/<script>", "\u{202E}evil\u{202C} text", "nul\u{0}byte <x>", "<a href=\"javascript:alert(1)\">x</a>",
            "[x](https://a.org) <style>*{}</style>", "> <iframe src=x>", "- <object data=x>", "1. <embed src=x>",
            "[x](https://a.org\\@evil)", "[x](http:)", "&lt;script&gt;", "[[x](https://a.org)](javascript:alert(1))",
        ]
        for payload in payloads {
            let html = SafeMarkdown.html(payload)
            Self.assertSafe(html, input: payload)
            #expect(!html.contains("<script"), "\(payload)")
            #expect(!html.contains("\u{0}"))
        }
    }

    /// Found by Fuzz/SafeMarkdown: a bare link or arXiv reference in a link's text made an `<a>` inside an `<a>`.
    @Test func linkText_withLinks_rendersOneLink() {
        for input in ["[see https://b.org](https://a.org)", "[*http://b.org*](https://a.org)", "[arXiv:2401.12345](https://a.org)"] {
            let html = SafeMarkdown.html(input)
            #expect(html.components(separatedBy: "<a ").count == 2, "\(input) → \(html)")
            Self.assertSafe(html, input: input)
        }
    }

    @Test func adversarialInput_rendersQuickly() {
        let inputs = [
            String(repeating: "*", count: 100_000), String(repeating: "[", count: 100_000), String(repeating: "`", count: 100_000),
            String(repeating: "_a", count: 50_000), String(repeating: "[x](", count: 25_000), String(repeating: "- ", count: 50_000),
            String(repeating: "**a ", count: 25_000), String(repeating: "> \n", count: 33_000), String(repeating: "https://a", count: 11_000),
        ]
        for input in inputs {
            let start = Date()
            let html = SafeMarkdown.html(input)
            #expect(Date().timeIntervalSince(start) < 2, "\(input.prefix(8))… took too long")
            Self.assertSafe(html, input: String(input.prefix(20)))
        }
    }
}

@Suite struct RateLimiterTests {
    let now = Date(timeIntervalSince1970: 1_000_000)

    @Test func limit_holdsAtTheBoundary_andRefills() {
        let limiter = RateLimiter()
        let limit = RateLimit(count: 3, per: .seconds(60))
        #expect((0..<3).allSatisfy { _ in limiter.allow("k", limit: limit, now: now) == .allowed })
        guard case .limited(let retry) = limiter.allow("k", limit: limit, now: now) else { Issue.record("fourth call allowed"); return }
        #expect(abs(retry - 20) < 0.01)
        #expect(limiter.allow("other", limit: limit, now: now) == .allowed)
        #expect(limiter.allow("k", limit: limit, now: now.addingTimeInterval(20)) == .allowed)
        #expect(limiter.allow("k", limit: limit, now: now.addingTimeInterval(20)) != .allowed)
    }

    @Test func concurrentCalls_neverExceedTheLimit() async {
        let limiter = RateLimiter()
        let limit = RateLimit(count: 10, per: .seconds(3600))
        let now = now
        let allowed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<1_000 { group.addTask { limiter.allow("shared", limit: limit, now: now) == .allowed } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(allowed == 10)
    }

    @Test func manyKeys_stayBounded() {
        let limiter = RateLimiter(pruneThreshold: 10_000)
        let limit = RateLimit(count: 5, per: .seconds(1))
        for index in 0..<200_000 {
            // Each key is used once; a second later its bucket is full again and may go.
            _ = limiter.allow("ip:\(index)", limit: limit, now: now.addingTimeInterval(Double(index) / 1_000))
        }
        #expect(limiter.trackedKeys <= 12_000)
    }
}
