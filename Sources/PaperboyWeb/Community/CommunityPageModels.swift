import Mustache
import PaperboyStore
import PaperboyCore

// The account, community and digest pages as structs: a missing field is a compile error, and an
// absent optional renders as nothing (its section is skipped), never as the text "nil".
// `child(named:)` answers Mustache's lookups without Mirror (see PageModels+Mustache.swift).

struct MessagePageModel: MustacheParent {
    let site: SiteChrome
    let heading: String
    let text: String
    var link: NavigationLink? = nil

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "heading": heading
        case "text": text
        case "link": link.orAbsent
        default: nil
        }
    }
}

struct SignInPageModel: MustacheParent {
    let site: SiteChrome
    let action: String
    let csrf: String
    let next: String
    let problem: String?
    let email: String?

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "action": action
        case "csrf": csrf
        case "next": self.next
        case "problem": problem.orAbsent
        case "email": email.orAbsent
        default: nil
        }
    }
}

struct SignInConfirmPageModel: MustacheParent {
    let site: SiteChrome
    let action: String
    let csrf: String
    let token: String
    let email: String
    let isNew: Bool
    /// Where the reader goes once signed in.
    let next: String

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "action": action
        case "csrf": csrf
        case "token": token
        case "email": email
        case "isNew": isNew
        case "next": self.next
        default: nil
        }
    }
}

struct ProfilePageModel: MustacheParent {
    let site: SiteChrome
    let username: String
    /// Shown for curators and admins; nil for members.
    let role: String?
    let joined: String
    let submissions: [PaperCard]
    let upvoted: [PaperCard]
    let comments: [ProfileComment]
    /// Papers the person claimed as an author, approved (issue 19).
    var claimed: [PaperCard] = []

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "username": username
        case "role": role.orAbsent
        case "joined": joined
        case "submissions": submissions
        case "hasSubmissions": !submissions.isEmpty
        case "upvoted": upvoted
        case "hasUpvoted": !upvoted.isEmpty
        case "claimed": claimed
        case "hasClaimed": !claimed.isEmpty
        case "comments": comments
        case "hasComments": !comments.isEmpty
        default: nil
        }
    }
}

/// A comment on a profile: its paper, when, and the rendered Markdown.
struct ProfileComment: MustacheParent {
    let paperTitle: String
    let url: String
    let created: String
    let html: String

    init(_ entry: AccountComment) {
        paperTitle = LatexText.legible(entry.paperTitle)
        url = Links.comment(entry.comment.paperID, entry.comment.id)
        created = Day(containing: entry.comment.createdAt).iso
        html = SafeMarkdown.html(entry.comment.body)
    }

    func child(named name: String) -> Any? {
        switch name {
        case "paperTitle": paperTitle
        case "url": url
        case "created": created
        case "html": html
        default: nil
        }
    }
}

struct SettingsPageModel: MustacheParent {
    let site: SiteChrome
    let email: String
    let username: String
    let hasPassword: Bool
    let action: String
    let deleteAction: String
    let csrf: String
    let message: String?
    let problem: String?
    let usernameAction = Links.settingsUsername()
    let emailAction = Links.settingsEmail()
    let exportURL = Links.exportAccount()

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "email": email
        case "username": username
        case "hasPassword": hasPassword
        case "action": action
        case "deleteAction": deleteAction
        case "usernameAction": usernameAction
        case "emailAction": emailAction
        case "exportURL": exportURL
        case "csrf": csrf
        case "message": message.orAbsent
        case "problem": problem.orAbsent
        default: nil
        }
    }
}

struct SubmitPageModel: MustacheParent {
    let site: SiteChrome
    let action: String
    let csrf: String
    let problem: String?
    let typed: String?
    /// The paper already on a feed, when that was the problem.
    let existing: NavigationLink?

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "action": action
        case "csrf": csrf
        case "problem": problem.orAbsent
        case "typed": typed.orAbsent
        case "existing": existing.orAbsent
        default: nil
        }
    }
}

struct TrendingPageModel: MustacheParent {
    let site: SiteChrome
    let papers: [PaperCard]
    let firstRank: Int
    let previousPage: String?
    let nextPage: String?

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "papersHTML": CardHTML.paperCards(papers)
        case "hasPapers": !papers.isEmpty
        case "firstRank": firstRank
        case "previousPage": previousPage.orAbsent
        case "nextPage": nextPage.orAbsent
        default: nil
        }
    }
}

/// The page a subscription's confirmation link opens: a button, because opening the link must
/// not confirm (mail scanners open every link in a mail).
struct SubscriptionConfirmPageModel: MustacheParent {
    let site: SiteChrome
    let email: String
    /// "daily, on weekdays" or "weekly, on Mondays".
    let frequency: String
    let action: String

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "email": email
        case "frequency": frequency
        case "action": action
        default: nil
        }
    }
}

struct PreferencesPageModel: MustacheParent {
    let site: SiteChrome
    let email: String
    let notice: String?
    let active: Bool
    let status: String
    let daily: Bool
    let weekly: Bool
    let topics: String
    let preferencesAction: String
    let unsubscribeAction: String

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "email": email
        case "notice": notice.orAbsent
        case "active": active
        case "status": status
        case "daily": daily
        case "weekly": weekly
        case "topics": topics
        case "preferencesAction": preferencesAction
        case "unsubscribeAction": unsubscribeAction
        default: nil
        }
    }
}

/// One digest, as mail (text and HTML) and as the web view. Paper blocks are rendered once per
/// period and shared by every subscriber, so they arrive here as finished HTML and text.
struct DigestModel: MustacheParent {
    struct Section: MustacheParent {
        let topic: String
        let papers: [String]
        let papersText: [String]

        func child(named name: String) -> Any? {
            switch name {
            case "topic": topic
            case "papers": papers
            case "papersText": papersText
            case "hasPapers": !papers.isEmpty
            default: nil
            }
        }
    }

    let siteName: String
    let periodName: String
    let home: String
    let trending: [String]
    let trendingText: [String]
    let sections: [Section]
    let unsubscribe: String
    let webView: String
    /// The subscriber's own recommendations (rendered blocks), when their account has a model.
    var forYou: [String] = []
    var forYouText: [String] = []

    func child(named name: String) -> Any? {
        switch name {
        case "forYou": forYou
        case "forYouText": forYouText
        case "hasForYou": !forYou.isEmpty
        case "siteName": siteName
        case "periodName": periodName
        case "home": home
        case "trending": trending
        case "trendingText": trendingText
        case "hasTrending": !trending.isEmpty
        case "sections": sections
        case "unsubscribe": unsubscribe
        // The preferences page is where the unsubscribe link leads.
        case "preferences": unsubscribe
        case "webView": webView
        default: nil
        }
    }
}

/// A paper's block in a digest.
struct DigestPaperModel: MustacheParent {
    let title: String
    let url: String
    let authors: String
    let abstract: String
    let upvotes: Int
    let arxivURL: String?
    let githubRepo: String?

    func child(named name: String) -> Any? {
        switch name {
        case "title": title
        case "url": url
        case "authors": authors
        case "abstract": abstract
        case "upvotes": upvotes
        case "arxivURL": arxivURL.orAbsent
        case "githubRepo": githubRepo.orAbsent
        default: nil
        }
    }
}
