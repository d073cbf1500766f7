-- 001: the catalogue's model for every format. See schemas/README.md.
-- Times are Unix seconds. Digests are lowercase SHA-256 hex.

CREATE TABLE sources (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	type        TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	next_run_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sync_runs (
	id          INTEGER PRIMARY KEY,
	source_id   INTEGER NOT NULL REFERENCES sources(id),
	started_at  INTEGER NOT NULL,
	ended_at    INTEGER,
	outcome     TEXT NOT NULL DEFAULT 'running'
	            CHECK (outcome IN ('running', 'ok', 'unchanged', 'failed', 'interrupted')),
	bytes       INTEGER NOT NULL DEFAULT 0,
	requests    INTEGER NOT NULL DEFAULT 0,
	message     TEXT
);
CREATE INDEX sync_runs_source ON sync_runs(source_id, started_at);

CREATE TABLE artifacts (
	digest      TEXT PRIMARY KEY CHECK (length(digest) = 64 AND digest NOT GLOB '*[^0-9a-f]*'),
	size        INTEGER NOT NULL CHECK (size >= 0),
	media_type  TEXT,
	origin_url  TEXT,
	first_seen  INTEGER NOT NULL
);

CREATE TABLE snapshots (
	id               INTEGER PRIMARY KEY,
	source_id        INTEGER NOT NULL REFERENCES sources(id),
	run_id           INTEGER REFERENCES sync_runs(id),
	state            TEXT NOT NULL DEFAULT 'syncing'
	                 CHECK (state IN ('syncing', 'verified', 'failed', 'pending', 'published',
	                                  'rejected', 'superseded')),
	created_at       INTEGER NOT NULL,
	state_changed_at INTEGER NOT NULL,
	reason           TEXT,
	upstream_date    INTEGER NOT NULL DEFAULT 0,
	summary_json     TEXT,
	content_digest   TEXT NOT NULL DEFAULT '',
	n_entries        INTEGER NOT NULL DEFAULT 0,
	total_bytes      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX snapshots_source ON snapshots(source_id, id);
CREATE INDEX snapshots_state ON snapshots(state);

CREATE TABLE snapshot_entries (
	snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
	path        TEXT NOT NULL,
	digest      TEXT NOT NULL REFERENCES artifacts(digest),
	size        INTEGER NOT NULL,
	role        TEXT NOT NULL,
	meta_json   TEXT,
	PRIMARY KEY (snapshot_id, path)
) WITHOUT ROWID;
CREATE INDEX snapshot_entries_digest ON snapshot_entries(digest);

CREATE TABLE verifications (
	id          INTEGER PRIMARY KEY,
	snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
	subject     TEXT NOT NULL,
	check_name  TEXT NOT NULL,
	key_fpr     TEXT,
	passed      INTEGER NOT NULL CHECK (passed IN (0, 1)),
	reason      TEXT,
	at          INTEGER NOT NULL
);
CREATE INDEX verifications_snapshot ON verifications(snapshot_id);

CREATE TABLE published (
	source_id    INTEGER PRIMARY KEY REFERENCES sources(id),
	snapshot_id  INTEGER NOT NULL REFERENCES snapshots(id),
	generation   INTEGER NOT NULL,
	published_at INTEGER NOT NULL
);

CREATE TABLE source_state (
	source_id INTEGER NOT NULL REFERENCES sources(id),
	key       TEXT NOT NULL,
	value     TEXT NOT NULL,
	PRIMARY KEY (source_id, key)
) WITHOUT ROWID;

CREATE TABLE http_state (
	url           TEXT PRIMARY KEY,
	etag          TEXT,
	last_modified TEXT,
	updated_at    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE upstream_hosts (
	host           TEXT PRIMARY KEY,
	cooldown_until INTEGER NOT NULL DEFAULT 0,
	reason         TEXT,
	updated_at     INTEGER NOT NULL
) WITHOUT ROWID;

-- Append-only and hash-chained: hash = sha256(prev_hash | seq | at | actor | action | source |
-- snapshot_id | content_digest | reason), see catalog.c. The triggers refuse any change after the fact.
CREATE TABLE audit_log (
	seq            INTEGER PRIMARY KEY,
	at             INTEGER NOT NULL,
	actor          TEXT NOT NULL,
	action         TEXT NOT NULL,
	source         TEXT,
	snapshot_id    INTEGER,
	content_digest TEXT,
	reason         TEXT,
	prev_hash      TEXT NOT NULL,
	hash           TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
