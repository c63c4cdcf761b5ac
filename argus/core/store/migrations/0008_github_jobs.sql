-- The GitHub App's embedded job queue: one row per webhook delivery (or internal job).
-- delivery_id is UNIQUE so a redelivered webhook is processed once. A worker takes a job by
-- setting locked_by/locked_until (a lease); a job whose lease ran out (its worker died) is taken
-- again. status: queued, running, done, failed.
CREATE TABLE IF NOT EXISTS github_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    installation_id INTEGER,
    delivery_id TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    run_after REAL NOT NULL,
    locked_by TEXT,
    locked_until REAL,
    last_error TEXT,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS github_jobs_ready ON github_jobs (status, run_after);
