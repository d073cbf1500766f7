/* settle: the one step that turns a candidate snapshot into a decision, shared by every way content
 * arrives (a sync, a transfer bundle). The candidate is 'syncing' and sealed, its objects in the store;
 * settle runs the format's verifier over it (SL_VERIFY_ARRIVAL), records every check on the snapshot, and
 * then either
 *   - fails it with the first failure as its reason (nothing can ever publish it), or
 *   - finds its content identical to the source's newest live snapshot (pending, published, superseded or
 *     rejected: the same question was asked already) and discards it — "unchanged", whatever the
 *     upstream's caching headers said, or
 *   - records it verified, advances the source's trust state (last accepted Date, versions...) in the same
 *     transaction, and leaves it pending.
 *
 * Ownership: borrows everything. Failure: 0 with *out set for every verdict above; a negative code when
 * the catalogue could not record the verdict (the snapshot then stays 'syncing' and is swept as
 * interrupted), with *cause. */
#ifndef SL_SETTLE_H
#define SL_SETTLE_H

#include <stdint.h>

struct sl_config;
struct sl_source;
struct sl_catalog;
struct sl_store;

enum sl_settled {
	SL_SETTLED_PENDING,     /* verified, waiting for approval (or auto-approval) */
	SL_SETTLED_FAILED,      /* a check failed; the snapshot is failed with the reason */
	SL_SETTLED_UNCHANGED,   /* verified and identical to the newest live snapshot; discarded */
};

struct sl_settle_result {
	enum sl_settled verdict;
	int64_t same_as;        /* UNCHANGED: the snapshot it equals */
	unsigned checks, failed;
	char reason[512];       /* FAILED: the first failure ("subject: check: reason"); else a summary */
};

int sl_settle_snapshot(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
		       struct sl_store *store, int64_t source_id, int64_t snap_id, struct sl_settle_result *out,
		       char **cause);

/* What the caller waits for before a snapshot is recorded as verified: wait() is called once, after the
 * verifier's checks passed and before the snapshot leaves 'syncing' for 'verified' (a sync flushes its
 * store to disk meanwhile). 0, or a negative code with *why (heap, may stay NULL): the snapshot is then
 * recorded as failed with that reason and the settle returns the code with *cause set. */
struct sl_settle_barrier {
	int (*wait)(void *arg, char **why);
	void *arg;
};
/* sl_settle_snapshot with a barrier (NULL: none). */
int sl_settle_snapshot_after(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
			     struct sl_store *store, int64_t source_id, int64_t snap_id,
			     const struct sl_settle_barrier *barrier, struct sl_settle_result *out, char **cause);

#endif
