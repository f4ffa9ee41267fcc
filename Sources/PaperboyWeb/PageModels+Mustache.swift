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

extension PaperPageModel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "title": title
        case "authorsLine": authorsLine
        case "published": published.orAbsent
        case "version": version.orAbsent
        case "dailyDay": dailyDay.orAbsent
        case "dailyURL": dailyURL.orAbsent
        case "submittedBy": submittedBy.orAbsent
        case "upvotes": upvotes
        case "singleUpvote": singleUpvote
        case "commentCount": commentCount
        case "singleComment": singleComment
        case "categories": categories
        case "arxivURL": arxivURL.orAbsent
        case "pdfURL": pdfURL.orAbsent
        case "githubRepo": githubRepo.orAbsent
        case "projectPage": projectPage.orAbsent
        case "doiURL": doiURL.orAbsent
        case "markdownURL": markdownURL
        case "jsonURL": jsonURL
        case "abstract": abstract
        case "authorComments": authorComments.orAbsent
        case "journalRef": journalRef.orAbsent
        case "similarHTML": CardHTML.paperCards(similar)
        case "hasSimilar": hasSimilar
        case "voteHTML": CardHTML.vote(vote, upvotes: upvotes)
        case "library": library.orAbsent
        case "libraryHTML": CardHTML.library(library)
        case "featured": featured
        case "comments": comments
        case "hasComments": hasComments
        case "commentAction": commentAction.orAbsent
        case "csrf": csrf.orAbsent
        case "signInToComment": signInToComment
        case "curator": curator.orAbsent
        case "enrichment": enrichment
        case "authorsHTML": CardHTML.authors(enrichment)
        case "authorship": authorship.orAbsent
        default: nil
        }
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

extension CommentView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "anchor": anchor
        case "author": author
        case "authorURL": authorURL
        case "created": created
        case "edited": edited
        case "deleted": deleted
        case "hidden": hidden
        case "html": html
        case "body": body
        case "editAction": editAction.orAbsent
        case "deleteAction": deleteAction.orAbsent
        case "hideAction": hideAction.orAbsent
        case "csrf": csrf.orAbsent
        default: nil
        }
    }
}

extension CuratorControls: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "featureAction": featureAction
        case "hideAction": hideAction
        case "csrf": csrf
        case "featured": featured
        case "hidden": hidden
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
