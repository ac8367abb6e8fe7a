-- 0011_derived_fields: a network's `subnets`, a subnet's `shared` and `router:external` and a
-- floating IP's `port_details` are computed when read (from the subnets, networks and ports
-- tables); the copies earlier releases stored in the documents go. No revision changes: what
-- the API shows stays the same.
UPDATE networks SET doc = (doc::jsonb - 'subnets')::text;
UPDATE subnets SET doc = (doc::jsonb - 'shared' - 'router:external')::text;
UPDATE floatingips SET doc = (doc::jsonb - 'port_details')::text;
