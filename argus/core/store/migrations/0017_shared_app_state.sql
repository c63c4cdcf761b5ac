-- Argus store, version 17: the order an installation's repositories were added in, kept in a
-- column (it was SQLite's rowid, which PostgreSQL has not), so that the App's state reads the
-- same from SQLite and from the shared PostgreSQL store.
ALTER TABLE gh_installation_repositories ADD COLUMN added_seq INTEGER NOT NULL DEFAULT 0;
UPDATE gh_installation_repositories SET added_seq = rowid;
