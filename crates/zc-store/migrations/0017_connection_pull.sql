-- Connection definitions come from the centre too (docs/central.md, "Pull"). Each copy here
-- remembers which of the centre's versions it matches, so a pull takes only what moved there
-- and never sends a console's own push back to it. NULL: not known yet (the first pull compares
-- content, so a console upgraded with its connections already at the centre logs nothing).
ALTER TABLE backend_connections ADD COLUMN central_row_version INTEGER;
