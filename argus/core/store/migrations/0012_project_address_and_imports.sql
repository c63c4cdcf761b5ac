-- Argus store, version 12.
--
-- ingest_projects.dsn_host/dsn_port: the server address a project's DSN was made for
-- (`argus projects add NAME --host H --port P`), so that `argus projects list` prints the same
-- DSN. NULL for projects added before: they were printed with 127.0.0.1:8000.
ALTER TABLE ingest_projects ADD COLUMN dsn_host TEXT;
ALTER TABLE ingest_projects ADD COLUMN dsn_port INTEGER;
-- pattern_imports: the exported rows (by a SHA-256 of their canonical JSON) each tenant has
-- merged with `argus patterns import`; importing the same row again changes nothing.
CREATE TABLE IF NOT EXISTS pattern_imports (
    tenant TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (tenant, fingerprint)
);
