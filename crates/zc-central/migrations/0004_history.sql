-- What the consoles measured: status changes, one raw metrics row per request, point history.
-- Partitioned by month on the time it happened, so a query over days reads a few partitions and
-- expiring a month is dropping one (central.maintain(), or pg_partman where it is installed).
-- A DEFAULT partition takes what falls outside the months made so far: nothing is refused for
-- its date, and central.health() reports rows there.

CREATE TABLE central.status_history (
    id              uuid NOT NULL,
    organisation_id uuid NOT NULL,
    console_id      uuid NOT NULL,
    connection_id   uuid NOT NULL,
    at              timestamptz NOT NULL,
    from_status     text NOT NULL,
    to_status       text NOT NULL,
    reason          text NOT NULL DEFAULT '',
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);

CREATE TABLE central.request_metrics (
    id              uuid NOT NULL,
    organisation_id uuid NOT NULL,
    console_id      uuid NOT NULL,
    connection_id   uuid NOT NULL,
    at              timestamptz NOT NULL,
    latency_ms      double precision,
    http_status     integer,
    failure         text,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);

CREATE TABLE central.point_history (
    id              uuid NOT NULL,
    organisation_id uuid NOT NULL,
    console_id      uuid NOT NULL,
    connection_id   uuid NOT NULL,
    point           text NOT NULL,
    at              timestamptz NOT NULL,
    value           double precision,
    text_value      text,
    quality         text NOT NULL,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);

CREATE INDEX status_history_connection ON central.status_history (connection_id, at);
CREATE INDEX request_metrics_connection ON central.request_metrics (connection_id, at);
CREATE INDEX point_history_connection ON central.point_history (connection_id, point, at);

CREATE TABLE central.status_history_default PARTITION OF central.status_history DEFAULT;
CREATE TABLE central.request_metrics_default PARTITION OF central.request_metrics DEFAULT;
CREATE TABLE central.point_history_default PARTITION OF central.point_history DEFAULT;

-- Makes the monthly partitions from `months_back` months before `around` to `months_ahead`
-- after, each with RLS forced and no policy of its own (reached only through its parent). A
-- month whose rows already sit in the DEFAULT partition is left there (health reports it).
-- Run by the table owner (migrations, maintenance); consoles cannot call it.
CREATE FUNCTION central.make_partitions(around timestamptz, months_back int, months_ahead int)
RETURNS int LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    parent text;
    m date;
    part text;
    made int := 0;
    made_check boolean;
BEGIN
    FOREACH parent IN ARRAY ARRAY['status_history', 'request_metrics', 'point_history'] LOOP
        FOR i IN -months_back .. months_ahead LOOP
            m := (date_trunc('month', around AT TIME ZONE 'UTC') + make_interval(months => i))::date;
            part := format('%s_%s', parent, to_char(m, 'YYYY_MM'));
            CONTINUE WHEN to_regclass(format('central.%I', part)) IS NOT NULL;
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM central.%I WHERE at >= %L AND at < %L)',
                           parent || '_default', m::timestamp AT TIME ZONE 'UTC',
                           (m + interval '1 month')::timestamp AT TIME ZONE 'UTC')
            INTO STRICT made_check;
            CONTINUE WHEN made_check;
            EXECUTE format('CREATE TABLE central.%I PARTITION OF central.%I FOR VALUES FROM (%L) TO (%L)',
                           part, parent, m::timestamp AT TIME ZONE 'UTC',
                           (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
            EXECUTE format('ALTER TABLE central.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', part);
            made := made + 1;
        END LOOP;
    END LOOP;
    RETURN made;
END
$$;
REVOKE ALL ON FUNCTION central.make_partitions(timestamptz, int, int) FROM PUBLIC;

ALTER TABLE central.status_history ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.request_metrics ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.point_history ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.status_history_default ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.request_metrics_default ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.point_history_default ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- A console adds only its own measurements, of its own site's connections (so it reaches the
-- centre after the connection does; a deleted one still counts, its history may arrive late),
-- and reads its organisation's; nobody edits history.
CREATE POLICY console_adds ON central.status_history FOR INSERT TO zc_console
    WITH CHECK (console_id = (SELECT central.console_id())
                AND organisation_id = (SELECT central.console_organisation())
                AND EXISTS (SELECT 1 FROM central.connections c
                            WHERE c.id = status_history.connection_id
                              AND c.site_id = (SELECT central.console_site())));
CREATE POLICY console_reads ON central.status_history FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_adds ON central.request_metrics FOR INSERT TO zc_console
    WITH CHECK (console_id = (SELECT central.console_id())
                AND organisation_id = (SELECT central.console_organisation())
                AND EXISTS (SELECT 1 FROM central.connections c
                            WHERE c.id = request_metrics.connection_id
                              AND c.site_id = (SELECT central.console_site())));
CREATE POLICY console_reads ON central.request_metrics FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_adds ON central.point_history FOR INSERT TO zc_console
    WITH CHECK (console_id = (SELECT central.console_id())
                AND organisation_id = (SELECT central.console_organisation())
                AND EXISTS (SELECT 1 FROM central.connections c
                            WHERE c.id = point_history.connection_id
                              AND c.site_id = (SELECT central.console_site())));
CREATE POLICY console_reads ON central.point_history FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY person_reads ON central.status_history FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation()));
CREATE POLICY person_reads ON central.request_metrics FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation()));
CREATE POLICY person_reads ON central.point_history FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation()));

GRANT SELECT, INSERT ON central.status_history, central.request_metrics, central.point_history TO zc_console;
GRANT SELECT ON central.status_history, central.request_metrics, central.point_history TO authenticated;
GRANT ALL ON central.status_history, central.request_metrics, central.point_history TO service_role;

SELECT central.make_partitions(now(), 13, 3);
