-- Each person's notification choices, kept apart from their other settings: desktop
-- notifications on or off, the lowest priority that notifies, quiet hours (minutes after
-- midnight in the person's own zone; both NULL: none). `notification_preferences` (per event
-- kind and channel) stays for channels to come.
CREATE TABLE notification_settings (
    user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    desktop       INTEGER NOT NULL DEFAULT 1,
    min_priority  TEXT NOT NULL DEFAULT 'medium' CHECK (min_priority IN ('high', 'medium', 'low')),
    quiet_from    TEXT,
    quiet_to      TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CHECK ((quiet_from IS NULL) = (quiet_to IS NULL))
);

-- A person's console settings that are neither profile nor notifications.
CREATE TABLE user_settings (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    theme       TEXT NOT NULL DEFAULT 'dark' CHECK (theme IN ('dark', 'light')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
