import Foundation

/// What the arXiv API (export.arxiv.org/api/query) answers for one paper, for local servers that
/// stand in for it in tests.
public enum ArxivFixtures {
    public static let lotteryTicketID = "1803.03635"

    public static let lotteryTicketAtom = """
        <?xml version="1.0" encoding="UTF-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom">
          <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
          <entry>
            <id>http://arxiv.org/abs/1803.03635v5</id>
            <updated>2019-03-04T23:17:44Z</updated>
            <published>2018-03-09T18:51:28Z</published>
            <title>The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks</title>
            <summary>Neural network pruning techniques can reduce the parameter counts of trained networks by over 90%.</summary>
            <author><name>Jonathan Frankle</name></author>
            <author><name>Michael Carbin</name></author>
            <link title="pdf" href="http://arxiv.org/pdf/1803.03635v5" rel="related" type="application/pdf"/>
            <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG"/>
            <category term="cs.AI"/><category term="cs.LG"/>
          </entry>
        </feed>
        """
}
