-- swift-tokenstore schema 1 (PostgreSQL). Runs inside one transaction with search_path
-- set to the store's schema. Released: never edit; add 0002_... instead.
-- Keys use COLLATE "C" so ORDER BY and keyset comparisons follow UTF-8 byte order, the
-- order of AccessTokenKey in every driver. Times are milliseconds since 1970.

CREATE TABLE request_tokens (
    token           text COLLATE "C" PRIMARY KEY,
    provider        text NOT NULL,
    secret          text NOT NULL,
    callback_url    text,
    return_to       text,
    session_binding text,
    metadata        jsonb NOT NULL DEFAULT '{}',
    created_at      bigint NOT NULL,
    expires_at      bigint NOT NULL
);

CREATE INDEX request_tokens_expires_at ON request_tokens (expires_at);

CREATE TABLE access_tokens (
    provider     text COLLATE "C" NOT NULL,
    user_id      text COLLATE "C" NOT NULL,
    token        text NOT NULL,
    secret       text NOT NULL,
    screen_name  text,
    access_type  text,
    metadata     jsonb NOT NULL DEFAULT '{}',
    created_at   bigint NOT NULL,
    updated_at   bigint NOT NULL,
    PRIMARY KEY (provider, user_id)
);
