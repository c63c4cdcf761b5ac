-- Argus store, version 16: every review Argus produced (CLI, GitHub App, editor), so the
-- dashboard can draw risk over time and check predictions against later fixes (szz_labels),
-- and the dashboard's one-time sign-in links and sessions.
-- Plain SQLite SQL (also runs on Cloudflare D1): one statement per ';', no PRAGMA, no trigger.

-- One row per review. tenant: whose data it is ('local' for the CLI by default, 'github-<id>'
-- for an App installation); repository: owner/name, or the local root; pull_request: the PR
-- number when there is one; head_sha: the reviewed commit (NULL for a working tree or a diff);
-- source: cli | app | editor. created_at is ISO 8601 UTC text.
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    repository TEXT NOT NULL,
    pull_request INTEGER,
    head_sha TEXT,
    base TEXT,
    probability REAL NOT NULL,
    level TEXT NOT NULL,
    files_changed INTEGER NOT NULL DEFAULT 0,
    lines_added INTEGER NOT NULL DEFAULT 0,
    lines_deleted INTEGER NOT NULL DEFAULT 0,
    symbols INTEGER NOT NULL DEFAULT 0,
    bugs INTEGER NOT NULL DEFAULT 0,
    tests_generated INTEGER NOT NULL DEFAULT 0,
    tests_validated INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'cli',
    created_at TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS reviews_tenant_time ON reviews (tenant, created_at);

CREATE INDEX IF NOT EXISTS reviews_head ON reviews (head_sha);

-- The App reviews a pull request's head once: a retried delivery or a re-run replaces the row.
CREATE UNIQUE INDEX IF NOT EXISTS reviews_app_head
ON reviews (tenant, repository, pull_request, head_sha) WHERE source = 'app';

-- One-time sign-in links (`argus dashboard link`): only the SHA-256 of the token is kept.
CREATE TABLE IF NOT EXISTS dashboard_links (
    token_hash TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);

-- Dashboard sessions: the SHA-256 of the cookie's value, the tenant shown, the tenants the
-- session may switch to (JSON list; a GitHub user's installations) and its CSRF token.
CREATE TABLE IF NOT EXISTS dashboard_sessions (
    session_hash TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    tenants TEXT NOT NULL DEFAULT '[]',
    csrf_token TEXT NOT NULL,
    expires_at REAL NOT NULL
);

-- Pull requests the App saw merged: when each was opened and merged (ISO 8601 UTC), for the
-- team page's time to merge of high-risk pull requests.
CREATE TABLE IF NOT EXISTS pull_request_merges (
    tenant TEXT NOT NULL,
    repository TEXT NOT NULL,
    pull_request INTEGER NOT NULL,
    opened_at TEXT NOT NULL,
    merged_at TEXT NOT NULL,
    PRIMARY KEY (tenant, repository, pull_request)
);
