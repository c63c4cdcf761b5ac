-- Argus store, version 18 (PostgreSQL dialect of ../0018_seen_events.sql): the Sentry event ids
-- each tenant has stored, so that an event sent again is stored once.
CREATE TABLE IF NOT EXISTS seen_events (
    tenant TEXT COLLATE "C" NOT NULL,
    event_id TEXT COLLATE "C" NOT NULL,
    pattern_hash TEXT COLLATE "C" NOT NULL,
    received_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant, event_id)
);
