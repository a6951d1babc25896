-- Identity (`ws.identity`, /admin/users, /admin/tokens, single sign-on): users can be disabled, carry where their
-- account comes from and their last login with its source (local, oidc, ldap), and a one-time password-reset code
-- (only its SHA-256 kept); device and SMS-gateway tokens get a short public id (for the pages), who made them,
-- their last use, rotation and revocation.
ALTER TABLE users ADD COLUMN disabled BOOLEAN DEFAULT FALSE;
ALTER TABLE users ADD COLUMN source VARCHAR DEFAULT 'local';
ALTER TABLE users ADD COLUMN last_login_at TIMESTAMP;
ALTER TABLE users ADD COLUMN last_login_source VARCHAR;
ALTER TABLE users ADD COLUMN reset_hash VARCHAR;
ALTER TABLE users ADD COLUMN reset_expires_at TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN token_id VARCHAR;
ALTER TABLE api_tokens ADD COLUMN created_by VARCHAR;
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN rotated_at TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN revoked_at TIMESTAMP;
UPDATE api_tokens SET token_id = substr(token_hash, 1, 12) WHERE token_id IS NULL;
