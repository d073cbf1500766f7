-- Findings on arrival: what the malware scan (and, informationally, the advisories) found in a snapshot's
-- artifacts, and what an administrator decided about each. A blocking finding without a decision keeps
-- the snapshot from being approved. An acceptance names who, when, why and until when; a later snapshot
-- carrying the same artifact (digest) with the same finding inherits it while it has not expired.
CREATE TABLE findings (
	id           INTEGER PRIMARY KEY,
	snapshot_id  INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
	kind         TEXT NOT NULL,          -- malware, limit, unreadable, scan-error, no-database, advisory
	blocking     INTEGER NOT NULL CHECK (blocking IN (0, 1)),
	artifact     TEXT NOT NULL,          -- the snapshot path (a package file, a layer)
	digest       TEXT,                   -- the artifact's SHA-256
	member       TEXT,                   -- the path inside the artifact, NULL for the whole file
	detail       TEXT NOT NULL,          -- signature name, limit exceeded, error, CVE list
	created_at   INTEGER NOT NULL,
	decision     TEXT CHECK (decision IS NULL OR decision = 'accepted'),
	decided_by   TEXT,
	decided_at   INTEGER,
	reason       TEXT,
	expires_at   INTEGER,                -- acceptance valid until (Unix s); NULL: no expiry
	carried_from INTEGER                 -- the finding whose unexpired acceptance this one inherited
);
CREATE INDEX findings_snapshot ON findings(snapshot_id, id);
CREATE INDEX findings_same ON findings(digest, kind, detail);

-- Verdict cache: an artifact is scanned once per engine and database set, whatever the snapshot.
CREATE TABLE scan_verdicts (
	digest   TEXT NOT NULL,
	engine   TEXT NOT NULL,              -- libclamav version
	db       TEXT NOT NULL,              -- content digest of the ClamAV snapshot the engine loaded
	findings TEXT NOT NULL,              -- JSON list of {kind, member, detail}; [] when clean
	at       INTEGER NOT NULL,
	PRIMARY KEY (digest, engine, db)
);

-- One row per scan of a snapshot: how many artifacts were scanned and how many came from the cache.
CREATE TABLE scan_runs (
	id          INTEGER PRIMARY KEY,
	snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
	at          INTEGER NOT NULL,
	engine      TEXT,
	db          TEXT,
	scanned     INTEGER NOT NULL,
	cached      INTEGER NOT NULL,
	findings    INTEGER NOT NULL
);
