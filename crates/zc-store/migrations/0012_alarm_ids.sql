-- Alarm ids are never reused either (see 0011 for their events): removing a connection
-- cascades its alarms away, and an acknowledgement or shelve by alarm id, sent from a list read
-- before the removal, must not reach the next alarm that would have taken the freed id.
INSERT INTO meta (key, value, created_at, updated_at)
SELECT 'alarm_id_high', COALESCE(MAX(id), 0), CAST(strftime('%s', 'now') AS INTEGER) * 1000,
       CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM alarms;
