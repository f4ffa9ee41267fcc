import GRDB

/// Versioned, append-only schema changes. Never edit a shipped migration: add a new one.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-papers") { db in
            // Times are Unix seconds (REAL); daily_day is days since 1970-01-01 (INTEGER),
            // so feed ranges and neighbouring days are integer comparisons on an index.
            try db.execute(sql: """
                CREATE TABLE paper (
                    id TEXT PRIMARY KEY NOT NULL,
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
        return migrator
    }
}
