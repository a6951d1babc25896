-- Long work as jobs every process shares: a scoring run, a verdict, a what-if, an import. Any process claims a
-- queued job (or one whose lease ran out: its process died), reports progress, and keeps the result here, so a
-- page on another process (or after a restart) finds it. `job_key` names what a job computes, so that a page asking
-- the same question again finds the last answer (and a running job) instead of starting another.
CREATE TABLE jobs (
    job_id        VARCHAR PRIMARY KEY,
    kind          VARCHAR NOT NULL,
    job_key       VARCHAR NOT NULL,
    params        VARCHAR NOT NULL,
    owner         VARCHAR NOT NULL,
    halls         VARCHAR,
    state         VARCHAR NOT NULL,
    basis         BIGINT NOT NULL DEFAULT 0,
    done          BIGINT NOT NULL DEFAULT 0,
    total         BIGINT NOT NULL DEFAULT 0,
    step          VARCHAR,
    result        VARCHAR,
    error_en      VARCHAR,
    error_zh      VARCHAR,
    attempts      INTEGER NOT NULL DEFAULT 0,
    cancel        BOOLEAN NOT NULL DEFAULT false,
    claimed_by    VARCHAR,
    lease_until   TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    started_at    TIMESTAMP,
    finished_at   TIMESTAMP
);
CREATE INDEX jobs_by_key ON jobs (job_key, created_at);
CREATE INDEX jobs_by_state ON jobs (state, created_at);
-- A job's tables (verdicts, what-if hours, …) as Parquet, typed as they were.
CREATE TABLE job_frames (
    job_id        VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    data          BYTEA NOT NULL,
    PRIMARY KEY (job_id, name)
);
