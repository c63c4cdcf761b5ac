-- Argus store, version 12 (PostgreSQL dialect of ../0012_project_address_and_imports.sql):
-- the server address each project's DSN was made for, and the exported rows each tenant has
-- imported (by a SHA-256 of their canonical JSON).
ALTER TABLE ingest_projects ADD COLUMN IF NOT EXISTS dsn_host TEXT COLLATE "C";
ALTER TABLE ingest_projects ADD COLUMN IF NOT EXISTS dsn_port BIGINT;
CREATE TABLE IF NOT EXISTS pattern_imports (
    tenant TEXT COLLATE "C" NOT NULL,
    fingerprint TEXT COLLATE "C" NOT NULL,
    imported_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant, fingerprint)
);
