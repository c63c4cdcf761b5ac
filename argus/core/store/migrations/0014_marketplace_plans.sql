-- Plans bought on GitHub Marketplace, per account (a purchase names an account, not an
-- installation; it may come before the App is installed). github_app/marketplace.py.
CREATE TABLE IF NOT EXISTS gh_marketplace_accounts (
    account TEXT PRIMARY KEY COLLATE NOCASE,
    account_id INTEGER,
    plan TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    pending_plan TEXT,
    pending_effective_at TEXT,
    updated_at INTEGER NOT NULL
);
