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
        case "stylesheet": stylesheet
        case "atomFeed": atomFeed
        case "openAPI": openAPI
        case "searchPage": searchPage
        case "thisWeek": thisWeek
        case "thisMonth": thisMonth
        case "trending": trending
        case "submit": submit
        case "script": script
        case "signIn": signIn
        case "signOut": signOut
        case "username": username
        case "profile": profile
        case "settings": settings
        case "csrf": csrf
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
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "url": url
        case "title": title
        case "authorsLine": authorsLine
        case "published": published
        case "snippet": snippet
        case "upvotes": upvotes
        case "singleUpvote": singleUpvote
        case "commentCount": commentCount
        case "singleComment": singleComment
        case "arxivURL": arxivURL
        case "pdfURL": pdfURL
        case "githubRepo": githubRepo
        case "featured": featured
        case "vote": vote
        default: nil
        }
    }
}

extension VoteControl: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "action": action
        case "signIn": signIn
        case "csrf": csrf
        case "voted": voted
        case "next": self.next
        default: nil
        }
    }
}

extension FeedPageModel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "heading": heading
        case "periodName": periodName
        case "views": views
        case "sorts": sorts
        case "previous": previous
        case "next": next
        case "papers": papers
        case "hasPapers": hasPapers
        case "firstRank": firstRank
        case "previousPage": previousPage
        case "nextPage": nextPage
        default: nil
        }
    }
}

extension PaperPageModel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "title": title
        case "authorsLine": authorsLine
        case "published": published
        case "version": version
        case "dailyDay": dailyDay
        case "dailyURL": dailyURL
        case "submittedBy": submittedBy
        case "upvotes": upvotes
        case "singleUpvote": singleUpvote
        case "commentCount": commentCount
        case "singleComment": singleComment
        case "categories": categories
        case "arxivURL": arxivURL
        case "pdfURL": pdfURL
        case "githubRepo": githubRepo
        case "projectPage": projectPage
        case "doiURL": doiURL
        case "markdownURL": markdownURL
        case "jsonURL": jsonURL
        case "abstract": abstract
        case "authorComments": authorComments
        case "journalRef": journalRef
        case "similar": similar
        case "hasSimilar": hasSimilar
        case "vote": vote
        case "featured": featured
        case "comments": comments
        case "hasComments": hasComments
        case "commentAction": commentAction
        case "csrf": csrf
        case "signInToComment": signInToComment
        case "curator": curator
        default: nil
        }
    }
}

extension TextSegment: MustacheParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "text": text
        case "highlighted": highlighted
        default: nil
        }
    }
}

extension SearchResultCard: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "url": url
        case "titleSegments": titleSegments
        case "authorsLine": authorsLine
        case "published": published
        case "snippetSegments": snippetSegments
        case "matchedBy": matchedBy
        case "upvotes": upvotes
        case "singleUpvote": singleUpvote
        case "arxivURL": arxivURL
        case "pdfURL": pdfURL
        case "githubRepo": githubRepo
        default: nil
        }
    }
}

extension SearchModeOption: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "value": value
        case "label": label
        case "selected": selected
        default: nil
        }
    }
}

/// A spelling correction shown above the results.
struct CorrectionNote: MustacheParent {
    let word: String
    let stem: String

    func child(named name: String) -> Any? {
        switch name {
        case "word": word
        case "stem": stem
        default: nil
        }
    }
}

extension SearchPageModel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "searchText": searchText
        case "modes": modes
        case "problem": problem
        case "semanticUnavailable": semanticUnavailable
        case "corrections": corrections.map { CorrectionNote(word: $0.word, stem: $0.stem) }
        case "hasQuery": hasQuery
        case "results": results
        case "hasResults": hasResults
        case "firstRank": firstRank
        case "previousPage": previousPage
        case "nextPage": nextPage
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
        case "editAction": editAction
        case "deleteAction": deleteAction
        case "hideAction": hideAction
        case "csrf": csrf
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
