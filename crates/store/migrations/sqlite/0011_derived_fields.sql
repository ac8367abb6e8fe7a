-- 0011_derived_fields: a network's `subnets`, a subnet's `shared` and `router:external` and a
-- floating IP's `port_details` are computed when read (from the subnets, networks and ports
-- tables); the copies earlier releases stored in the documents go. No revision changes: what
-- the API shows stays the same.
UPDATE networks SET doc = json_remove(doc, '$.subnets');
UPDATE subnets SET doc = json_remove(doc, '$.shared', '$."router:external"');
UPDATE floatingips SET doc = json_remove(doc, '$.port_details');
