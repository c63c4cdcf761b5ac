-- Argus store, version 2: a repository's git history (commits, files, functions), SZZ labels
-- and repository-specific model adaptations. Plain SQLite SQL (also runs on Cloudflare D1).

-- One row per repository: the newest commit ingested, to make the next sync incremental.
CREATE TABLE IF NOT EXISTS history_sync (
    repository_id INTEGER PRIMARY KEY REFERENCES repositories(id),
    last_sha TEXT,
    commit_count INTEGER NOT NULL DEFAULT 0,
    synced_at INTEGER NOT NULL
);

-- Non-merge commits in ingestion order (seq starts at 0 per repository).
CREATE TABLE IF NOT EXISTS history_commits (
    repository_id INTEGER NOT NULL REFERENCES repositories(id),
    seq INTEGER NOT NULL,
    sha TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    author_time INTEGER NOT NULL,
    subject TEXT NOT NULL,
    is_fix INTEGER NOT NULL,
    is_boundary INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repository_id, seq)
);

CREATE UNIQUE INDEX IF NOT EXISTS history_commits_sha ON history_commits (repository_id, sha);

CREATE INDEX IF NOT EXISTS history_commits_author ON history_commits (repository_id, author_email, seq);

-- Files a commit touched; lines_before is the file's line count just before the commit.
CREATE TABLE IF NOT EXISTS history_files (
    repository_id INTEGER NOT NULL REFERENCES repositories(id),
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    old_path TEXT,
    lines_added INTEGER NOT NULL,
    lines_deleted INTEGER NOT NULL,
    lines_before INTEGER NOT NULL,
    is_binary INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repository_id, seq, path)
);

CREATE INDEX IF NOT EXISTS history_files_path ON history_files (repository_id, path, seq);

-- Functions a commit touched (names from git's funcname hunk headers and definition lines).
CREATE TABLE IF NOT EXISTS history_functions (
    repository_id INTEGER NOT NULL REFERENCES repositories(id),
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (repository_id, seq, path, name)
);

CREATE INDEX IF NOT EXISTS history_functions_name ON history_functions (repository_id, path, name, seq);

-- Old-side lines a fix commit deleted or changed (blank and comment-only lines left out).
CREATE TABLE IF NOT EXISTS history_fix_lines (
    repository_id INTEGER NOT NULL REFERENCES repositories(id),
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    PRIMARY KEY (repository_id, seq, path, line)
);

-- SZZ: the commit that last touched a line a later fix deleted or changed.
CREATE TABLE IF NOT EXISTS szz_labels (
    repository_id INTEGER NOT NULL REFERENCES repositories(id),
    bug_sha TEXT NOT NULL,
    fix_sha TEXT NOT NULL,
    fix_time INTEGER NOT NULL,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    PRIMARY KEY (repository_id, fix_sha, path, line)
);

CREATE INDEX IF NOT EXISTS szz_labels_bug ON szz_labels (repository_id, bug_sha);

-- Fix commits already traced by SZZ (so that labelling is incremental too).
CREATE TABLE IF NOT EXISTS szz_done (
    repository_id INTEGER NOT NULL REFERENCES repositories(id),
    fix_sha TEXT NOT NULL,
    PRIMARY KEY (repository_id, fix_sha)
);

-- Repository-specific corrections on top of the shipped model, newest cut-off wins.
CREATE TABLE IF NOT EXISTS model_adaptations (
    id INTEGER PRIMARY KEY,
    repository_id INTEGER NOT NULL REFERENCES repositories(id),
    cutoff_time INTEGER NOT NULL,
    trained_at INTEGER NOT NULL,
    payload TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS model_adaptations_cutoff ON model_adaptations (repository_id, cutoff_time);
