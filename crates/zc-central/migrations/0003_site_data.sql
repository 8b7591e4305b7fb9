-- What a site is configured with: backend connections (never their keys), widget
-- configurations with every version, who may see which widget, and API keys sealed from one
-- console to another. Every row's id is assigned by the console that made it (UUIDv7), so the
-- same row is the same row on every console and here.

CREATE TABLE central.connections (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    site_id         uuid NOT NULL,
    name            text NOT NULL CHECK (name <> ''),
    url             text NOT NULL CHECK (url ~ '^https?://'),
    -- Interval, timeout, certificate trust, points: what the console's form holds, never a key.
    settings        jsonb NOT NULL DEFAULT '{}',
    version         bigint NOT NULL DEFAULT 1,
    deleted_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      text NOT NULL,
    console_id      uuid NOT NULL,
    FOREIGN KEY (site_id, organisation_id) REFERENCES central.sites (id, organisation_id),
    FOREIGN KEY (console_id, organisation_id) REFERENCES central.consoles (id, organisation_id),
    UNIQUE (id, organisation_id)
);

CREATE TABLE central.widgets (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    connection_id   uuid NOT NULL,
    kind            text NOT NULL,
    name            text NOT NULL CHECK (name <> ''),
    config          jsonb NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    -- Moves by one with every accepted change; an edit names the version it started from.
    version         bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      text NOT NULL,
    console_id      uuid NOT NULL,
    FOREIGN KEY (connection_id, organisation_id) REFERENCES central.connections (id, organisation_id),
    FOREIGN KEY (console_id, organisation_id) REFERENCES central.consoles (id, organisation_id),
    UNIQUE (id, organisation_id)
);
CREATE INDEX widgets_connection ON central.widgets (connection_id);

CREATE TABLE central.widget_versions (
    widget_id       uuid NOT NULL,
    version         bigint NOT NULL,
    organisation_id uuid NOT NULL,
    kind            text NOT NULL,
    name            text NOT NULL,
    config          jsonb NOT NULL,
    active          boolean NOT NULL,
    changed_by      text NOT NULL,
    changed_at      timestamptz NOT NULL,
    console_id      uuid NOT NULL,
    PRIMARY KEY (widget_id, version),
    FOREIGN KEY (widget_id, organisation_id) REFERENCES central.widgets (id, organisation_id)
);

-- Who may see a widget: a role, or one person. No row: everyone of the organisation.
CREATE TABLE central.widget_access (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    widget_id       uuid NOT NULL,
    role            text CHECK (role IN ('operator', 'engineer', 'admin')),
    user_id         uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((role IS NULL) <> (user_id IS NULL)),
    FOREIGN KEY (widget_id, organisation_id) REFERENCES central.widgets (id, organisation_id),
    FOREIGN KEY (user_id, organisation_id) REFERENCES central.users (id, organisation_id)
);

-- A connection's API key sealed to one console's public key. Only ciphertext: the centre never
-- sees a key in the clear. A console reads only what is addressed to it, and only while it is a
-- console of the site (central.console_id() is NULL once it is removed).
CREATE TABLE central.sealed_keys (
    id                    uuid PRIMARY KEY,
    organisation_id       uuid NOT NULL,
    connection_id         uuid NOT NULL,
    sender_console_id     uuid NOT NULL,
    recipient_console_id  uuid NOT NULL,
    -- The recipient's public key it was sealed to (a re-keyed console gets keys sealed anew).
    recipient_public_key  text NOT NULL CHECK (recipient_public_key ~ '^[0-9a-f]{64}$'),
    ciphertext            bytea NOT NULL,
    sealed_by             text NOT NULL,
    sealed_at             timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (connection_id, organisation_id) REFERENCES central.connections (id, organisation_id),
    FOREIGN KEY (sender_console_id, organisation_id) REFERENCES central.consoles (id, organisation_id),
    FOREIGN KEY (recipient_console_id, organisation_id) REFERENCES central.consoles (id, organisation_id)
);
CREATE INDEX sealed_keys_recipient ON central.sealed_keys (recipient_console_id, sealed_at);

ALTER TABLE central.connections ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.widgets ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.widget_versions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.widget_access ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.sealed_keys ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- Consoles read and write their organisation's configuration; what they write carries their
-- own console id. Deleting is a deleted_at, never a DELETE.
CREATE POLICY console_reads ON central.connections FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_adds ON central.connections FOR INSERT TO zc_console
    WITH CHECK (organisation_id = (SELECT central.console_organisation())
                AND console_id = (SELECT central.console_id()));
CREATE POLICY console_edits ON central.connections FOR UPDATE TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()))
    WITH CHECK (organisation_id = (SELECT central.console_organisation())
                AND console_id = (SELECT central.console_id()));
CREATE POLICY console_reads ON central.widgets FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_adds ON central.widgets FOR INSERT TO zc_console
    WITH CHECK (organisation_id = (SELECT central.console_organisation())
                AND console_id = (SELECT central.console_id()));
CREATE POLICY console_edits ON central.widgets FOR UPDATE TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()))
    WITH CHECK (organisation_id = (SELECT central.console_organisation())
                AND console_id = (SELECT central.console_id()));
CREATE POLICY console_reads ON central.widget_versions FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_adds ON central.widget_versions FOR INSERT TO zc_console
    WITH CHECK (organisation_id = (SELECT central.console_organisation())
                AND console_id = (SELECT central.console_id()));
CREATE POLICY console_reads ON central.widget_access FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_adds ON central.widget_access FOR INSERT TO zc_console
    WITH CHECK (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_removes ON central.widget_access FOR DELETE TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY recipient_reads ON central.sealed_keys FOR SELECT TO zc_console
    USING (recipient_console_id = (SELECT central.console_id()));
CREATE POLICY sender_seals ON central.sealed_keys FOR INSERT TO zc_console
    WITH CHECK (
        sender_console_id = (SELECT central.console_id())
        AND organisation_id = (SELECT central.console_organisation())
        AND EXISTS (SELECT 1 FROM central.consoles c
                    WHERE c.id = recipient_console_id AND c.removed_at IS NULL
                      AND c.site_id = (SELECT central.console_site())
                      AND c.public_key = recipient_public_key));

CREATE POLICY person_reads ON central.connections FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation()));
CREATE POLICY person_reads ON central.widgets FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation()));
CREATE POLICY person_reads ON central.widget_versions FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation()));
CREATE POLICY person_reads ON central.widget_access FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation()));

GRANT SELECT, INSERT, UPDATE ON central.connections, central.widgets TO zc_console;
GRANT SELECT, INSERT ON central.widget_versions, central.sealed_keys TO zc_console;
GRANT SELECT, INSERT, DELETE ON central.widget_access TO zc_console;
GRANT SELECT ON central.connections, central.widgets, central.widget_versions, central.widget_access TO authenticated;
GRANT ALL ON central.connections, central.widgets, central.widget_versions, central.widget_access,
    central.sealed_keys TO service_role;
