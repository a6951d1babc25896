-- Honest ingest: a problem that costs one touch of a row is a warning (the rest of the row is
-- stored), not a rejection; an id sent again with different content is a conflict, kept with
-- both versions, or (sent as a correction) applied with the previous version kept; a visit
-- whose events changed waits here to be scored again.
ALTER TABLE quarantine ADD COLUMN action VARCHAR DEFAULT 'rejected';   -- rejected | warned
CREATE TABLE conflicts (
    source_hash   VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    row_number    BIGINT NOT NULL,
    kind          VARCHAR NOT NULL,          -- touch | visit | survey | audit
    event_id      VARCHAR NOT NULL,
    action        VARCHAR NOT NULL,          -- conflict (not applied) | replaced (applied; stored_version was the old one)
    stored_version VARCHAR NOT NULL,         -- JSON of the version stored before
    sent_version  VARCHAR NOT NULL,          -- JSON of the version sent
    noted_at      TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (source_hash, row_number, kind, event_id, action)
);
CREATE TABLE rescore (
    visit_id      VARCHAR PRIMARY KEY,
    changed_at    TIMESTAMP DEFAULT current_timestamp
);
