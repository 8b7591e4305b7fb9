-- Keys shared to this console that it cannot open: sealed to a sealing key it no longer has (its
-- keyring was reset, so the key made since is another) while the API key is missing here. Noted
-- once per box, with a `key.share_again` entry saying whom to ask (docs/central.md, "Sealed keys").
CREATE TABLE sealed_keys_unopenable (
    id            TEXT PRIMARY KEY,
    connection_id INTEGER NOT NULL,
    sealed_by     TEXT NOT NULL,
    noticed_at    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
