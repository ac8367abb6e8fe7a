-- 0023_secgroups: address groups (`address-group`), the rules that name one as their remote
-- (`security-groups-remote-address-group`), the admin-managed template of the rules every new
-- security group gets (`security-groups-default-rules`), and the default `stateful` of new groups
-- (`security-groups-default-statefulness`).

-- `doc` holds the group with its `addresses` (normalised CIDRs): they change only with the group,
-- whose revision each add or remove bumps.
CREATE TABLE address_groups (
    id              TEXT PRIMARY KEY,
    seq             BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    revision_number BIGINT NOT NULL DEFAULT 1,
    doc             TEXT NOT NULL
);
CREATE INDEX address_groups_seq ON address_groups (seq);
CREATE INDEX address_groups_project ON address_groups (project_id);
CREATE INDEX address_groups_name ON address_groups (name);
CREATE INDEX address_groups_name_order ON address_groups (lower(name), name, id);

-- A rule naming an address group keeps it in use (a group in use cannot be deleted).
ALTER TABLE security_group_rules ADD COLUMN remote_address_group_id TEXT;
CREATE INDEX security_group_rules_remote_ag ON security_group_rules (remote_address_group_id);

-- The template: `for_default_sg` / `for_custom_sg` ('0'/'1'; the rule's `used_in_default_sg` and
-- `used_in_non_default_sg`, named apart so that list filters on those read the document's
-- booleans) say which new groups get the rule.
CREATE TABLE default_security_group_rules (
    id                     TEXT PRIMARY KEY,
    seq                    BIGINT GENERATED ALWAYS AS IDENTITY,
    for_default_sg         TEXT NOT NULL DEFAULT '0',
    for_custom_sg          TEXT NOT NULL DEFAULT '1',
    doc                    TEXT NOT NULL
);
CREATE INDEX default_security_group_rules_seq ON default_security_group_rules (seq);
CREATE INDEX default_security_group_rules_default ON default_security_group_rules (for_default_sg);
CREATE INDEX default_security_group_rules_custom ON default_security_group_rules (for_custom_sg);

-- The shipped template, upstream's: egress anywhere for every group, ingress from the group's own
-- members (`PARENT`) for each project's default group. Every group made so far got exactly these.
INSERT INTO default_security_group_rules (id, for_default_sg, for_custom_sg, doc) VALUES
('5a3b7e0c-61c4-4c37-9b0e-2f0e7f6b1a01', '1', '1',
 '{"id":"5a3b7e0c-61c4-4c37-9b0e-2f0e7f6b1a01","direction":"egress","ethertype":"IPv4","protocol":null,"port_range_min":null,"port_range_max":null,"remote_ip_prefix":null,"remote_group_id":null,"remote_address_group_id":null,"description":"Legacy default SG rule for egress traffic","used_in_default_sg":true,"used_in_non_default_sg":true}'),
('5a3b7e0c-61c4-4c37-9b0e-2f0e7f6b1a02', '1', '1',
 '{"id":"5a3b7e0c-61c4-4c37-9b0e-2f0e7f6b1a02","direction":"egress","ethertype":"IPv6","protocol":null,"port_range_min":null,"port_range_max":null,"remote_ip_prefix":null,"remote_group_id":null,"remote_address_group_id":null,"description":"Legacy default SG rule for egress traffic","used_in_default_sg":true,"used_in_non_default_sg":true}'),
('5a3b7e0c-61c4-4c37-9b0e-2f0e7f6b1a03', '1', '0',
 '{"id":"5a3b7e0c-61c4-4c37-9b0e-2f0e7f6b1a03","direction":"ingress","ethertype":"IPv4","protocol":null,"port_range_min":null,"port_range_max":null,"remote_ip_prefix":null,"remote_group_id":"PARENT","remote_address_group_id":null,"description":"Legacy default SG rule for ingress traffic","used_in_default_sg":true,"used_in_non_default_sg":false}'),
('5a3b7e0c-61c4-4c37-9b0e-2f0e7f6b1a04', '1', '0',
 '{"id":"5a3b7e0c-61c4-4c37-9b0e-2f0e7f6b1a04","direction":"ingress","ethertype":"IPv6","protocol":null,"port_range_min":null,"port_range_max":null,"remote_ip_prefix":null,"remote_group_id":"PARENT","remote_address_group_id":null,"description":"Legacy default SG rule for ingress traffic","used_in_default_sg":true,"used_in_non_default_sg":false}');

-- The default `stateful` of new security groups (`security-groups-default-statefulness`): one
-- setting per project (`project_id`) and one system-wide (`project_id` NULL). `scope`: the
-- project, or '' for the system-wide one; unique, so there is one setting per scope.
CREATE TABLE security_groups_default_statefulness (
    id         TEXT PRIMARY KEY,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id TEXT,
    scope      TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX security_groups_default_statefulness_seq ON security_groups_default_statefulness (seq);
CREATE INDEX security_groups_default_statefulness_project
    ON security_groups_default_statefulness (project_id);
CREATE UNIQUE INDEX security_groups_default_statefulness_scope
    ON security_groups_default_statefulness (scope);
