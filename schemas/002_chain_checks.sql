-- Re-checks of stored snapshots' upstream chain (`sluice verify --chain`, [syncd] verify_every): one row
-- per snapshot checked, so `sluice sources`, /metrics and the status page can say when each source's
-- published content was last proven authentic from the store alone, and whether it still is.
CREATE TABLE chain_checks (
	id          INTEGER PRIMARY KEY,
	snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
	source_id   INTEGER NOT NULL REFERENCES sources(id),
	at          INTEGER NOT NULL,
	passed      INTEGER NOT NULL CHECK (passed IN (0, 1)),
	checks      INTEGER NOT NULL,
	failed      INTEGER NOT NULL,
	reason      TEXT
);
CREATE INDEX chain_checks_source ON chain_checks(source_id, id);
