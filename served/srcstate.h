/* srcstate: what the catalogue says about each configured source, read in one pass (one read-only
 * connection, opened per call: no SQLite handle is shared between MHD's worker threads) for /metrics and
 * the status page — the published snapshot and since when, the last sync run (outcome, times, bytes,
 * requests, message), the last successful run, the next scheduled run, the upstream host's cool-down
 * (syncd keeps them per host in upstream_hosts), the pending snapshots and whether the oldest has waited
 * longer than the source's approve_within, and the newest chain re-check (`sluice verify --chain`).
 *
 * Ownership: sl_srcstate_read() -> sl_srcstate_free(); one entry per cfg->sources[i], same order.
 * Failure: NULL when the catalogue cannot be opened (missing, or older schema): logged at debug only,
 * since a monitoring system polling a broken mirror must not fill the log; callers show "unknown". */
#ifndef SL_SRCSTATE_H
#define SL_SRCSTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/catalog.h"

struct sl_config;

#define SL_SRCSTATE_TEXT 256   /* bytes kept of a run message or cool-down reason (display only) */

struct sl_srcstate {
	bool known;                      /* the source has a row in the catalogue */
	bool published;
	int64_t snap_id, generation, published_at;
	bool has_run;                    /* last_*: the most recent run, possibly still running */
	enum sl_run_outcome last_outcome;
	int64_t last_started_at, last_ended_at;  /* ended_at 0 while running */
	uint64_t last_bytes, last_requests;
	char last_message[SL_SRCSTATE_TEXT];
	bool has_success;
	int64_t last_success_at;
	int64_t next_run_at;             /* 0: not scheduled (syncd has not run yet) */
	char host[256];                  /* upstream host, "" if the URL has none */
	int64_t cooldown_until;          /* 0 unless cooling down now */
	char cooldown_reason[SL_SRCSTATE_TEXT];
	uint64_t pending;
	int64_t pending_since;           /* when the oldest pending snapshot became pending; 0 if none */
	bool approval_overdue;           /* pending_since older than approve_within (0: never overdue) */
	bool has_chain;                  /* chain_*: the newest re-check of a stored snapshot's upstream chain */
	bool chain_passed;
	int64_t chain_at, chain_snap;
	char chain_reason[SL_SRCSTATE_TEXT];
};

struct sl_srcstate *sl_srcstate_read(const char *catalog_path, const struct sl_config *cfg, int64_t now);
void sl_srcstate_free(struct sl_srcstate *st);

#endif
