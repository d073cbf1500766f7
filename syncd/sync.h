/* sync: one sync run of one source, end to end, for every format. It opens a run in the catalogue, hands
 * the source to its format's syncer (the one table in sync.c), and turns what the syncer reports into the
 * snapshot's state: verified -> pending when everything checked out, failed with the reason otherwise,
 * nothing at all when the upstream was unchanged. The run row records outcome, bytes and requests.
 *
 * A syncer fetches through ctx->fetch into ctx->store, creates the snapshot lazily with
 * sl_sync_snapshot() once it knows the upstream changed, adds entries, and records each check with
 * sl_sync_check(). It returns 0 (changed, all verified), SL_SYNC_UNCHANGED, or a negative error with
 * *cause set (the snapshot, if any, then fails with that cause; nothing is published).
 *
 * Ownership: the context is built and released by sl_sync_run(); syncers borrow everything in it. */
#ifndef SL_SYNC_H
#define SL_SYNC_H

#include <stdbool.h>
#include <stdint.h>

struct sl_config;
struct sl_source;
struct sl_catalog;
struct sl_store;
struct sl_fetch;
struct timespec;

#define SL_SYNC_UNCHANGED 1   /* positive: not an error */

struct sl_sync_ctx {
	const struct sl_config *cfg;
	const struct sl_source *src;
	struct sl_catalog *cat;
	struct sl_store *store;
	struct sl_fetch *fetch;
	int64_t source_id, run_id;
	int64_t snap_id;              /* 0 until sl_sync_snapshot() */
	const volatile int *stop;
	unsigned checks_failed;       /* counted by sl_sync_check() */
	/* Progress, for `sluice sync` on a terminal: files/bytes done and expected (0 = unknown). */
	void (*progress)(void *arg, const char *what, uint64_t files_done, uint64_t files_total,
			 uint64_t bytes_done, uint64_t bytes_total);
	void *progress_arg;
	struct sl_findings_gate *scan_gate;  /* the scan gate's engine: spawned with the run, loaded with the snapshot (sync.c) */
};

struct sl_syncer {
	int (*run)(struct sl_sync_ctx *ctx, char **cause);
	/* The verifier refused what this run fetched (after run returned 0): forget shortcuts that would let
	 * the next run call the upstream unchanged (conditional-request bookkeeping). May be NULL. */
	void (*refused)(struct sl_sync_ctx *ctx);
};

struct sl_sync_report {
	int outcome;                  /* enum sl_run_outcome */
	int64_t run_id, snap_id;      /* snap_id 0 when none was made */
	int snap_state;               /* enum sl_snap_state of the snapshot at the end, -1 when none */
	uint64_t bytes, requests;
	unsigned checks_failed;       /* verification checks that failed (content refused) */
	unsigned findings_undecided;  /* blocking scan findings nobody decided: no auto-approval */
	bool scan_queued;             /* pending, its scan left to sluice-syncd's scanner (defer_scan) */
	char *message;                /* heap; what happened, one line */
};
void sl_sync_report_release(struct sl_sync_report *r);

struct sl_fetch_progress;

struct sl_sync_opts {
	const volatile int *stop;
	void (*progress)(void *arg, const char *what, uint64_t files_done, uint64_t files_total,
			 uint64_t bytes_done, uint64_t bytes_total);
	/* What the fetch engine actually transfers, as it arrives (sl_fetch_on_progress); same arg. */
	void (*transfer)(void *arg, const struct sl_fetch_progress *p);
	void *progress_arg;
	/* The malware scan gate ([scan]) runs after the run, not in it: the snapshot is left pending and
	 * queued (verify/findings.h), its pending alert and any auto-approval wait for the scan
	 * (sl_sync_scan_arrival). sluice-syncd sets it, so a long scan holds no lock or sync slot. */
	bool defer_scan;
};

/* Run one sync of `src` now. Returns 0 when the run completed (any outcome, see report), a negative code
 * when it could not run at all (catalogue, store, another run of the same source in progress). */
int sl_sync_run(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
		struct sl_store *store, const struct sl_sync_opts *opts, struct sl_sync_report *report);

/* A pending snapshot's arrival scan: undecided scan findings of an earlier scan that was cut short are
 * dropped, the gate runs (gate: the engine spawned with the run, or NULL to start one), and the pending
 * alert goes out with what it found. rep->findings_undecided and rep->message (replaced: "snapshot N
 * verified, pending approval; scanned ...") say what happened. 0, or a negative code when the findings
 * could not be recorded (the snapshot then still waits for its scan: approval refuses it). */
struct sl_findings_gate;
int sl_sync_scan_arrival(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
			 struct sl_store *store, int64_t snap_id, struct sl_findings_gate *gate,
			 struct sl_sync_report *rep);

/* The arrival scans of every pending snapshot waiting for its scan (verify/findings.h), oldest first, each
 * once per call; done(arg, src, rep, rc) after each (rc as sl_sync_scan_arrival's; rep is released after
 * the call). Returns how many were scanned, or a negative code when the queue could not be read. What
 * sluice-syncd's scanner child and `sluice scan --queued` do, each with its own auto-approval. */
int sl_sync_scan_queue(const struct sl_config *cfg, struct sl_catalog *cat, struct sl_store *store,
		       void (*done)(void *arg, const struct sl_source *src, const struct sl_sync_report *rep, int rc),
		       void *arg);

/* For syncers: create the run's snapshot (once; later calls return the same id). */
int sl_sync_snapshot(struct sl_sync_ctx *ctx, int64_t *snap_id);
/* For debug timings: the seconds on CLOCK_MONOTONIC since *mark, which then becomes now. */
double sl_sync_lap(struct timespec *mark);
/* For syncers: record one verification result against the snapshot (creating it if needed) and log
 * failures once. */
int sl_sync_check(struct sl_sync_ctx *ctx, const char *subject, const char *check, const char *key_fpr,
		  bool passed, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* For syncers: record an artifact that is in the store and add it to the snapshot at `path`. */
int sl_sync_add_entry(struct sl_sync_ctx *ctx, const char *path, const char *sha256, uint64_t size,
		      const char *role, const char *media_type, const char *origin_url, const char *meta_json);

/* Per-source lock so one source never syncs twice at once (also across processes: syncd and
 * `sluice sync`). Returns an fd to pass to sl_sync_unlock, or -SL_E_LOCKED. */
int sl_sync_lock(const struct sl_config *cfg, const char *source);
void sl_sync_unlock(int fd);

#endif
