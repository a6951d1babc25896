-- The activity log: every security-relevant action (logins, users, tokens, blueprint versions and weight
-- approvals, imports, exports of visit-level data, case reassigns, erasures), append-only and hash-chained: each
-- row's hash covers the previous row's, so an edited or deleted row breaks the chain (`peakend activity verify`).
CREATE TABLE activity (
    seq        BIGINT PRIMARY KEY,
    happened_at TIMESTAMP NOT NULL,
    actor      VARCHAR NOT NULL,
    address    VARCHAR,
    action     VARCHAR NOT NULL,
    target     VARCHAR,
    detail     VARCHAR,
    prev_hash  VARCHAR NOT NULL,
    hash       VARCHAR NOT NULL
);
