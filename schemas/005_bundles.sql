-- 003: transfer bundles across the air gap (`sluice export`, `sluice import`, `sluice ack`).
-- Export side: every bundle written, with the snapshots it carried and those its base says the inside
-- already holds, so `--since N` and `--ack` can compute "only what is new" in SQL (no object list in
-- memory). Import side: every bundle seen per exporter (replay protection: a sequence lands once), the
-- volumes received, and per source the candidate snapshot built from it, so an interrupted import resumes.

CREATE TABLE bundle_exports (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: the sequence only grows
	exporter        TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	base            TEXT NOT NULL,
	state           TEXT NOT NULL DEFAULT 'writing' CHECK (state IN ('writing', 'written')),
	manifest_digest TEXT,
	n_objects       INTEGER NOT NULL DEFAULT 0,
	object_bytes    INTEGER NOT NULL DEFAULT 0,
	volumes         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE bundle_export_snapshots (
	seq         INTEGER NOT NULL REFERENCES bundle_exports(seq),
	role        TEXT NOT NULL CHECK (role IN ('carried', 'held')),
	snapshot_id INTEGER NOT NULL,                     -- no foreign key: gc may delete the snapshot later
	PRIMARY KEY (seq, role, snapshot_id)
) WITHOUT ROWID;

CREATE TABLE bundle_imports (
	exporter        TEXT NOT NULL,
	seq             INTEGER NOT NULL,
	manifest_digest TEXT NOT NULL CHECK (length(manifest_digest) = 64),
	created_at      INTEGER NOT NULL,
	valid_until     INTEGER NOT NULL,
	volumes         INTEGER NOT NULL,
	first_seen      INTEGER NOT NULL,
	state           TEXT NOT NULL DEFAULT 'receiving' CHECK (state IN ('receiving', 'landed')),
	landed_at       INTEGER,
	PRIMARY KEY (exporter, seq)
) WITHOUT ROWID;

CREATE TABLE bundle_import_volumes (
	exporter TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	volume   INTEGER NOT NULL,
	at       INTEGER NOT NULL,
	PRIMARY KEY (exporter, seq, volume),
	FOREIGN KEY (exporter, seq) REFERENCES bundle_imports(exporter, seq)
) WITHOUT ROWID;

CREATE TABLE bundle_import_sources (
	exporter        TEXT NOT NULL,
	seq             INTEGER NOT NULL,
	source          TEXT NOT NULL,
	remote_snapshot INTEGER NOT NULL,   -- the exporter's snapshot id: what an acknowledgement names
	content_digest  TEXT NOT NULL,
	snapshot_id     INTEGER,            -- the local candidate; no foreign key (gc, unchanged discards it)
	verdict         TEXT,               -- building, pending, failed, unchanged, skipped
	PRIMARY KEY (exporter, seq, source),
	FOREIGN KEY (exporter, seq) REFERENCES bundle_imports(exporter, seq)
) WITHOUT ROWID;
