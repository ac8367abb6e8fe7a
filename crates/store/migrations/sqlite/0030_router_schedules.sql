-- 0030_router_schedules: the gateway chassis of routers scheduled by hand
-- (`l3-agent-scheduler-ha-chassis-priority`: POST/PUT/DELETE /v2.0/agents/{id}/l3-routers).
--
-- A router with a row in `router_schedules` has its gateway's HA chassis group made of its rows
-- in `router_schedule_chassis` (possibly none), each chassis with its priority, instead of the
-- list the back end computes. Not resources of their own: a change here is a new revision of
-- the router; a router's delete removes its schedule.
CREATE TABLE router_schedules (
    router_id TEXT PRIMARY KEY REFERENCES routers (id) ON DELETE CASCADE
);
CREATE TABLE router_schedule_chassis (
    router_id TEXT NOT NULL REFERENCES router_schedules (router_id) ON DELETE CASCADE,
    chassis   TEXT NOT NULL,
    priority  INTEGER NOT NULL,
    PRIMARY KEY (router_id, chassis)
);
CREATE UNIQUE INDEX router_schedule_chassis_priority
    ON router_schedule_chassis (router_id, priority);
