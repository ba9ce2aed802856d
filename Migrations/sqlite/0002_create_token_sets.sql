-- Version 2 of the SQLite schema: OAuth 2.0 token sets. Never edit once released.
--
-- Same conventions as 0001: timestamps are whole milliseconds since 1970 (INTEGER), the
-- key columns use the BINARY collation (UTF-8 byte order, the order of AccessTokenKey),
-- and the table is WITHOUT ROWID, keyed by (provider, user_id) like access_tokens but
-- separate from it: a token set and an access token under one key are independent.
-- metadata is a JSON object of string values with sorted keys, or NULL when empty.
--
-- version is the store's write counter (1 after the first write), the compare-and-set's
-- guard. lease_owner and lease_expires_at hold the refresh lease, both NULL when there is
-- none; a save leaves them alone, a compare-and-set write clears them.

CREATE TABLE token_sets (
    provider         TEXT    NOT NULL COLLATE BINARY,
    user_id          TEXT    NOT NULL COLLATE BINARY,
    access_token     TEXT    NOT NULL,
    token_type       TEXT    NOT NULL,
    expires_at       INTEGER,
    refresh_token    TEXT,
    scope            TEXT,
    id_token         TEXT,
    screen_name      TEXT,
    metadata         TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    invalidated_at   INTEGER,
    version          INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    PRIMARY KEY (provider, user_id)
) WITHOUT ROWID;
