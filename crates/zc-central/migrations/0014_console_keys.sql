-- Sealed API keys (docs/central.md, "Sealed keys"). A console publishes the public half of its
-- X25519 key pair; the private half never leaves its OS keyring. Consoles cannot update
-- central.consoles, so it goes through this function, as zc_definer, which may change only that
-- column of only the caller's own row, and only while the console is not removed: a removed
-- console can neither publish a key nor (central.console_id() being NULL) read a sealed one.
CREATE POLICY own_key ON central.consoles FOR UPDATE TO zc_definer
    USING (login = session_user AND removed_at IS NULL)
    WITH CHECK (login = session_user AND removed_at IS NULL);
GRANT UPDATE (public_key) ON central.consoles TO zc_definer;

CREATE FUNCTION central.publish_console_key(p_key text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    n int;
BEGIN
    UPDATE central.consoles SET public_key = p_key
    WHERE login = session_user AND removed_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n > 0;
END
$$;
ALTER FUNCTION central.publish_console_key(text) OWNER TO zc_definer;
REVOKE ALL ON FUNCTION central.publish_console_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION central.publish_console_key(text) TO zc_console;
