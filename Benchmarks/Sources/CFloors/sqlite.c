#include "floors_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <sqlite3.h>

// The driver's SQL texts (Sources/TokenStoreSQLite/Connection/SQLiteStatementID.swift).
#define ACCESS_COLUMNS "provider, user_id, token, secret, screen_name, access_type, created_at, updated_at, metadata"
#define REQUEST_COLUMNS "token, provider, secret, callback_url, return_to, session_binding, metadata, created_at, expires_at"
static const char *put_sql =
    "INSERT INTO access_tokens (" ACCESS_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (provider, user_id) DO UPDATE SET token = excluded.token, secret = excluded.secret, "
    "screen_name = excluded.screen_name, access_type = excluded.access_type, "
    "updated_at = excluded.updated_at, metadata = excluded.metadata";
static const char *get_sql = "SELECT " ACCESS_COLUMNS " FROM access_tokens WHERE provider = ?1 AND user_id = ?2";
static const char *save_request_sql =
    "INSERT OR REPLACE INTO request_tokens (" REQUEST_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char *take_sql = "DELETE FROM request_tokens WHERE token = ?1 AND expires_at > ?2 RETURNING " REQUEST_COLUMNS;

struct floors_sqlite {
    sqlite3 *db;
    sqlite3_stmt *put, *get, *save_request, *take;
    floors_sink sink;
};

static int check(floors_sqlite *s, int code, const char *what) {
    if (code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE) return 0;
    return floors_fail("sqlite %s: %s", what, sqlite3_errmsg(s->db));
}

floors_sqlite *floors_sqlite_open(const char *path) {
    floors_sqlite *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK ||
        // The driver's settings: WAL, synchronous=NORMAL, no busy wait on the fast path.
        check(s, sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), "wal") < 0 ||
        check(s, sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL), "synchronous") < 0 ||
        check(s, sqlite3_prepare_v3(s->db, put_sql, -1, SQLITE_PREPARE_PERSISTENT, &s->put, NULL), "prepare") < 0 ||
        check(s, sqlite3_prepare_v3(s->db, get_sql, -1, SQLITE_PREPARE_PERSISTENT, &s->get, NULL), "prepare") < 0 ||
        check(s, sqlite3_prepare_v3(s->db, save_request_sql, -1, SQLITE_PREPARE_PERSISTENT, &s->save_request, NULL), "prepare") < 0 ||
        check(s, sqlite3_prepare_v3(s->db, take_sql, -1, SQLITE_PREPARE_PERSISTENT, &s->take, NULL), "prepare") < 0) {
        if (s->db) floors_fail("sqlite open %s: %s", path, sqlite3_errmsg(s->db));
        floors_sqlite_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 5000);
    return s;
}

void floors_sqlite_close(floors_sqlite *s) {
    if (s == NULL) return;
    sqlite3_finalize(s->put);
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->save_request);
    sqlite3_finalize(s->take);
    sqlite3_close_v2(s->db);
    free(s);
}

static void bind_text(sqlite3_stmt *statement, int index, const char *text) {
    if (text == NULL) {
        sqlite3_bind_null(statement, index);
    } else {
        sqlite3_bind_text(statement, index, text, -1, SQLITE_STATIC);
    }
}

/// Copies every column of the current row, as the driver decodes every column.
static void copy_row(floors_sqlite *s, sqlite3_stmt *statement) {
    s->sink.used = 0;
    int columns = sqlite3_column_count(statement);
    for (int i = 0; i < columns; i++) {
        if (sqlite3_column_type(statement, i) == SQLITE_INTEGER) {
            int64_t value = sqlite3_column_int64(statement, i);
            floors_copy(&s->sink, (const char *)&value, sizeof value);
        } else {
            const unsigned char *text = sqlite3_column_text(statement, i);
            floors_copy(&s->sink, (const char *)text, (size_t)sqlite3_column_bytes(statement, i));
        }
    }
}

int floors_sqlite_put(floors_sqlite *s, const char *provider, const char *user_id, const char *token,
                      const char *secret, const char *screen_name, const char *access_type,
                      int64_t created_ms, int64_t updated_ms) {
    sqlite3_stmt *st = s->put;
    bind_text(st, 1, provider);
    bind_text(st, 2, user_id);
    bind_text(st, 3, token);
    bind_text(st, 4, secret);
    bind_text(st, 5, screen_name);
    bind_text(st, 6, access_type);
    sqlite3_bind_int64(st, 7, created_ms);
    sqlite3_bind_int64(st, 8, updated_ms);
    sqlite3_bind_null(st, 9);
    int code = sqlite3_step(st);
    sqlite3_reset(st);
    if (check(s, code, "put") < 0) return -1;
    return sqlite3_changes(s->db);
}

int floors_sqlite_get(floors_sqlite *s, const char *provider, const char *user_id) {
    sqlite3_stmt *st = s->get;
    bind_text(st, 1, provider);
    bind_text(st, 2, user_id);
    int code = sqlite3_step(st);
    int found = code == SQLITE_ROW;
    if (found) copy_row(s, st);
    sqlite3_reset(st);
    if (check(s, code, "get") < 0) return -1;
    return found;
}

int floors_sqlite_save_request(floors_sqlite *s, const char *token, const char *provider, const char *secret,
                               const char *callback_url, int64_t created_ms, int64_t expires_ms) {
    sqlite3_stmt *st = s->save_request;
    bind_text(st, 1, token);
    bind_text(st, 2, provider);
    bind_text(st, 3, secret);
    bind_text(st, 4, callback_url);
    sqlite3_bind_null(st, 5);
    sqlite3_bind_null(st, 6);
    sqlite3_bind_null(st, 7);
    sqlite3_bind_int64(st, 8, created_ms);
    sqlite3_bind_int64(st, 9, expires_ms);
    int code = sqlite3_step(st);
    sqlite3_reset(st);
    return check(s, code, "save request");
}

int floors_sqlite_take(floors_sqlite *s, const char *token, int64_t now_ms) {
    sqlite3_stmt *st = s->take;
    bind_text(st, 1, token);
    sqlite3_bind_int64(st, 2, now_ms);
    int code = sqlite3_step(st);
    int found = code == SQLITE_ROW;
    if (found) {
        copy_row(s, st);
        while ((code = sqlite3_step(st)) == SQLITE_ROW) {}
    }
    sqlite3_reset(st);
    if (check(s, code, "take") < 0) return -1;
    return found;
}

static int sqlite_get_one(void *connection, const char *provider, const char *user_id) {
    return floors_sqlite_get(connection, provider, user_id);
}

int64_t floors_sqlite_concurrent_get(floors_sqlite *const *connections, int threads, int gets,
                                  const char *provider, const char *user_id) {
    return floors_concurrent_get((void *const *)connections, threads, gets, provider, user_id, sqlite_get_one);
}
