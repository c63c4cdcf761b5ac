-- Argus store, version 1. Plain SQLite SQL so that the same file runs on Cloudflare D1.
CREATE TABLE IF NOT EXISTS repositories (
    id INTEGER PRIMARY KEY,
    root TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
