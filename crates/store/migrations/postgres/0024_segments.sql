-- 0024_segments: network segments become resources (`segment` extension) with ids, names and
-- standard attributes; subnets may name the segment they belong to (`segment_id`) (PostgreSQL).
--
-- `segments` replaces `network_segments`. `seg_type`, `seg_physnet` ('' for none) and `seg_id`
-- (0 for none) keep the unique index that makes allocation race-free; they are named apart
-- from the API's attributes (which show NULL for none) so no list filter is pushed to them.
-- `segment_index` orders a network's segments. An existing network's one segment takes the
-- network's id, so the name of its OVN localnet port (`provnet-<segment id>`) stays the same.
CREATE TABLE segments (
    id              TEXT PRIMARY KEY,
    seq             BIGINT GENERATED ALWAYS AS IDENTITY,
    network_id      TEXT NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    seg_type        TEXT NOT NULL,
    seg_physnet     TEXT NOT NULL DEFAULT '',
    seg_id          BIGINT NOT NULL DEFAULT 0,
    segment_index   BIGINT NOT NULL DEFAULT 0,
    revision_number BIGINT NOT NULL DEFAULT 1,
    doc             TEXT NOT NULL
);
INSERT INTO segments (id, network_id, seg_type, seg_physnet, seg_id, doc)
SELECT s.network_id, s.network_id, s.network_type, s.physical_network, s.segmentation_id,
       json_build_object(
           'id', s.network_id,
           'network_id', s.network_id,
           'name', NULL,
           'description', NULL,
           'network_type', s.network_type,
           'physical_network', NULLIF(s.physical_network, ''),
           'segmentation_id', NULLIF(s.segmentation_id, 0),
           'created_at', n.doc::json ->> 'created_at',
           'updated_at', n.doc::json ->> 'created_at',
           'revision_number', 1)::text
FROM network_segments s JOIN networks n ON n.id = s.network_id;
DROP TABLE network_segments;
CREATE INDEX segments_seq ON segments (seq);
CREATE UNIQUE INDEX network_segments_unique ON segments (seg_type, seg_physnet, seg_id);
CREATE INDEX segments_network ON segments (network_id, segment_index);

ALTER TABLE subnets ADD COLUMN segment_id TEXT;
CREATE INDEX subnets_segment ON subnets (segment_id);

-- What networks and subnets show of these extensions from now on, in the documents of the
-- ones there are (no new revision: nothing about them changed).
UPDATE subnets SET doc = (doc::jsonb || '{"segment_id": null}'::jsonb)::text;
UPDATE networks SET doc = (doc::jsonb || '{"vlan_transparent": false, "qinq": false}'::jsonb)::text;

-- `network_segment_ranges` (`network-segment-range`): the ranges tenant segments are allocated
-- from. `project_id` is '' for a shared range; `is_default` 1 for the ranges the config gives,
-- which the service keeps equal to it. `range_type`, `range_physnet` ('' for tunnels),
-- `range_min` and `range_max` are named apart from the API's attributes, as in `segments`.
CREATE TABLE network_segment_ranges (
    id              TEXT PRIMARY KEY,
    seq             BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id      TEXT NOT NULL DEFAULT '',
    range_type      TEXT NOT NULL,
    range_physnet   TEXT NOT NULL DEFAULT '',
    range_min       BIGINT NOT NULL,
    range_max       BIGINT NOT NULL,
    is_default      BIGINT NOT NULL DEFAULT 0,
    revision_number BIGINT NOT NULL DEFAULT 1,
    doc             TEXT NOT NULL
);
CREATE INDEX network_segment_ranges_seq ON network_segment_ranges (seq);
CREATE INDEX network_segment_ranges_type ON network_segment_ranges (range_type, range_physnet);
CREATE INDEX network_segment_ranges_project ON network_segment_ranges (project_id);
