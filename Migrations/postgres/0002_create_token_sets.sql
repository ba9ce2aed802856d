-- swift-tokenstore schema 2 (PostgreSQL): OAuth 2.0 token sets. Runs inside one
-- transaction with search_path set to the store's schema, after 0001; it only adds a
-- table, so a store full of tokens upgrades in place. Released: never edit; add 0003_...
-- Keys use COLLATE "C" like access_tokens (UTF-8 byte order, AccessTokenKey's order).
-- Times are milliseconds since 1970. `version` is the store's write counter (1 after the
-- first write); the refresh lease is its owner and expiry, both set or both NULL.

CREATE TABLE token_sets (
    provider          text COLLATE "C" NOT NULL,
    user_id           text COLLATE "C" NOT NULL,
    access_token      text NOT NULL,
    token_type        text NOT NULL,
    expires_at        bigint,
    refresh_token     text,
    scope             text,
    id_token          text,
    screen_name       text,
    metadata          jsonb NOT NULL DEFAULT '{}',
    created_at        bigint NOT NULL,
    updated_at        bigint NOT NULL,
    invalidated_at    bigint,
    version           bigint NOT NULL CHECK (version >= 1),
    lease_owner       text,
    lease_expires_at  bigint,
    PRIMARY KEY (provider, user_id),
    CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL))
);
