-- Argus store, version 17 (PostgreSQL dialect of ../0017_shared_app_state.sql): the order an
-- installation's repositories were added in.
ALTER TABLE gh_installation_repositories ADD COLUMN IF NOT EXISTS added_seq BIGINT NOT NULL DEFAULT 0;
