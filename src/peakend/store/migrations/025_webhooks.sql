-- Integrations: every event another system hears of (a recovery alert, a case opened / escalated / overdue /
-- closed, a negative survey reply, an import finished, a digest ready) is written to the outbox in the same
-- transaction as what it tells of, so none is lost across a restart and every process delivers from one place.
-- The background loop fans each event out to the endpoints that asked for its kind and its hall (one delivery
-- row each) and sends them with retries; the delivery rows are the delivery log (and what a replay resets).
CREATE TABLE outbox (
    event_id    VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL,
    hall_id     VARCHAR,
    created_at  TIMESTAMP NOT NULL,
    payload     VARCHAR NOT NULL,
    fanned_at   TIMESTAMP
);
CREATE INDEX outbox_unfanned ON outbox (fanned_at, created_at);
CREATE TABLE endpoints (
    endpoint_id   VARCHAR PRIMARY KEY,
    channel       VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,
    secret        VARCHAR,
    events        VARCHAR NOT NULL,
    halls         VARCHAR NOT NULL,
    lang          VARCHAR NOT NULL,
    mention       VARCHAR,
    created_by    VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    disabled_at   TIMESTAMP,
    disabled_why  VARCHAR,
    slow_until    TIMESTAMP
);
-- What each chat robot was sent lately (messages a send made), so that a robot's rate per minute is kept over any
-- 60 seconds, by every process.
CREATE TABLE robot_sends (
    endpoint_id  VARCHAR NOT NULL,
    sent_at      TIMESTAMP NOT NULL,
    messages     INTEGER NOT NULL
);
CREATE INDEX robot_sends_by_endpoint ON robot_sends (endpoint_id, sent_at);
CREATE TABLE deliveries (
    delivery_id  VARCHAR PRIMARY KEY,
    endpoint_id  VARCHAR NOT NULL,
    event_id     VARCHAR NOT NULL,
    state        VARCHAR NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    last_at      TIMESTAMP,
    last_status  INTEGER,
    last_error   VARCHAR,
    sent_at      TIMESTAMP
);
CREATE INDEX deliveries_due ON deliveries (state, next_at);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, created_at);
-- The frontline inbox: who on the floor took a recovery alert, and when.
ALTER TABLE alerts ADD COLUMN claimed_by VARCHAR;
ALTER TABLE alerts ADD COLUMN claimed_at TIMESTAMP;
