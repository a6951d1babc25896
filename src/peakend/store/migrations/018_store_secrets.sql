-- The table that holds the store's own secrets (the phone key) was called `settings`, beside the PEAKEND_*
-- settings it has nothing to do with: its name now says what it holds.
ALTER TABLE settings RENAME TO store_secrets;
