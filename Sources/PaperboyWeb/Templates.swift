import Foundation
import Mustache

/// The Mustache templates and static files shipped in the module's resources, loaded once.
public struct SiteResources: Sendable {
    let library: MustacheLibrary
    let stylesheet: String
    let script: String
    let favicon: String
    let openAPIDocument: String

    public enum LoadError: Error, CustomStringConvertible {
        case missing(String)
        case unparsable(String, String)
        public var description: String {
            switch self {
            case .missing(let name): "resource \(name) is missing from the PaperboyWeb bundle"
            case .unparsable(let name, let error): "template \(name) is not valid Mustache: \(error)"
            }
        }
    }

    public static func load() async throws -> SiteResources {
        // bundleURL, not resourceURL: Foundation on Linux takes a "Resources" folder for the resource directory itself.
        let root = Bundle.module.bundleURL.appendingPathComponent("Resources")
        // HTML escaping is the library's default for {{name}}. Triple braces take HTML written in Swift: a
        // comment's (SafeMarkdown: every input byte escaped, only its own tags added) and the cards' (`CardHTML`, which escapes every value).
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent("Templates/layout.mustache").path) else {
            throw LoadError.missing("Templates/layout.mustache")
        }
        let library = try loadTemplates(from: root.appendingPathComponent("Templates"))
        func text(_ relativePath: String) throws -> String {
            let url = root.appendingPathComponent(relativePath)
            guard let data = FileManager.default.contents(atPath: url.path) else { throw LoadError.missing(relativePath) }
            return String(decoding: data, as: UTF8.self)
        }
        return try SiteResources(
            library: library,
            stylesheet: text("Static/paperboy.css"),
            script: text("Static/paperboy.js"),
            favicon: text("Static/favicon.svg"),
            openAPIDocument: text("openapi.json"))
    }

    /// Every `.mustache` file in `folder`, named by its path without the extension, each with
    /// `HTMLEscaping` switched on by a first line added here (the files stay plain Mustache).
    static func loadTemplates(from folder: URL) throws -> MustacheLibrary {
        MustacheContentTypes.register(HTMLEscaping(), named: HTMLEscaping.name)
        var library = MustacheLibrary()
        let files = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        for file in files.sorted() where file.hasSuffix(".mustache") {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(file).path) else {
                throw LoadError.missing("Templates/\(file)")
            }
            // A pragma alone on its first line: Mustache drops the line, so the output is unchanged.
            let text = "{{%CONTENT_TYPE:\(HTMLEscaping.name)}}\n" + String(decoding: data, as: UTF8.self)
            do {
                try library.register(text, named: String(file.dropLast(".mustache".count)))
            } catch {
                throw LoadError.unparsable(file, "\(error)")
            }
        }
        return library
    }

    func render(_ model: Any, template: String) -> String {
        guard let html = library.render(model, withTemplate: template) else {
            preconditionFailure("template \(template) is not in the bundle")
        }
        return html
    }
}

/// HTML escaping for the templates: the same five characters and replacements as Mustache's
/// own, found in the UTF-8 bytes. Mustache's escapes `Character` by `Character` through a
/// dictionary, and was a fifth of an uncached daily page's time (perf); most values have nothing
/// to escape and are returned as they are. Unlike the `Character` walk it also escapes a `<`
/// that a combining mark follows.
struct HTMLEscaping: MustacheContentType {
    static let name = "PAPERBOY_HTML"

    func escapeText(_ text: String) -> String {
        var text = text
        let escaped = text.withUTF8 { bytes -> String? in
            guard let first = bytes.firstIndex(where: Self.needsEscaping) else { return nil }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count + 16)
            output.append(contentsOf: bytes[..<first])
            Self.appendEscaped(bytes[first...], to: &output)
            return String(decoding: output, as: UTF8.self)
        }
        return escaped ?? text
    }

    /// `text` escaped, appended to UTF-8 `output` (the typed card writer, `HTMLWriter`).
    static func append(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            guard let first = bytes.firstIndex(where: needsEscaping) else {
                output.append(contentsOf: bytes)
                return
            }
            output.append(contentsOf: bytes[..<first])
            appendEscaped(bytes[first...], to: &output)
        }
    }

    private static func appendEscaped(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, to output: inout [UInt8]) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "<"): output.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): output.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "&"): output.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "\""): output.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): output.append(contentsOf: "&#39;".utf8)
            default: output.append(byte)
            }
        }
    }

    @inline(__always)
    static func needsEscaping(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "&")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }
}
