import Foundation
import Mustache
import PaperboyCore
import PaperboyStore

/// Save (with tags) and "Not interested" as form posts; they work without JavaScript.
struct LibraryControl {
    let csrf: String
    /// Marks the controls in the page, so paperboy.js can swap in their new state after a change.
    let paperID: String
    let saveAction: String
    let unsaveAction: String
    let notInterestedAction: String
    let saved: Bool
    /// The paper's tags as the reader typed them, comma-separated.
    let tags: String
    let notInterested: Bool
    /// What the "Not interested" button sends: the opposite of the current state.
    let notInterestedNext: String
    /// Where the forms return to.
    let next: String
    /// Follow or unfollow the paper's authors and categories (the paper page only).
    var followButtons: [FollowButton] = []

    init(paperID: String, viewer: Viewer, tags: [String]?, notInterested: Bool, next: String) {
        csrf = viewer.csrfToken
        self.paperID = paperID
        saveAction = Links.savePaper(paperID)
        unsaveAction = Links.unsavePaper(paperID)
        notInterestedAction = Links.notInterested(paperID)
        saved = tags != nil
        self.tags = (tags ?? []).joined(separator: ", ")
        self.notInterested = notInterested
        notInterestedNext = notInterested ? "0" : "1"
        self.next = next
    }
}

/// One "Follow Ada Lovelace" / "Unfollow cs.LG" form.
struct FollowButton {
    let kind: String
    let value: String
    let following: Bool
    let action = Links.follow()
    /// What the button sends: the opposite of the current state.
    var on: String { following ? "0" : "1" }

    /// Buttons for the paper's first authors and its categories, by what the viewer follows.
    static func forPaper(_ paper: Paper, following: [Follow]) -> [FollowButton] {
        let followed = Set(following)
        let authors = paper.authors.prefix(3).map { FollowButton(kind: "author", value: $0, following: followed.contains(Follow(kind: .author, value: $0))) }
        let categories = paper.categories.prefix(3).map { FollowButton(kind: "category", value: $0, following: followed.contains(Follow(kind: .category, value: $0))) }
        return authors + categories
    }
}

/// A card that shows the viewer's Save and "Not interested" forms.
protocol LibraryControlled {
    var id: String { get }
    var library: LibraryControl? { get set }
}

extension PaperCard: LibraryControlled {}
extension SearchResultCard: LibraryControlled {}

extension Array where Element: LibraryControlled {
    /// The cards with the viewer's library state; unchanged for anonymous visitors.
    func withLibraryControls(store: any PaperStore, next: String) async throws -> [Element] {
        guard let viewer = Viewer.current, !isEmpty else { return self }
        return withLibraryControls(try await store.readerMarks(accountID: viewer.account.id, among: map(\.id)), viewer: viewer, next: next)
    }

    /// The cards with the library state in `marks`, read for `viewer`.
    func withLibraryControls(_ marks: ReaderMarks, viewer: Viewer, next: String) -> [Element] {
        map { card in
            var card = card
            card.library = LibraryControl(
                paperID: card.id, viewer: viewer, tags: marks.savedTags[card.id], notInterested: marks.notInterested.contains(card.id), next: next)
            return card
        }
    }
}

struct LibraryTagView {
    let name: String
    let paperCount: Int
    let isPublic: Bool
    let url: String
    let active: Bool
    let publicURL: String
    let visibilityAction: String
    /// What the visibility button sends: the opposite of the current state.
    let visibilityNext: String
}

extension LibraryTagView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "paperCount": paperCount
        case "isPublic": isPublic
        case "url": url
        case "active": active
        case "publicURL": publicURL
        case "visibilityAction": visibilityAction
        case "visibilityNext": visibilityNext
        default: nil
        }
    }
}

/// `/library`: the reader's saved papers, by tag, searchable, with recommendations for a tag.
struct LibraryPageModel {
    let site: SiteChrome
    let heading: String
    let tags: [LibraryTagView]
    let allURL: String
    let allActive: Bool
    let tag: String?
    let query: String?
    let papers: [PaperCard]
    let hasPapers: Bool
    let csrf: String
    let recommended: [PaperCard]
    let hasRecommended: Bool
    let recommendedHeading: String
    let bibtexURL: String
    let jsonlURL: String
    let searchAction: String
    let activeTag: LibraryTagView?
}

extension LibraryPageModel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "heading": heading
        case "tags": tags
        case "allURL": allURL
        case "allActive": allActive
        case "tag": tag.orAbsent
        case "query": query.orAbsent
        case "papers": papers
        case "hasPapers": hasPapers
        case "csrf": csrf
        case "recommended": recommended
        case "hasRecommended": hasRecommended
        case "recommendedHeading": recommendedHeading
        case "bibtexURL": bibtexURL
        case "jsonlURL": jsonlURL
        case "searchAction": searchAction
        case "activeTag": activeTag.orAbsent
        default: nil
        }
    }
}

/// `/u/{name}/collections/{tag}`: a public tag, readable by anyone.
struct CollectionPageModel {
    let site: SiteChrome
    let heading: String
    let owner: String
    let ownerURL: String
    let papers: [PaperCard]
    let hasPapers: Bool
}

extension CollectionPageModel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "heading": heading
        case "owner": owner
        case "ownerURL": ownerURL
        case "papers": papers
        case "hasPapers": hasPapers
        default: nil
        }
    }
}

struct FollowView {
    let kind: String
    let value: String
    let csrf: String
    let action: String
}

extension FollowView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "kind": kind
        case "value": value
        case "csrf": csrf
        case "action": action
        default: nil
        }
    }
}

struct TokenView {
    let name: String
    let created: String
    let deleteAction: String
}

extension TokenView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "created": created
        case "deleteAction": deleteAction
        default: nil
        }
    }
}

/// `/settings/for-you`: the interest paragraph, follows and personal API tokens.
struct ForYouSettingsPageModel {
    let site: SiteChrome
    let csrf: String
    let paragraph: String
    let paragraphAction: String
    let maximumParagraph: Int
    let follows: [FollowView]
    let hasFollows: Bool
    let followAction: String
    let tokens: [TokenView]
    let hasTokens: Bool
    let tokenAction: String
    /// A token just made: shown this once, never stored in clear.
    let newToken: String?
    let notice: String?
}

extension ForYouSettingsPageModel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "csrf": csrf
        case "paragraph": paragraph
        case "paragraphAction": paragraphAction
        case "maximumParagraph": maximumParagraph
        case "follows": follows
        case "hasFollows": hasFollows
        case "followAction": followAction
        case "tokens": tokens
        case "hasTokens": hasTokens
        case "tokenAction": tokenAction
        case "newToken": newToken.orAbsent
        case "notice": notice.orAbsent
        default: nil
        }
    }
}
