-- Routers, their ports and floating IPs (PostgreSQL).

CREATE TABLE routers (
    id         TEXT PRIMARY KEY,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX routers_seq ON routers (seq);
CREATE INDEX routers_project ON routers (project_id);

CREATE TABLE router_ports (
    router_id  TEXT NOT NULL REFERENCES routers (id) ON DELETE CASCADE,
    port_id    TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    port_type  TEXT NOT NULL,
    network_id TEXT NOT NULL,
    PRIMARY KEY (router_id, port_id)
);
CREATE INDEX router_ports_port ON router_ports (port_id);
CREATE INDEX router_ports_network ON router_ports (network_id, port_type);

CREATE TABLE floatingips (
    id                  TEXT PRIMARY KEY,
    seq                 BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id          TEXT NOT NULL,
    floating_network_id TEXT NOT NULL,
    port_id             TEXT,
    fixed_ip_address    TEXT,
    router_id           TEXT,
    doc                 TEXT NOT NULL
);
CREATE INDEX floatingips_seq ON floatingips (seq);
CREATE INDEX floatingips_project ON floatingips (project_id);
CREATE INDEX floatingips_network ON floatingips (floating_network_id);
CREATE INDEX floatingips_port ON floatingips (port_id);
CREATE INDEX floatingips_router ON floatingips (router_id);
CREATE UNIQUE INDEX floatingips_fixed_ip
    ON floatingips (floating_network_id, port_id, fixed_ip_address);
