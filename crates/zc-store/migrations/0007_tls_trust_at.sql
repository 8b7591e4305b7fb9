-- When a connection's certificate trust was last changed: an `untrusted` status from before the
-- change is not alarmed while the monitor checks the station again under the new trust.
ALTER TABLE backend_connections ADD COLUMN tls_trust_at INTEGER;
