-- The web app: users with hashed passwords, device tokens scoped to one hall, blueprint
-- versions saved from the blueprint page, and the display form of a customer's phone number.
CREATE TABLE users (
    username      VARCHAR PRIMARY KEY,
    password_hash VARCHAR NOT NULL,
    role          VARCHAR NOT NULL,          -- admin | manager | staff
    halls         VARCHAR NOT NULL DEFAULT '', -- comma-separated hall ids (managers, staff)
    created_at    TIMESTAMP DEFAULT current_timestamp
);
CREATE TABLE api_tokens (
    token_hash    VARCHAR PRIMARY KEY,       -- SHA-256 of the token; the token itself is shown once
    hall_id       VARCHAR NOT NULL,
    label         VARCHAR,
    created_at    TIMESTAMP DEFAULT current_timestamp
);
CREATE TABLE blueprint_versions (
    number        INTEGER PRIMARY KEY,
    blueprint_id  VARCHAR NOT NULL,
    version       VARCHAR NOT NULL,
    yaml          VARCHAR NOT NULL,
    saved_by      VARCHAR,
    saved_at      TIMESTAMP DEFAULT current_timestamp
);
ALTER TABLE visits ADD COLUMN customer_mask VARCHAR;
