-- Column mappings saved from the browser's import, by name: the same YAML `peakend ingest --mapping` reads.
CREATE TABLE mappings (
    name        VARCHAR PRIMARY KEY,
    yaml        VARCHAR NOT NULL,
    saved_by    VARCHAR NOT NULL,
    saved_at    TIMESTAMP DEFAULT current_timestamp
);
