/* chaincheck: the scheduled re-check of published snapshots' chains (see chaincheck.h). */
#include "syncd/chaincheck.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store.h"
#include "syncd/sync.h"
#include "verify/recheck.h"

bool sl_chaincheck_due(const struct sl_config *cfg, struct sl_catalog *cat, const struct sl_source *src, time_t now,
		       int64_t *wake)
{
	int64_t sid = 0, snap = 0, gen = 0, at = 0;
	if (cfg->verify_every_ms <= 0 || sl_catalog_source_id(cat, src->name, &sid) < 0 ||
	    sl_catalog_published_get(cat, sid, &snap, &gen, &at) < 0)
		return false;
	struct sl_chain_check last;
	int rc = sl_catalog_chain_last(cat, sid, &last);
	if (rc == -SL_E_NOTFOUND)
		return true;
	if (rc < 0)
		return false;
	int64_t next = last.at + cfg->verify_every_ms / 1000;
	/* A newly published snapshot is re-checked on the next interval, like the one before it. */
	sl_chain_check_release(&last);
	if (next <= (int64_t)now)
		return true;
	if (next < *wake)
		*wake = next;
	return false;
}

int sl_chaincheck_run(const struct sl_config *cfg, const struct sl_source *src)
{
	char path[SL_MAX_PATH], *cause = NULL;
	snprintf(path, sizeof path, "%s/catalog.db", cfg->state_dir);
	struct sl_catalog *cat = sl_catalog_open(path, 0, &cause);
	struct sl_store *st = cat ? sl_store_open(cfg->state_dir, &cause) : NULL;
	if (st == NULL) {
		sl_log_err(src->name, "chain re-check: cannot open state in %s: %s", cfg->state_dir, cause ? cause : "?");
		free(cause);
		sl_catalog_free(cat);
		return 1;
	}
	int code = 0;
	int lock = sl_sync_lock(cfg, src->name);
	int64_t sid = 0, snap = 0, gen = 0, at = 0;
	struct sl_snapshot_info info;
	if (lock < 0) {
		sl_log_info(src->name, "chain re-check postponed: a sync of this source is running");
	} else if (sl_catalog_source_id(cat, src->name, &sid) == 0 &&
		   sl_catalog_published_get(cat, sid, &snap, &gen, &at) == 0 &&
		   sl_catalog_snapshot_get(cat, snap, &info) == 0) {
		struct sl_recheck_result r;
		int rc = sl_recheck_snapshot(cfg, src, cat, st, &info, NULL, NULL, &r, &cause);
		if (rc < 0) {
			sl_log_err(src->name, "chain re-check: %s", cause ? cause : sl_strerror(rc));
			code = 1;
		} else if (r.passed) {
			sl_log_info(src->name, "chain re-check of published snapshot %lld: %s", (long long)snap, r.reason);
		} else {
			code = 1;   /* sl_recheck_snapshot logged the failure */
		}
		free(cause);
		sl_snapshot_info_release(&info);
	}
	sl_sync_unlock(lock);
	sl_store_free(st);
	sl_catalog_free(cat);
	return code;
}
