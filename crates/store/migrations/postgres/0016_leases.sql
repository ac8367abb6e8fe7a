-- Leases for work that runs on exactly one replica at a time (the OVN back end's reconciler and
-- Southbound task). `holder` names the process, `token` grows by one with every new holder (the
-- fencing token the holder stamps on what it writes elsewhere), `expires_ms` is when the lease
-- lapses unless its holder renews it.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    token BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
