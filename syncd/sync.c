/* sync: one run of one source, end to end; the table of syncers (one per format) lives here. */
#include "syncd/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store.h"
#include "syncd/fetch.h"
#include "syncd/sync_apt.h"

static const struct sl_syncer *const syncers[] = {
	&sl_syncer_apt,
	NULL,
};

static const struct sl_syncer *syncer_find(const char *format)
{
	for (unsigned i = 0; syncers[i] != NULL; i++)
		if (strcmp(syncers[i]->format, format) == 0)
			return syncers[i];
	return NULL;
}

void sl_sync_report_release(struct sl_sync_report *r)
{
	if (r == NULL)
		return;
	free(r->message);
	r->message = NULL;
}

int sl_sync_lock(const struct sl_config *cfg, const char *source)
{
	char dir[SL_MAX_PATH], path[SL_MAX_PATH];
	int n = snprintf(dir, sizeof dir, "%s/run", cfg->state_dir);
	if (n < 0 || (size_t)n >= sizeof dir)
		return -SL_E_TOOBIG;
	int rc = sl_fs_mkdirs(dir, 0750);
	if (rc < 0)
		return rc;
	n = snprintf(path, sizeof path, "%s/sync-%s.lock", dir, source);
	if (n < 0 || (size_t)n >= sizeof path)
		return -SL_E_TOOBIG;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(fd);
		return e == EWOULDBLOCK ? -SL_E_LOCKED : -e;
	}
	return fd;
}

void sl_sync_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing releases the flock */
}

int sl_sync_snapshot(struct sl_sync_ctx *ctx, int64_t *snap_id)
{
	if (ctx->snap_id == 0) {
		int rc = sl_catalog_snapshot_new(ctx->cat, ctx->source_id, ctx->run_id, &ctx->snap_id);
		if (rc < 0)
			return rc;
	}
	if (snap_id != NULL)
		*snap_id = ctx->snap_id;
	return 0;
}

int sl_sync_check(struct sl_sync_ctx *ctx, const char *subject, const char *check, const char *key_fpr,
		  bool passed, const char *fmt, ...)
{
	char reason[SL_MAX_REASON];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (!passed) {
		ctx->checks_failed++;
		sl_log_err(ctx->src->name, "%s: %s failed: %s", subject, check, reason);
	}
	int rc = sl_sync_snapshot(ctx, NULL);
	if (rc < 0)
		return rc;
	return sl_catalog_verification_add(ctx->cat, ctx->snap_id, subject, check, key_fpr, passed, reason);
}

int sl_sync_add_entry(struct sl_sync_ctx *ctx, const char *path, const char *sha256, uint64_t size,
		      const char *role, const char *media_type, const char *origin_url, const char *meta_json)
{
	int rc = sl_sync_snapshot(ctx, NULL);
	if (rc < 0)
		return rc;
	rc = sl_catalog_artifact_add(ctx->cat, sha256, size, media_type, origin_url);
	if (rc < 0)
		return rc;
	struct sl_entry e = {
		.path = path, .sha256 = sha256, .size = size, .role = role, .meta_json = meta_json,
	};
	return sl_catalog_snapshot_add_entry(ctx->cat, ctx->snap_id, &e);
}

static void fetch_opts_from_config(const struct sl_config *cfg, const struct sl_source *src,
				   const volatile int *stop, struct sl_fetch_opts *o)
{
	memset(o, 0, sizeof *o);
	o->proxy = src->proxy ? src->proxy : cfg->proxy;
	o->ca_file = cfg->ca_file;
	o->max_connections = cfg->max_connections;
	o->max_per_host = src->max_connections ? src->max_connections : cfg->max_connections_per_host;
	o->bandwidth_bps = cfg->bandwidth_bps;
	o->request_interval_ms = src->request_interval_ms >= 0 ? src->request_interval_ms
							       : cfg->request_interval_ms;
	o->low_speed_bps = cfg->low_speed_bps;
	o->low_speed_time_ms = cfg->low_speed_time_ms;
	o->transfer_timeout_ms = cfg->transfer_timeout_ms;
	o->retries = cfg->retries;
	o->stop = stop;
	o->log_source = src->name;
}

/* Ends the run and settles the snapshot from the syncer's verdict. */
static void finish(struct sl_sync_ctx *ctx, int rc, const char *cause, struct sl_sync_report *rep)
{
	uint64_t bytes = 0, requests = 0;
	sl_fetch_stats(ctx->fetch, &bytes, &requests);
	enum sl_run_outcome outcome;
	char msg[SL_MAX_REASON];
	rep->snap_state = -1;

	if (rc == SL_SYNC_UNCHANGED && ctx->snap_id == 0) {
		outcome = SL_RUN_UNCHANGED;
		snprintf(msg, sizeof msg, "upstream unchanged");
	} else if (rc == 0 && ctx->checks_failed == 0 && ctx->snap_id != 0) {
		int t = sl_catalog_snapshot_transition(ctx->cat, ctx->snap_id, SL_SNAP_SYNCING, SL_SNAP_VERIFIED,
						       "all checks passed");
		if (t == 0)
			t = sl_catalog_snapshot_transition(ctx->cat, ctx->snap_id, SL_SNAP_VERIFIED,
							   SL_SNAP_PENDING, NULL);
		if (t < 0) {
			outcome = SL_RUN_FAILED;
			snprintf(msg, sizeof msg, "snapshot %lld: cannot record verification: %s",
				 (long long)ctx->snap_id, sl_strerror(t));
		} else {
			outcome = SL_RUN_OK;
			rep->snap_state = SL_SNAP_PENDING;
			snprintf(msg, sizeof msg, "snapshot %lld verified, pending approval", (long long)ctx->snap_id);
		}
	} else {
		bool interrupted = rc == -SL_E_INTERRUPTED;
		outcome = interrupted ? SL_RUN_INTERRUPTED : SL_RUN_FAILED;
		if (rc == 0 || rc == SL_SYNC_UNCHANGED)
			snprintf(msg, sizeof msg, "%u check(s) failed", ctx->checks_failed);
		else
			snprintf(msg, sizeof msg, "%s", cause ? cause : sl_strerror(rc));
		if (ctx->snap_id != 0) {
			sl_catalog_snapshot_transition(ctx->cat, ctx->snap_id, SL_SNAP_SYNCING, SL_SNAP_FAILED, msg);
			rep->snap_state = SL_SNAP_FAILED;
		}
	}
	sl_catalog_run_end(ctx->cat, ctx->run_id, outcome, bytes, requests, msg);
	rep->outcome = (int)outcome;
	rep->run_id = ctx->run_id;
	rep->snap_id = ctx->snap_id;
	rep->bytes = bytes;
	rep->requests = requests;
	rep->checks_failed = ctx->checks_failed;
	rep->message = strdup(msg);
	if (outcome == SL_RUN_OK || outcome == SL_RUN_UNCHANGED)
		sl_log_info(ctx->src->name, "sync %s: %s (%llu bytes, %llu requests)", sl_run_outcome_name(outcome),
			    msg, (unsigned long long)bytes, (unsigned long long)requests);
	else
		sl_log_err(ctx->src->name, "sync %s: %s", sl_run_outcome_name(outcome), msg);
}

int sl_sync_run(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
		struct sl_store *store, const struct sl_sync_opts *opts, struct sl_sync_report *report)
{
	memset(report, 0, sizeof *report);
	report->snap_state = -1;
	const struct sl_syncer *syncer = syncer_find(src->format->name);
	if (syncer == NULL) {
		sl_log_err(src->name, "no syncer for type %s", src->format->name);
		return -SL_E_UNSUPPORTED;
	}
	int lock = sl_sync_lock(cfg, src->name);
	if (lock < 0) {
		if (lock == -SL_E_LOCKED)
			sl_log_warn(src->name, "a sync of this source is already running");
		return lock;
	}
	struct sl_sync_ctx ctx = {
		.cfg = cfg, .src = src, .cat = cat, .store = store, .stop = opts ? opts->stop : NULL,
		.progress = opts ? opts->progress : NULL, .progress_arg = opts ? opts->progress_arg : NULL,
	};
	int rc = sl_catalog_source_ensure(cat, src->name, src->format->name, &ctx.source_id);
	if (rc == 0)
		rc = sl_catalog_run_begin(cat, ctx.source_id, &ctx.run_id);
	if (rc < 0) {
		sl_sync_unlock(lock);
		return rc;
	}
	struct sl_fetch_opts fo;
	fetch_opts_from_config(cfg, src, ctx.stop, &fo);
	char *cause = NULL;
	ctx.fetch = sl_fetch_new(&fo, cat, store, &cause);
	if (ctx.fetch == NULL) {
		sl_catalog_run_end(cat, ctx.run_id, SL_RUN_FAILED, 0, 0, cause);
		sl_log_err(src->name, "cannot start the fetch engine: %s", cause ? cause : "?");
		report->outcome = SL_RUN_FAILED;
		report->message = cause;
		sl_sync_unlock(lock);
		return 0;
	}
	rc = syncer->run(&ctx, &cause);
	/* Objects were committed without a per-object fsync; make them durable before the snapshot is
	 * recorded as verified. */
	if ((rc == 0 || rc == SL_SYNC_UNCHANGED) && ctx.snap_id != 0) {
		int s = sl_store_sync(store);
		if (s < 0 && rc >= 0) {
			rc = s;
			free(cause);
			cause = strdup("cannot flush the content store to disk");
		}
	}
	finish(&ctx, rc, cause, report);
	free(cause);
	sl_fetch_free(ctx.fetch);
	sl_sync_unlock(lock);
	return 0;
}
