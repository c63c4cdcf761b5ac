-- Argus store, version 9 (PostgreSQL dialect of ../0009_github_app.sql): the GitHub App's state.
CREATE TABLE IF NOT EXISTS gh_installations (
    installation_id BIGINT PRIMARY KEY,
    account TEXT COLLATE "C" NOT NULL,
    plan TEXT COLLATE "C" NOT NULL DEFAULT 'free',
    suspended BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS gh_installation_repositories (
    installation_id BIGINT NOT NULL REFERENCES gh_installations(installation_id) ON DELETE CASCADE,
    full_name TEXT COLLATE "C" NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (installation_id, full_name)
);
CREATE TABLE IF NOT EXISTS gh_usage (
    installation_id BIGINT NOT NULL,
    month TEXT COLLATE "C" NOT NULL,
    test_runs BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (installation_id, month)
);
CREATE TABLE IF NOT EXISTS gh_pr_reports (
    full_name TEXT COLLATE "C" NOT NULL,
    number BIGINT NOT NULL,
    summary TEXT COLLATE "C" NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (full_name, number)
);
CREATE TABLE IF NOT EXISTS gh_switches (
    full_name TEXT COLLATE "C" NOT NULL,
    number BIGINT NOT NULL,
    paused BIGINT NOT NULL DEFAULT 0,
    ignored TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    PRIMARY KEY (full_name, number)
);
CREATE TABLE IF NOT EXISTS gh_feedback (
    full_name TEXT COLLATE "C" NOT NULL,
    number BIGINT NOT NULL,
    login TEXT COLLATE "C" NOT NULL,
    vote BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (full_name, number, login)
);
