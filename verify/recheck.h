/* recheck: the offline integrity audit of stored content. Re-runs a stored snapshot's whole upstream chain
 * verification from the store alone — signatures with the source's *current* keyring, every object
 * re-hashed, every policy judged at the time the snapshot was made (verify/verifier.h, SL_VERIFY_RECHECK)
 * — and records the outcome in the catalogue's chain_checks, where `sluice sources`, /metrics and the
 * status page read it. Used by `sluice verify --chain` and sluice-syncd's `verify_every`.
 *
 * Ownership: borrows everything; `record` (may be NULL) sees every check as it is made.
 * Failure: 0 when the re-check ran to a verdict (out->passed says which) and was recorded; a negative code
 * when the outcome could not be recorded. A verifier that cannot run at all (no verifier for the format,
 * unreadable keyring) is a failed re-check, recorded as such: content that cannot be re-proven is not
 * proven. */
#ifndef SL_RECHECK_H
#define SL_RECHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "verify/verifier.h"

struct sl_snapshot_info;

struct sl_recheck_result {
	bool passed;
	unsigned checks, failed;
	char reason[512];       /* the first failure, or "N check(s) passed" */
};

int sl_recheck_snapshot(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
			struct sl_store *store, const struct sl_snapshot_info *snap,
			void (*record)(void *arg, const struct sl_check *c), void *record_arg,
			struct sl_recheck_result *out, char **cause);

#endif
