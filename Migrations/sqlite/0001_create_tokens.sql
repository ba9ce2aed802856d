-- Version 1 of the SQLite schema. Never edit once released: add 0002_*.sql instead.
--
-- Timestamps are whole milliseconds since 1970 (INTEGER). Text keys use the BINARY
-- collation, so ORDER BY is UTF-8 byte order, the order of AccessTokenKey, which makes
-- a key a keyset cursor. Both tables are WITHOUT ROWID: every lookup is by the primary
-- key, so the key's B-tree is the table and a point read touches one B-tree.
-- metadata is a JSON object of string values with sorted keys, or NULL when empty.

CREATE TABLE request_tokens (
    token           TEXT    NOT NULL COLLATE BINARY PRIMARY KEY,
    provider        TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    callback_url    TEXT,
    return_to       TEXT,
    session_binding TEXT,
    metadata        TEXT,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- Purge and counts scan by expiry.
CREATE INDEX request_tokens_expires_at ON request_tokens (expires_at);

CREATE TABLE access_tokens (
    provider    TEXT    NOT NULL COLLATE BINARY,
    user_id     TEXT    NOT NULL COLLATE BINARY,
    token       TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    screen_name TEXT,
    access_type TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    metadata    TEXT,
    PRIMARY KEY (provider, user_id)
) WITHOUT ROWID;
