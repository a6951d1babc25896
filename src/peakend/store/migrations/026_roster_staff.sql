-- The staff a hall's roster assigns (`peakend roster staff FILE`, the roster page's upload): each person's stations
-- (skills), limits and unavailability, as the manager's file gave them.
CREATE TABLE roster_staff (
    hall_id     VARCHAR NOT NULL,
    staff_id    VARCHAR NOT NULL,
    name        VARCHAR,
    stations    VARCHAR NOT NULL,
    max_day     INTEGER NOT NULL,
    max_week    INTEGER NOT NULL,
    contract    INTEGER NOT NULL,
    days_off    VARCHAR NOT NULL,
    unavailable VARCHAR NOT NULL,
    PRIMARY KEY (hall_id, staff_id)
);
