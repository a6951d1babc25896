-- A live worker claims the queued visits it runs the rules on, until claimed_until (its lease): workers in
-- several processes never take the same visit, and the visits of a worker that died are taken when it ends.
ALTER TABLE live_pending ADD COLUMN claimed_until TIMESTAMP;
