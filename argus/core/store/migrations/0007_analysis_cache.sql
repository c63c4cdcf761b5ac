-- Per-content analysis results (symbols of a file version; predicted bugs of a file change),
-- keyed by content hashes and the analysis code's version, so that unchanged files are not
-- parsed again on the next review. Safe to delete at any time.
CREATE TABLE IF NOT EXISTS analysis_cache (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    used_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS analysis_cache_used ON analysis_cache (used_at);
