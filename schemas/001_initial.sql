-- 001: the catalogue's model for every format. See schemas/README.md.
-- Times are Unix seconds. Digests are lowercase SHA-256 hex. Applied inside one transaction by
-- sl_catalog_open(), which then sets PRAGMA user_version = 1.

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
CREATE INDEX sync_runs_running ON sync_runs(outcome) WHERE outcome = 'running';

CREATE TABLE artifacts (
	digest      TEXT PRIMARY KEY CHECK (length(digest) = 64 AND digest NOT GLOB '*[^0-9a-f]*'),
	size        INTEGER NOT NULL CHECK (size >= 0),
	media_type  TEXT,
	origin_url  TEXT,
	first_seen  INTEGER NOT NULL
) WITHOUT ROWID;

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
	content_digest   TEXT NOT NULL DEFAULT ''
	                 CHECK (content_digest = '' OR (length(content_digest) = 64 AND
	                                                content_digest NOT GLOB '*[^0-9a-f]*')),
	n_entries        INTEGER NOT NULL DEFAULT 0,
	total_bytes      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX snapshots_source ON snapshots(source_id, id);
CREATE INDEX snapshots_state ON snapshots(state);

-- The state machine of schemas/README.md, enforced here as well as in catalog.c so that a hand edit
-- with sqlite3 cannot put a snapshot into a state it could never reach.
CREATE TRIGGER snapshots_born_syncing BEFORE INSERT ON snapshots
WHEN NEW.state <> 'syncing' OR NEW.content_digest <> ''
BEGIN
	SELECT RAISE(ABORT, 'snapshots start in state syncing, unsealed');
END;
CREATE TRIGGER snapshots_state_machine BEFORE UPDATE OF state ON snapshots
WHEN OLD.state <> NEW.state AND OLD.state || '>' || NEW.state NOT IN (
	'syncing>verified', 'syncing>failed', 'verified>pending', 'verified>failed',
	'pending>published', 'pending>rejected', 'published>superseded', 'superseded>published')
BEGIN
	SELECT RAISE(ABORT, 'illegal snapshot state transition');
END;
CREATE TRIGGER snapshots_verify_sealed BEFORE UPDATE OF state ON snapshots
WHEN OLD.state = 'syncing' AND NEW.state = 'verified' AND OLD.content_digest = ''
BEGIN
	SELECT RAISE(ABORT, 'snapshot must be sealed before it is verified');
END;
-- What was verified is what gets published: the seal and the entry list freeze when syncing ends.
CREATE TRIGGER snapshots_sealed BEFORE UPDATE OF content_digest, n_entries, total_bytes, source_id
ON snapshots WHEN OLD.state <> 'syncing'
BEGIN
	SELECT RAISE(ABORT, 'snapshot is sealed');
END;

CREATE TABLE snapshot_entries (
	snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
	path        TEXT NOT NULL CHECK (path <> ''),
	digest      TEXT NOT NULL REFERENCES artifacts(digest),
	size        INTEGER NOT NULL CHECK (size >= 0),
	role        TEXT NOT NULL,
	meta_json   TEXT,
	PRIMARY KEY (snapshot_id, path)
) WITHOUT ROWID;
CREATE INDEX snapshot_entries_digest ON snapshot_entries(digest);

-- Entries change only while their snapshot is syncing. Deleting the snapshot itself (failed, rejected,
-- superseded) cascades: by then the parent row is gone, the subquery is NULL and the trigger stays quiet.
CREATE TRIGGER snapshot_entries_frozen_insert BEFORE INSERT ON snapshot_entries
WHEN (SELECT state FROM snapshots WHERE id = NEW.snapshot_id) <> 'syncing'
BEGIN
	SELECT RAISE(ABORT, 'snapshot is sealed');
END;
CREATE TRIGGER snapshot_entries_frozen_update BEFORE UPDATE ON snapshot_entries
WHEN (SELECT state FROM snapshots WHERE id = OLD.snapshot_id) <> 'syncing'
  OR (SELECT state FROM snapshots WHERE id = NEW.snapshot_id) <> 'syncing'
BEGIN
	SELECT RAISE(ABORT, 'snapshot is sealed');
END;
CREATE TRIGGER snapshot_entries_frozen_delete BEFORE DELETE ON snapshot_entries
WHEN (SELECT state FROM snapshots WHERE id = OLD.snapshot_id) <> 'syncing'
BEGIN
	SELECT RAISE(ABORT, 'snapshot is sealed');
END;

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

-- What sluice-served shows per source. catalog.c only points it at a snapshot in state published,
-- and only with a larger generation than before.
CREATE TABLE published (
	source_id    INTEGER PRIMARY KEY REFERENCES sources(id),
	snapshot_id  INTEGER NOT NULL REFERENCES snapshots(id),
	generation   INTEGER NOT NULL CHECK (generation > 0),
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

-- Append-only and hash-chained. hash = SHA-256 of the length-prefixed encoding of (prev_hash, seq, at,
-- actor, action, source, snapshot_id, content_digest, reason) given in schemas/README.md; the first
-- prev_hash is 64 zeros. No foreign keys: the record outlives the snapshots and sources it names.
CREATE TABLE audit_log (
	seq            INTEGER PRIMARY KEY CHECK (seq >= 1),
	at             INTEGER NOT NULL,
	actor          TEXT NOT NULL,
	action         TEXT NOT NULL,
	source         TEXT,
	snapshot_id    INTEGER NOT NULL DEFAULT 0,
	content_digest TEXT,
	reason         TEXT,
	prev_hash      TEXT NOT NULL CHECK (length(prev_hash) = 64),
	hash           TEXT NOT NULL CHECK (length(hash) = 64)
);
CREATE INDEX audit_log_source ON audit_log(source, seq);
-- Strictly appended: the next seq, linked to the newest hash. This also stops INSERT OR REPLACE, which
-- removes the old row without firing the DELETE trigger.
CREATE TRIGGER audit_log_append_only BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT coalesce((SELECT max(seq) FROM audit_log), 0) + 1
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
                                   '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
