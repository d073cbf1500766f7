/* catalog: the SQLite catalogue (STATE/catalog.db) — sources, sync runs, artifacts, snapshots and their
 * entries, verification records, the published pointer per source, the append-only hash-chained audit
 * log, per-URL HTTP validators and per-host cool-downs. The model is documented in schemas/README.md.
 *
 * Opening applies pending migrations (schemas/NNN_*.sql) in one transaction, sets WAL mode, foreign keys
 * and a busy timeout. Several processes (syncd, sluice, served read-only) share one catalogue; a
 * connection belongs to one thread and never crosses fork() (the child opens its own).
 * Times are Unix seconds (int64). Functions return 0 or a negative code (-SL_E_CATALOG for SQLite
 * failures, with the SQLite message logged once; -SL_E_NOTFOUND, -SL_E_STATE as documented).
 *
 * Ownership: sl_catalog_open() -> sl_catalog_free(). Structs filled by the catalogue own their strings
 * and are released with the matching _release(). Strings passed to callbacks are borrowed for the call. */
#ifndef SL_CATALOG_H
#define SL_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"

struct sl_catalog;

#define SL_CATALOG_READONLY 1u   /* served: never writes, never migrates (fails if schema is older) */

struct sl_catalog *sl_catalog_open(const char *path, unsigned flags, char **cause);
void sl_catalog_free(struct sl_catalog *c);
/* Schema version now in the file (the highest applied migration). */
int sl_catalog_schema_version(struct sl_catalog *c);

/* Explicit transactions (BEGIN IMMEDIATE) around several calls; calls outside one are atomic alone. */
int sl_catalog_begin(struct sl_catalog *c);
int sl_catalog_commit(struct sl_catalog *c);
int sl_catalog_rollback(struct sl_catalog *c);
/* The same for tens of thousands of inserts (a sync's pool entries): the statement journals, which the
 * entry triggers and foreign keys need for every insert, stay in memory (one statement's pages at a time)
 * instead of a temp file that a large transaction rewrites some ten times per row. Other temporary storage
 * is unchanged outside this transaction. End it with sl_catalog_commit() or sl_catalog_rollback(). */
int sl_catalog_begin_bulk(struct sl_catalog *c);
/* Set the page cache to kib KiB (0: the default, 2 MiB) and free what is above it now: a
 * caller that only scans (a verifier's walk of 60,000 entries) gains nothing from the cache and keeps its
 * peak RSS lower with a small one. 0 or -SL_E_CATALOG. */
int sl_catalog_cache_kib(struct sl_catalog *c, int kib);

/* ---- sources ---- */
/* Insert the source if new (or update its type); *id_out gets its id. -SL_E_BADNAME for an empty name
 * or one longer than SL_MAX_NAME. */
int sl_catalog_source_ensure(struct sl_catalog *c, const char *name, const char *type, int64_t *id_out);
/* -SL_E_NOTFOUND when absent. */
int sl_catalog_source_id(struct sl_catalog *c, const char *name, int64_t *id_out);
/* *at_out 0 if never scheduled; -SL_E_NOTFOUND for an unknown source (both calls). */
int sl_catalog_source_next_run(struct sl_catalog *c, int64_t source_id, int64_t *at_out);
int sl_catalog_source_set_next_run(struct sl_catalog *c, int64_t source_id, int64_t at);

/* ---- sync runs ---- */
enum sl_run_outcome {
	SL_RUN_RUNNING,
	SL_RUN_OK,           /* new content, a snapshot was made */
	SL_RUN_UNCHANGED,    /* upstream unchanged, nothing made */
	SL_RUN_FAILED,
	SL_RUN_INTERRUPTED,  /* killed, or stopped by SIGTERM / deadline */
};
const char *sl_run_outcome_name(enum sl_run_outcome o);
int sl_catalog_run_begin(struct sl_catalog *c, int64_t source_id, int64_t *run_id_out);
/* -SL_E_STATE when the run already ended (e.g. marked interrupted by another process), -SL_E_NOTFOUND
 * for an unknown run, -EINVAL for outcome SL_RUN_RUNNING. */
int sl_catalog_run_end(struct sl_catalog *c, int64_t run_id, enum sl_run_outcome outcome, uint64_t bytes,
		       uint64_t requests, const char *message);
/* At daemon start: runs still 'running' become 'interrupted', snapshots still 'syncing' become 'failed'
 * with reason "interrupted". *count_out (may be NULL) gets the number of runs marked. */
int sl_catalog_recover_interrupted(struct sl_catalog *c, int *count_out);

/* For one source, called by a sync that holds the source's lock (so no live run of it exists): its runs
 * still 'running' become 'interrupted', its snapshots still 'syncing' become 'failed' with reason
 * "interrupted". Other sources are untouched. *count_out (may be NULL) gets runs + snapshots marked. */
int sl_catalog_recover_source(struct sl_catalog *c, int64_t source_id, int *count_out);

struct sl_run_info {
	int64_t id, source_id, started_at, ended_at;
	enum sl_run_outcome outcome;
	uint64_t bytes, requests;
	char *message;     /* may be NULL */
};
/* The most recent run of a source; -SL_E_NOTFOUND if none. */
int sl_catalog_run_last(struct sl_catalog *c, int64_t source_id, struct sl_run_info *out);
/* The most recent successful (ok or unchanged) run of a source. */
int sl_catalog_run_last_success(struct sl_catalog *c, int64_t source_id, struct sl_run_info *out);
void sl_run_info_release(struct sl_run_info *r);

/* ---- artifacts ---- */
/* Record an artifact (first sighting wins; later calls are no-ops). -SL_E_BADNAME unless sha256 is 64
 * lowercase hex digits; -SL_E_SIZE when the digest is already recorded with another size. */
int sl_catalog_artifact_add(struct sl_catalog *c, const char *sha256, uint64_t size, const char *media_type,
			    const char *origin_url);

/* ---- snapshots ---- */
enum sl_snap_state {
	SL_SNAP_SYNCING,
	SL_SNAP_VERIFIED,
	SL_SNAP_FAILED,
	SL_SNAP_PENDING,
	SL_SNAP_PUBLISHED,
	SL_SNAP_REJECTED,
	SL_SNAP_SUPERSEDED,
};
const char *sl_snap_state_name(enum sl_snap_state s);
int sl_snap_state_parse(const char *name, enum sl_snap_state *out);

struct sl_snapshot_info {
	int64_t id, source_id, run_id;
	char *source_name;
	enum sl_snap_state state;
	int64_t created_at, state_changed_at;
	int64_t upstream_date;           /* format's notion of the content's date (Release Date, CVD time) */
	char *reason;                    /* why failed / rejected / approved; may be NULL */
	char *summary_json;              /* format-specific summary for diffs; may be NULL */
	char content_digest[SL_SHA256_HEX]; /* SHA-256 over the sorted (path, digest) list; "" until sealed */
	uint64_t n_entries, total_bytes;
};
void sl_snapshot_info_release(struct sl_snapshot_info *s);

struct sl_entry {
	const char *path;      /* repository-relative path as served */
	const char *sha256;
	uint64_t size;
	const char *role;      /* format-defined: "release", "index", "pool", "cvd", "manifest", "blob"... */
	const char *meta_json; /* format-defined, may be NULL */
};

/* New snapshot in state 'syncing'. run_id 0: not made by a sync run. */
int sl_catalog_snapshot_new(struct sl_catalog *c, int64_t source_id, int64_t run_id, int64_t *snap_id_out);
/* Add (or replace, same path) an entry. The artifact must have been added first (foreign key:
 * -SL_E_CATALOG otherwise). Only while the snapshot is 'syncing' (-SL_E_STATE after): the entry list
 * freezes when syncing ends, so what was verified is what gets published. */
int sl_catalog_snapshot_add_entry(struct sl_catalog *c, int64_t snap_id, const struct sl_entry *e);
/* Remove every entry with this role from a snapshot still 'syncing' (a syncer's entries added ahead of
 * their content, when the content did not all arrive). 0 or -SL_E_CATALOG (a sealed one refuses). */
int sl_catalog_snapshot_drop_role(struct sl_catalog *c, int64_t snap_id, const char *role);
/* Compute and store content_digest, counts and total size; set upstream_date and summary (may be NULL).
 * content_digest = SHA-256 over "path\0sha256\n" for each entry in bytewise path order. Only while
 * 'syncing' (-SL_E_STATE otherwise); may be repeated. A snapshot must be sealed before -> verified. */
int sl_catalog_snapshot_seal(struct sl_catalog *c, int64_t snap_id, int64_t upstream_date,
			     const char *summary_json);
/* Move from `from` to `to` if the snapshot is in `from` and the transition is legal:
 *   syncing -> verified | failed;  verified -> pending | failed;  pending -> published | rejected;
 *   published -> superseded;  superseded -> published (rollback).
 * -SL_E_STATE (with nothing changed) otherwise — this is how two admins approving at once are told
 * apart: exactly one transition succeeds. -SL_E_NOTFOUND for an unknown snapshot. syncing -> verified
 * also needs the seal. `reason` may be NULL (the previous reason is kept). */
int sl_catalog_snapshot_transition(struct sl_catalog *c, int64_t snap_id, enum sl_snap_state from,
				   enum sl_snap_state to, const char *reason);
int sl_catalog_snapshot_get(struct sl_catalog *c, int64_t snap_id, struct sl_snapshot_info *out);
/* Entries in path order. cb returns non-zero to stop (that value is returned). */
int sl_catalog_snapshot_entries(struct sl_catalog *c, int64_t snap_id,
				int (*cb)(void *arg, const struct sl_entry *e), void *arg);
/* Entries of `role`, each as its path and the values of meta_json's top-level `fields` (text, else NULL),
 * ordered by those values then path, bytewise (NULL first). At most 8 fields, names [a-z0-9_]. The values
 * are borrowed for the call; cb returns non-zero to stop (returned). Memory stays flat (SQLite sorts). */
int sl_catalog_snapshot_fields(struct sl_catalog *c, int64_t snap_id, const char *role, const char *const *fields,
			       size_t n, int (*cb)(void *arg, const char *path, const char *const *values), void *arg);
/* One entry by path; strings copied into *out (free with sl_entry_release). */
int sl_catalog_snapshot_entry(struct sl_catalog *c, int64_t snap_id, const char *path, struct sl_entry *out);
void sl_entry_release(struct sl_entry *e);
/* Snapshots newest first. source_id 0: all sources; state_filter < 0: any state. */
int sl_catalog_snapshots(struct sl_catalog *c, int64_t source_id, int state_filter,
			 int (*cb)(void *arg, const struct sl_snapshot_info *s), void *arg);
/* Delete a snapshot that is failed, rejected or superseded (keep = N), with its entries and
 * verification records (the audit log keeps its history); -SL_E_STATE otherwise, and also while the
 * published pointer still names it. -SL_E_NOTFOUND for an unknown snapshot. */
int sl_catalog_snapshot_delete(struct sl_catalog *c, int64_t snap_id);
/* Is this digest referenced by any remaining snapshot (gc)? */
int sl_catalog_digest_referenced(struct sl_catalog *c, const char *sha256, bool *out);

/* ---- verification records ---- */
int sl_catalog_verification_add(struct sl_catalog *c, int64_t snap_id, const char *subject,
				const char *check, const char *key_fpr, bool passed, const char *reason);
struct sl_verification {
	const char *subject, *check, *key_fpr, *reason;  /* key_fpr, reason may be NULL */
	bool passed;
	int64_t at;
};
int sl_catalog_verifications(struct sl_catalog *c, int64_t snap_id,
			     int (*cb)(void *arg, const struct sl_verification *v), void *arg);

/* ---- chain re-checks (`sluice verify --chain`, [syncd] verify_every) ---- */
struct sl_chain_check {
	int64_t snapshot_id, at;
	bool passed;
	unsigned checks, failed;
	char *reason;          /* heap: the first failure, or a summary; may be NULL */
};
int sl_catalog_chain_add(struct sl_catalog *c, int64_t source_id, const struct sl_chain_check *cc);
/* The newest re-check of any snapshot of the source; -SL_E_NOTFOUND when never re-checked. */
int sl_catalog_chain_last(struct sl_catalog *c, int64_t source_id, struct sl_chain_check *out);
void sl_chain_check_release(struct sl_chain_check *cc);

/* ---- findings on arrival (schema 003): scan and advisory findings, decisions, verdict cache ---- */
struct sl_finding {
	int64_t id, snapshot_id;
	const char *kind;          /* malware, limit, unreadable, scan-error, no-database, advisory */
	bool blocking;             /* blocks approval while undecided */
	const char *artifact;      /* snapshot path */
	const char *digest;        /* the artifact's SHA-256, or NULL (a finding about the scan itself) */
	const char *member;        /* path inside the artifact, or NULL */
	const char *detail;        /* signature name, the limit, the error */
	int64_t created_at;
	const char *decision;      /* NULL: undecided; "accepted" */
	const char *decided_by, *reason;
	int64_t decided_at, expires_at;  /* expires_at 0: no expiry */
	int64_t carried_from;      /* 0, or the finding whose acceptance this one inherited */
};
/* Add a finding (the decision fields of f are ignored): an unexpired acceptance of the same finding
 * (digest, kind, member, detail) on an earlier snapshot is inherited. Nothing is added (0, *id_out
 * untouched) when the snapshot already holds that finding on that artifact (a rescan of decided ones). */
int sl_catalog_finding_add(struct sl_catalog *c, const struct sl_finding *f, int64_t now, int64_t *id_out);
/* A snapshot's findings in order; one finding by id (-SL_E_NOTFOUND). Strings are borrowed for the call. */
int sl_catalog_findings(struct sl_catalog *c, int64_t snap_id, int (*cb)(void *arg, const struct sl_finding *f),
			void *arg);
int sl_catalog_finding(struct sl_catalog *c, int64_t id, int (*cb)(void *arg, const struct sl_finding *f), void *arg);
/* Accept an undecided finding (expires_at 0: never expires). -SL_E_STATE when already decided,
 * -SL_E_NOTFOUND when there is no such finding, -EINVAL for an empty reason. */
int sl_catalog_finding_accept(struct sl_catalog *c, int64_t id, const char *actor, const char *reason,
			      int64_t expires_at, int64_t now);
/* Blocking findings of the snapshot nobody decided. */
int sl_catalog_findings_undecided(struct sl_catalog *c, int64_t snap_id, unsigned *n);
/* Remove a snapshot's undecided findings of one class (before a rescan records them again). */
int sl_catalog_findings_clear_undecided(struct sl_catalog *c, int64_t snap_id, bool blocking);
/* Verdict cache per (artifact digest, engine version, database set). *findings_json heap. */
int sl_catalog_scan_verdict_get(struct sl_catalog *c, const char *digest, const char *engine, const char *db,
				char **findings_json);
int sl_catalog_scan_verdict_put(struct sl_catalog *c, const char *digest, const char *engine, const char *db,
				const char *findings_json, int64_t now);
struct sl_scan_run {
	int64_t snapshot_id, at;
	const char *engine, *db;   /* add only */
	uint64_t scanned, cached, findings;
};
int sl_catalog_scan_run_add(struct sl_catalog *c, const struct sl_scan_run *r);
int sl_catalog_scan_run_last(struct sl_catalog *c, int64_t snap_id, struct sl_scan_run *out);

/* ---- alert queue (schema 004) ---- */
struct sl_alert {
	const char *event;         /* pending, verification-failed, malware, sync-failing, approval-overdue, chain-failed */
	const char *source;        /* may be NULL */
	int64_t snapshot_id;       /* 0 when none */
	const char *text, *body;   /* readable text; the JSON document for the webhook */
	const char *dedup;         /* NULL, or a key: a second alert with it is not queued */
};
/* Queue an alert with one delivery per channel ("webhook", "smtp"); *queued false for a duplicate. */
int sl_catalog_alert_add(struct sl_catalog *c, const struct sl_alert *a, const char *const *channels, size_t n,
			 int64_t now, bool *queued);
struct sl_alert_due {
	int64_t alert_id;
	const char *channel, *event, *source, *text, *body;
	unsigned attempts;
};
/* Deliveries due now (fewer than max_attempts so far), oldest first, at most `limit`; the callback may
 * record their result. */
int sl_catalog_alerts_due(struct sl_catalog *c, int64_t now, unsigned max_attempts, unsigned limit,
			  int (*cb)(void *arg, const struct sl_alert_due *d), void *arg);
/* error NULL: delivered now; else the failure and when to try again. */
int sl_catalog_alert_result(struct sl_catalog *c, int64_t alert_id, const char *channel, int64_t now,
			    const char *error, int64_t next_at);
struct sl_alert_status {
	uint64_t queued, delivered;       /* deliveries waiting (incl. given up) / done */
	int64_t last_delivered_at;        /* 0: never */
	char *last_error;                 /* heap, or NULL */
};
/* For one source's alerts, or all (source NULL). */
int sl_catalog_alert_status(struct sl_catalog *c, const char *source, struct sl_alert_status *out);
void sl_alert_status_release(struct sl_alert_status *st);

/* ---- published pointer ---- */
/* -SL_E_NOTFOUND when nothing is published for the source. generation increases on every switch.
 * published_set: the snapshot must belong to the source (-SL_E_MISMATCH) and be in state 'published'
 * (transition first, in the same transaction; -SL_E_STATE otherwise), and generation must exceed the
 * stored one (-SL_E_STATE otherwise: another publisher switched first). */
int sl_catalog_published_get(struct sl_catalog *c, int64_t source_id, int64_t *snap_id,
			     int64_t *generation, int64_t *published_at);
int sl_catalog_published_set(struct sl_catalog *c, int64_t source_id, int64_t snap_id, int64_t generation);

/* ---- per-source format state (last accepted Release Date per suite, CVD versions...) ---- */
/* *value heap (caller frees); -SL_E_NOTFOUND when unset. state_set with value NULL removes the key. */
int sl_catalog_state_get(struct sl_catalog *c, int64_t source_id, const char *key, char **value);
int sl_catalog_state_set(struct sl_catalog *c, int64_t source_id, const char *key, const char *value);

/* ---- HTTP validators per URL, cool-downs per upstream host ---- */
/* Either out pointer may be NULL; values heap or NULL. -SL_E_NOTFOUND when nothing is stored. */
int sl_catalog_http_get(struct sl_catalog *c, const char *url, char **etag, char **last_modified);
int sl_catalog_http_put(struct sl_catalog *c, const char *url, const char *etag, const char *last_modified);
/* until = 0 when the host is not cooling down (never set, or the time has passed). reason heap or NULL
 * (may pass NULL). */
int sl_catalog_cooldown_get(struct sl_catalog *c, const char *host, int64_t *until, char **reason);
int sl_catalog_cooldown_set(struct sl_catalog *c, const char *host, int64_t until, const char *reason);

/* ---- audit log: append-only, hash-chained ---- */
struct sl_audit_entry {
	int64_t seq;            /* set by append */
	int64_t at;             /* set by append when 0 */
	const char *actor;      /* Unix user name */
	const char *action;     /* approve, reject, rollback, auto-approve, key-create, key-rotate, publish... */
	const char *source;     /* may be NULL */
	int64_t snapshot_id;    /* 0 when none */
	const char *content_digest; /* may be NULL */
	const char *reason;     /* may be NULL */
	char prev_hash[SL_SHA256_HEX], hash[SL_SHA256_HEX]; /* set by append */
};
/* Appends; the catalogue refuses UPDATE and DELETE on the log (triggers), and the API has no such call.
 * actor and action are required (-SL_E_BADNAME), content_digest is NULL, "" or 64 hex digits. The
 * entry is chained inside BEGIN IMMEDIATE, so concurrent appenders still form one chain. */
int sl_catalog_audit_append(struct sl_catalog *c, struct sl_audit_entry *e);
/* Oldest first; source NULL: all. */
int sl_catalog_audit_foreach(struct sl_catalog *c, const char *source,
			     int (*cb)(void *arg, const struct sl_audit_entry *e), void *arg);
/* Recompute the chain: 0 when intact; -SL_E_VERIFY with *bad_seq the first entry that does not match
 * (edited, deleted before it, or reordered). */
int sl_catalog_audit_verify(struct sl_catalog *c, int64_t *bad_seq);
/* The chain's head (newest seq and hash); -SL_E_NOTFOUND when the log is empty. The chain cannot show
 * a truncated tail by itself: compare with a head recorded elsewhere (every append logs it). */
int sl_catalog_audit_head(struct sl_catalog *c, int64_t *seq, char hash[SL_SHA256_HEX]);

#endif
