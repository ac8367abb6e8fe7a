-- 0024_segments: network segments become resources (`segment` extension) with ids, names and
-- standard attributes; subnets may name the segment they belong to (`segment_id`).
--
-- `segments` replaces `network_segments`. `seg_type`, `seg_physnet` ('' for none) and `seg_id`
-- (0 for none) keep the unique index that makes allocation race-free; they are named apart
-- from the API's attributes (which show NULL for none) so no list filter is pushed to them.
-- `segment_index` orders a network's segments. An existing network's one segment takes the
-- network's id, so the name of its OVN localnet port (`provnet-<segment id>`) stays the same.
CREATE TABLE segments (
    id              TEXT PRIMARY KEY,
    network_id      TEXT NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    seg_type        TEXT NOT NULL,
    seg_physnet     TEXT NOT NULL DEFAULT '',
    seg_id          INTEGER NOT NULL DEFAULT 0,
    segment_index   INTEGER NOT NULL DEFAULT 0,
    revision_number INTEGER NOT NULL DEFAULT 1,
    doc             TEXT NOT NULL
);
INSERT INTO segments (id, network_id, seg_type, seg_physnet, seg_id, doc)
SELECT s.network_id, s.network_id, s.network_type, s.physical_network, s.segmentation_id,
       json_object(
           'id', s.network_id,
           'network_id', s.network_id,
           'name', NULL,
           'description', NULL,
           'network_type', s.network_type,
           'physical_network', CASE s.physical_network WHEN '' THEN NULL ELSE s.physical_network END,
           'segmentation_id', CASE s.segmentation_id WHEN 0 THEN NULL ELSE s.segmentation_id END,
           'created_at', json_extract(n.doc, '$.created_at'),
           'updated_at', json_extract(n.doc, '$.created_at'),
           'revision_number', 1)
FROM network_segments s JOIN networks n ON n.id = s.network_id;
DROP TABLE network_segments;
CREATE UNIQUE INDEX network_segments_unique ON segments (seg_type, seg_physnet, seg_id);
CREATE INDEX segments_network ON segments (network_id, segment_index);

ALTER TABLE subnets ADD COLUMN segment_id TEXT;
CREATE INDEX subnets_segment ON subnets (segment_id);

-- What networks and subnets show of these extensions from now on, in the documents of the
-- ones there are (no new revision: nothing about them changed).
UPDATE subnets SET doc = json_set(doc, '$.segment_id', json('null'));
UPDATE networks SET doc = json_set(doc, '$.vlan_transparent', json('false'), '$.qinq', json('false'));

-- `network_segment_ranges` (`network-segment-range`): the ranges tenant segments are allocated
-- from. `project_id` is '' for a shared range; `is_default` 1 for the ranges the config gives,
-- which the service keeps equal to it. `range_type`, `range_physnet` ('' for tunnels),
-- `range_min` and `range_max` are named apart from the API's attributes, as in `segments`.
CREATE TABLE network_segment_ranges (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL DEFAULT '',
    range_type      TEXT NOT NULL,
    range_physnet   TEXT NOT NULL DEFAULT '',
    range_min       INTEGER NOT NULL,
    range_max       INTEGER NOT NULL,
    is_default      INTEGER NOT NULL DEFAULT 0,
    revision_number INTEGER NOT NULL DEFAULT 1,
    doc             TEXT NOT NULL
);
CREATE INDEX network_segment_ranges_type ON network_segment_ranges (range_type, range_physnet);
CREATE INDEX network_segment_ranges_project ON network_segment_ranges (project_id);
