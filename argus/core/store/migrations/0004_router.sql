-- Argus store, version 4: the model router's cost ledger, prompt versions and tenant plans.
-- Plain SQLite SQL (also runs on Cloudflare D1): one statement per ';', no PRAGMA.

-- One row per provider request (each retry is its own row) and per pattern-cache lookup.
-- input_tokens excludes cached input, which is counted in cached_tokens.
-- outcome: ok | invalid (answered, failed validation) | error | timeout | miss (cache miss or
-- no deterministic generator applied).
CREATE TABLE IF NOT EXISTS router_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    routing_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    month TEXT NOT NULL,
    tenant TEXT NOT NULL,
    tier TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    task TEXT,
    prompt_name TEXT,
    prompt_version TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    dollars REAL NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL,
    cache_hit INTEGER NOT NULL DEFAULT 0,
    latency_ms REAL NOT NULL DEFAULT 0,
    reason TEXT,
    provider_request_id TEXT
);

CREATE INDEX IF NOT EXISTS router_requests_month_tenant ON router_requests (month, tenant);

CREATE INDEX IF NOT EXISTS router_requests_routing ON router_requests (routing_id);

-- Running totals per tenant and month, kept in the same transaction as each ledger row, so a
-- budget check reads one row instead of summing the month.
CREATE TABLE IF NOT EXISTS tenant_spend (
    tenant TEXT NOT NULL,
    month TEXT NOT NULL,
    dollars REAL NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, month)
);

-- Every prompt version seen; version is the declared version plus the content hash's prefix,
-- so an edited file without a bumped version is still a new row.
CREATE TABLE IF NOT EXISTS prompt_versions (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (name, version)
);

-- A tenant's plan; monthly_budget_dollars overrides the plan's budget when not NULL.
CREATE TABLE IF NOT EXISTS tenant_plans (
    tenant TEXT PRIMARY KEY,
    plan TEXT NOT NULL,
    monthly_budget_dollars REAL,
    updated_at TEXT NOT NULL
);
