import GRDB

/// Versioned, append-only schema changes. Never edit a shipped migration: add a new one.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-papers") { db in
            // Times are Unix seconds (REAL); daily_day is days since 1970-01-01 (INTEGER),
            // so feed ranges and neighbouring days are integer comparisons on an index.
            // `key` is a stable integer alias of the row (VACUUM keeps it), used by the
            // full-text index and as the vector index's key.
            try db.execute(sql: """
                CREATE TABLE paper (
                    key INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    title TEXT NOT NULL,
                    abstract TEXT NOT NULL,
                    authors TEXT NOT NULL DEFAULT '',
                    author_count INTEGER NOT NULL DEFAULT 0,
                    categories TEXT NOT NULL DEFAULT '',
                    published_at REAL,
                    updated_at REAL,
                    version INTEGER,
                    doi TEXT,
                    journal_ref TEXT,
                    author_comments TEXT,
                    github_repo TEXT,
                    project_page TEXT,
                    pdf_url TEXT,
                    source TEXT NOT NULL,
                    daily_day INTEGER,
                    submitted_on_daily_at REAL,
                    submitted_by TEXT,
                    upvotes INTEGER NOT NULL DEFAULT 0 CHECK (upvotes >= 0),
                    comment_count INTEGER NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
                    content_hash INTEGER NOT NULL,
                    created_at REAL NOT NULL,
                    modified_at REAL NOT NULL
                ) STRICT;
                CREATE INDEX paper_daily_upvotes ON paper(daily_day, upvotes DESC) WHERE daily_day IS NOT NULL;
                CREATE INDEX paper_daily_published ON paper(daily_day, published_at DESC) WHERE daily_day IS NOT NULL;
                CREATE INDEX paper_submitter ON paper(submitted_by, daily_day) WHERE submitted_by IS NOT NULL;
                """)
        }
        migrator.registerMigration("v2-search") { db in
            // External-content FTS5 over the paper table, kept in step by triggers.
            // Porter stemming: "training" finds "trained"; diacritics folded: "naive" finds "naïve".
            try db.execute(sql: """
                CREATE VIRTUAL TABLE paper_search USING fts5(
                    title, abstract, authors,
                    content = 'paper', content_rowid = 'key',
                    tokenize = 'porter unicode61 remove_diacritics 2'
                );
                INSERT INTO paper_search(paper_search) VALUES ('rebuild');
                \(SearchIndexTriggers.insert);
                CREATE TRIGGER paper_search_delete AFTER DELETE ON paper BEGIN
                    INSERT INTO paper_search(paper_search, rowid, title, abstract, authors) VALUES ('delete', old.key, old.title, old.abstract, old.authors);
                END;
                \(SearchIndexTriggers.update(onlyUpToKey: nil));
                -- The index's vocabulary, for spelling correction.
                CREATE VIRTUAL TABLE paper_search_terms USING fts5vocab(paper_search, 'row');

                -- One embedding per paper and model; source_modified_at is the paper's modified_at
                -- when it was embedded, so an edited title or abstract is embedded again.
                CREATE TABLE paper_embedding (
                    paper_key INTEGER PRIMARY KEY REFERENCES paper(key) ON DELETE CASCADE,
                    model TEXT NOT NULL,
                    source_modified_at REAL NOT NULL,
                    vector BLOB NOT NULL
                ) STRICT;
                """)
        }
        migrator.registerMigration("v3-community") { db in
            // `upvotes` and `comment_count` stay the totals pages sort by: what the source said
            // (source_*) plus the rows below, kept equal inside every transaction that changes them.
            try db.execute(sql: """
                ALTER TABLE paper ADD COLUMN source_upvotes INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE paper ADD COLUMN source_comment_count INTEGER NOT NULL DEFAULT 0;
                UPDATE paper SET source_upvotes = upvotes, source_comment_count = comment_count;
                ALTER TABLE paper ADD COLUMN featured INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE paper ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;

                CREATE TABLE account (
                    id INTEGER PRIMARY KEY,
                    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    email TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('member', 'curator', 'admin')),
                    password_hash TEXT,
                    created_at REAL NOT NULL
                ) STRICT;

                -- Tokens and sessions are stored as SHA-256 hashes: a copy of the database signs nobody in.
                CREATE TABLE sign_in_token (
                    token_hash BLOB PRIMARY KEY,
                    email TEXT NOT NULL,
                    expires_at REAL NOT NULL,
                    used_at REAL
                ) STRICT;

                CREATE TABLE session (
                    token_hash BLOB PRIMARY KEY,
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    created_at REAL NOT NULL,
                    expires_at REAL NOT NULL
                ) STRICT;
                CREATE INDEX session_account ON session(account_id);

                CREATE TABLE vote (
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    paper_key INTEGER NOT NULL REFERENCES paper(key) ON DELETE CASCADE,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (account_id, paper_key)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX vote_paper ON vote(paper_key, created_at);

                CREATE TABLE comment (
                    id INTEGER PRIMARY KEY,
                    paper_key INTEGER NOT NULL REFERENCES paper(key) ON DELETE CASCADE,
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    body TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    edited_at REAL,
                    hidden INTEGER NOT NULL DEFAULT 0,
                    deleted INTEGER NOT NULL DEFAULT 0
                ) STRICT;
                CREATE INDEX comment_paper ON comment(paper_key, created_at);
                """)
        }
        migrator.registerMigration("v4-digests") { db in
            try db.execute(sql: """
                CREATE TABLE subscriber (
                    id INTEGER PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    frequency TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
                    topics TEXT NOT NULL DEFAULT '',
                    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
                    token TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL,
                    confirmed_at REAL,
                    unsubscribed_at REAL,
                    bounce_count INTEGER NOT NULL DEFAULT 0
                ) STRICT;
                CREATE INDEX subscriber_active ON subscriber(frequency, id) WHERE status = 'active';

                -- One row per subscriber and period: the primary key is what makes a digest go out once.
                CREATE TABLE digest_outbox (
                    subscriber_id INTEGER NOT NULL REFERENCES subscriber(id) ON DELETE CASCADE,
                    period TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'bounced')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL NOT NULL,
                    message_id TEXT NOT NULL,
                    last_error TEXT,
                    sent_at REAL,
                    PRIMARY KEY (subscriber_id, period)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX digest_outbox_due ON digest_outbox(status, next_attempt_at);
                """)
        }
        migrator.registerMigration("v5-coordination") { db in
            try db.execute(sql: """
                -- One row per scheduled job: who runs it until when (Unix seconds).
                CREATE TABLE lease (
                    name TEXT PRIMARY KEY,
                    holder TEXT NOT NULL,
                    expires_at REAL NOT NULL
                ) STRICT, WITHOUT ROWID;
                -- What a job keeps between runs (the arXiv sync's last successful day).
                CREATE TABLE service_state (
                    name TEXT PRIMARY KEY,
                    value TEXT NOT NULL,
                    updated_at REAL NOT NULL
                ) STRICT, WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v6-embedding-changes") { db in
            // When each embedding was saved, so servers can load what others embedded or re-embedded.
            try db.execute(sql: """
                ALTER TABLE paper_embedding ADD COLUMN saved_at REAL NOT NULL DEFAULT 0;
                CREATE INDEX paper_embedding_saved ON paper_embedding(model, saved_at, paper_key);
                """)
        }
        migrator.registerMigration("v7-bm25") { _ in
            // PostgreSQL's v7 made its full-text index match this one (Porter stems, BM25 statistics);
            // FTS5 had both. Registered here too so both stores share one schema version, which
            // `StoreCopy` compares.
        }
        migrator.registerMigration("v8-for-you") { db in
            // Per-reader signals and models (issue 15). Everything hangs off the account with
            // ON DELETE CASCADE, so deleting an account deletes its library and models with it.
            try db.execute(sql: """
                CREATE TABLE library_entry (
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    paper_key INTEGER NOT NULL REFERENCES paper(key) ON DELETE CASCADE,
                    saved_at REAL NOT NULL,
                    PRIMARY KEY (account_id, paper_key)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE library_tag (
                    account_id INTEGER NOT NULL,
                    paper_key INTEGER NOT NULL,
                    tag TEXT NOT NULL,
                    PRIMARY KEY (account_id, tag, paper_key),
                    FOREIGN KEY (account_id, paper_key) REFERENCES library_entry(account_id, paper_key) ON DELETE CASCADE
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX library_tag_paper ON library_tag(account_id, paper_key);
                CREATE TABLE public_tag (
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    tag TEXT NOT NULL,
                    PRIMARY KEY (account_id, tag)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE not_interested (
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    paper_key INTEGER NOT NULL REFERENCES paper(key) ON DELETE CASCADE,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (account_id, paper_key)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE follow (
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('author', 'category')),
                    value TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (account_id, kind, value)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE interest_paragraph (
                    account_id INTEGER PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
                    body TEXT NOT NULL,
                    updated_at REAL NOT NULL
                ) STRICT;
                -- Only the SHA-256 of a personal API token is kept, as for sessions.
                CREATE TABLE api_token (
                    id INTEGER PRIMARY KEY,
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    token_hash BLOB NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    created_at REAL NOT NULL
                ) STRICT;
                CREATE INDEX api_token_account ON api_token(account_id);
                CREATE TABLE recommendation_model (
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    tag TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    weights BLOB NOT NULL,
                    trained_at REAL NOT NULL,
                    PRIMARY KEY (account_id, tag)
                ) STRICT, WITHOUT ROWID;
                -- The TF-IDF vocabulary: in how many papers each 1- or 2-gram occurs, counted
                -- over papers up to through_key (one row of term_count_state).
                CREATE TABLE term_document_count (
                    term TEXT PRIMARY KEY,
                    documents INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE term_count_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    documents INTEGER NOT NULL,
                    through_key INTEGER NOT NULL
                ) STRICT;
                INSERT INTO term_count_state (id, documents, through_key) VALUES (1, 0, 0);
                """)
        }
        migrator.registerMigration("v9-enrichment") { db in
            // Issue 19: key phrases, GitHub stars and thumbnails live on the paper row but are
            // written only by their own jobs (imports leave them alone); claims and images apart.
            try db.execute(sql: """
                ALTER TABLE paper ADD COLUMN key_phrases TEXT NOT NULL DEFAULT '';
                ALTER TABLE paper ADD COLUMN key_phrases_hash INTEGER;
                ALTER TABLE paper ADD COLUMN github_stars INTEGER;
                ALTER TABLE paper ADD COLUMN github_etag TEXT;
                ALTER TABLE paper ADD COLUMN github_checked_at REAL;
                ALTER TABLE paper ADD COLUMN thumbnail TEXT CHECK (thumbnail IN ('image', 'placeholder'));
                CREATE INDEX paper_github_published ON paper(published_at) WHERE github_repo IS NOT NULL;
                CREATE TABLE paper_thumbnail (
                    paper_key INTEGER PRIMARY KEY REFERENCES paper(key) ON DELETE CASCADE,
                    media_type TEXT NOT NULL,
                    small BLOB NOT NULL,
                    large BLOB NOT NULL,
                    rendered_at REAL NOT NULL
                ) STRICT;
                -- A reader's claim to be one of a paper's authors: pending until a curator
                -- decides, or approved at once when their verified address is in the paper.
                CREATE TABLE author_claim (
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    paper_key INTEGER NOT NULL REFERENCES paper(key) ON DELETE CASCADE,
                    author_name TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
                    verified_by TEXT,
                    created_at REAL NOT NULL,
                    decided_at REAL,
                    PRIMARY KEY (account_id, paper_key)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX author_claim_paper ON author_claim(paper_key);
                CREATE INDEX author_claim_status ON author_claim(status, created_at);
                """)
        }
        migrator.registerMigration("v10-postings") { _ in
            // PostgreSQL's v10 added a table of each stem's papers in key order, so it can read a
            // common word's newest papers first; FTS5's doclists are read that way already.
            // Registered here too so both stores share one schema version, which `StoreCopy` compares.
        }
        migrator.registerMigration("v11-row-version") { db in
            // A number every change to a paper row moves (any column: votes, curation, enrichment,
            // an import's merge), so a page can keep the papers it decoded and read only the
            // (key, row_version) pairs of a page's papers again (`DecodedPapers`). A new row
            // starts at 0; papers are never deleted, so a key never comes back with another paper.
            // The trigger's own update fires no trigger again (recursive triggers are off) and
            // touches no searched column.
            try db.execute(sql: """
                ALTER TABLE paper ADD COLUMN row_version INTEGER NOT NULL DEFAULT 0;
                CREATE TRIGGER paper_row_version AFTER UPDATE ON paper WHEN new.row_version = old.row_version BEGIN
                    UPDATE paper SET row_version = old.row_version + 1 WHERE key = new.key;
                END;
                """)
        }
        migrator.registerMigration("v12-search-text-version") { db in
            // Where the searchable text stands (`SearchTextVersion`): the highest key covers
            // inserts (keys only grow), and `changes` moves with every edit of a searched column
            // (not with an import that merely sets it again) and every removal, whoever writes
            // (another process's import too). Lists computed from the search index alone
            // (similar papers by title words) are kept until it moves.
            try db.execute(sql: """
                CREATE TABLE search_text_version (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    changes INTEGER NOT NULL
                ) STRICT;
                INSERT INTO search_text_version (id, changes) VALUES (1, 0);
                CREATE TRIGGER search_text_edited AFTER UPDATE OF title, abstract, authors ON paper
                WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract OR old.authors IS NOT new.authors BEGIN
                    UPDATE search_text_version SET changes = changes + 1 WHERE id = 1;
                END;
                CREATE TRIGGER search_text_removed AFTER DELETE ON paper BEGIN
                    UPDATE search_text_version SET changes = changes + 1 WHERE id = 1;
                END;
                """)
        }
        return migrator
    }
}

/// The triggers that keep `paper_search` in step with `paper`. Bulk imports swap them for a
/// single catch-up insert per batch (see `SQLitePaperStore.upsert`), so the text lives here once.
enum SearchIndexTriggers {
    static let insert = """
        CREATE TRIGGER paper_search_insert AFTER INSERT ON paper BEGIN
            INSERT INTO paper_search(rowid, title, abstract, authors) VALUES (new.key, new.title, new.abstract, new.authors);
        END
        """

    /// With `onlyUpToKey`, rows inserted by the running batch (keys above it) are left to the catch-up.
    static func update(onlyUpToKey key: Int64?) -> String {
        """
        CREATE TRIGGER paper_search_update AFTER UPDATE OF title, abstract, authors ON paper\(key.map { " WHEN old.key <= \($0)" } ?? "") BEGIN
            INSERT INTO paper_search(paper_search, rowid, title, abstract, authors) VALUES ('delete', old.key, old.title, old.abstract, old.authors);
            INSERT INTO paper_search(rowid, title, abstract, authors) VALUES (new.key, new.title, new.abstract, new.authors);
        END
        """
    }
}
