-- 0019_qos: QoS policies, their rules, and which ports, networks, floating IPs and router
-- gateways use which policy.

-- `default_project`: the project while the policy is that project's default, else NULL; unique,
-- so a project has at most one default policy whatever requests race.
CREATE TABLE qos_policies (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    default_project TEXT,
    shared          INTEGER NOT NULL DEFAULT 0,
    revision_number INTEGER NOT NULL DEFAULT 1,
    doc             TEXT NOT NULL
);
CREATE INDEX qos_policies_project ON qos_policies (project_id);
CREATE INDEX qos_policies_name ON qos_policies (name);
CREATE INDEX qos_policies_name_order ON qos_policies (lower(name), name, id);
CREATE UNIQUE INDEX qos_policies_default ON qos_policies (default_project);

-- Rules of a policy. `project_id`: the policy's project (who may read the rule); `slot`: the rule
-- type and, for rules with one, its direction — unique per policy, as upstream allows one rule
-- of a type per direction.
CREATE TABLE qos_rules (
    id         TEXT PRIMARY KEY,
    policy_id  TEXT NOT NULL,
    rule_type  TEXT NOT NULL,
    project_id TEXT NOT NULL,
    slot       TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE UNIQUE INDEX qos_rules_slot ON qos_rules (policy_id, slot);
CREATE INDEX qos_rules_type ON qos_rules (rule_type);

-- One row per object (port, network, floating IP, router) with a policy: id = the object's id,
-- so a policy's users are found without reading every port. The object's document holds the
-- same `qos_policy_id`; both are written together.
CREATE TABLE qos_bindings (
    id          TEXT PRIMARY KEY,
    object_type TEXT NOT NULL,
    policy_id   TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX qos_bindings_policy ON qos_bindings (policy_id, object_type);
