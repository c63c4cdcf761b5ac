-- Argus store, version 12: the server address a project's DSN was made for
-- (`argus projects add NAME --host H --port P`), so that `argus projects list` prints the same
-- DSN. NULL for projects added before: they were printed with 127.0.0.1:8000.
ALTER TABLE ingest_projects ADD COLUMN dsn_host TEXT;
ALTER TABLE ingest_projects ADD COLUMN dsn_port INTEGER;
