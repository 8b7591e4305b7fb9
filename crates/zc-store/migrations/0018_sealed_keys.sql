-- Sealed API keys this console has taken from the centre (docs/central.md, "Sealed keys"): which
-- box, for which connection, from whom. Never the key: that went straight into the OS keyring.
-- A box is opened once; one the keyring took but this row missed (a crash between the two) is
-- opened again at the next sync, which stores the same key again.
CREATE TABLE sealed_keys_received (
    id                TEXT PRIMARY KEY,
    connection_id     INTEGER NOT NULL,
    sender_console_id TEXT NOT NULL,
    sealed_by         TEXT NOT NULL,
    received_at       INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
