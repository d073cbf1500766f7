/* recheck: a stored snapshot's chain, verified again from the store, and the outcome recorded. */
#include "verify/recheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alert.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"

int sl_recheck_snapshot(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
			struct sl_store *store, const struct sl_snapshot_info *snap,
			void (*record)(void *arg, const struct sl_check *c), void *record_arg,
			struct sl_recheck_result *out, char **cause)
{
	memset(out, 0, sizeof *out);
	struct sl_verify_ctx v = {
		.cfg = cfg, .src = src, .cat = cat, .store = store, .source_id = snap->source_id,
		.snap_id = snap->id, .mode = SL_VERIFY_RECHECK, .now = (time_t)snap->created_at,
		.record = record, .record_arg = record_arg,
	};
	char *vcause = NULL;
	int rc = sl_verify_snapshot(&v, &vcause);
	out->passed = rc == 0;
	out->checks = v.checks;
	out->failed = v.failed;
	if (rc == 0)
		snprintf(out->reason, sizeof out->reason, "%u check(s) passed", v.checks);
	else
		snprintf(out->reason, sizeof out->reason, "%s", vcause ? vcause : sl_strerror(rc));
	free(vcause);
	if (!out->passed) {
		sl_log_err(src->name, "snapshot %lld: chain re-check failed: %s", (long long)snap->id, out->reason);
		char dedup[64];
		snprintf(dedup, sizeof dedup, "chain:%lld:%lld", (long long)snap->id, (long long)(time(NULL) / 86400));
		sl_alert_raise(cfg, cat, "chain-failed", src->name, snap->id, dedup, NULL,
			       "sluice: the stored chain of snapshot %lld of %s no longer verifies: %s. Its content can no "
			       "longer be shown authentic (sluice verify --chain %lld).",
			       (long long)snap->id, src->name, out->reason, (long long)snap->id);
	}
	struct sl_chain_check cc = {
		.snapshot_id = snap->id, .at = (int64_t)time(NULL), .passed = out->passed, .checks = out->checks,
		.failed = out->failed ? out->failed : (out->passed ? 0 : 1), .reason = out->reason,
	};
	rc = sl_catalog_chain_add(cat, snap->source_id, &cc);
	if (rc < 0)
		return sl_cause(cause, rc, "snapshot %lld: cannot record the re-check: %s", (long long)snap->id,
				sl_strerror(rc));
	return 0;
}
