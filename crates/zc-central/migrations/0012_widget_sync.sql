-- Widget sync (docs/central.md): the URL an embedded widget is served from, and for each
-- version the version its edit started from and which fields a merge took from the centre.
ALTER TABLE central.widgets ADD COLUMN url text;
ALTER TABLE central.widget_versions
    ADD COLUMN url text,
    ADD COLUMN base_version bigint,
    ADD COLUMN merged jsonb;

-- Two admins offline each adding a widget of the same name to one connection: the second to
-- arrive is refused (and told), never shown as a twin.
CREATE UNIQUE INDEX widgets_live_name ON central.widgets (connection_id, name) WHERE deleted_at IS NULL;
