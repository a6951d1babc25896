-- Coaching: a training module assigned to a staff member on a date, by a manager; its effect is measured after.
CREATE TABLE coaching (
    coaching_id  VARCHAR PRIMARY KEY,          -- staff:module:date
    hall_id      VARCHAR NOT NULL,
    staff_id     VARCHAR NOT NULL,
    module_id    VARCHAR NOT NULL,
    trained_on   DATE NOT NULL,
    assigned_by  VARCHAR NOT NULL,
    assigned_at  TIMESTAMP DEFAULT current_timestamp
);
