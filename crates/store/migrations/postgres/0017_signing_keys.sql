-- The built-in identity's secrets, shared by every replica on the database.
-- `signing_keys`: HMAC keys of tokens; the newest (highest id) signs, every row whose
-- `accepted_until_ms` is NULL or in the future verifies. Rotation adds a key and gives the
-- previous one an `accepted_until_ms` after which no token it signed is still valid.
-- `identity_secrets`: secrets that never rotate, by name (`credential-epoch`: the key of the
-- users' credential epochs, which a token carries; rotating it would end every token).
-- Secrets are hex text.
CREATE TABLE signing_keys (
    id BIGINT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    accepted_until_ms BIGINT
);
CREATE TABLE identity_secrets (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
