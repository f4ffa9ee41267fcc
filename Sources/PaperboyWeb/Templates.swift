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
        public var description: String {
            switch self {
            case .missing(let name): "resource \(name) is missing from the PaperboyWeb bundle"
            }
        }
    }

    public static func load() async throws -> SiteResources {
        // bundleURL, not resourceURL: Foundation on Linux takes a "Resources" folder for the resource directory itself.
        let root = Bundle.module.bundleURL.appendingPathComponent("Resources")
        // HTML escaping is the library's default for {{name}}; the one triple brace (comment HTML in paper.mustache) says why it is safe.
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent("Templates/layout.mustache").path) else {
            throw LoadError.missing("Templates/layout.mustache")
        }
        let library = try await MustacheLibrary(directory: root.appendingPathComponent("Templates").path)
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

    func render(_ model: Any, template: String) -> String {
        guard let html = library.render(model, withTemplate: template) else {
            preconditionFailure("template \(template) is not in the bundle")
        }
        return html
    }
}
