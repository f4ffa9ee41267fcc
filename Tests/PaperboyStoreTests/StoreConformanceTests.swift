import Foundation
import PaperboyCore
import PaperboySQLite
import PaperboySearch
import PaperboyStore
import PaperboyTestSupport
import Testing

/// One suite, every store: each test runs against SQLite and against PostgreSQL (a fresh
/// database on the test server started by `PostgresServer`), and must pass the same way.
@Suite enum StoreConformanceTests {}

extension StoreConformanceTests {
    @Suite struct Papers {
        @Test(arguments: StoreKind.allCases) func migrate_twice_isHarmless(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await store.migrate()
                #expect(try await store.appliedMigrations() == kind.migrations)
            }
        }

        @Test(arguments: StoreKind.allCases) func migrate_concurrently_appliesEachMigrationOnce(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                // The store is migrated already; several more at once must neither fail nor duplicate.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 { group.addTask { try await store.migrate() } }
                    try await group.waitForAll()
                }
                #expect(try await store.appliedMigrations() == kind.migrations)
            }
        }

        @Test(arguments: StoreKind.allCases) func upsert_newThenSameThenChanged_countsEachKind(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let first = try await store.upsert([record(samplePaper(id: "2502.00001")), record(samplePaper(id: "2502.00002"))])
                #expect(first == UpsertResult(inserted: 2))
                let again = try await store.upsert([record(samplePaper(id: "2502.00001")), record(samplePaper(id: "2502.00002"))])
                #expect(again == UpsertResult(unchanged: 2))
                let changed = try await store.upsert([record(samplePaper(id: "2502.00001", title: "A Better Title"))])
                #expect(changed == UpsertResult(updated: 1))
                #expect(try await store.paperCount() == 2)
                #expect(try await store.paper(id: "2502.00001")?.title == "A Better Title")
                #expect(try await store.upsert([]) == UpsertResult())
            }
        }

        @Test(arguments: StoreKind.allCases) func upsert_recordWithoutCommunityFields_keepsStoredOnes(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                _ = try await store.upsert([record(samplePaper(daily: "2025-02-03", submittedBy: "ada", upvotes: 42))])
                // A later metadata-only import has no votes, no day and no author names.
                var update = samplePaper(abstract: "", authors: [], daily: nil, upvotes: 0)
                update.version = 2
                update.categories = []
                _ = try await store.upsert([record(update, hasUpvotes: false)])
                let stored = try #require(try await store.paper(id: "2502.00001"))
                #expect(stored.upvotes == 42)
                #expect(stored.dailyDay == day("2025-02-03"))
                #expect(stored.submittedBy == "ada")
                #expect(stored.authors == ["Ada Lovelace", "Alan Turing"])
                #expect(stored.authorCount == 2)
                #expect(stored.categories == ["cs.LG"])
                #expect(stored.abstract == "We study samples.")
                #expect(stored.version == 2)
            }
        }

        @Test(arguments: StoreKind.allCases) func upsert_sameIDTwiceInOneBatch_insertsThenUpdates(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let result = try await store.upsert([
                    record(samplePaper(id: "2502.00001", title: "First")),
                    record(samplePaper(id: "2502.00001", title: "Second")),
                    record(samplePaper(id: "2502.00001", title: "Second")),
                ])
                #expect(result == UpsertResult(inserted: 1, updated: 1, unchanged: 1))
                #expect(try await store.paper(id: "2502.00001")?.title == "Second")
            }
        }

        @Test(arguments: StoreKind.allCases) func paper_roundTrip_keepsEveryField(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let paper = Paper(
                    id: "hep-th/9901001", title: "Ünïcode «title» & <tags> '; DROP TABLE paper; --", abstract: "Line one.\nLine two with $x^2$.",
                    authors: ["Zoë Müller", "李华", "O'Brien, Jr."], authorCount: 5, categories: ["hep-th", "gr-qc"],
                    publishedAt: Date(timeIntervalSince1970: 915_184_800.123_456_7), updatedAt: DateParsing.parse("1999-02-01T10:00:00Z"),
                    version: 3, doi: "10.1000/xyz", journalRef: "Phys. Rev. D 1 (1999)", authorComments: "10 pages",
                    githubRepo: "https://github.com/a/b", projectPage: "https://example.org/p", pdfURL: "https://arxiv.org/pdf/hep-th/9901001",
                    source: "arxiv", dailyDay: day("2025-02-04"), submittedOnDailyAt: testNow, submittedBy: "curator",
                    upvotes: 7, commentCount: 3)
                _ = try await store.upsert([PaperRecord(paper: paper, hasUpvotes: true, hasCommentCount: true)])
                #expect(try await store.paper(id: "hep-th/9901001") == paper)
                #expect(try await store.paper(id: "missing") == nil)
                let bare = Paper(id: "pb-bare", title: "Bare", abstract: "", source: "paperboy")
                _ = try await store.upsert([record(bare, hasUpvotes: false)])
                #expect(try await store.paper(id: "pb-bare") == bare)
            }
        }

        @Test(arguments: StoreKind.allCases) func dailyPapers_periodsSortsAndPages_selectTheRightRows(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                _ = try await store.upsert([
                    record(samplePaper(id: "2502.00001", daily: "2025-02-03", upvotes: 5, published: "2025-01-01")),
                    record(samplePaper(id: "2502.00002", daily: "2025-02-03", upvotes: 9, published: "2025-01-20")),
                    record(samplePaper(id: "2502.00003", daily: "2025-02-04", submittedBy: "ada", upvotes: 1)),
                    record(samplePaper(id: "2502.00004", daily: "2025-01-27", upvotes: 100)),
                    record(samplePaper(id: "2502.00005", daily: nil, upvotes: 1000)),
                ])
                func ids(_ query: DailyQuery) async throws -> [String] { try await store.dailyPapers(query).map(\.id) }

                #expect(try await ids(DailyQuery(period: .day(day("2025-02-03")), sort: .upvotes, now: testNow)) == ["2502.00002", "2502.00001"])
                #expect(try await ids(DailyQuery(period: .day(day("2025-02-03")), sort: .publishedAt, now: testNow)) == ["2502.00002", "2502.00001"])
                #expect(try await ids(DailyQuery(period: .week(year: 2025, week: 6), sort: .upvotes, now: testNow)) == ["2502.00002", "2502.00001", "2502.00003"])
                #expect(try await ids(DailyQuery(period: .month(year: 2025, month: 1), now: testNow)) == ["2502.00004"])
                // Without a period: newest day first, papers never on the feed left out.
                #expect(try await ids(DailyQuery(period: nil, now: testNow)) == ["2502.00003", "2502.00002", "2502.00001", "2502.00004"])
                #expect(try await ids(DailyQuery(period: nil, submitter: "ada", now: testNow)) == ["2502.00003"])
                #expect(try await ids(DailyQuery(period: nil, offset: 1, limit: 2, now: testNow)) == ["2502.00002", "2502.00001"])
                #expect(try await ids(DailyQuery(period: .day(day("2024-01-01")), now: testNow)).isEmpty)
            }
        }

        @Test(arguments: StoreKind.allCases) func dailyPapers_ties_breakByIDAndUnknownDatesGoLast(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                var undated = samplePaper(id: "2502.00009", daily: "2025-02-03", upvotes: 3)
                undated.publishedAt = nil
                _ = try await store.upsert([
                    record(undated),
                    record(samplePaper(id: "2502.00010", daily: "2025-02-03", upvotes: 3, published: "2025-01-01")),
                    record(samplePaper(id: "pb-b", daily: "2025-02-03", upvotes: 3, published: "2025-01-01")),
                    record(samplePaper(id: "PB-a", daily: "2025-02-03", upvotes: 3, published: "2025-01-01")),
                ])
                let byUpvotes = try await store.dailyPapers(DailyQuery(period: .day(day("2025-02-03")), now: testNow)).map(\.id)
                // Byte order, as SQLite compares text: digits, then upper case, then lower case.
                #expect(byUpvotes == ["2502.00010", "PB-a", "pb-b", "2502.00009"])
                let byDate = try await store.dailyPapers(DailyQuery(period: .day(day("2025-02-03")), sort: .publishedAt, now: testNow)).map(\.id)
                #expect(byDate.last == "2502.00009")
            }
        }

        /// Pages of a week of papers written in a scrambled order, against the same order worked
        /// out in Swift: SQLite orders the page's keys in a subquery and reads the rows after it,
        /// so the rows must come back in the subquery's order, every sort and page.
        /// Page reads may keep decoded papers (SQLite keeps them by row version): every kind of
        /// change to a paper must show in the next read of it by id, the next feed page and the
        /// next read by key. What each change does is written into `expected` by hand, so a kept
        /// paper that missed a change cannot agree with it.
        @Test(arguments: StoreKind.allCases) func pageReads_showEveryChangeToAPaper_atOnce(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let ids = ["2502.00001", "2502.00002", "2502.00003"]
                _ = try await store.upsert(ids.map { record(samplePaper(id: $0, title: "Paper \($0)", daily: "2025-02-04", upvotes: 1)) })
                let day = try #require(Day(iso: "2025-02-04"))
                var keys: [UInt32] = []
                var expected: [String: Paper] = [:]
                for id in ids {
                    keys.append(try #require(try await store.paperKey(id: id)))
                    expected[id] = try #require(try await store.paper(id: id))
                }
                let account = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
                func check(_ change: String) async throws {
                    for id in ids { #expect(try await store.paper(id: id) == expected[id], "by id after \(change): \(id)") }
                    for id in ids {
                        #expect(try await store.paperPage(id: id, includeHiddenComments: false)?.paper == expected[id], "page after \(change): \(id)")
                    }
                    let page = try await store.dailyPapers(DailyQuery(period: .day(day), sort: .upvotes, now: testNow))
                    #expect(Set(page.map(\.id)) == Set(expected.values.filter { !$0.hidden }.map(\.id)), "after \(change)")
                    for paper in page { #expect(paper == expected[paper.id], "daily page after \(change): \(paper.id)") }
                    let byKey = try await store.papers(keys: keys)
                    #expect(byKey.count == expected.values.filter { !$0.hidden }.count, "after \(change)")
                    for paper in byKey.values { #expect(paper == expected[paper.id], "by key after \(change): \(paper.id)") }
                }
                try await check("the first read")
                try await check("a second read")
                _ = try await store.setVote(true, paperID: ids[1], accountID: account.id, now: testNow)
                expected[ids[1]]?.upvotes += 1
                try await check("a vote")
                _ = try await store.addComment(paperID: ids[2], accountID: account.id, body: "Nice.", now: testNow)
                expected[ids[2]]?.commentCount += 1
                try await check("a comment")
                try await store.setFeatured(true, paperID: ids[2])
                expected[ids[2]]?.featured = true
                try await check("featuring")
                try await store.saveThumbnail(paperKey: keys[0], images: nil, now: testNow)
                expected[ids[0]]?.thumbnail = .placeholder
                try await check("a thumbnail")
                _ = try await store.upsert([record(samplePaper(id: ids[0], title: "A new title", daily: "2025-02-04", upvotes: 1))])
                expected[ids[0]]?.title = "A new title"
                try await check("a re-import")
                try await store.setPaperHidden(true, paperID: ids[1])
                expected[ids[1]]?.hidden = true
                try await check("hiding")
                try await store.setPaperHidden(false, paperID: ids[1])
                expected[ids[1]]?.hidden = false
                try await check("showing again")
            }
        }

        /// The paper page's one read gives what the four separate reads give: the paper (hidden
        /// too), its key, its comments (hidden ones only when asked) and its authorship claims.
        @Test(arguments: StoreKind.allCases) func paperPage_readsWhatTheSeparateReadsRead(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                _ = try await store.upsert([record(samplePaper(id: "2502.00001")), record(samplePaper(id: "2502.00002", title: "Quiet"))])
                let ada = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
                let alan = try await store.createAccount(username: "alan", email: "alan@example.org", role: .member, passwordHash: nil, now: testNow)
                let first = try await store.addComment(paperID: "2502.00001", accountID: ada.id, body: "First.", now: testNow)
                let hidden = try await store.addComment(paperID: "2502.00001", accountID: alan.id, body: "Spam.", now: testNow.addingTimeInterval(1))
                _ = try await store.addComment(paperID: "2502.00001", accountID: ada.id, body: "Third.", now: testNow.addingTimeInterval(2))
                _ = try await store.addComment(paperID: "2502.00002", accountID: ada.id, body: "Elsewhere.", now: testNow)
                try await store.setCommentHidden(true, id: hidden.id)
                _ = try await store.claimAuthorship(paperID: "2502.00001", accountID: ada.id, authorName: "Ada Lovelace", verifiedBy: nil, now: testNow)
                try await store.setPaperHidden(true, paperID: "2502.00002")

                for includeHidden in [false, true] {
                    for id in ["2502.00001", "2502.00002"] {
                        let page = try #require(try await store.paperPage(id: id, includeHiddenComments: includeHidden))
                        #expect(page.paper == (try await store.paper(id: id)))
                        #expect(page.key == (try await store.paperKey(id: id)))
                        #expect(page.comments == (try await store.comments(paperID: id, includeHidden: includeHidden)))
                        #expect(page.claims == (try await store.authorClaims(paperID: id)))
                    }
                }
                let shown = try #require(try await store.paperPage(id: "2502.00001", includeHiddenComments: false))
                #expect(shown.comments.map(\.body) == ["First.", "Third."])
                #expect(shown.comments.first?.id == first.id)
                #expect(shown.claims.map(\.authorName) == ["Ada Lovelace"])
                let curated = try #require(try await store.paperPage(id: "2502.00001", includeHiddenComments: true))
                #expect(curated.comments.map(\.body) == ["First.", "Spam.", "Third."])
                #expect(try await store.paperPage(id: "2502.00002", includeHiddenComments: false)?.paper.hidden == true)
                #expect(try await store.paperPage(id: "2502.99999", includeHiddenComments: true) == nil)
            }
        }

        @Test(arguments: StoreKind.allCases) func dailyPapers_keepTheirOrder_overManyPapersAndPages(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                var random = SplitMix64(seed: 17)
                let papers = (0..<60).map { index in
                    samplePaper(
                        id: String(format: "2502.%05d", (index * 37) % 60 + 1),
                        daily: "2025-02-0\(3 + Int(random.next() % 5))",
                        upvotes: Int(random.next() % 6),
                        published: "2025-01-\(10 + Int(random.next() % 4))")
                }
                _ = try await store.upsert(papers.map { record($0) })
                let days = Set(papers.compactMap(\.dailyDay))
                #expect(days.count > 1)
                let byUpvotes = papers.sorted {
                    ($0.upvotes, $0.publishedAt!, $1.id) > ($1.upvotes, $1.publishedAt!, $0.id)
                }
                let byDate = papers.sorted {
                    ($0.publishedAt!, $0.upvotes, $1.id) > ($1.publishedAt!, $1.upvotes, $0.id)
                }
                for (sort, expected) in [(FeedSort.upvotes, byUpvotes), (.publishedAt, byDate)] {
                    for offset in stride(from: 0, to: 60, by: 25) {
                        let week = try await store.dailyPapers(DailyQuery(period: .week(year: 2025, week: 6), sort: sort, offset: offset, limit: 25, now: testNow))
                        #expect(week.map(\.id) == Array(expected.dropFirst(offset).prefix(25)).map(\.id), "\(sort) from \(offset)")
                    }
                    for day in days {
                        let page = try await store.dailyPapers(DailyQuery(period: .day(day), sort: sort, now: testNow))
                        // Whole papers: each row's columns come from that paper's row.
                        #expect(page == expected.filter { $0.dailyDay == day })
                    }
                }
            }
        }

        @Test(arguments: StoreKind.allCases) func dailyPapers_trending_discountsOlderVotesByTheInjectedClock(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                _ = try await store.upsert([
                    record(samplePaper(id: "2502.00001", daily: "2025-01-27", upvotes: 30)),
                    record(samplePaper(id: "2502.00002", daily: "2025-02-04", dailyHour: 8, upvotes: 10)),
                ])
                let byTrending = try await store.dailyPapers(DailyQuery(period: nil, sort: .trending, now: testNow)).map(\.id)
                #expect(byTrending == ["2502.00002", "2502.00001"])
                // A month later both are old and the raw count wins.
                let later = testNow.addingTimeInterval(30 * 86_400)
                #expect(try await store.dailyPapers(DailyQuery(period: nil, sort: .trending, now: later)).map(\.id) == ["2502.00001", "2502.00002"])
            }
        }

        @Test(arguments: StoreKind.allCases) func neighbouringDays_skipEmptyDays(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                #expect(try await store.latestDay() == nil)
                #expect(try await store.neighbouringDays(of: day("2025-02-03")) == (nil, nil))
                _ = try await store.upsert([
                    record(samplePaper(id: "2502.00001", daily: "2025-01-30")),
                    record(samplePaper(id: "2502.00002", daily: "2025-02-03")),
                    record(samplePaper(id: "2502.00003", daily: "2025-02-07")),
                ])
                let (previous, next) = try await store.neighbouringDays(of: day("2025-02-03"))
                #expect(previous == day("2025-01-30"))
                #expect(next == day("2025-02-07"))
                #expect(try await store.neighbouringDays(of: day("2025-01-30")).previous == nil)
                #expect(try await store.latestDay() == day("2025-02-07"))
            }
        }

        @Test(arguments: StoreKind.allCases) func upsert_concurrentWritersAndReaders_loseNothing(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<8 {
                        group.addTask {
                            for batch in 0..<10 {
                                let records = (0..<25).map { index in
                                    record(samplePaper(id: "pb-w\(writer)-b\(batch)-\(index)", title: "Paper \(writer) \(batch) \(index)"))
                                }
                                _ = try await store.upsert(records)
                            }
                        }
                        group.addTask {
                            for _ in 0..<20 { _ = try await store.dailyPapers(DailyQuery(period: nil, limit: 10, now: testNow)) }
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(try await store.paperCount() == 8 * 10 * 25)
            }
        }

        @Test(arguments: StoreKind.allCases) func upsert_overlappingConcurrentBatches_bothSucceed(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                // The same papers in opposite orders: PostgreSQL may see a deadlock and must retry it away.
                let forward = (0..<50).map { record(samplePaper(id: "pb-\($0)", title: "Forward \($0)")) }
                let backward = (0..<50).reversed().map { record(samplePaper(id: "pb-\($0)", title: "Backward \($0)")) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for round in 0..<4 {
                        group.addTask { _ = try await store.upsert(round % 2 == 0 ? forward : backward) }
                    }
                    try await group.waitForAll()
                }
                #expect(try await store.paperCount() == 50)
            }
        }

        @Test(arguments: StoreKind.allCases) func upsert_placedDay_fillsOnlyAnEmptyDay_andDoesNotCountAsAChange(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let plain = samplePaper(daily: nil)
                _ = try await store.upsert([record(plain)])
                var placed = PaperRecord(paper: samplePaper(daily: "2025-02-04"), hasUpvotes: true, dayIsPlacement: true)
                #expect(try await store.upsert([placed]) == UpsertResult(updated: 1))
                #expect(try await store.paper(id: plain.id)?.dailyDay == day("2025-02-04"))
                placed.paper.dailyDay = day("2025-02-01")
                #expect(try await store.upsert([placed]) == UpsertResult(unchanged: 1))
                #expect(try await store.upsert([record(plain)]) == UpsertResult(unchanged: 1))
                #expect(try await store.paper(id: plain.id)?.dailyDay == day("2025-02-04"))
            }
        }

        @Test(arguments: StoreKind.allCases) func changeCount_growsWithWrites_notWithReads(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let start = store.changeCount
                _ = try await store.paperCount()
                _ = try await store.dailyPapers(DailyQuery(period: nil, now: testNow))
                #expect(store.changeCount == start)
                _ = try await store.upsert([record(samplePaper())])
                #expect(store.changeCount > start)
                let afterUpsert = store.changeCount
                try await store.setFeatured(true, paperID: "2502.00001")
                #expect(store.changeCount > afterUpsert)
            }
        }
    }
}

extension StoreConformanceTests {
    @Suite struct Search {
        static func seed(_ store: any PaperStore) async throws {
            var old = samplePaper(id: "1706.03762", title: "Attention Is All You Need", abstract: "The dominant sequence transduction models are based on recurrent networks. We propose the Transformer.", authors: ["Ashish Vaswani", "Noam Shazeer"], published: "2017-06-12")
            old.categories = ["cs.CL", "cs.LG"]
            _ = try await store.upsert([
                record(old),
                record(samplePaper(id: "1803.03635", title: "The Lottery Ticket Hypothesis", abstract: "Pruning finds sparse trainable subnetworks at initialization.", authors: ["Jonathan Frankle", "Michael Carbin"], published: "2018-03-09")),
                record(samplePaper(id: "2006.11239", title: "Denoising Diffusion Probabilistic Models", abstract: "High quality image synthesis with diffusion probabilistic models; attention layers help.", authors: ["Jonathan Ho"], published: "2020-06-19")),
                record(samplePaper(id: "2112.10752", title: "High-Resolution Image Synthesis with Latent Diffusion Models", abstract: "Latent diffusion trains in an autoencoder's latent space.", authors: ["Robin Rombach"], published: "2021-12-20")),
            ])
        }

        func ids(_ store: any PaperStore, _ text: String, prefix: [String] = []) async throws -> [String] {
            try await store.keywordSearch(SearchQuery.parse(text), prefixTerms: prefix, limit: 10).map(\.id)
        }

        @Test(arguments: StoreKind.allCases) func ranking_titleMatchesOutrankAbstractMatches(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await Self.seed(store)
                let hits = try await store.keywordSearch(SearchQuery.parse("attention"), prefixTerms: [], limit: 10)
                #expect(hits.first?.id == "1706.03762")
                #expect(hits.map(\.id).contains("2006.11239"))
                // Lower rank is better, and hits come best first.
                #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.rank <= $1.rank })
                let key = try #require(try await store.paperKey(id: "1706.03762"))
                #expect(hits.first?.key == key)
            }
        }

        @Test(arguments: StoreKind.allCases) func stemming_findsOtherWordForms(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await Self.seed(store)
                #expect(try await ids(store, "pruned").contains("1803.03635"))
                #expect(try await ids(store, "synthesizing images").count == 2)
            }
        }

        @Test(arguments: StoreKind.allCases) func phrases_filtersAndExclusions(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await Self.seed(store)
                #expect(try await ids(store, "\"latent diffusion\"") == ["2112.10752"])
                #expect(try await ids(store, "\"diffusion latent\"") == [])
                #expect(try await ids(store, "diffusion -latent") == ["2006.11239"])
                #expect(try await ids(store, "author:Frankle") == ["1803.03635"])
                #expect(try await ids(store, "author:\"Jonathan Ho\" diffusion") == ["2006.11239"])
                // An author filter looks at authors only, not at the title.
                #expect(try await ids(store, "author:diffusion") == [])
                #expect(try await ids(store, "category:cs.CL") == ["1706.03762"])
                #expect(try await ids(store, "category:CS.cl attention") == ["1706.03762"])
                #expect(try await ids(store, "diffusion year:2021") == ["2112.10752"])
                #expect(try await ids(store, "year:2017-2018").sorted() == ["1706.03762", "1803.03635"])
                #expect(try await ids(store, "year:2017-2018") == ["1803.03635", "1706.03762"])
                #expect(try await ids(store, "diffusion from:2021-01-01") == ["2112.10752"])
                #expect(try await ids(store, "diffusion to:2020-12-31") == ["2006.11239"])
            }
        }

        @Test(arguments: StoreKind.allCases) func hostileInput_isSearchedAsText(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await Self.seed(store)
                let hostile = [
                    "\"unbalanced", "title:attention OR NOT", "attention*", "'; DROP TABLE paper; --", "NEAR(a b)", "a AND", "^attention",
                    "x\u{0}y", "\"\"\"", "*", "attention & !diffusion", "attention:* | (", "'attention' <-> 'need'", "$1 $$ \\", "category:'",
                    "author:\"'); DROP TABLE account; --\"", "-'x'", "diffusion -\"a & b\"",
                ]
                for text in hostile {
                    // Queries that parse to nothing are refused before the store (see SearchQueryTests).
                    guard let query = try? SearchQuery.parse(text) else { continue }
                    _ = try await store.keywordSearch(query, prefixTerms: [], limit: 10)
                }
                _ = try await store.keywordSearch(SearchQuery.parse("diffusion"), prefixTerms: ["diffus:* | a", "'", "&"], limit: 10)
                #expect(try await store.paperCount() == 4)
                #expect(try await ids(store, "'; DROP TABLE paper; --") == [])
                #expect(try await ids(store, "attention & !diffusion").contains("1706.03762"))
                #expect(try await store.containsWord("' | attention"))
                _ = try await store.indexedTerms(startingWith: "'%_", limit: 10)
            }
        }

        @Test(arguments: StoreKind.allCases) func accents_areFolded(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                _ = try await store.upsert([
                    record(samplePaper(id: "2502.00001", title: "Naïve Bayes for café reviews", authors: ["Zoë Müller"])),
                    record(samplePaper(id: "2502.00002", title: "Plain title")),
                ])
                #expect(try await ids(store, "naive") == ["2502.00001"])
                #expect(try await ids(store, "cafe") == ["2502.00001"])
                #expect(try await ids(store, "author:Muller") == ["2502.00001"])
                #expect(try await ids(store, "\"naïve bayes\"") == ["2502.00001"])
            }
        }

        @Test(arguments: StoreKind.allCases) func prefixTerms_matchCorrections_andVocabularyIsListed(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await Self.seed(store)
                #expect(try await store.containsWord("diffusion"))
                #expect(!(try await store.containsWord("difusion")))
                let terms = try await store.indexedTerms(startingWith: "d", limit: 100)
                #expect(terms.map(\.term).contains("diffus"))
                #expect(terms.first(where: { $0.term == "diffus" })?.documents == 2)
                #expect(terms.allSatisfy { $0.term.hasPrefix("d") })
                #expect(try await ids(store, "difusion", prefix: ["diffus"]).count == 2)
            }
        }

        @Test(arguments: StoreKind.allCases) func updatesAndNewPapers_reachTheIndex(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await Self.seed(store)
                #expect(try await store.indexedTerms(startingWith: "lotter", limit: 10) == [IndexedTerm(term: "lotteri", documents: 1)])
                _ = try await store.upsert([record(samplePaper(id: "1803.03635", title: "Sparse Winning Tickets", abstract: "Renamed."))])
                #expect(try await ids(store, "lottery") == [])
                #expect(try await ids(store, "winning") == ["1803.03635"])
                // The vocabulary follows: the old title's words are gone, the new ones counted.
                #expect(try await store.indexedTerms(startingWith: "lotter", limit: 10).isEmpty)
                #expect(try await store.indexedTerms(startingWith: "win", limit: 10) == [IndexedTerm(term: "win", documents: 1)])
                // Votes change the paper row but not its words.
                try await store.setFeatured(true, paperID: "1803.03635")
                #expect(try await store.indexedTerms(startingWith: "spars", limit: 10) == [IndexedTerm(term: "spars", documents: 1)])
                // Fields a record leaves empty keep their indexed text.
                _ = try await store.upsert([record(samplePaper(id: "1803.03635", title: "Sparse Winning Tickets", abstract: "", authors: []))])
                #expect(try await ids(store, "renamed") == ["1803.03635"])
                #expect(try await ids(store, "author:lovelace") == ["1803.03635"])
            }
        }

        /// A batch above SQLite's bulk threshold (its FTS5 triggers are swapped out for one
        /// INSERT … SELECT, checked on SQLite with FTS5's integrity check): new papers, an update
        /// of an indexed paper, and the same new id twice (inserted, then updated inside the batch).
        @Test(arguments: StoreKind.allCases) func bulkBatch_indexesNewRowsOnce_andUpdatesInPlace(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await Self.seed(store)
                let sqlite = store as? SQLitePaperStore
                var batch = (0..<600).map { index in
                    record(samplePaper(id: "2501.\(String(format: "%05d", index + 1))", title: "Bulk paper \(index) about kernels", abstract: "Common words only."))
                }
                batch.append(record(samplePaper(id: "1803.03635", title: "Sparse Winning Tickets", abstract: "Renamed in bulk.")))
                batch.append(record(samplePaper(id: "2501.00001", title: "Bulk paper zero, retitled for quokkas", abstract: "Changed.")))
                let result = try await store.upsert(batch)
                #expect(result.inserted == 600 && result.updated == 2)
                try await sqlite?.checkSearchIndex()
                // The batch merged FTS5 segments sixteen at a time; the default is back after it.
                if let sqlite { #expect(try await sqlite.searchIndexAutomerge() == 4) }
                #expect(try await ids(store, "quokkas") == ["2501.00001"])
                #expect(try await ids(store, "lottery") == [])
                #expect(try await ids(store, "winning") == ["1803.03635"])
                // On SQLite the triggers are back: a small later write is indexed row by row again.
                _ = try await store.upsert([record(samplePaper(id: "2502.09999", title: "Wombats after the bulk import"))])
                #expect(try await ids(store, "wombats") == ["2502.09999"])
                try await sqlite?.checkSearchIndex()
            }
        }

        @Test(arguments: StoreKind.allCases) func plannedQuery_overBudget_putsPapersWithEveryWordFirst(_ kind: StoreKind) async throws {
            try await kind.withStore(searchPostingBudget: 20) { store in
                // "kernel" is common, "quokka" rare; two papers have both.
                var batch = (0..<200).map { index in
                    record(samplePaper(id: "2501.\(String(format: "%05d", index + 1))", title: "Kernel methods \(index)", abstract: "A kernel paper."))
                }
                batch.append(record(samplePaper(id: "2502.00001", title: "Quokka kernels", abstract: "Kernel regression for quokka counts.")))
                batch.append(record(samplePaper(id: "2502.00002", title: "Quokka populations", abstract: "No kernels here, but quokka kernel words.")))
                batch.append(record(samplePaper(id: "2502.00003", title: "Quokka habitats", abstract: "Field notes.")))
                _ = try await store.upsert(batch)
                let hits = try await store.keywordSearch(SearchQuery.parse("quokka kernel"), prefixTerms: [], limit: 10)
                #expect(Set(hits.prefix(2).map(\.id)) == ["2502.00001", "2502.00002"])
                // Too few papers have both words, so the rarest word fills the rest.
                #expect(hits.map(\.id).contains("2502.00003"))
                #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.rank < $1.rank })
                // A single word commoner than the budget is ranked over the newest papers only.
                let common = try await store.keywordSearch(SearchQuery.parse("kernel"), prefixTerms: [], limit: 200)
                #expect(!common.isEmpty && common.count < 100)
                #expect(common.allSatisfy { $0.id >= "2501.00150" })
            }
        }

        @Test(arguments: StoreKind.allCases) func plannedQuery_wordOnlyInOldPapers_ranksItsNewestOnes(_ kind: StoreKind) async throws {
            try await kind.withStore(searchPostingBudget: 20) { store in
                // "kernel" is in the 100 oldest papers and none of the 300 newer ones, so the
                // newest papers hold none of it: its newest 20 are found further back.
                var batch = (0..<100).map { index in
                    record(samplePaper(id: "2401.\(String(format: "%05d", index + 1))", title: "Kernel methods \(index)", abstract: "A kernel paper."))
                }
                batch += (0..<300).map { index in
                    record(samplePaper(id: "2501.\(String(format: "%05d", index + 1))", title: "Graph methods \(index)", abstract: "A graph paper."))
                }
                _ = try await store.upsert(batch)
                let hits = try await store.keywordSearch(SearchQuery.parse("kernel"), prefixTerms: [], limit: 200)
                #expect(hits.count == 20)
                #expect(hits.allSatisfy { $0.id >= "2401.00081" && $0.id < "2501" })
                // With a rare word, papers with both come first, then the rarest word's.
                _ = try await store.upsert([record(samplePaper(id: "2401.20000", title: "Quokka kernels", abstract: "Old kernel quokka."))])
                let both = try await store.keywordSearch(SearchQuery.parse("kernel quokka"), prefixTerms: [], limit: 5)
                #expect(both.first?.id == "2401.20000")
                // Prefix terms (a typo's corrections) are planned the same way: a rare one over all
                // its papers, a common one over its newest.
                let rare = try await store.keywordSearch(SearchQuery.parse("qokka"), prefixTerms: ["quokk"], limit: 5)
                #expect(rare.map(\.id) == ["2401.20000"])
                let common = try await store.keywordSearch(SearchQuery.parse("kernal"), prefixTerms: ["kern"], limit: 200)
                #expect(common.count == 20 && common.contains { $0.id == "2401.20000" })
            }
        }

        /// A common word's newest papers: FTS5 reads its doclist newest-first; PostgreSQL reads its
        /// key-ordered postings (v10), kept in blocks of 4,096 keys by triggers. 4,200 papers put
        /// the word's newest ones on both sides of the first block's end, and edits must move them.
        @Test(arguments: StoreKind.allCases) func plannedQuery_commonWordsNewestPapers_acrossBlocksAndAfterEdits(_ kind: StoreKind) async throws {
            try await kind.withStore(searchPostingBudget: 20) { store in
                func id(_ index: Int) -> String { "2501.\(String(format: "%05d", index))" }
                func paper(_ index: Int, kernel: Bool) -> PaperRecord {
                    record(samplePaper(id: id(index), title: "\(kernel ? "Kernel" : "Graph") methods \(index)", abstract: "A methods paper."))
                }
                // "kernel" is in papers 4,081–4,110 (30, over the budget of 20); every paper says "methods".
                _ = try await store.upsert((1...4_200).map { paper($0, kernel: (4_081...4_110).contains($0)) })
                func newest(_ text: String) async throws -> [KeywordHit] {
                    try await store.keywordSearch(SearchQuery.parse(text), prefixTerms: [], limit: 200)
                }
                var hits = try await newest("kernel")
                #expect(Set(hits.map(\.id)) == Set((4_091...4_110).map(id)))
                #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.rank <= $1.rank })
                // Both words common: papers with both, over the rarer word's newest.
                #expect(Set(try await newest("kernel methods").map(\.id)) == Set((4_091...4_110).map(id)))

                // Five of the newest lose the word, an old paper gains it (outside the window), a
                // new paper has it: the window moves back by four and gains the new paper.
                _ = try await store.upsert((4_106...4_110).map { paper($0, kernel: false) } + [paper(10, kernel: true)])
                _ = try await store.upsert([record(samplePaper(id: "2502.00001", title: "Kernel quokkas", abstract: "A methods paper."))])
                hits = try await newest("kernel")
                #expect(Set(hits.map(\.id)) == Set((4_087...4_105).map(id) + ["2502.00001"]))
                #expect(Set(try await newest("kernel methods").map(\.id)) == Set(hits.map(\.id)))
                // A word that is no longer anywhere finds nothing.
                _ = try await store.upsert([record(samplePaper(id: "2502.00001", title: "Plain quokkas", abstract: "A methods paper."))])
                #expect(try await newest("quokkas").map(\.id) == ["2502.00001"])
                #expect(!(try await newest("kernel")).contains { $0.id == "2502.00001" })
            }
        }

        @Test(arguments: StoreKind.allCases) func papersByKey_leaveOutHiddenAndUnknown(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await Self.seed(store)
                let first = try #require(try await store.paperKey(id: "1706.03762"))
                let second = try #require(try await store.paperKey(id: "1803.03635"))
                #expect(try await store.paperKey(id: "missing") == nil)
                try await store.setPaperHidden(true, paperID: "1803.03635")
                let papers = try await store.papers(keys: [first, second, 999_999])
                #expect(papers.count == 1 && papers[first]?.id == "1706.03762")
                #expect(try await store.papers(keys: []).isEmpty)
            }
        }

        @Test(arguments: StoreKind.allCases) func embeddings_roundTripBitForBit_andStaleOnesAreRedone(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await Self.seed(store)
                let needing = try await store.papersNeedingEmbeddings(model: "m1", afterKey: 0, limit: 10)
                #expect(needing.count == 4)
                #expect(needing.map(\.key) == needing.map(\.key).sorted())
                #expect(needing.first?.text.hasPrefix("Attention Is All You Need. The dominant") == true)
                let vectors: [[Float]] = [[1, -0.5, .pi, 1e-30], [0, 0, 0, 0], [-.greatestFiniteMagnitude, 3, 2, 1], [.leastNonzeroMagnitude, 0.1, 0.2, 0.3]]
                let stored = zip(needing, vectors).map { StoredEmbedding(key: $0.key, vector: $1, sourceModifiedAt: $0.modifiedAt) }
                let before = store.changeCount
                try await store.saveEmbeddings(stored, model: "m1")
                #expect(store.changeCount > before)
                #expect(try await store.embeddingCount(model: "m1") == 4)
                #expect(try await store.embeddingCount(model: "m2") == 0)
                #expect(try await store.papersNeedingEmbeddings(model: "m1", afterKey: 0, limit: 10).isEmpty)
                #expect(try await store.papersNeedingEmbeddings(model: "m2", afterKey: 0, limit: 10).count == 4)

                // Saved in one call, so they page in key order.
                let firstPage = try await store.embeddingsSaved(model: "m1", after: EmbeddingCursor(savedAt: 0, key: 0), limit: 3)
                #expect(firstPage.count == 3)
                let secondPage = try await store.embeddingsSaved(model: "m1", after: try #require(firstPage.last).cursor, limit: 3)
                #expect(try await store.embeddingsSaved(model: "m1", after: try #require(secondPage.last).cursor, limit: 3).isEmpty)
                let all = (firstPage + secondPage).map(\.embedding)
                #expect(all.map(\.key) == stored.map(\.key))
                #expect(all.map(\.vector) == vectors)
                #expect(all.map(\.sourceModifiedAt) == stored.map(\.sourceModifiedAt))

                // An edited paper is embedded again.
                _ = try await store.upsert([record(samplePaper(id: "2006.11239", title: "Denoising Diffusion, revised", published: "2020-06-19"))])
                #expect(try await store.papersNeedingEmbeddings(model: "m1", afterKey: 0, limit: 10).map(\.key) == [try #require(try await store.paperKey(id: "2006.11239"))])

                // A key given twice in one call keeps the later vector.
                let key = stored[1].key
                try await store.saveEmbeddings(
                    [StoredEmbedding(key: key, vector: [9, 9, 9, 9], sourceModifiedAt: 1), StoredEmbedding(key: key, vector: [7, 7, 7, 7], sourceModifiedAt: 2)],
                    model: "m1")
                let saved = try await store.embeddingsSaved(model: "m1", after: EmbeddingCursor(savedAt: 0, key: 0), limit: 10).map(\.embedding)
                #expect(saved.count == 4)
                #expect(saved.first { $0.key == key }?.vector == [7, 7, 7, 7])
            }
        }

        @Test(arguments: StoreKind.allCases) func embeddingSummary_countsKeysAndTimesUpToTheCursor_andAReplacedOneMovesPast(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await Self.seed(store)
                let needing = try await store.papersNeedingEmbeddings(model: "m1", afterKey: 0, limit: 10)
                let stored = needing.map { StoredEmbedding(key: $0.key, vector: [1, 2, 3], sourceModifiedAt: $0.modifiedAt) }
                try await store.saveEmbeddings(Array(stored.prefix(3)), model: "m1")
                try await Task.sleep(for: .milliseconds(20))
                try await store.saveEmbeddings(Array(stored.suffix(1)), model: "m1")
                let saved = try await store.embeddingsSaved(model: "m1", after: EmbeddingCursor(savedAt: 0, key: 0), limit: 10)
                #expect(saved.count == 4)
                func expected(_ rows: ArraySlice<SavedEmbedding>) -> EmbeddingSummary {
                    EmbeddingSummary(count: rows.count, keySum: rows.reduce(0) { $0 + Int64($1.cursor.key) },
                                     savedAtMillisecondSum: rows.reduce(0) { $0 + Int64(($1.cursor.savedAt * 1000).rounded()) })
                }
                let everything = try await store.embeddingSummary(model: "m1", through: try #require(saved.last).cursor)
                #expect(everything == expected(saved[...]))
                // The cursor is inclusive, and orders by time then key.
                #expect(try await store.embeddingSummary(model: "m1", through: saved[1].cursor) == expected(saved[..<2]))
                #expect(try await store.embeddingSummary(model: "m1", through: EmbeddingCursor(savedAt: 0, key: 0)).count == 0)
                #expect(try await store.embeddingSummary(model: "m2", through: try #require(saved.last).cursor).count == 0)
                // Saving the first one again moves it past a cursor taken before.
                try await Task.sleep(for: .milliseconds(20))
                try await store.saveEmbeddings([stored[0]], model: "m1")
                let after = try await store.embeddingSummary(model: "m1", through: try #require(saved.last).cursor)
                #expect(after.count == 3)
                #expect(after != everything)
            }
        }
    }
}

extension StoreConformanceTests {
    @Suite struct Community {
        func storeWithPaper(_ store: any PaperStore, upvotes: Int = 7) async throws {
            var paper = samplePaper(id: "2502.00001", title: "Votable")
            paper.upvotes = upvotes
            paper.dailyDay = day("2025-02-04")
            paper.submittedOnDailyAt = testNow
            _ = try await store.upsert([record(paper)])
        }

        @Test(arguments: StoreKind.allCases) func accounts_duplicateUsernameOrEmail_areRefused(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                #expect(try await store.accountCount() == 0)
                let admin = try await store.createAccount(username: "ada", email: "ada@example.org", role: .admin, passwordHash: nil, now: testNow)
                #expect(try await store.account(username: "ADA")?.id == admin.id)
                #expect(try await store.account(email: "ada@example.org") == admin)
                #expect(try await store.account(id: admin.id) == admin)
                #expect(try await store.account(id: 12_345) == nil)
                await #expect(throws: CommunityError.usernameTaken("Ada")) {
                    try await store.createAccount(username: "Ada", email: "other@example.org", role: .member, passwordHash: nil, now: testNow)
                }
                await #expect(throws: CommunityError.emailTaken("ada@example.org")) {
                    try await store.createAccount(username: "other", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
                }
                try await store.setRole(.curator, username: "ADA")
                #expect(try await store.account(id: admin.id)?.role == .curator)
                await #expect(throws: CommunityError.noSuchAccount("nobody")) { try await store.setRole(.admin, username: "nobody") }
                try await store.setPasswordHash("$2b$12$hash", accountID: admin.id)
                #expect(try await store.account(id: admin.id)?.passwordHash == "$2b$12$hash")
                try await store.setPasswordHash(nil, accountID: admin.id)
                #expect(try await store.account(id: admin.id)?.passwordHash == nil)
                #expect(try await store.accountCount() == 1)
            }
        }

        @Test(arguments: StoreKind.allCases) func accounts_renameAndNewEmail_keepSubmissions_andRefuseTakenOnes(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let ada = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
                _ = try await store.createAccount(username: "grace", email: "grace@example.org", role: .member, passwordHash: nil, now: testNow)
                let outcome = try await store.submit(record(samplePaper(id: "2502.00007", title: "Submitted by Ada", daily: nil)), by: "ada", day: day("2025-02-04"), now: testNow)
                guard case .added = outcome else { Issue.record("not submitted: \(outcome)"); return }
                await #expect(throws: CommunityError.usernameTaken("GRACE")) { try await store.renameAccount(id: ada.id, to: "GRACE") }
                await #expect(throws: CommunityError.emailTaken("grace@example.org")) { try await store.setEmail("grace@example.org", accountID: ada.id) }
                // A change of case of one's own name is allowed.
                try await store.renameAccount(id: ada.id, to: "Ada")
                try await store.renameAccount(id: ada.id, to: "countess")
                #expect(try await store.account(id: ada.id)?.username == "countess")
                #expect(try await store.account(username: "ada") == nil)
                #expect(try await store.submissions(username: "countess", limit: 10).map(\.id) == ["2502.00007"])
                try await store.setEmail("countess@example.org", accountID: ada.id)
                #expect(try await store.account(email: "countess@example.org")?.id == ada.id)
                #expect(try await store.account(email: "ada@example.org") == nil)
            }
        }

        @Test(arguments: StoreKind.allCases) func comments_byAccount_newestFirst_withTitles_hiddenOnlyWhenAsked(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await storeWithPaper(store)
                let ada = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
                let first = try await store.addComment(paperID: "2502.00001", accountID: ada.id, body: "first", now: testNow)
                let second = try await store.addComment(paperID: "2502.00001", accountID: ada.id, body: "second", now: testNow.addingTimeInterval(60))
                let third = try await store.addComment(paperID: "2502.00001", accountID: ada.id, body: "third", now: testNow.addingTimeInterval(120))
                try await store.setCommentHidden(true, id: second.id)
                #expect(try await store.deleteComment(id: third.id, accountID: ada.id))
                let shown = try await store.comments(accountID: ada.id, includeHidden: false, limit: 10)
                #expect(shown.map(\.comment.id) == [first.id])
                #expect(shown.first?.paperTitle == "Votable")
                #expect(try await store.comments(accountID: ada.id, includeHidden: true, limit: 10).map(\.comment.body) == ["second", "first"])
                #expect(try await store.comments(accountID: ada.id, includeHidden: true, limit: 1).count == 1)
            }
        }

        @Test(arguments: StoreKind.allCases) func accounts_concurrentSignUpsWithOneName_oneWins(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for index in 0..<6 {
                        group.addTask {
                            do {
                                _ = try await store.createAccount(username: index % 2 == 0 ? "grace" : "GRACE", email: "g\(index)@example.org", role: .member, passwordHash: nil, now: testNow)
                                return true
                            } catch CommunityError.usernameTaken {
                                return false
                            }
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1)
                #expect(try await store.accountCount() == 1)
            }
        }

        @Test(arguments: StoreKind.allCases) func signInToken_isUsableOnce_andNotAfterExpiry(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let hash = Data(repeating: 1, count: 32)
                try await store.saveSignInToken(hash: hash, email: "a@example.org", expiresAt: testNow.addingTimeInterval(900))
                #expect(try await store.signInTokenIsValid(hash: hash, now: testNow) == "a@example.org")
                #expect(try await store.signInTokenIsValid(hash: Data(repeating: 9, count: 32), now: testNow) == nil)
                // Several uses at once: exactly one wins.
                let results = try await withThrowingTaskGroup(of: String?.self) { group in
                    for _ in 0..<5 { group.addTask { try await store.consumeSignInToken(hash: hash, now: testNow) } }
                    return try await group.reduce(into: [String?]()) { $0.append($1) }
                }
                #expect(results.compactMap { $0 } == ["a@example.org"])
                #expect(try await store.signInTokenIsValid(hash: hash, now: testNow) == nil)

                let late = Data(repeating: 2, count: 32)
                try await store.saveSignInToken(hash: late, email: "a@example.org", expiresAt: testNow.addingTimeInterval(900))
                #expect(try await store.signInTokenIsValid(hash: late, now: testNow.addingTimeInterval(901)) == nil)
                #expect(try await store.consumeSignInToken(hash: late, now: testNow.addingTimeInterval(901)) == nil)
            }
        }

        @Test(arguments: StoreKind.allCases) func sessions_expireAndEndOnSignOut(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let account = try await store.createAccount(username: "grace", email: "grace@example.org", role: .member, passwordHash: nil, now: testNow)
                let hash = Data(repeating: 3, count: 32)
                try await store.createSession(hash: hash, accountID: account.id, now: testNow, expiresAt: testNow.addingTimeInterval(3600))
                #expect(try await store.sessionAccount(hash: hash, now: testNow) == account)
                #expect(try await store.sessionAccount(hash: hash, now: testNow.addingTimeInterval(3601)) == nil)
                #expect(try await store.sessionAccount(hash: Data(repeating: 4, count: 32), now: testNow) == nil)
                try await store.deleteSession(hash: hash)
                #expect(try await store.sessionAccount(hash: hash, now: testNow) == nil)
            }
        }

        @Test(arguments: StoreKind.allCases) func votes_fiftyConcurrentVoters_countEqualsRows(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await storeWithPaper(store, upvotes: 7)
                var accounts: [Account] = []
                for index in 0..<50 {
                    accounts.append(try await store.createAccount(username: "voter\(index)", email: "v\(index)@example.org", role: .member, passwordHash: nil, now: testNow))
                }
                let voters = accounts
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for account in voters {
                        group.addTask { _ = try await store.setVote(true, paperID: "2502.00001", accountID: account.id, now: testNow) }
                        group.addTask { _ = try await store.setVote(true, paperID: "2502.00001", accountID: account.id, now: testNow) }
                    }
                    try await group.waitForAll()
                }
                #expect(try await store.voteRowCount(paperID: "2502.00001") == 50)
                #expect(try await store.paper(id: "2502.00001")?.upvotes == 57)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for account in voters.prefix(10) {
                        group.addTask { _ = try await store.setVote(false, paperID: "2502.00001", accountID: account.id, now: testNow) }
                    }
                    try await group.waitForAll()
                }
                #expect(try await store.voteRowCount(paperID: "2502.00001") == 40)
                #expect(try await store.paper(id: "2502.00001")?.upvotes == 47)
                #expect(try await store.setVote(true, paperID: "2502.00001", accountID: voters[0].id, now: testNow) == VoteState(upvoted: true, upvotes: 48))
                #expect(try await store.setVote(false, paperID: "2502.00001", accountID: voters[0].id, now: testNow) == VoteState(upvoted: false, upvotes: 47))
                #expect(try await store.votedPaperIDs(accountID: voters[20].id, among: ["2502.00001", "x"]) == ["2502.00001"])
                #expect(try await store.votedPaperIDs(accountID: voters[0].id, among: ["2502.00001"]) == [])
                #expect(try await store.votedPaperIDs(accountID: voters[20].id, among: []) == [])
                await #expect(throws: CommunityError.noSuchPaper("nope")) {
                    try await store.setVote(true, paperID: "nope", accountID: voters[0].id, now: testNow)
                }
                // A re-import with new source counts keeps the local votes on top.
                var paper = samplePaper(id: "2502.00001", title: "Votable, revised")
                paper.upvotes = 9
                _ = try await store.upsert([record(paper)])
                #expect(try await store.paper(id: "2502.00001")?.upvotes == 49)
                #expect(try await store.upvotedPapers(username: "voter20", limit: 10).map(\.id) == ["2502.00001"])
                #expect(try await store.upvotedPapers(username: "voter0", limit: 10).isEmpty)
            }
        }

        @Test(arguments: StoreKind.allCases) func comments_countFollowsRows_onlyAuthorsEditOrDelete(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await storeWithPaper(store)
                let ada = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
                let bob = try await store.createAccount(username: "bob", email: "bob@example.org", role: .member, passwordHash: nil, now: testNow)
                let first = try await store.addComment(paperID: "2502.00001", accountID: ada.id, body: "Nice **result** '; --", now: testNow)
                let second = try await store.addComment(paperID: "2502.00001", accountID: bob.id, body: "Spam", now: testNow.addingTimeInterval(1))
                #expect(first.author == "ada" && first.paperID == "2502.00001" && first.body == "Nice **result** '; --" && first.createdAt == testNow)
                #expect(first.editedAt == nil && !first.hidden && !first.deleted)
                #expect(try await store.paper(id: "2502.00001")?.commentCount == 2)
                #expect(try await store.editComment(id: first.id, accountID: bob.id, body: "hijacked", now: testNow) == false)
                #expect(try await store.editComment(id: first.id, accountID: ada.id, body: "Nice result", now: testNow.addingTimeInterval(5)) == true)
                #expect(try await store.comment(id: first.id)?.body == "Nice result")
                #expect(try await store.comment(id: first.id)?.editedAt == testNow.addingTimeInterval(5))
                #expect(try await store.comment(id: 999_999) == nil)
                #expect(try await store.deleteComment(id: second.id, accountID: ada.id) == false)
                try await store.setCommentHidden(true, id: second.id)
                #expect(try await store.paper(id: "2502.00001")?.commentCount == 1)
                #expect(try await store.comments(paperID: "2502.00001", includeHidden: false).map(\.id) == [first.id])
                #expect(try await store.comments(paperID: "2502.00001", includeHidden: true).map(\.id) == [first.id, second.id])
                #expect(try await store.deleteComment(id: first.id, accountID: ada.id) == true)
                #expect(try await store.deleteComment(id: first.id, accountID: ada.id) == false)
                #expect(try await store.comment(id: first.id).map { ($0.deleted, $0.body) } ?? (false, "x") == (true, ""))
                #expect(try await store.editComment(id: first.id, accountID: ada.id, body: "back", now: testNow) == false)
                #expect(try await store.paper(id: "2502.00001")?.commentCount == 0)
                try await store.setCommentHidden(false, id: second.id)
                #expect(try await store.paper(id: "2502.00001")?.commentCount == 1)
                await #expect(throws: CommunityError.noSuchPaper("nope")) {
                    try await store.addComment(paperID: "nope", accountID: ada.id, body: "x", now: testNow)
                }
                await #expect(throws: CommunityError.noSuchComment(999_999)) { try await store.setCommentHidden(true, id: 999_999) }
            }
        }

        @Test(arguments: StoreKind.allCases) func comments_concurrentPosts_countEqualsRows(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                try await storeWithPaper(store)
                let ada = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<30 {
                        group.addTask { _ = try await store.addComment(paperID: "2502.00001", accountID: ada.id, body: "comment \(index)", now: testNow) }
                    }
                    try await group.waitForAll()
                }
                #expect(try await store.paper(id: "2502.00001")?.commentCount == 30)
            }
        }

        @Test(arguments: StoreKind.allCases) func submit_putsPaperOnTheDay_andRefusesADuplicate(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let paper = samplePaper(id: "2403.00042", title: "Submitted Paper", daily: nil)
                let outcome = try await store.submit(record(paper, hasUpvotes: false), by: "ada", day: day("2025-02-04"), now: testNow)
                guard case .added(let added) = outcome else { Issue.record("expected added, got \(outcome)"); return }
                #expect(added.dailyDay == day("2025-02-04") && added.submittedBy == "ada" && added.submittedOnDailyAt == testNow)
                let again = try await store.submit(record(paper, hasUpvotes: false), by: "bob", day: day("2025-02-05"), now: testNow)
                guard case .alreadyOnFeed(let existing, let onDay) = again else { Issue.record("expected duplicate, got \(again)"); return }
                #expect(existing.submittedBy == "ada" && onDay == day("2025-02-04"))
                #expect(try await store.submissions(username: "ada", limit: 10).map(\.id) == ["2403.00042"])
                // A stored paper not yet on the feed is put there as it is.
                _ = try await store.upsert([record(samplePaper(id: "2403.00043", title: "Stored Earlier", daily: nil))])
                let stored = try await store.submit(record(samplePaper(id: "2403.00043", title: "Other title", daily: nil)), by: "bob", day: day("2025-02-05"), now: testNow)
                guard case .added(let storedAdded) = stored else { Issue.record("expected added, got \(stored)"); return }
                #expect(storedAdded.title == "Stored Earlier" && storedAdded.submittedBy == "bob")
            }
        }

        @Test(arguments: StoreKind.allCases) func submit_samePaperByManyAtOnce_addsItOnce(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let paper = samplePaper(id: "2403.00042", title: "Popular Submission", daily: nil)
                let outcomes = try await withThrowingTaskGroup(of: SubmissionOutcome.self) { group in
                    for index in 0..<6 {
                        group.addTask { try await store.submit(record(paper, hasUpvotes: false), by: "user\(index)", day: day("2025-02-04"), now: testNow) }
                    }
                    return try await group.reduce(into: [SubmissionOutcome]()) { $0.append($1) }
                }
                let added = outcomes.compactMap { outcome -> String? in
                    if case .added(let paper) = outcome { return paper.submittedBy } else { return nil }
                }
                #expect(added.count == 1)
                #expect(try await store.paper(id: "2403.00042")?.submittedBy == added.first)
                #expect(try await store.paperCount() == 1)
            }
        }

        @Test(arguments: StoreKind.allCases) func curation_featuredLeadsTheDay_hiddenLeavesFeedsAndSearch(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                var popular = samplePaper(id: "2502.00001", title: "Popular quokkas")
                popular.upvotes = 100
                popular.dailyDay = day("2025-02-04")
                var quiet = samplePaper(id: "2502.00002", title: "Quiet quokkas")
                quiet.dailyDay = day("2025-02-04")
                _ = try await store.upsert([record(popular), record(quiet)])
                try await store.setFeatured(true, paperID: "2502.00002")
                let feed = try await store.dailyPapers(DailyQuery(period: .day(day("2025-02-04")), now: testNow))
                #expect(feed.map(\.id) == ["2502.00002", "2502.00001"])
                try await store.setPaperHidden(true, paperID: "2502.00001")
                #expect(try await store.dailyPapers(DailyQuery(period: .day(day("2025-02-04")), now: testNow)).map(\.id) == ["2502.00002"])
                let hits = try await store.keywordSearch(SearchQuery.parse("quokkas"), prefixTerms: [], limit: 10)
                #expect(try await store.papers(keys: hits.map(\.key)).values.map(\.id) == ["2502.00002"])
                #expect(try await store.curation(paperID: "2502.00001") == (featured: false, hidden: true))
                await #expect(throws: CommunityError.noSuchPaper("nope")) { try await store.setFeatured(true, paperID: "nope") }
                await #expect(throws: CommunityError.noSuchPaper("nope")) { try await store.setPaperHidden(true, paperID: "nope") }
                await #expect(throws: CommunityError.noSuchPaper("nope")) { _ = try await store.curation(paperID: "nope") }
            }
        }

        @Test(arguments: StoreKind.allCases) func trending_favoursRecentVotesOverOldTotals(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                var old = samplePaper(id: "2502.00001", title: "Old favourite")
                old.upvotes = 20
                old.dailyDay = day("2025-01-30")
                old.submittedOnDailyAt = testNow.addingTimeInterval(-5 * 86_400)
                var fresh = samplePaper(id: "2502.00002", title: "Fresh votes")
                fresh.dailyDay = day("2025-01-30")
                fresh.submittedOnDailyAt = testNow.addingTimeInterval(-5 * 86_400)
                var early = samplePaper(id: "2502.00003", title: "Too early")
                early.upvotes = 1000
                early.dailyDay = day("2025-01-10")
                _ = try await store.upsert([record(old), record(fresh), record(early)])
                // 20 votes five days ago weigh 20 / 6^1.5 ≈ 1.36; three votes in the last hour weigh about 3.
                for index in 0..<3 {
                    let account = try await store.createAccount(username: "u\(index)", email: "u\(index)@example.org", role: .member, passwordHash: nil, now: testNow)
                    _ = try await store.setVote(true, paperID: "2502.00002", accountID: account.id, now: testNow.addingTimeInterval(-600))
                }
                let trending = try await store.trendingPapers(since: day("2025-01-20"), now: testNow, offset: 0, limit: 10)
                #expect(trending.map(\.id) == ["2502.00002", "2502.00001"])
                #expect(try await store.trendingPapers(since: day("2025-01-20"), now: testNow, offset: 1, limit: 10).map(\.id) == ["2502.00001"])
                let api = try await store.dailyPapers(DailyQuery(period: .week(containing: day("2025-01-30")), sort: .trending, now: testNow))
                #expect(api.map(\.id) == ["2502.00002", "2502.00001"])
                // The whole feed, without a period, counts the votes the same way; the early paper is
                // in it, its 1000 imported votes cast (by samplePaper's clock) three hours ago.
                let feed = try await store.dailyPapers(DailyQuery(period: nil, sort: .trending, now: testNow))
                #expect(feed.map(\.id) == ["2502.00003", "2502.00002", "2502.00001"])
                let later = try await store.trendingPapers(since: day("2025-01-20"), now: testNow.addingTimeInterval(30 * 86_400), offset: 0, limit: 10)
                #expect(later.map(\.id) == ["2502.00001", "2502.00002"])
            }
        }
    }
}

extension StoreConformanceTests {
    @Suite struct Digests {
        @Test(arguments: StoreKind.allCases) func subscribe_pendingUntilConfirmed_preferencesAndUnsubscribe(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let pending = try await store.subscribe(email: "r@example.org", frequency: .daily, topics: ["diffusion", "author:Ho"], token: "t1", now: testNow)
                #expect(pending.status == .pending && pending.topics == ["diffusion", "author:Ho"] && pending.token == "t1")
                // Asking again while pending: new preferences, same token.
                let again = try await store.subscribe(email: "r@example.org", frequency: .weekly, topics: [], token: "t2", now: testNow)
                #expect(again.id == pending.id && again.token == "t1" && again.frequency == .weekly && again.topics == [])
                #expect(try await store.subscriber(token: "t1") == again)
                #expect(try await store.subscriber(token: "t2") == nil)
                #expect(try await store.activeSubscribers(frequency: .weekly).isEmpty)
                let active = try #require(try await store.confirmSubscription(token: "t1", now: testNow))
                #expect(active.status == .active)
                #expect(try await store.confirmSubscription(token: "nope", now: testNow) == nil)
                #expect(try await store.activeSubscribers(frequency: .weekly).map(\.id) == [pending.id])
                // An active subscription is left as it is by another request.
                #expect(try await store.subscribe(email: "r@example.org", frequency: .daily, topics: ["x"], token: "t3", now: testNow) == active)
                let updated = try await store.updatePreferences(token: "t1", frequency: .daily, topics: ["sparse"])
                #expect(updated?.frequency == .daily && updated?.topics == ["sparse"] && updated?.status == .active)
                #expect(try await store.updatePreferences(token: "nope", frequency: .daily, topics: []) == nil)
                #expect(try await store.subscriber(email: "r@example.org")?.topics == ["sparse"])

                _ = try await store.planDigests(period: DigestPeriod(day: day("2025-02-03")), messageIDDomain: "example.org", now: testNow)
                let gone = try await store.unsubscribe(token: "t1", now: testNow)
                #expect(gone?.status == .unsubscribed)
                #expect(try await store.outboxCounts(period: "2025-02-03") == ["failed": 1])
                #expect(try await store.claimNextDelivery(now: testNow) == nil)
                #expect(try await store.activeSubscribers(frequency: .daily).isEmpty)
                // Subscribing again after leaving starts over as pending.
                #expect(try await store.subscribe(email: "r@example.org", frequency: .daily, topics: [], token: "t4", now: testNow).status == .pending)
            }
        }

        @Test(arguments: StoreKind.allCases) func subscribe_sameAddressTwiceAtOnce_makesOneSubscriber(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let subscribers = try await withThrowingTaskGroup(of: Subscriber.self) { group in
                    for index in 0..<6 {
                        group.addTask {
                            try await store.subscribe(email: "same@example.org", frequency: .daily, topics: [], token: "token\(index)", now: testNow)
                        }
                    }
                    return try await group.reduce(into: [Subscriber]()) { $0.append($1) }
                }
                #expect(Set(subscribers.map(\.id)).count == 1)
                #expect(Set(subscribers.map(\.token)).count == 1)
            }
        }

        static func activeSubscribers(_ store: any PaperStore, count: Int, frequency: DigestFrequency = .daily) async throws -> [Subscriber] {
            var subscribers: [Subscriber] = []
            for index in 0..<count {
                let pending = try await store.subscribe(
                    email: "reader\(index)-\(frequency)@example.org", frequency: frequency, topics: [], token: "token\(index)-\(frequency)", now: testNow)
                subscribers.append(try #require(try await store.confirmSubscription(token: pending.token, now: testNow)))
            }
            return subscribers
        }

        @Test(arguments: StoreKind.allCases) func outbox_planClaimSendRetry_eachDigestOnce(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let daily = try await Self.activeSubscribers(store, count: 3)
                _ = try await Self.activeSubscribers(store, count: 2, frequency: .weekly)
                let period = DigestPeriod(day: day("2025-02-03"))
                #expect(try await store.planDigests(period: period, messageIDDomain: "papers.example.org", now: testNow) == 3)
                #expect(try await store.planDigests(period: period, messageIDDomain: "papers.example.org", now: testNow) == 0)
                #expect(try await store.planDigests(period: DigestPeriod(weekContaining: day("2025-01-27")), messageIDDomain: "papers.example.org", now: testNow) == 2)
                #expect(try await store.outboxCounts(period: "2025-02-03") == ["pending": 3])

                let first = try #require(try await store.claimNextDelivery(now: testNow))
                #expect(first.subscriber == daily[0] && first.period == "2025-02-03" && first.status == .sending && first.attempts == 1)
                #expect(first.messageID == "<digest-2025-02-03-\(daily[0].id)-\(daily[0].token)@papers.example.org>")
                // A sender that died leaves its row `sending`: it is claimed again first, with the same Message-ID.
                let resumed = try #require(try await store.claimNextDelivery(now: testNow))
                #expect(resumed.subscriber.id == daily[0].id && resumed.attempts == 2 && resumed.messageID == first.messageID)
                try await store.markSent(subscriberID: daily[0].id, period: "2025-02-03", now: testNow)

                let second = try #require(try await store.claimNextDelivery(now: testNow))
                #expect(second.subscriber.id == daily[1].id)
                try await store.markRetry(subscriberID: daily[1].id, period: "2025-02-03", error: String(repeating: "451 busy ", count: 100), retryAt: testNow.addingTimeInterval(60), giveUp: false)
                let third = try #require(try await store.claimNextDelivery(now: testNow))
                #expect(third.subscriber.id == daily[2].id)
                try await store.markRetry(subscriberID: daily[2].id, period: "2025-02-03", error: "gave up", retryAt: testNow, giveUp: true)
                let weekly = try #require(try await store.claimNextDelivery(now: testNow))
                #expect(weekly.period == "2025-W05")
                try await store.markSent(subscriberID: weekly.subscriber.id, period: weekly.period, now: testNow)
                let weeklyNext = try #require(try await store.claimNextDelivery(now: testNow))
                try await store.markSent(subscriberID: weeklyNext.subscriber.id, period: weeklyNext.period, now: testNow)
                // The retry waits for its time.
                #expect(try await store.claimNextDelivery(now: testNow) == nil)
                let retried = try #require(try await store.claimNextDelivery(now: testNow.addingTimeInterval(61)))
                #expect(retried.subscriber.id == daily[1].id && retried.attempts == 2)
                try await store.markSent(subscriberID: daily[1].id, period: "2025-02-03", now: testNow.addingTimeInterval(61))
                #expect(try await store.outboxCounts(period: "2025-02-03") == ["sent": 2, "failed": 1])
                #expect(try await store.outboxCounts(period: "2025-W05") == ["sent": 2])
                #expect(try await store.claimNextDelivery(now: testNow.addingTimeInterval(86_400)) == nil)
            }
        }

        @Test(arguments: StoreKind.allCases) func bounces_threeMakeTheSubscriberBounced(_ kind: StoreKind) async throws {
            try await kind.withStore { store in
                let subscriber = try #require(try await Self.activeSubscribers(store, count: 1).first)
                for (index, date) in ["2025-02-03", "2025-02-04", "2025-02-05"].enumerated() {
                    #expect(try await store.activeSubscribers(frequency: .daily).count == 1, "before bounce \(index + 1)")
                    #expect(try await store.planDigests(period: DigestPeriod(day: day(date)), messageIDDomain: "example.org", now: testNow) == 1)
                    let delivery = try #require(try await store.claimNextDelivery(now: testNow))
                    try await store.markBounced(subscriberID: delivery.subscriber.id, period: date, error: "550 no such user")
                    #expect(try await store.outboxCounts(period: date) == ["bounced": 1])
                }
                #expect(try await store.subscriber(token: subscriber.token)?.status == .bounced)
                #expect(try await store.activeSubscribers(frequency: .daily).isEmpty)
                #expect(try await store.planDigests(period: DigestPeriod(day: day("2025-02-06")), messageIDDomain: "example.org", now: testNow) == 0)
                // A bounced address stays bounced when someone subscribes it again.
                #expect(try await store.subscribe(email: subscriber.email, frequency: .daily, topics: [], token: "new", now: testNow).status == .bounced)
            }
        }
    }
}
