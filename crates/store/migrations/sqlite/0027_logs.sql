-- 0027_logs: network logs (`logging`): which security groups' or ports' packets the back end
-- logs. `resource_id` (a security group) and `target_id` (a port) are NULL when the log names
-- none; a log whose group or port is deleted goes with it (the rules delete it, through the
-- write door, so the outbox records it).
CREATE TABLE logs (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    resource_id     TEXT,
    target_id       TEXT,
    revision_number INTEGER NOT NULL DEFAULT 1,
    doc             TEXT NOT NULL
);
CREATE INDEX logs_project ON logs (project_id);
CREATE INDEX logs_name ON logs (name);
CREATE INDEX logs_name_order ON logs (lower(name), name, id);
CREATE INDEX logs_resource ON logs (resource_id);
CREATE INDEX logs_target ON logs (target_id);
