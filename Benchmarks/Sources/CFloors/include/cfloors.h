#ifndef CFLOORS_H
#define CFLOORS_H
// The raw C floors of the benchmarks: the same operations as the library, written
// directly against libcrypto, sqlite3, libpq and hiredis, so every library figure can be
// read as a ratio to its floor from one run. Small opaque API; errors return -1 (or NULL)
// and leave a message in `floors_last_error()` (per thread).

#include <stddef.h>
#include <stdint.h>

const char *floors_last_error(void);

// MARK: OAuth 1.0a

/// Raw OpenSSL one-shot HMAC-SHA1 (`HMAC(EVP_sha1(), ...)`). Returns 20.
int floors_hmac_sha1(const void *key, size_t key_length, const void *message, size_t message_length,
                     unsigned char out[20]);

/// The whole HMAC-SHA1 signing the library's `OAuth1Signer.sign` does for an
/// Authorization-header request: parse the query and the form body, add the six protocol
/// parameters, percent-encode, sort, build the base string, HMAC-SHA1, base64, and write the
/// `Authorization` header value into `out`. Returns its length, or -1.
int floors_oauth_sign_hmac_sha1(const char *method, const char *url, const char *form_body,
                                const char *consumer_key, const char *consumer_secret,
                                const char *token, const char *token_secret,
                                const char *timestamp, const char *nonce, char *out, size_t capacity);

// MARK: SQLite (prepared statements, WAL, synchronous=NORMAL, on the library's schema)

typedef struct floors_sqlite floors_sqlite;
floors_sqlite *floors_sqlite_open(const char *path);
void floors_sqlite_close(floors_sqlite *db);
/// The access-token upsert of `saveAccessToken(_:policy: .overwrite)`. Returns changes (1) or -1.
int floors_sqlite_put(floors_sqlite *db, const char *provider, const char *user_id, const char *token,
                      const char *secret, const char *screen_name, const char *access_type,
                      int64_t created_ms, int64_t updated_ms);
/// `accessToken(for:)`: the row's nine columns copied out. Returns 1 found, 0 missing, -1.
int floors_sqlite_get(floors_sqlite *db, const char *provider, const char *user_id);
/// `saveRequestToken(_:)`. Returns 0 or -1.
int floors_sqlite_save_request(floors_sqlite *db, const char *token, const char *provider, const char *secret,
                               const char *callback_url, int64_t created_ms, int64_t expires_ms);
/// `takeRequestToken(_:)`: DELETE ... RETURNING. Returns 1 taken, 0 missing, -1.
int floors_sqlite_take(floors_sqlite *db, const char *token, int64_t now_ms);
/// One thread per connection in `connections` (opened beforehand, one per thread), each
/// doing `gets` gets of the same key. Returns the elapsed nanoseconds, or -1.
int64_t floors_sqlite_concurrent_get(floors_sqlite *const *connections, int threads, int gets,
                                     const char *provider, const char *user_id);

// MARK: PostgreSQL (libpq, blocking, PQexecPrepared, text parameters)

typedef struct floors_pq floors_pq;
/// Connects and prepares the statements on `schema`'s tables (created by the library).
floors_pq *floors_pq_open(const char *conninfo, const char *schema);
void floors_pq_close(floors_pq *pq);
int floors_pq_put(floors_pq *pq, const char *provider, const char *user_id, const char *token, const char *secret,
                  const char *screen_name, const char *access_type, int64_t created_ms, int64_t updated_ms);
int floors_pq_get(floors_pq *pq, const char *provider, const char *user_id);
int floors_pq_save_request(floors_pq *pq, const char *token, const char *provider, const char *secret,
                           const char *callback_url, int64_t created_ms, int64_t expires_ms);
int floors_pq_take(floors_pq *pq, const char *token);
/// One thread per connection, `gets` gets each. Returns the elapsed nanoseconds, or -1.
int64_t floors_pq_concurrent_get(floors_pq *const *connections, int threads, int gets,
                                 const char *provider, const char *user_id);

// MARK: Redis (hiredis argv commands, the same commands the driver sends)

typedef struct floors_redis floors_redis;
/// `user` may be NULL (AUTH with the password only); `password` NULL for none.
/// `prefix` is the hash tag of the keys (`{prefix}:...`); `upsert_script` is loaded with SCRIPT LOAD.
floors_redis *floors_redis_open(const char *host, int port, const char *user, const char *password, int db,
                                const char *prefix, const char *upsert_script);
void floors_redis_close(floors_redis *r);
/// EVALSHA of the driver's upsert script with the driver's keys and arguments.
int floors_redis_put(floors_redis *r, const char *provider, const char *user_id, const char *token,
                     const char *secret, const char *screen_name, const char *access_type,
                     int64_t created_ms, int64_t updated_ms);
/// HGETALL of the access-token hash; the fields copied out. Returns 1 found, 0 missing, -1.
int floors_redis_get(floors_redis *r, const char *provider, const char *user_id);
/// Pipelined MULTI / SET PX / ZADD / ZADD / EXEC, as the driver's saveRequestToken.
int floors_redis_save_request(floors_redis *r, const char *token, const void *record, size_t record_length,
                              int64_t ttl_ms, int64_t expires_ms);
/// Pipelined MULTI / GETDEL / ZREM / ZREM / EXEC, as the driver's takeRequestToken.
int floors_redis_take(floors_redis *r, const char *token);
/// One thread per connection, `gets` HGETALLs each. Returns the elapsed nanoseconds, or -1.
int64_t floors_redis_concurrent_get(floors_redis *const *connections, int threads, int gets,
                                    const char *provider, const char *user_id);

#endif
