-- Argus store, version 10: ingestion projects linked to their code, and the regression tests
-- the server generates for their error patterns. Plain SQLite SQL (also runs on Cloudflare D1).
--
-- ingest_project_links: one row per linked project (`argus projects link NAME --repo PATH`):
-- the local clone tests are generated in, optionally the GitHub repository (owner/name) and
-- the App installation that opens a PR with each test, the PR's base branch, and the plan
-- whose monthly model budget the generation is metered against.
CREATE TABLE IF NOT EXISTS ingest_project_links (
    project_id INTEGER PRIMARY KEY,
    repo_path TEXT NOT NULL,
    github_repository TEXT,
    installation_id INTEGER,
    base_branch TEXT NOT NULL DEFAULT 'main',
    plan TEXT NOT NULL DEFAULT 'free',
    updated_at INTEGER NOT NULL
);
-- regression_requests: one row per (tenant, pattern) the server asked a test for. status:
-- queued (a job is waiting or running), generated (a validated test is stored for the
-- pattern), cached (the pattern already had one), failed (reason says why; asked again after
-- a cool-down). attempts counts the jobs queued for it; test_path is the stored test's path.
CREATE TABLE IF NOT EXISTS regression_requests (
    tenant TEXT NOT NULL,
    pattern_id TEXT NOT NULL,
    project_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    test_path TEXT,
    pull_request_queued INTEGER NOT NULL DEFAULT 0,
    requested_at REAL NOT NULL,
    finished_at REAL,
    PRIMARY KEY (tenant, pattern_id)
);
