/* srcstate: per-source state from the catalogue, read-only, for /metrics and the status page. */
#include "served/srcstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/url.h"
#include "served/netaddr.h"

static int pending_cb(void *arg, const struct sl_snapshot_info *si)
{
	struct sl_srcstate *st = arg;
	st->pending++;
	if (st->pending_since == 0 || si->state_changed_at < st->pending_since)
		st->pending_since = si->state_changed_at;
	return 0;
}

static void read_one(struct sl_catalog *cat, const struct sl_source *src, int64_t now, struct sl_srcstate *st)
{
	memset(st, 0, sizeof *st);
	sl_url_source_host(src, st->host, sizeof st->host);
	if (st->host[0] != '\0') {
		char *reason = NULL;
		int64_t until = 0;
		if (sl_catalog_cooldown_get(cat, st->host, &until, &reason) == 0 && until > now) {
			st->cooldown_until = until;
			snprintf(st->cooldown_reason, sizeof st->cooldown_reason, "%s", reason != NULL ? reason : "");
		}
		free(reason);
	}
	int64_t id;
	if (sl_catalog_source_id(cat, src->name, &id) < 0)
		return;
	st->known = true;
	st->published = sl_catalog_published_get(cat, id, &st->snap_id, &st->generation, &st->published_at) == 0;
	struct sl_run_info run;
	if (sl_catalog_run_last(cat, id, &run) == 0) {
		st->has_run = true;
		st->last_outcome = run.outcome;
		st->last_started_at = run.started_at;
		st->last_ended_at = run.ended_at;
		st->last_bytes = run.bytes;
		st->last_requests = run.requests;
		snprintf(st->last_message, sizeof st->last_message, "%s", run.message != NULL ? run.message : "");
		sl_run_info_release(&run);
	}
	if (sl_catalog_run_last_success(cat, id, &run) == 0) {
		st->has_success = true;
		st->last_success_at = run.ended_at ? run.ended_at : run.started_at;
		sl_run_info_release(&run);
	}
	struct sl_chain_check cc;
	if (sl_catalog_chain_last(cat, id, &cc) == 0) {
		st->has_chain = true;
		st->chain_passed = cc.passed;
		st->chain_at = cc.at;
		st->chain_snap = cc.snapshot_id;
		snprintf(st->chain_reason, sizeof st->chain_reason, "%s", cc.reason != NULL ? cc.reason : "");
		sl_chain_check_release(&cc);
	}
	if (sl_catalog_source_next_run(cat, id, &st->next_run_at) < 0)
		st->next_run_at = 0;
	if (sl_catalog_snapshots(cat, id, SL_SNAP_PENDING, pending_cb, st) < 0) {
		st->pending = 0;
		st->pending_since = 0;
	}
	st->approval_overdue = st->pending > 0 && src->approve_within_ms > 0 &&
			       (now - st->pending_since) * 1000 > src->approve_within_ms;
}

struct sl_srcstate *sl_srcstate_read(const char *catalog_path, const struct sl_config *cfg, int64_t now)
{
	char *cause = NULL;
	struct sl_catalog *cat = sl_catalog_open(catalog_path, SL_CATALOG_READONLY, &cause);
	if (cat == NULL) {
		sl_log_debug(NULL, "%s: %s", catalog_path, cause != NULL ? cause : "cannot open");
		free(cause);
		return NULL;
	}
	struct sl_srcstate *st = calloc(cfg->nsources ? cfg->nsources : 1, sizeof *st);
	if (st != NULL)
		for (size_t i = 0; i < cfg->nsources; i++)
			read_one(cat, &cfg->sources[i], now, &st[i]);
	sl_catalog_free(cat);
	return st;
}

void sl_srcstate_free(struct sl_srcstate *st)
{
	free(st);
}
