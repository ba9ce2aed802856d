#include "floors_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

int floors_hmac_sha1(const void *key, size_t key_length, const void *message, size_t message_length,
                     unsigned char out[20]) {
    unsigned int length = 20;
    if (HMAC(EVP_sha1(), key, (int)key_length, message, message_length, out, &length) == NULL)
        return floors_fail("HMAC failed");
    return (int)length;
}

// A bump arena for the encoded strings: one stack buffer, no malloc per parameter.
typedef struct {
    char *bytes;
    size_t used, capacity;
} arena;

static char *arena_reserve(arena *a, size_t length) {
    if (a->capacity - a->used < length) return NULL;
    char *start = a->bytes + a->used;
    a->used += length;
    return start;
}

static int unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

/// RFC 5849 3.6 percent-encoding of `length` bytes, NUL-terminated, into the arena.
static char *encode(arena *a, const char *text, size_t length) {
    static const char hex[] = "0123456789ABCDEF";
    size_t needed = 1;
    for (size_t i = 0; i < length; i++) needed += unreserved((unsigned char)text[i]) ? 1 : 3;
    char *out = arena_reserve(a, needed);
    if (out == NULL) return NULL;
    char *p = out;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (unreserved(c)) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = 0;
    return out;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Form decoding (`+` is a space) of `length` bytes into `out` (at least `length` long).
static size_t form_decode(const char *text, size_t length, char *out) {
    size_t n = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] == '+') {
            out[n++] = ' ';
        } else if (text[i] == '%' && i + 2 < length && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
            out[n++] = (char)(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out[n++] = text[i];
        }
    }
    return n;
}

typedef struct {
    const char *name, *value;  // percent-encoded
} parameter;

enum { max_parameters = 64 };

static int add_encoded(parameter *list, int *count, arena *a, const char *name, size_t name_length,
                       const char *value, size_t value_length) {
    if (*count == max_parameters) return floors_fail("too many parameters");
    list[*count].name = encode(a, name, name_length);
    list[*count].value = encode(a, value, value_length);
    if (list[*count].name == NULL || list[*count].value == NULL) return floors_fail("arena full");
    (*count)++;
    return 0;
}

/// Splits `a=b&c=d` (form-encoded), decodes, re-encodes, and appends.
static int add_form(parameter *list, int *count, arena *a, const char *text, size_t length) {
    char scratch[2048];
    size_t start = 0;
    while (start < length) {
        size_t end = start;
        while (end < length && text[end] != '&') end++;
        if (end > start) {
            size_t equals = start;
            while (equals < end && text[equals] != '=') equals++;
            if (end - start > sizeof scratch) return floors_fail("parameter too long");
            size_t name_length = form_decode(text + start, equals - start, scratch);
            size_t value_length = equals < end ? form_decode(text + equals + 1, end - equals - 1, scratch + name_length) : 0;
            if (add_encoded(list, count, a, scratch, name_length, scratch + name_length, value_length) < 0) return -1;
        }
        start = end + 1;
    }
    return 0;
}

static int compare_parameters(const void *left, const void *right) {
    const parameter *l = left, *r = right;
    int order = strcmp(l->name, r->name);
    return order != 0 ? order : strcmp(l->value, r->value);
}

/// Appends `text` to `out`, failing when it does not fit.
static int append(char *out, size_t capacity, size_t *used, const char *text, size_t length) {
    if (capacity - *used < length + 1) return floors_fail("output too small");
    memcpy(out + *used, text, length);
    *used += length;
    out[*used] = 0;
    return 0;
}

int floors_oauth_sign_hmac_sha1(const char *method, const char *url, const char *form_body,
                                const char *consumer_key, const char *consumer_secret,
                                const char *token, const char *token_secret,
                                const char *timestamp, const char *nonce, char *out, size_t capacity) {
    char arena_bytes[8192];
    arena a = {arena_bytes, 0, sizeof arena_bytes};
    parameter parameters[max_parameters];
    int count = 0;

    // Base string URI: lower-case scheme and host, no default port, no query or fragment.
    const char *scheme_end = strstr(url, "://");
    if (scheme_end == NULL) return floors_fail("no scheme");
    const char *authority = scheme_end + 3;
    const char *path = authority;
    while (*path && *path != '/' && *path != '?' && *path != '#') path++;
    const char *path_end = path;
    while (*path_end && *path_end != '?' && *path_end != '#') path_end++;
    const char *query = path_end, *query_end = path_end;
    if (*path_end == '?') {
        query = path_end + 1;
        query_end = query;
        while (*query_end && *query_end != '#') query_end++;
    }
    char base_uri[1024];
    size_t base_used = 0;
    for (const char *p = url; p < authority; p++) base_uri[base_used++] = (char)tolower((unsigned char)*p);
    const char *host_end = path;
    size_t scheme_length = (size_t)(scheme_end - url);
    if ((scheme_length == 5 && strncmp(url, "https", 5) == 0 && path - authority > 4 && strncmp(path - 4, ":443", 4) == 0) ||
        (scheme_length == 4 && strncmp(url, "http", 4) == 0 && path - authority > 3 && strncmp(path - 3, ":80", 3) == 0)) {
        while (host_end > authority && host_end[-1] != ':') host_end--;
        host_end--;
    }
    if ((size_t)(host_end - authority) + (size_t)(path_end - path) + base_used + 2 > sizeof base_uri)
        return floors_fail("URL too long");
    for (const char *p = authority; p < host_end; p++) base_uri[base_used++] = (char)tolower((unsigned char)*p);
    if (path == path_end) {
        base_uri[base_used++] = '/';
    } else {
        memcpy(base_uri + base_used, path, (size_t)(path_end - path));
        base_used += (size_t)(path_end - path);
    }

    if (query < query_end && add_form(parameters, &count, &a, query, (size_t)(query_end - query)) < 0) return -1;
    if (form_body != NULL && add_form(parameters, &count, &a, form_body, strlen(form_body)) < 0) return -1;
    int protocol_start = count;
#define ADD(name, value) \
    if (add_encoded(parameters, &count, &a, name, sizeof name - 1, value, strlen(value)) < 0) return -1
    ADD("oauth_consumer_key", consumer_key);
    if (token != NULL) { ADD("oauth_token", token); }
    ADD("oauth_signature_method", "HMAC-SHA1");
    ADD("oauth_timestamp", timestamp);
    ADD("oauth_nonce", nonce);
    ADD("oauth_version", "1.0");
#undef ADD
    int protocol_end = count;

    // Sort a copy: the header keeps the protocol parameters in their order.
    parameter sorted[max_parameters];
    memcpy(sorted, parameters, sizeof(parameter) * (size_t)count);
    qsort(sorted, (size_t)count, sizeof(parameter), compare_parameters);
    char normalized[4096];
    size_t normalized_used = 0;
    normalized[0] = 0;
    for (int i = 0; i < count; i++) {
        if (i > 0 && append(normalized, sizeof normalized, &normalized_used, "&", 1) < 0) return -1;
        if (append(normalized, sizeof normalized, &normalized_used, sorted[i].name, strlen(sorted[i].name)) < 0 ||
            append(normalized, sizeof normalized, &normalized_used, "=", 1) < 0 ||
            append(normalized, sizeof normalized, &normalized_used, sorted[i].value, strlen(sorted[i].value)) < 0)
            return -1;
    }

    char base[8192];
    size_t base_length = 0;
    const char *encoded_method = encode(&a, method, strlen(method));
    const char *encoded_uri = encode(&a, base_uri, base_used);
    const char *encoded_normalized = encode(&a, normalized, normalized_used);
    if (encoded_method == NULL || encoded_uri == NULL || encoded_normalized == NULL) return floors_fail("arena full");
    if (append(base, sizeof base, &base_length, encoded_method, strlen(encoded_method)) < 0 ||
        append(base, sizeof base, &base_length, "&", 1) < 0 ||
        append(base, sizeof base, &base_length, encoded_uri, strlen(encoded_uri)) < 0 ||
        append(base, sizeof base, &base_length, "&", 1) < 0 ||
        append(base, sizeof base, &base_length, encoded_normalized, strlen(encoded_normalized)) < 0)
        return -1;

    char key[1024];
    size_t key_length = 0;
    const char *encoded_consumer_secret = encode(&a, consumer_secret, strlen(consumer_secret));
    const char *encoded_token_secret = encode(&a, token_secret ? token_secret : "", token_secret ? strlen(token_secret) : 0);
    if (encoded_consumer_secret == NULL || encoded_token_secret == NULL) return floors_fail("arena full");
    if (append(key, sizeof key, &key_length, encoded_consumer_secret, strlen(encoded_consumer_secret)) < 0 ||
        append(key, sizeof key, &key_length, "&", 1) < 0 ||
        append(key, sizeof key, &key_length, encoded_token_secret, strlen(encoded_token_secret)) < 0)
        return -1;

    unsigned char digest[20];
    if (floors_hmac_sha1(key, key_length, base, base_length, digest) < 0) return -1;
    char signature[32];
    EVP_EncodeBlock((unsigned char *)signature, digest, 20);
    const char *encoded_signature = encode(&a, signature, strlen(signature));
    if (encoded_signature == NULL) return floors_fail("arena full");

    size_t used = 0;
    if (append(out, capacity, &used, "OAuth ", 6) < 0) return -1;
    for (int i = protocol_start; i <= protocol_end; i++) {
        const char *name = i < protocol_end ? parameters[i].name : "oauth_signature";
        const char *value = i < protocol_end ? parameters[i].value : encoded_signature;
        if (i > protocol_start && append(out, capacity, &used, ", ", 2) < 0) return -1;
        // Names and values are already encoded once; the header encodes them as-is.
        if (append(out, capacity, &used, name, strlen(name)) < 0 || append(out, capacity, &used, "=\"", 2) < 0 ||
            append(out, capacity, &used, value, strlen(value)) < 0 || append(out, capacity, &used, "\"", 1) < 0)
            return -1;
    }
    return (int)used;
}
