-- Incremental scoring: each run keeps what it scored from (the latest ingest time it saw) and the blueprint it
-- scored with, so the next run re-scores only visits whose events arrived since, under the same blueprint.
ALTER TABLE score_runs ADD COLUMN watermark TIMESTAMP;
ALTER TABLE score_runs ADD COLUMN blueprint_hash VARCHAR;
ALTER TABLE score_runs ADD COLUMN rescored BIGINT;
