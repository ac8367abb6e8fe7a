-- Routers, their ports and floating IPs.

CREATE TABLE routers (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX routers_project ON routers (project_id);

-- Which ports belong to which router, and as what (interface or gateway): what the
-- reachability rule of floating IPs and the in-use rules query. A port deleted behind the
-- router's back takes its row with it.
CREATE TABLE router_ports (
    router_id  TEXT NOT NULL REFERENCES routers (id) ON DELETE CASCADE,
    port_id    TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    port_type  TEXT NOT NULL,
    network_id TEXT NOT NULL,
    PRIMARY KEY (router_id, port_id)
);
CREATE INDEX router_ports_port ON router_ports (port_id);
CREATE INDEX router_ports_network ON router_ports (network_id, port_type);

-- port_id, fixed_ip_address and router_id are NULL while the floating IP is not associated;
-- the unique index makes "one floating IP per fixed IP per external network" race-free.
CREATE TABLE floatingips (
    id                  TEXT PRIMARY KEY,
    project_id          TEXT NOT NULL,
    floating_network_id TEXT NOT NULL,
    port_id             TEXT,
    fixed_ip_address    TEXT,
    router_id           TEXT,
    doc                 TEXT NOT NULL
);
CREATE INDEX floatingips_project ON floatingips (project_id);
CREATE INDEX floatingips_network ON floatingips (floating_network_id);
CREATE INDEX floatingips_port ON floatingips (port_id);
CREATE INDEX floatingips_router ON floatingips (router_id);
CREATE UNIQUE INDEX floatingips_fixed_ip
    ON floatingips (floating_network_id, port_id, fixed_ip_address);
