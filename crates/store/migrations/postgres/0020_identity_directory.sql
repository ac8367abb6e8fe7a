-- The built-in identity's directory of entities created through its admin API (Keystone v3:
-- projects, users, roles, role assignments of a user on a project), shared by every replica.
-- Users, projects and roles of the config file are not stored here: they live in the config.
-- Ids are 32 lowercase hex characters; `enabled` is 0/1; users' passwords are stored salted and
-- hashed, as Argon2id PHC strings (`password_digest`, NULL: the user cannot log in with a password);
-- `extra` holds a user's other attributes (email, description, ...) as a JSON object.
CREATE TABLE identity_projects (
    id TEXT PRIMARY KEY,
    domain_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX identity_projects_name ON identity_projects (domain_id, name);
CREATE TABLE identity_users (
    id TEXT PRIMARY KEY,
    domain_id TEXT NOT NULL,
    name TEXT NOT NULL,
    password_digest TEXT,
    enabled BIGINT NOT NULL,
    default_project_id TEXT,
    extra TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX identity_users_name ON identity_users (domain_id, name);
CREATE TABLE identity_roles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    created_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX identity_roles_name ON identity_roles (name);
-- `project_id` may name a project of the config file (not a row of identity_projects), so it has
-- no foreign key; deleting a stored project, user or role deletes its assignments explicitly.
CREATE TABLE identity_role_assignments (
    user_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    role_id TEXT NOT NULL,
    PRIMARY KEY (user_id, project_id, role_id)
);
CREATE INDEX identity_role_assignments_project ON identity_role_assignments (project_id);
