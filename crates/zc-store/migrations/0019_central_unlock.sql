-- An admin's unlock that the centre has not heard of yet (docs/central.md, "Failed sign-ins"):
-- the time of the unlock here, cleared once the centre has it. Set only on a console connected
-- to a centre; the people push sends it.
ALTER TABLE user_credentials ADD COLUMN central_unlock_pending_at INTEGER;
