-- Argus store, version 11 (PostgreSQL dialect of ../0011_pattern_counters.sql). SQLite rebuilt
-- the counter tables WITHOUT ROWID (PostgreSQL has no such layout) and dropped the
-- (tenant, function) index of pattern_locations: only the index goes here.
DROP INDEX IF EXISTS pattern_locations_tenant;
