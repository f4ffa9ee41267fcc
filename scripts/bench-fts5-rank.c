// What FTS5's ranking costs per matching paper, outside Paperboy: the statements a keyword
// search runs, timed in C on one connection. Auxiliary functions that do part of bm25()'s work
// per row show where its time goes: f0 nothing (matching and the top-k sort), f1 counting the
// query's instances in the row, f2 also reading each instance's column, f3 also the row's size in
// tokens (FTS5 looks it up in the %_docsize table with a statement of its own for every row),
// which bm25() needs for its length normalisation.
// Usage: bench-fts5-rank DATABASE [FTS5-EXPRESSION] [REPEATS]
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static fts5_api *fts5(sqlite3 *db) {
    fts5_api *api = NULL;
    sqlite3_stmt *statement;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &statement, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_pointer(statement, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(statement);
    sqlite3_finalize(statement);
    return api;
}

static void partOfBM25(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *context, int count, sqlite3_value **values) {
    (void)count; (void)values;
    int level = *(int *)api->xUserData(fts);
    double score = 0;
    if (level >= 1) {
        int instances = 0;
        api->xInstCount(fts, &instances);
        score += instances;
        for (int index = 0; level >= 2 && index < instances; index++) {
            int phrase, column, offset;
            api->xInst(fts, index, &phrase, &column, &offset);
            score += column;
        }
    }
    if (level >= 3) {
        int tokens = 0;
        api->xColumnSize(fts, -1, &tokens);
        score += tokens;
    }
    sqlite3_result_double(context, score);
}

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec * 1e-9;
}

static void time_statement(sqlite3 *db, const char *label, const char *sql, const char *expression, int repeats) {
    sqlite3_stmt *statement;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", label, sqlite3_errmsg(db));
        exit(1);
    }
    int rows = 0;
    double started = 0;
    for (int run = 0; run < repeats + repeats / 10; run++) {
        if (run == repeats / 10) started = seconds();
        sqlite3_bind_text(statement, 1, expression, -1, SQLITE_STATIC);
        rows = 0;
        while (sqlite3_step(statement) == SQLITE_ROW) rows++;
        sqlite3_reset(statement);
    }
    printf("%8.1f µs  %3d rows  %s\n", (seconds() - started) / repeats * 1e6, rows, label);
    sqlite3_finalize(statement);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench-fts5-rank DATABASE [FTS5-EXPRESSION] [REPEATS]\n");
        return 2;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], sqlite3_errmsg(db));
        return 1;
    }
    // As Paperboy's connections are set up (SQLitePaperStore).
    sqlite3_exec(db, "PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -32768", NULL, NULL, NULL);
    fts5_api *api = fts5(db);
    if (api == NULL) {
        fprintf(stderr, "this SQLite has no FTS5\n");
        return 1;
    }
    static int levels[4] = {0, 1, 2, 3};
    const char *names[4] = {"f0", "f1", "f2", "f3"};
    for (int level = 0; level < 4; level++) api->xCreateFunction(api, names[level], &levels[level], partOfBM25, NULL);
    const char *expression = argc > 2 ? argv[2] : "\"sparse\" OR \"attention\"";
    int repeats = argc > 3 ? atoi(argv[3]) : 3000;
    printf("%s, %s, %d repeats\n", sqlite3_libversion(), expression, repeats);
    time_statement(db, "the matches' rowids", "SELECT rowid FROM paper_search WHERE paper_search MATCH ?", expression, repeats);
    const char *labels[4] = {
        "top 40, f0: nothing per row", "top 40, f1: + the row's instance count", "top 40, f2: + each instance's column",
        "top 40, f3: + the row's size in tokens",
    };
    char sql[200];
    for (int level = 0; level < 4; level++) {
        snprintf(sql, sizeof sql, "SELECT rowid, f%d(paper_search) AS r FROM paper_search WHERE paper_search MATCH ? ORDER BY r LIMIT 40", level);
        time_statement(db, labels[level], sql, expression, repeats);
    }
    time_statement(db, "top 40, bm25()",
        "SELECT rowid, bm25(paper_search, 10.0, 1.0, 3.0) AS r FROM paper_search WHERE paper_search MATCH ? ORDER BY r LIMIT 40",
        expression, repeats);
    // SQLiteKeywordIndex.ranked without filters.
    time_statement(db, "Paperboy's ranked statement (bm25() top 40, joined to paper)",
        "SELECT paper.key, paper.id, best.rank FROM ("
        " SELECT rowid, bm25(paper_search, 10.0, 1.0, 3.0) AS rank FROM paper_search"
        " WHERE paper_search MATCH ? ORDER BY rank LIMIT 40"
        ") AS best JOIN paper ON paper.key = best.rowid ORDER BY best.rank",
        expression, repeats);
    sqlite3_close(db);
    return 0;
}
