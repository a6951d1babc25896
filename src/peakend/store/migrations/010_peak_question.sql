-- The SMS survey may ask about the visit's own peak: the moment asked about, so that the reply tags itself to it.
ALTER TABLE sms_surveys ADD COLUMN asked_moment VARCHAR;
