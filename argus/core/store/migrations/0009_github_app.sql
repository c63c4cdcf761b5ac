-- Argus store, version 9: the GitHub App's own state. Installations with their plan, the
-- repositories each one covers, monthly usage, the last report per pull request (for "what
-- changed since"), and per-repository / per-PR switches set by slash-commands.
CREATE TABLE IF NOT EXISTS gh_installations (
    installation_id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    plan TEXT NOT NULL DEFAULT 'free',
    suspended INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS gh_installation_repositories (
    installation_id INTEGER NOT NULL REFERENCES gh_installations(installation_id) ON DELETE CASCADE,
    full_name TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (installation_id, full_name)
);
CREATE TABLE IF NOT EXISTS gh_usage (
    installation_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    test_runs INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (installation_id, month)
);
CREATE TABLE IF NOT EXISTS gh_pr_reports (
    full_name TEXT NOT NULL,
    number INTEGER NOT NULL,
    summary TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (full_name, number)
);
CREATE TABLE IF NOT EXISTS gh_switches (
    full_name TEXT NOT NULL,
    number INTEGER NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0,
    ignored TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (full_name, number)
);
CREATE TABLE IF NOT EXISTS gh_feedback (
    full_name TEXT NOT NULL,
    number INTEGER NOT NULL,
    login TEXT NOT NULL,
    vote INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (full_name, number, login)
);
