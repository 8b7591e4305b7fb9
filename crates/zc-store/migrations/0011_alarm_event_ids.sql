-- Alarm event ids are never reused. Without this, removing a connection cascades its alarm
-- events away and SQLite hands the newest freed id to the next event: a reader that follows
-- events by id (the desktop notifications) had passed it already and skipped that alarm.
INSERT INTO meta (key, value, created_at, updated_at)
SELECT 'alarm_event_id_high', COALESCE(MAX(id), 0), CAST(strftime('%s', 'now') AS INTEGER) * 1000,
       CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM alarm_events;
