-- The frontline inbox's actions on a recovery alert beside the claim (025): marked handled (by whom, when) and
-- handed to a colleague (claimed_by becomes the colleague; handed_by/handed_at who gave it and when), and the
-- time of the alert's last action, which the inbox's live stream watches.
ALTER TABLE alerts ADD COLUMN handled_by VARCHAR;
ALTER TABLE alerts ADD COLUMN handled_at TIMESTAMP;
ALTER TABLE alerts ADD COLUMN handed_by VARCHAR;
ALTER TABLE alerts ADD COLUMN handed_at TIMESTAMP;
ALTER TABLE alerts ADD COLUMN changed_at TIMESTAMP;
