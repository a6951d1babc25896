-- Failed logins (and setup-code guesses) kept in the store, so that every process of a server counts them
-- together: the limits hold however many web processes answer.
CREATE TABLE login_failures (
    kind       VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    failed_at  TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (kind, key, failed_at);
