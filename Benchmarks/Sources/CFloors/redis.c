#define _FILE_OFFSET_BITS 64
#include "floors_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <hiredis/hiredis.h>

// The driver's key layout (Sources/TokenStoreRedis/Layout/RedisKeyLayout.swift): every key
// under the hash tag `{prefix}:`; an access token's hash is `at:` + provider NUL user.
struct floors_redis {
    redisContext *context;
    char tag[256];
    size_t tag_length;
    char sha[41];
    floors_sink sink;
};

static int reply_fail(floors_redis *r, redisReply *reply, const char *what) {
    if (reply == NULL) return floors_fail("%s: %s", what, r->context->errstr);
    if (reply->type == REDIS_REPLY_ERROR) floors_fail("%s: %s", what, reply->str);
    else floors_fail("%s: unexpected reply type %d", what, reply->type);
    freeReplyObject(reply);
    return -1;
}

floors_redis *floors_redis_open(const char *host, int port, const char *user, const char *password, int db,
                                const char *prefix, const char *upsert_script) {
    floors_redis *r = calloc(1, sizeof *r);
    if (r == NULL) return NULL;
    r->tag_length = (size_t)snprintf(r->tag, sizeof r->tag, "{%s}:", prefix);
    r->context = redisConnect(host, port);
    if (r->context == NULL || r->context->err) {
        floors_fail("connect: %s", r->context ? r->context->errstr : "out of memory");
        goto fail;
    }
    redisReply *reply;
    if (password != NULL) {
        reply = user ? redisCommand(r->context, "AUTH %s %s", user, password) : redisCommand(r->context, "AUTH %s", password);
        if (reply == NULL || reply->type == REDIS_REPLY_ERROR) { reply_fail(r, reply, "AUTH"); goto fail; }
        freeReplyObject(reply);
    }
    if (db != 0) {
        reply = redisCommand(r->context, "SELECT %d", db);
        if (reply == NULL || reply->type == REDIS_REPLY_ERROR) { reply_fail(r, reply, "SELECT"); goto fail; }
        freeReplyObject(reply);
    }
    if (upsert_script != NULL) {
        reply = redisCommand(r->context, "SCRIPT LOAD %s", upsert_script);
        if (reply == NULL || reply->type != REDIS_REPLY_STRING || reply->len != 40) { reply_fail(r, reply, "SCRIPT LOAD"); goto fail; }
        memcpy(r->sha, reply->str, 40);
        freeReplyObject(reply);
    }
    return r;
fail:
    floors_redis_close(r);
    return NULL;
}

void floors_redis_close(floors_redis *r) {
    if (r == NULL) return;
    if (r->context) redisFree(r->context);
    free(r);
}

/// `{prefix}:<kind><a>[NUL<b>]` into `out`; returns its length.
static size_t make_key(floors_redis *r, char *out, size_t capacity, const char *kind, const char *a, const char *b) {
    size_t used = 0, length;
#define PUT(bytes, n) do { length = (n); if (used + length > capacity) return 0; memcpy(out + used, bytes, length); used += length; } while (0)
    PUT(r->tag, r->tag_length);
    PUT(kind, strlen(kind));
    if (a) PUT(a, strlen(a));
    if (b) { PUT("", 1); PUT(b, strlen(b)); }
#undef PUT
    return used;
}

int floors_redis_put(floors_redis *r, const char *provider, const char *user_id, const char *token,
                     const char *secret, const char *screen_name, const char *access_type,
                     int64_t created_ms, int64_t updated_ms) {
    char key[512], index[300], member[512], created[24], updated[24];
    size_t key_length = make_key(r, key, sizeof key, "at:", provider, user_id);
    size_t index_length = make_key(r, index, sizeof index, "idx:at", NULL, NULL);
    size_t member_length = strlen(provider) + 1 + strlen(user_id);
    if (key_length == 0 || index_length == 0 || member_length > sizeof member) return floors_fail("key too long");
    memcpy(member, provider, strlen(provider) + 1);
    memcpy(member + strlen(provider) + 1, user_id, strlen(user_id));
    int created_length = snprintf(created, sizeof created, "%" PRId64, created_ms);
    int updated_length = snprintf(updated, sizeof updated, "%" PRId64, updated_ms);
    const char *argv[32];
    size_t lengths[32];
    int argc = 0;
#define ARG(bytes, n) do { if (argc == 32) return floors_fail("too many arguments"); argv[argc] = (bytes); lengths[argc] = (n); argc++; } while (0)
#define TEXT(s) ARG(s, strlen(s))
    TEXT("EVALSHA"); ARG(r->sha, 40); TEXT("2");
    ARG(key, key_length); ARG(index, index_length);
    TEXT("overwrite"); ARG(member, member_length); ARG(updated, (size_t)updated_length); ARG(created, (size_t)created_length);
    TEXT("provider"); TEXT(provider); TEXT("user_id"); TEXT(user_id); TEXT("token"); TEXT(token);
    TEXT("secret"); TEXT(secret); TEXT("updated_at"); ARG(updated, (size_t)updated_length);
    if (screen_name) { TEXT("screen_name"); TEXT(screen_name); }
    if (access_type) { TEXT("access_type"); TEXT(access_type); }
#undef TEXT
#undef ARG
    redisReply *reply = redisCommandArgv(r->context, argc, argv, lengths);
    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) return reply_fail(r, reply, "EVALSHA");
    int written = (int)reply->integer;
    freeReplyObject(reply);
    return written;
}

int floors_redis_get(floors_redis *r, const char *provider, const char *user_id) {
    char key[512];
    size_t key_length = make_key(r, key, sizeof key, "at:", provider, user_id);
    const char *argv[2] = {"HGETALL", key};
    size_t lengths[2] = {7, key_length};
    redisReply *reply = redisCommandArgv(r->context, 2, argv, lengths);
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) return reply_fail(r, reply, "HGETALL");
    r->sink.used = 0;
    for (size_t i = 0; i < reply->elements; i++) floors_copy(&r->sink, reply->element[i]->str, reply->element[i]->len);
    int found = reply->elements > 0;
    freeReplyObject(reply);
    return found;
}

/// Sends `count` pipelined commands, reads every reply; returns the last (EXEC's) or NULL.
static redisReply *transaction(floors_redis *r, int count, int *argcs, const char ***argvs, size_t **lengths) {
    for (int i = 0; i < count; i++) redisAppendCommandArgv(r->context, argcs[i], argvs[i], lengths[i]);
    redisReply *last = NULL;
    for (int i = 0; i < count; i++) {
        void *reply = NULL;
        if (redisGetReply(r->context, &reply) != REDIS_OK) {
            if (last) freeReplyObject(last);
            return NULL;
        }
        if (last) freeReplyObject(last);
        last = reply;
    }
    return last;
}

int floors_redis_save_request(floors_redis *r, const char *token, const void *record, size_t record_length,
                              int64_t ttl_ms, int64_t expires_ms) {
    char key[512], expiry[300], lex[300], ttl[24], expires[24];
    size_t key_length = make_key(r, key, sizeof key, "rt:", token, NULL);
    size_t expiry_length = make_key(r, expiry, sizeof expiry, "idx:rt:expiry", NULL, NULL);
    size_t lex_length = make_key(r, lex, sizeof lex, "idx:rt:lex", NULL, NULL);
    size_t ttl_length = (size_t)snprintf(ttl, sizeof ttl, "%" PRId64, ttl_ms);
    size_t expires_length = (size_t)snprintf(expires, sizeof expires, "%" PRId64, expires_ms);
    size_t token_length = strlen(token);
    const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
    size_t multi_l[] = {5}, exec_l[] = {4};
    const char *set[] = {"SET", key, record, "PX", ttl};
    size_t set_l[] = {3, key_length, record_length, 2, ttl_length};
    const char *zadd1[] = {"ZADD", expiry, expires, token};
    size_t zadd1_l[] = {4, expiry_length, expires_length, token_length};
    const char *zadd2[] = {"ZADD", lex, "0", token};
    size_t zadd2_l[] = {4, lex_length, 1, token_length};
    int argcs[] = {1, 5, 4, 4, 1};
    const char **argvs[] = {multi, set, zadd1, zadd2, exec};
    size_t *lengths[] = {multi_l, set_l, zadd1_l, zadd2_l, exec_l};
    redisReply *reply = transaction(r, 5, argcs, argvs, lengths);
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) return reply_fail(r, reply, "save request");
    freeReplyObject(reply);
    return 0;
}

int floors_redis_take(floors_redis *r, const char *token) {
    char key[512], expiry[300], lex[300];
    size_t key_length = make_key(r, key, sizeof key, "rt:", token, NULL);
    size_t expiry_length = make_key(r, expiry, sizeof expiry, "idx:rt:expiry", NULL, NULL);
    size_t lex_length = make_key(r, lex, sizeof lex, "idx:rt:lex", NULL, NULL);
    size_t token_length = strlen(token);
    const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
    size_t multi_l[] = {5}, exec_l[] = {4};
    const char *getdel[] = {"GETDEL", key};
    size_t getdel_l[] = {6, key_length};
    const char *zrem1[] = {"ZREM", expiry, token};
    size_t zrem1_l[] = {4, expiry_length, token_length};
    const char *zrem2[] = {"ZREM", lex, token};
    size_t zrem2_l[] = {4, lex_length, token_length};
    int argcs[] = {1, 2, 3, 3, 1};
    const char **argvs[] = {multi, getdel, zrem1, zrem2, exec};
    size_t *lengths[] = {multi_l, getdel_l, zrem1_l, zrem2_l, exec_l};
    redisReply *reply = transaction(r, 5, argcs, argvs, lengths);
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) return reply_fail(r, reply, "take");
    redisReply *value = reply->element[0];
    int found = value->type == REDIS_REPLY_STRING;
    if (found) {
        r->sink.used = 0;
        floors_copy(&r->sink, value->str, value->len);
    }
    freeReplyObject(reply);
    return found;
}

static int redis_get_one(void *connection, const char *provider, const char *user_id) {
    return floors_redis_get(connection, provider, user_id);
}

int64_t floors_redis_concurrent_get(floors_redis *const *connections, int threads, int gets,
                                  const char *provider, const char *user_id) {
    return floors_concurrent_get((void *const *)connections, threads, gets, provider, user_id, redis_get_one);
}
