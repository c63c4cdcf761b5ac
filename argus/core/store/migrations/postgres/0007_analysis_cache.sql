-- PostgreSQL dialect of ../0007_analysis_cache.sql: per-content analysis results.
CREATE TABLE IF NOT EXISTS analysis_cache (
    key TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT COLLATE "C" NOT NULL,
    payload TEXT COLLATE "C" NOT NULL,
    used_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS analysis_cache_used ON analysis_cache (used_at);
