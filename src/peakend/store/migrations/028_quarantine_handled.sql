-- Quarantined rows as the pages word them and as a manager handles them: the contract field a problem is about
-- (`field` holds the name the file gave it), the value and expectation (each page words the message its own way:
-- moments by name, the import form's fields, never a command-line option), the row's hall (a manager handles the
-- rows of their halls only), and who dismissed the row and when (kept, hidden from the data-quality page's view).
ALTER TABLE quarantine ADD COLUMN field_id VARCHAR;
ALTER TABLE quarantine ADD COLUMN value_shown VARCHAR;
ALTER TABLE quarantine ADD COLUMN expected VARCHAR;
ALTER TABLE quarantine ADD COLUMN hall_id VARCHAR;
ALTER TABLE quarantine ADD COLUMN dismissed_by VARCHAR;
ALTER TABLE quarantine ADD COLUMN dismissed_at TIMESTAMP;
