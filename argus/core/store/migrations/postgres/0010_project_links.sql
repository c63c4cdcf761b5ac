-- Argus store, version 10 (PostgreSQL dialect of ../0010_project_links.sql): projects linked to
-- their code, and the regression tests requested for their patterns.
CREATE TABLE IF NOT EXISTS ingest_project_links (
    project_id BIGINT PRIMARY KEY,
    repo_path TEXT COLLATE "C" NOT NULL,
    github_repository TEXT COLLATE "C",
    installation_id BIGINT,
    base_branch TEXT COLLATE "C" NOT NULL DEFAULT 'main',
    plan TEXT COLLATE "C" NOT NULL DEFAULT 'free',
    updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS regression_requests (
    tenant TEXT COLLATE "C" NOT NULL,
    pattern_id TEXT COLLATE "C" NOT NULL,
    project_id BIGINT NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    reason TEXT COLLATE "C",
    test_path TEXT COLLATE "C",
    pull_request_queued BIGINT NOT NULL DEFAULT 0,
    requested_at DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION,
    PRIMARY KEY (tenant, pattern_id)
);
