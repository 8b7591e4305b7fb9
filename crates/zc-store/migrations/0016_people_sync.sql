-- People across consoles (docs/users.md, "Connected to a central store"). Each person gets a
-- global id; `version` moves with every change of theirs (identity, role, profile,
-- notification choices; the triggers below, in the change's own transaction, so the change and
-- its place in the queue are one write); `pushed_version` is the version the centre has,
-- `central_version` the centre's version this copy rests on. A person is pending while
-- `pushed_version` is behind `version`.
ALTER TABLE users ADD COLUMN global_id TEXT;
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN pushed_version INTEGER;
ALTER TABLE users ADD COLUMN central_version INTEGER;
UPDATE users SET global_id = lower(
    substr(printf('%012x', created_at), 1, 8) || '-' || substr(printf('%012x', created_at), 9, 4) || '-7'
    || substr(hex(randomblob(2)), 2, 3) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1)
    || substr(hex(randomblob(2)), 2, 3) || '-' || hex(randomblob(6)));
CREATE UNIQUE INDEX users_global_id ON users (global_id);

-- When the password the centre has was set (NULL: the centre has none of this console's). A
-- password set here later waits: its text is never kept, so it reaches the centre when it is
-- set while the centre answers, or at the person's next sign-in that the centre answers.
ALTER TABLE user_credentials ADD COLUMN central_password_at INTEGER;

CREATE TRIGGER users_global_id AFTER INSERT ON users WHEN NEW.global_id IS NULL
BEGIN
    UPDATE users SET global_id = lower(
        substr(printf('%012x', NEW.created_at), 1, 8) || '-' || substr(printf('%012x', NEW.created_at), 9, 4) || '-7'
        || substr(hex(randomblob(2)), 2, 3) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1)
        || substr(hex(randomblob(2)), 2, 3) || '-' || hex(randomblob(6)))
    WHERE id = NEW.id;
END;
CREATE TRIGGER users_edited AFTER UPDATE OF username, role, disabled_at ON users
BEGIN
    UPDATE users SET version = version + 1 WHERE id = NEW.id;
END;
CREATE TRIGGER user_profiles_added AFTER INSERT ON user_profiles
BEGIN
    UPDATE users SET version = version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER user_profiles_edited AFTER UPDATE ON user_profiles
BEGIN
    UPDATE users SET version = version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER notification_settings_added AFTER INSERT ON notification_settings
BEGIN
    UPDATE users SET version = version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER notification_settings_edited AFTER UPDATE ON notification_settings
BEGIN
    UPDATE users SET version = version + 1 WHERE id = NEW.user_id;
END;
