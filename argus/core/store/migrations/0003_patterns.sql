-- Argus store, version 3: tenants, error patterns, their occurrences, code locations and tests,
-- and the cross-tenant shared pool. Plain SQLite SQL (also runs on Cloudflare D1): one statement
-- per ';', no PRAGMA, no trigger. Times are ISO 8601 UTC text; embeddings are base64 float32.

-- A tenant: a GitHub installation or a project key. share_opt_in: 1 contributes to the pool.
CREATE TABLE IF NOT EXISTS tenants (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'project',
    name TEXT NOT NULL DEFAULT '',
    share_opt_in INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- One row per pattern (kept small: it is rewritten on every occurrence). seq orders patterns by
-- creation (the local vector index catches up from it); pattern_hash is the hash that created
-- the pattern.
CREATE TABLE IF NOT EXISTS patterns (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    pattern_hash TEXT NOT NULL,
    exception_type TEXT NOT NULL,
    message TEXT NOT NULL,
    title TEXT NOT NULL,
    frames TEXT NOT NULL DEFAULT '[]',
    occurrences INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    UNIQUE (tenant, pattern_hash)
);

CREATE INDEX IF NOT EXISTS patterns_tenant_seq ON patterns (tenant, seq);

-- What was embedded for a pattern and the vector (base64 float32), to rebuild vector indexes.
CREATE TABLE IF NOT EXISTS pattern_embeddings (
    pattern_id TEXT PRIMARY KEY,
    embedding_text TEXT NOT NULL,
    embedding TEXT,
    dimensions INTEGER NOT NULL DEFAULT 0
);

-- Every hash filed under a pattern: its own, and aliases matched by similarity.
CREATE TABLE IF NOT EXISTS pattern_hashes (
    tenant TEXT NOT NULL,
    pattern_hash TEXT NOT NULL,
    pattern_id TEXT NOT NULL,
    matched_by TEXT NOT NULL,
    similarity REAL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, pattern_hash)
);

CREATE INDEX IF NOT EXISTS pattern_hashes_pattern ON pattern_hashes (pattern_id);

-- Occurrences counted per pattern x release x environment ('' when not given).
CREATE TABLE IF NOT EXISTS pattern_occurrences (
    pattern_id TEXT NOT NULL,
    release TEXT NOT NULL DEFAULT '',
    environment TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (pattern_id, release, environment)
);

-- The newest scrubbed events of each pattern: a ring of slots (occurrence number modulo the
-- ring size), so the sample stays bounded without deletes. occurrence orders them.
CREATE TABLE IF NOT EXISTS pattern_events (
    pattern_id TEXT NOT NULL,
    slot INTEGER NOT NULL,
    occurrence INTEGER NOT NULL,
    seen_at TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (pattern_id, slot)
);

-- In-app code locations (normalised path, function) and the occurrences that passed there.
CREATE TABLE IF NOT EXISTS pattern_locations (
    pattern_id TEXT NOT NULL,
    tenant TEXT NOT NULL,
    path TEXT NOT NULL,
    function TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (pattern_id, path, function)
);

CREATE INDEX IF NOT EXISTS pattern_locations_tenant ON pattern_locations (tenant, function);

-- Tests generated for a pattern (the test-generation capability fills this table).
CREATE TABLE IF NOT EXISTS pattern_tests (
    pattern_id TEXT NOT NULL,
    test_id TEXT NOT NULL,
    framework TEXT NOT NULL DEFAULT '',
    success_rate REAL NOT NULL DEFAULT 0,
    reuse_count INTEGER NOT NULL DEFAULT 0,
    code TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (pattern_id, test_id)
);

-- The shared pool: anonymised signatures (type, masked message, function names), by hash.
CREATE TABLE IF NOT EXISTS shared_patterns (
    pattern_hash TEXT PRIMARY KEY,
    exception_type TEXT NOT NULL,
    message TEXT NOT NULL,
    functions TEXT NOT NULL DEFAULT '[]',
    embedding TEXT,
    tenant_count INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);

-- Which tenants contributed a shared pattern (the 3-tenant visibility rule counts these).
CREATE TABLE IF NOT EXISTS shared_pattern_tenants (
    pattern_hash TEXT NOT NULL,
    tenant TEXT NOT NULL,
    PRIMARY KEY (pattern_hash, tenant)
);
