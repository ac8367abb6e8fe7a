-- The data plane's agents (one per OVN chassis), as the OVN back end's Southbound task sees them:
-- written by that task, read by GET /v2.0/agents and the availability zones. `doc` holds the
-- agent's attributes (JSON) without its liveness; `heartbeat_at_ms` is when the chassis last
-- answered a heartbeat and `alive_until_ms` when it is declared dead without another.
CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    heartbeat_at_ms BIGINT NOT NULL,
    alive_until_ms BIGINT NOT NULL
);
