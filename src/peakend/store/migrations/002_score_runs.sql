-- One row per scoring run: which blueprint and weights, how much was scored, how long it took.
CREATE TABLE IF NOT EXISTS score_runs (
    run_at     TIMESTAMP DEFAULT current_timestamp,
    blueprint  VARCHAR,
    version    VARCHAR,
    weights    VARCHAR,
    halls      BIGINT,
    visits     BIGINT,
    touches    BIGINT,
    seconds    DOUBLE PRECISION
);
