-- 0028_router_gateways: routers show `enable_default_route_bfd` and `enable_default_route_ecmp`
-- (`enable-default-route-bfd`, `-ecmp`; false unless set) and `external_gateways`
-- (`external-gateway-multihoming`: every gateway, the `external_gateway_info` one first). A
-- router's gateways stay its `network:router_gateway` ports in `router_ports`, the first the
-- one `external_gateway_info` describes. Routers written before get the two flags appended here
-- and their one gateway as `external_gateways` by the migration's Rust step, leaving the rest
-- of the document as it was.
UPDATE routers
SET doc = substr(doc, 1, length(doc) - 1) || ',"enable_default_route_bfd":false,"enable_default_route_ecmp":false}'
WHERE doc LIKE '%}' AND doc NOT LIKE '%"enable_default_route_bfd":%';
