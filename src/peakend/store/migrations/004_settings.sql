-- Store-wide settings made once, such as the key that hashes customer phone numbers.
CREATE TABLE settings (
    name  VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
