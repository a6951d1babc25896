-- The trust boundary: sessions kept on the server (logout ends them), device tokens with a
-- scope (a hall's devices, or the SMS gateway), and visits the live worker set aside because
-- their rules failed (with the reason, for admins; the rest of the queue goes on).
CREATE TABLE sessions (
    session_hash  VARCHAR PRIMARY KEY,       -- SHA-256 of the session id the cookie carries
    username      VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL
);
ALTER TABLE api_tokens ADD COLUMN scope VARCHAR DEFAULT 'device';  -- device | sms
CREATE TABLE live_parked (
    visit_id      VARCHAR PRIMARY KEY,
    reason        VARCHAR NOT NULL,
    parked_at     TIMESTAMP NOT NULL
);
