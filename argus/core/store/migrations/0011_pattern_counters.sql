-- Argus store, version 11: the per-occurrence counter tables of the pattern store, stored
-- clustered by pattern (WITHOUT ROWID: one b-tree each instead of a table plus its primary-key
-- index), and pattern_locations without its (tenant, function) index (per-tenant sums join
-- through patterns instead). Filing an occurrence of a known pattern then dirties one page per
-- counter table instead of two or three: ingestion writes about half as many pages.
-- Plain SQLite SQL (also runs on Cloudflare D1): one statement per ';', no PRAGMA, no trigger.

CREATE TABLE pattern_occurrences_v11 (
    pattern_id TEXT NOT NULL,
    release TEXT NOT NULL DEFAULT '',
    environment TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (pattern_id, release, environment)
) WITHOUT ROWID;

INSERT INTO pattern_occurrences_v11 (pattern_id, release, environment, count, first_seen, last_seen)
SELECT pattern_id, release, environment, count, first_seen, last_seen FROM pattern_occurrences;

DROP TABLE pattern_occurrences;

ALTER TABLE pattern_occurrences_v11 RENAME TO pattern_occurrences;

CREATE TABLE pattern_locations_v11 (
    pattern_id TEXT NOT NULL,
    tenant TEXT NOT NULL,
    path TEXT NOT NULL,
    function TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (pattern_id, path, function)
) WITHOUT ROWID;

INSERT INTO pattern_locations_v11 (pattern_id, tenant, path, function, count)
SELECT pattern_id, tenant, path, function, count FROM pattern_locations;

DROP TABLE pattern_locations;

ALTER TABLE pattern_locations_v11 RENAME TO pattern_locations;
