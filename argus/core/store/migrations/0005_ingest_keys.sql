-- Argus store, version 5: ingestion projects. A project's public key (the key in its DSN)
-- authenticates errors sent to /api/<project_id>/...; they are filed under the project's tenant.
-- Plain SQLite SQL (also runs on Cloudflare D1).
CREATE TABLE IF NOT EXISTS ingest_projects (
    project_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
