-- Where a user's weekly digest goes (`peakend user add --email`); a user without one gets none by e-mail.
ALTER TABLE users ADD COLUMN email VARCHAR;
