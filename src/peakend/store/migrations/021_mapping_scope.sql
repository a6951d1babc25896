-- Saved mappings are scoped like the data they import: the halls of whoever saved one (NULL: an admin, every hall).
-- A mapping is seen by its owner, admins, and users whose halls include all of its halls; only its owner or an admin
-- replaces it.
ALTER TABLE mappings ADD COLUMN halls VARCHAR;
