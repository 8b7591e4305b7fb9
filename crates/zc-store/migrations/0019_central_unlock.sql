-- An admin's unlock that the centre has not heard of yet (docs/central.md, "Failed sign-ins"):
-- the time of the unlock here, cleared once the centre has it. Set only on a console connected
-- to a centre; the people push sends it.
ALTER TABLE user_credentials ADD COLUMN central_unlock_pending_at INTEGER;
-- Whether this console's lock of a person is the centre's, copied here (1) or its own count's
-- (0): when the centre answers, only a copied lock gives way to the centre's word.
ALTER TABLE user_credentials ADD COLUMN locked_by_centre INTEGER NOT NULL DEFAULT 0;
