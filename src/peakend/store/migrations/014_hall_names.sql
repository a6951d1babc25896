-- Hall names in both languages, for pages that show names, not ids (`peakend hall name`); a hall without one
-- is shown by its id.
CREATE TABLE hall_names (
    hall_id  VARCHAR PRIMARY KEY,
    zh       VARCHAR NOT NULL,
    en       VARCHAR NOT NULL
);
