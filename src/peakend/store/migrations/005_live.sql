-- The live service loop: recovery alerts, follow-up cases with their audit trail, timers
-- (reminders, escalations, survey sends) that survive a restart, notifications to staff,
-- SMS surveys with opt-outs, and queue diversion advice. Every id is derived from the
-- events that fired it, so an event ingested twice fires nothing twice.
ALTER TABLE visits ADD COLUMN ticket VARCHAR;
CREATE TABLE alerts (
    alert_id     VARCHAR PRIMARY KEY,       -- touch_id:kind
    kind         VARCHAR NOT NULL,          -- low_e | long_wait
    hall_id      VARCHAR NOT NULL,
    visit_id     VARCHAR NOT NULL,
    ticket       VARCHAR,
    moment_id    VARCHAR,
    staff_id     VARCHAR,
    e            DOUBLE PRECISION,
    wait_min     DOUBLE PRECISION,
    message_zh   VARCHAR,
    message_en   VARCHAR,
    fired_at     TIMESTAMP NOT NULL,
    event_at     TIMESTAMP
);
CREATE TABLE cases (
    case_id      VARCHAR PRIMARY KEY,       -- the visit id: one case per visit
    visit_id     VARCHAR NOT NULL,
    hall_id      VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,          -- complaint | unresolved | negative_end
    owner        VARCHAR,                   -- staff id of the visit's first touch (first-ask ownership)
    status       VARCHAR NOT NULL,          -- open | resolved
    opened_at    TIMESTAMP NOT NULL,
    deadline     TIMESTAMP NOT NULL,
    escalated_to VARCHAR,
    resolved_at  TIMESTAMP,
    resolution   VARCHAR
);
CREATE TABLE case_events (
    case_id      VARCHAR NOT NULL,
    seq          INTEGER NOT NULL,
    happened_at  TIMESTAMP NOT NULL,
    actor        VARCHAR NOT NULL,
    action       VARCHAR NOT NULL,          -- opened | comment | reassign | resolve | remind | escalate
    detail       VARCHAR,
    PRIMARY KEY (case_id, seq)
);
CREATE TABLE timers (
    timer_id     VARCHAR PRIMARY KEY,       -- kind:ref
    kind         VARCHAR NOT NULL,          -- remind | escalate | survey
    ref          VARCHAR NOT NULL,
    due_at       TIMESTAMP NOT NULL,
    done_at      TIMESTAMP,
    outcome      VARCHAR
);
CREATE TABLE notifications (
    notification_id VARCHAR PRIMARY KEY,    -- the timer or alert that made it
    created_at   TIMESTAMP NOT NULL,
    recipient    VARCHAR,
    hall_id      VARCHAR,
    kind         VARCHAR NOT NULL,
    ref          VARCHAR,
    message_zh   VARCHAR,
    message_en   VARCHAR
);
CREATE TABLE sms_surveys (
    visit_id     VARCHAR PRIMARY KEY,
    customer_key VARCHAR NOT NULL,
    hall_id      VARCHAR NOT NULL,
    triggered_at TIMESTAMP NOT NULL,
    send_at      TIMESTAMP,
    sent_at      TIMESTAMP,
    status       VARCHAR NOT NULL,          -- scheduled | sent | answered | skipped_fatigue | skipped_optout
    reply        VARCHAR,
    replied_at   TIMESTAMP
);
CREATE TABLE sms_optouts (
    customer_key VARCHAR PRIMARY KEY,
    opted_out_at TIMESTAMP NOT NULL,
    via          VARCHAR
);
CREATE TABLE advice (
    advice_id    VARCHAR PRIMARY KEY,       -- hall:time slot
    hall_id      VARCHAR NOT NULL,
    advised_at   TIMESTAMP NOT NULL,
    waiting      INTEGER,
    counters     INTEGER,
    predicted_wait_min DOUBLE PRECISION,
    message_zh   VARCHAR,
    message_en   VARCHAR
);
