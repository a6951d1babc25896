-- The event store: append-only events keyed by sender-given ids, plus quarantine.
CREATE TABLE visits (
    visit_id      VARCHAR PRIMARY KEY,
    hall_id       VARCHAR NOT NULL,
    customer_key  VARCHAR,
    segment       VARCHAR,
    route         VARCHAR,
    arrival       TIMESTAMP,
    departure     TIMESTAMP,
    source        VARCHAR,
    ingested_at   TIMESTAMP DEFAULT current_timestamp
);
CREATE TABLE touches (
    touch_id      VARCHAR PRIMARY KEY,
    visit_id      VARCHAR NOT NULL,
    moment_id     VARCHAR NOT NULL,
    seq           INTEGER,
    start_at      TIMESTAMP,
    end_at        TIMESTAMP,
    staff_id      VARCHAR,
    source        VARCHAR,
    rating        DOUBLE PRECISION,
    rating_scale  VARCHAR,
    wait_min      DOUBLE PRECISION,
    service_min   DOUBLE PRECISION,
    outcome       VARCHAR,
    ingested_at   TIMESTAMP DEFAULT current_timestamp
);
CREATE TABLE surveys (
    survey_id     VARCHAR PRIMARY KEY,
    visit_id      VARCHAR NOT NULL,
    answered_at   TIMESTAMP,
    overall       DOUBLE PRECISION,
    overall_scale VARCHAR,
    recommend     DOUBLE PRECISION,
    repurchase    DOUBLE PRECISION,
    relationship  DOUBLE PRECISION,
    switch_resist DOUBLE PRECISION,
    comment       VARCHAR,
    source        VARCHAR,
    ingested_at   TIMESTAMP DEFAULT current_timestamp
);
CREATE TABLE audits (
    audit_id      VARCHAR PRIMARY KEY,
    hall_id       VARCHAR NOT NULL,
    audited_at    TIMESTAMP,
    item          VARCHAR NOT NULL,
    passed        BOOLEAN NOT NULL,
    staff_id      VARCHAR,
    auditor       VARCHAR,
    note          VARCHAR,
    source        VARCHAR,
    ingested_at   TIMESTAMP DEFAULT current_timestamp
);
CREATE TABLE quarantine (
    source_hash   VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    row_number    BIGINT NOT NULL,
    field         VARCHAR NOT NULL,
    code          VARCHAR NOT NULL,
    message_en    VARCHAR NOT NULL,
    message_zh    VARCHAR NOT NULL,
    record        VARCHAR,
    quarantined_at TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (source_hash, row_number, field)
);
CREATE TABLE ingest_log (
    source_hash   VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    rows_read     BIGINT NOT NULL,
    stored        BIGINT NOT NULL,
    duplicates    BIGINT NOT NULL,
    quarantined   BIGINT NOT NULL,
    ingested_at   TIMESTAMP DEFAULT current_timestamp
);
