-- 0019_qos: QoS policies, their rules, and which ports, networks, floating IPs and router
-- gateways use which policy (PostgreSQL; see the SQLite script for the columns' meaning).

CREATE TABLE qos_policies (
    id              TEXT PRIMARY KEY,
    seq             BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    default_project TEXT,
    shared          BIGINT NOT NULL DEFAULT 0,
    revision_number BIGINT NOT NULL DEFAULT 1,
    doc             TEXT NOT NULL
);
CREATE INDEX qos_policies_seq ON qos_policies (seq);
CREATE INDEX qos_policies_project ON qos_policies (project_id);
CREATE INDEX qos_policies_name ON qos_policies (name);
CREATE INDEX qos_policies_name_order ON qos_policies (lower(name), name, id);
CREATE UNIQUE INDEX qos_policies_default ON qos_policies (default_project);

CREATE TABLE qos_rules (
    id         TEXT PRIMARY KEY,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    policy_id  TEXT NOT NULL,
    rule_type  TEXT NOT NULL,
    project_id TEXT NOT NULL,
    slot       TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX qos_rules_seq ON qos_rules (seq);
CREATE UNIQUE INDEX qos_rules_slot ON qos_rules (policy_id, slot);
CREATE INDEX qos_rules_type ON qos_rules (rule_type);

CREATE TABLE qos_bindings (
    id          TEXT PRIMARY KEY,
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    object_type TEXT NOT NULL,
    policy_id   TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX qos_bindings_seq ON qos_bindings (seq);
CREATE INDEX qos_bindings_policy ON qos_bindings (policy_id, object_type);
