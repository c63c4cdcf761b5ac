-- Argus store, version 18: the Sentry event ids each tenant has stored, so that an event sent
-- again (its sender never got the answer: a timeout, a node killed after its commit) is
-- stored once, as Sentry stores it once. A row is written in the transaction that files the
-- event; the pattern store prunes rows older than its retention by walking the primary key a
-- window at a time (core/patterns/store.py), so no index on the receipt time costs each insert.
-- Plain SQLite SQL (also runs on Cloudflare D1): one statement per ';', no PRAGMA, no trigger.

CREATE TABLE seen_events (
    tenant TEXT NOT NULL,
    event_id TEXT NOT NULL,
    pattern_hash TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (tenant, event_id)
) WITHOUT ROWID;
