-- Staff members' names in both languages (`peakend staff-name`): pages show a staff member by name in the page's
-- language, by id while they have none.
CREATE TABLE staff_names (
    staff_id VARCHAR PRIMARY KEY,
    zh       VARCHAR NOT NULL,
    en       VARCHAR NOT NULL
);
