-- Visits whose live rules have not run yet. API ingest adds a visit here in the same
-- transaction that stores its events; the live worker runs the rules on the visits it finds
-- and removes those not queued again meanwhile, so a restart loses no alert or case.
CREATE TABLE live_pending (
    visit_id   VARCHAR PRIMARY KEY,
    queued_ns  BIGINT NOT NULL              -- when it was (last) queued, ns since the epoch
);
