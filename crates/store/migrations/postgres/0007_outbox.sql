-- 0007_outbox: every resource row's revision as a column (the reconciler compares (id, revision)
-- without parsing documents), and the outbox: one entry per insert, update and delete of a resource
-- row, written in the same transaction by the store's one write path.

ALTER TABLE networks ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 1;
UPDATE networks SET revision_number = COALESCE((doc::json->>'revision_number')::bigint, 1);
ALTER TABLE subnets ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 1;
UPDATE subnets SET revision_number = COALESCE((doc::json->>'revision_number')::bigint, 1);
ALTER TABLE ports ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 1;
UPDATE ports SET revision_number = COALESCE((doc::json->>'revision_number')::bigint, 1);
ALTER TABLE routers ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 1;
UPDATE routers SET revision_number = COALESCE((doc::json->>'revision_number')::bigint, 1);
ALTER TABLE floatingips ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 1;
UPDATE floatingips SET revision_number = COALESCE((doc::json->>'revision_number')::bigint, 1);
ALTER TABLE security_groups ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 1;
UPDATE security_groups SET revision_number = COALESCE((doc::json->>'revision_number')::bigint, 1);
ALTER TABLE security_group_rules ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 1;
UPDATE security_group_rules SET revision_number = COALESCE((doc::json->>'revision_number')::bigint, 1);
ALTER TABLE rbac_policies ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 1;
UPDATE rbac_policies SET revision_number = COALESCE((doc::json->>'revision_number')::bigint, 1);
ALTER TABLE subnetpools ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 1;
UPDATE subnetpools SET revision_number = COALESCE((doc::json->>'revision_number')::bigint, 1);
ALTER TABLE address_scopes ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 1;
UPDATE address_scopes SET revision_number = COALESCE((doc::json->>'revision_number')::bigint, 1);

-- Concurrent transactions commit in another order than they append, so an entry gets its position
-- in the feed (`seq`) only once committed, from the sequencer (one at a time, in `id` order):
-- a consumer reading `seq > cursor` never skips an entry that committed late.
CREATE TABLE outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq         BIGINT UNIQUE,
    kind        TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    op          TEXT NOT NULL,
    at_ms       BIGINT NOT NULL
);
CREATE INDEX outbox_unsequenced ON outbox (id) WHERE seq IS NULL;

CREATE TABLE outbox_consumers (
    name     TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
