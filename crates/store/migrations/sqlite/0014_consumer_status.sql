-- What a consumer of the feed (a back end) last reported about itself, as JSON, and when: read by
-- `neutrino ovn status` from any process on the same database.
ALTER TABLE outbox_consumers ADD COLUMN status TEXT;
ALTER TABLE outbox_consumers ADD COLUMN status_at_ms BIGINT;
