import Mustache
import PaperboyCore

// Mustache finds a name through Mirror unless the value answers `child(named:)` itself.
// Mirror decodes every field's type on every lookup, most of a page render in the profile;
// these switches make lookups a string comparison. Keep them in step with the models.

extension SiteChrome: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "home": home
        case "searchPage": searchPage
        case "trends": trends
        case "headLinks": headLinksHTML
        case "brand": brandHTML
        case "headerSearch": headerSearchHTML
        case "navigation": navigationHTML
        case "footerNote": footerNoteHTML
        default: nil
        }
    }
}

extension NavigationLink: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "url": url
        case "active": active
        default: nil
        }
    }
}

extension PaperCard: MustacheParent {
    /// The whole card, from `CardHTML` (routes set `vote.back`, `library` and `reason` after init).
    func child(named name: String) -> Any? {
        name == "html" ? CardHTML.paperCard(self) : nil
    }
}

extension ErrorPageModel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "heading": heading
        case "message": message
        default: nil
        }
    }
}

/// An optional field with no value. Mustache looks a name it cannot find up the context stack,
/// so a card's missing `commentCount` or `githubRepo` showed the enclosing paper's; this value
/// is found, and renders as nothing, and as false in sections.
struct Absent: MustacheCustomRenderable {
    var renderText: String { "" }
    var isNull: Bool { true }
}

extension Optional {
    /// The value, or `Absent` so that Mustache stops looking for the name further out.
    var orAbsent: Any { self.map { $0 as Any } ?? Absent() }
}
