-- 0029_port_attributes: ports show `propagate_uplink_status` (`uplink-status-propagation`,
-- true unless set otherwise, as upstream assumes for ports made before the extension),
-- `hardware_offload_type` (`port-hardware-offload-type`) and `trusted` (`port-trusted-vif`),
-- both null until set. Their documents are their view, so ports written before get the three
-- keys appended, leaving the rest of the document as it was.
UPDATE ports
SET doc = substr(doc, 1, length(doc) - 1)
    || ',"propagate_uplink_status":true,"hardware_offload_type":null,"trusted":null}'
WHERE doc LIKE '%}' AND doc NOT LIKE '%"propagate_uplink_status":%';
