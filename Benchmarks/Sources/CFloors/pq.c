#include "floors_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <postgresql/libpq-fe.h>

// The driver's SQL texts (Sources/TokenStorePostgres/Store/PostgresStatements.swift).
#define ACCESS_COLUMNS "provider, user_id, token, secret, screen_name, access_type, metadata::text, created_at, updated_at"
#define REQUEST_COLUMNS "token, provider, secret, callback_url, return_to, session_binding, metadata::text, created_at, expires_at"

struct floors_pq {
    PGconn *connection;
    floors_sink sink;
};

static int prepare(PGconn *c, const char *name, const char *sql) {
    PGresult *result = PQprepare(c, name, sql, 0, NULL);
    int ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    if (!ok) floors_fail("prepare %s: %s", name, PQerrorMessage(c));
    PQclear(result);
    return ok ? 0 : -1;
}

floors_pq *floors_pq_open(const char *conninfo, const char *schema) {
    floors_pq *pq = calloc(1, sizeof *pq);
    if (pq == NULL) return NULL;
    pq->connection = PQconnectdb(conninfo);
    if (PQstatus(pq->connection) != CONNECTION_OK) {
        floors_fail("connect: %s", PQerrorMessage(pq->connection));
        floors_pq_close(pq);
        return NULL;
    }
    char sql[1024];
    // The schema name is ours (no quotes in it): quoted as the driver quotes it.
    snprintf(sql, sizeof sql,
             "INSERT INTO \"%s\".access_tokens (provider, user_id, token, secret, screen_name, access_type, metadata, created_at, updated_at) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9) "
             "ON CONFLICT (provider, user_id) DO UPDATE SET token = EXCLUDED.token, secret = EXCLUDED.secret, "
             "screen_name = EXCLUDED.screen_name, access_type = EXCLUDED.access_type, "
             "metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at", schema);
    if (prepare(pq->connection, "floor_put", sql) < 0) goto fail;
    snprintf(sql, sizeof sql, "SELECT " ACCESS_COLUMNS " FROM \"%s\".access_tokens WHERE provider = $1 AND user_id = $2", schema);
    if (prepare(pq->connection, "floor_get", sql) < 0) goto fail;
    snprintf(sql, sizeof sql,
             "INSERT INTO \"%s\".request_tokens (token, provider, secret, callback_url, return_to, session_binding, metadata, created_at, expires_at) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9) "
             "ON CONFLICT (token) DO UPDATE SET provider = EXCLUDED.provider, secret = EXCLUDED.secret, "
             "callback_url = EXCLUDED.callback_url, return_to = EXCLUDED.return_to, "
             "session_binding = EXCLUDED.session_binding, metadata = EXCLUDED.metadata, "
             "created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at", schema);
    if (prepare(pq->connection, "floor_save_rt", sql) < 0) goto fail;
    snprintf(sql, sizeof sql, "DELETE FROM \"%s\".request_tokens WHERE token = $1 RETURNING " REQUEST_COLUMNS, schema);
    if (prepare(pq->connection, "floor_take", sql) < 0) goto fail;
    return pq;
fail:
    floors_pq_close(pq);
    return NULL;
}

void floors_pq_close(floors_pq *pq) {
    if (pq == NULL) return;
    PQfinish(pq->connection);
    free(pq);
}

/// Runs a prepared statement; copies every value of the first row. Returns rows (or
/// affected rows for a command), -1 on error.
static int run(floors_pq *pq, const char *name, int count, const char *const *values) {
    PGresult *result = PQexecPrepared(pq->connection, name, count, values, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(result);
    int rows = -1;
    if (status == PGRES_TUPLES_OK) {
        rows = PQntuples(result);
        if (rows > 0) {
            pq->sink.used = 0;
            int fields = PQnfields(result);
            for (int i = 0; i < fields; i++)
                floors_copy(&pq->sink, PQgetvalue(result, 0, i), (size_t)PQgetlength(result, 0, i));
        }
    } else if (status == PGRES_COMMAND_OK) {
        rows = atoi(PQcmdTuples(result));
    } else {
        floors_fail("%s: %s", name, PQerrorMessage(pq->connection));
    }
    PQclear(result);
    return rows;
}

int floors_pq_put(floors_pq *pq, const char *provider, const char *user_id, const char *token, const char *secret,
                  const char *screen_name, const char *access_type, int64_t created_ms, int64_t updated_ms) {
    char created[24], updated[24];
    snprintf(created, sizeof created, "%" PRId64, created_ms);
    snprintf(updated, sizeof updated, "%" PRId64, updated_ms);
    const char *values[9] = {provider, user_id, token, secret, screen_name, access_type, "{}", created, updated};
    return run(pq, "floor_put", 9, values);
}

int floors_pq_get(floors_pq *pq, const char *provider, const char *user_id) {
    const char *values[2] = {provider, user_id};
    return run(pq, "floor_get", 2, values);
}

int floors_pq_save_request(floors_pq *pq, const char *token, const char *provider, const char *secret,
                           const char *callback_url, int64_t created_ms, int64_t expires_ms) {
    char created[24], expires[24];
    snprintf(created, sizeof created, "%" PRId64, created_ms);
    snprintf(expires, sizeof expires, "%" PRId64, expires_ms);
    const char *values[9] = {token, provider, secret, callback_url, NULL, NULL, "{}", created, expires};
    return run(pq, "floor_save_rt", 9, values) < 0 ? -1 : 0;
}

int floors_pq_take(floors_pq *pq, const char *token) {
    const char *values[1] = {token};
    return run(pq, "floor_take", 1, values);
}

static int pq_get_one(void *connection, const char *provider, const char *user_id) {
    return floors_pq_get(connection, provider, user_id);
}

int64_t floors_pq_concurrent_get(floors_pq *const *connections, int threads, int gets,
                                  const char *provider, const char *user_id) {
    return floors_concurrent_get((void *const *)connections, threads, gets, provider, user_id, pq_get_one);
}
