-- 0021_auto_allocated_topologies: the network and router the auto-allocated topology API built
-- for a project (id = the project's id; one topology per project).
CREATE TABLE auto_allocated_topologies (
    id         TEXT PRIMARY KEY,
    network_id TEXT NOT NULL,
    router_id  TEXT NOT NULL,
    doc        TEXT NOT NULL
);
