/// Recorded-style OAI-PMH pages: two pages joined by a resumption token, a deleted record,
/// a record without a title, and categories outside the ones asked for.
public enum OAIFixtures {
    public static func record(_ id: String, title: String?, categories: String, created: String = "2026-11-20") -> String {
        """
        <record><header><identifier>oai:arXiv.org:\(id)</identifier><datestamp>\(created)</datestamp><setSpec>cs</setSpec></header>
        <metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
        <id>\(id)</id><created>\(created)</created>
        <authors><author><keyname>Lovelace</keyname><forenames>Ada</forenames><affiliation>Analytical Engine Ltd</affiliation></author><author><keyname>Turing</keyname><forenames>Alan M.</forenames></author></authors>
        \(title.map { "<title>\($0)</title>" } ?? "")<categories>\(categories)</categories>
        <comments>10 pages; code at https://github.com/lab/\(id.replacingOccurrences(of: ".", with: "-"))</comments>
        <abstract>  We study \(id) with care.
          Results are good.
        </abstract></arXiv></metadata></record>
        """
    }

    public static func page(_ records: [String], token: String?, cursor: Int, size: Int = 4) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-24T10:00:00Z</responseDate>
        <request verb="ListRecords">http://export.arxiv.org/oai2</request><ListRecords>
        \(records.joined(separator: "\n"))
        <resumptionToken cursor="\(cursor)" completeListSize="\(size)">\(token ?? "")</resumptionToken>
        </ListRecords></OAI-PMH>
        """
    }

    public static let first = page([
        record("2611.00001", title: "Sparse Adapters for Language Models", categories: "cs.CL cs.LG"),
        record("2611.00002", title: "A Vision Paper", categories: "cs.CV"),
        """
        <record><header status="deleted"><identifier>oai:arXiv.org:2611.00009</identifier><datestamp>2026-11-21</datestamp></header></record>
        """,
    ], token: "token|page2", cursor: 0)
    public static let second = page([
        record("2611.00003", title: "Reward Models &quot;That&quot; Generalise", categories: "cs.LG stat.ML", created: "2026-11-21"),
        record("2611.00004", title: nil, categories: "cs.LG"),
    ], token: nil, cursor: 2)
    public static let noRecords = """
        <?xml version="1.0" encoding="UTF-8"?>
        <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-24T10:00:00Z</responseDate>
        <request verb="ListRecords">http://export.arxiv.org/oai2</request><error code="noRecordsMatch">No records</error></OAI-PMH>
        """

    /// An arXivRaw page as arXiv serves it: free-text authors with TeX accents and affiliations,
    /// the version history, and a record whose metadata lacks everything but the id and title.
    public static let raw = page([
        #"""
        <record><header><identifier>oai:arXiv.org:0704.0001</identifier><datestamp>2008-11-13</datestamp><setSpec>physics:hep-ph</setSpec></header>
        <metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
        <id>0704.0001</id><submitter>Pavel Nadolsky</submitter>
        <version version="v1"><date>Mon, 2 Apr 2007 19:18:42 GMT</date><size>424kb</size><source_type>D</source_type></version>
        <version version="v2"><date>Tue, 24 Jul 2007 20:10:27 GMT</date><size>421kb</size><source_type>D</source_type></version>
        <title>Calculation of prompt diphoton production cross sections at Tevatron and
          LHC energies</title>
        <authors>C. Bal\'azs, E. L. Berger (Argonne), P. M. Nadolsky and C.-P. Yuan (1) ((1) Michigan State)</authors>
        <categories>hep-ph cs.LG</categories><comments>37 pages, 15 figures; published version</comments>
        <report-no>ANL-HEP-PR-07-12</report-no><journal-ref>Phys.Rev.D76:013009,2007</journal-ref>
        <doi>10.1103/PhysRevD.76.013009</doi><license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>
        <abstract>  A fully differential calculation in perturbative quantum chromodynamics is
        presented for the production of massive photon pairs.
        </abstract></arXivRaw></metadata></record>
        """#,
        """
        <record><header><identifier>oai:arXiv.org:2611.00042</identifier><datestamp>2026-11-21</datestamp></header>
        <metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2611.00042</id><title>Bare Record</title><categories>cs.LG</categories></arXivRaw></metadata></record>
        """,
    ], token: nil, cursor: 0, size: 2)
}
