-- 0025_routers: service flavors (`flavors`), service profiles and the bindings between them.
--
-- `flavors`: one row per flavor (no project, no revision: upstream's flavors have neither).
CREATE TABLE flavors (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    doc  TEXT NOT NULL
);
CREATE INDEX flavors_name_order ON flavors (lower(name), name, id);

-- `service_profiles`: one row per profile.
CREATE TABLE service_profiles (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);

-- `flavor_service_profiles`: which profile serves which flavor; the primary key makes a second
-- association of the same pair a conflict. A profile that is bound cannot be deleted (the
-- rules check it); a flavor's deletion takes its bindings with it, as upstream's cascade.
CREATE TABLE flavor_service_profiles (
    flavor_id          TEXT NOT NULL REFERENCES flavors (id) ON DELETE CASCADE,
    service_profile_id TEXT NOT NULL REFERENCES service_profiles (id),
    PRIMARY KEY (flavor_id, service_profile_id)
);
CREATE INDEX flavor_service_profiles_profile ON flavor_service_profiles (service_profile_id);
