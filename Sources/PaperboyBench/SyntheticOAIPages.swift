import PaperboyStore
import PaperboyIngest
import PaperboySearch
import Foundation
import PaperboyCore

extension SyntheticCorpus {
    /// The corpus as OAI-PMH `ListRecords` pages in arXiv's `arXiv` metadata format, joined by
    /// resumption tokens `synthetic|1`, `synthetic|2` …, for the ingest benchmark's local server.
    public func oaiPages(pageSize: Int) throws -> [Data] {
        precondition(pageSize > 0)
        var pages: [Data] = []
        var records = ""
        var inPage = 0
        var done = 0
        func flush() {
            let next = done < count ? "synthetic|\(pages.count + 1)" : ""
            let page = """
                <?xml version="1.0" encoding="UTF-8"?>
                <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-24T10:00:00Z</responseDate>
                <request verb="ListRecords">http://export.arxiv.org/oai2</request><ListRecords>
                \(records)<resumptionToken cursor="\(done - inPage)" completeListSize="\(count)">\(next)</resumptionToken>
                </ListRecords></OAI-PMH>
                """
            pages.append(Data(page.utf8))
            records = ""
            inPage = 0
        }
        try lines { line in
            let created = line.updateDate
            var authors = ""
            for parts in line.authorsParsed {
                authors += "<author><keyname>\(Self.xml(parts[0]))</keyname><forenames>\(Self.xml(parts[1]))</forenames></author>"
            }
            records += """
                <record><header><identifier>oai:arXiv.org:\(line.id)</identifier><datestamp>\(created)</datestamp><setSpec>cs</setSpec></header>
                <metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>\(line.id)</id><created>\(created)</created>
                <authors>\(authors)</authors><title>\(Self.xml(line.title))</title><categories>\(line.categories)</categories>
                <comments>\(Self.xml(line.comments))</comments><license>\(line.license)</license>
                <abstract>\(Self.xml(line.abstract))</abstract></arXiv></metadata></record>

                """
            inPage += 1
            done += 1
            if inPage == pageSize { flush() }
        }
        if inPage > 0 || pages.isEmpty { flush() }
        return pages
    }

    static func xml(_ text: String) -> String {
        guard text.contains(where: { $0 == "&" || $0 == "<" || $0 == ">" }) else { return text }
        return text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
