/* sync: one run of one source, end to end: locks, the format's syncer (its row in core/format.c), then the
 * shared settlement of the snapshot by the format's verifier.
 *
 * Politeness across processes. Every sync runs in its own process (a syncd child, or `sluice sync`), each
 * with its own fetch engine, so the limits that are global by nature are enforced here with flocks in
 * STATE/run, which `sluice sync` and the daemon share:
 *   sync-SOURCE.lock  one run of a source at a time (never waits: a second run is refused);
 *   host-HOST.lock    one sync talks to an upstream host at a time, so the per-host connection cap and
 *                     request_interval hold across processes; the file carries the Unix ms before which
 *                     the next holder must not send its first request (the previous holder's interval);
 *   slot-K.lock       at most N = min(max_parallel_sources, sources) syncs at once. Each holder gets 1/N
 *                     of [syncd] bandwidth and max_connections, so their sum never exceeds the global cap
 *                     whoever started them. A static split under-uses the link while fewer than N syncs
 *                     run; it is predictable, which a link shared with payment traffic needs more.
 * Locks are taken in that order (source, host, slot) by everyone, so no two runs deadlock; waits for a
 * host or a slot end when *stop is set. */
#include "syncd/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/alert.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store.h"
#include "core/units.h"
#include "core/url.h"
#include "core/thread.h"
#include "syncd/fetch.h"
#include "verify/findings.h"
#include "verify/settle.h"

void sl_sync_report_release(struct sl_sync_report *r)
{
	if (r == NULL)
		return;
	free(r->message);
	r->message = NULL;
}

#define WAIT_STEP_MS 100         /* ms between attempts at a busy host or slot lock: bounds how late *stop is seen */

/* Open (creating) STATE/run/NAME and try to flock it: fd, -SL_E_LOCKED when held, or -errno. */
static int lock_try(const struct sl_config *cfg, const char *name)
{
	char dir[SL_MAX_PATH], path[SL_MAX_PATH];
	int n = snprintf(dir, sizeof dir, "%s/run", cfg->state_dir);
	if (n < 0 || (size_t)n >= sizeof dir)
		return -SL_E_TOOBIG;
	/* 0770: the admin (`sluice sync`) and the daemon's user share these locks through the state group. */
	int rc = sl_fs_mkdirs(dir, 0770);
	if (rc < 0)
		return rc;
	n = snprintf(path, sizeof path, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof path)
		return -SL_E_TOOBIG;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(fd);
		return e == EWOULDBLOCK ? -SL_E_LOCKED : -e;
	}
	return fd;
}

static bool stop_set(const volatile int *stop)
{
	return stop != NULL && *stop != 0;
}

static void nap_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sl_sync_lock(const struct sl_config *cfg, const char *source)
{
	char name[SL_MAX_NAME + 16];
	if ((size_t)snprintf(name, sizeof name, "sync-%s.lock", source) >= sizeof name)
		return -SL_E_TOOBIG;
	return lock_try(cfg, name);
}

/* Waits for the source's host lock, then for the previous holder's request interval to pass. *fd_out is
 * the lock (-1 when the source names no host). 0, -errno, or -SL_E_INTERRUPTED. */
static int host_acquire(const struct sl_config *cfg, const struct sl_source *src, const volatile int *stop,
			int *fd_out)
{
	char host[256], name[300];
	*fd_out = -1;
	sl_url_source_host(src, host, sizeof host);
	if (host[0] == '\0')
		return 0;
	/* Host names become file names: keep [a-z0-9.-], anything else (IPv6 brackets, colons) becomes '_'. */
	for (char *c = host; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '-'))
			*c = '_';
	snprintf(name, sizeof name, "host-%s.lock", host);
	bool told = false;
	int fd;
	while ((fd = lock_try(cfg, name)) == -SL_E_LOCKED) {
		if (stop_set(stop))
			return -SL_E_INTERRUPTED;
		if (!told)
			sl_log_info(src->name, "waiting: another sync is talking to %s", host);
		told = true;
		nap_ms(WAIT_STEP_MS);
	}
	if (fd < 0)
		return fd;
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	int64_t not_before = strtoll(buf, NULL, 10), now;
	while ((now = unix_ms()) < not_before) {
		if (stop_set(stop)) {
			close(fd);
			return -SL_E_INTERRUPTED;
		}
		/* A clock set back cannot make us wait longer than one interval (capped at a day). */
		if (not_before - now > 86400 * 1000LL)
			break;
		nap_ms(not_before - now < WAIT_STEP_MS ? not_before - now : WAIT_STEP_MS);
	}
	*fd_out = fd;
	return 0;
}

/* Hands the host over: the next holder's first request waits `interval_ms` from now. */
static void host_release(int fd, int64_t interval_ms)
{
	if (fd < 0)
		return;
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%lld\n", (long long)(unix_ms() + (interval_ms > 0 ? interval_ms : 0)));
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		sl_log_warn(NULL, "cannot record the request interval in a host lock: %s", strerror(errno));
	close(fd);
}

static unsigned slots_of(const struct sl_config *cfg)
{
	unsigned n = cfg->max_parallel_sources ? cfg->max_parallel_sources : 1;
	if (cfg->nsources > 0 && cfg->nsources < n)
		n = (unsigned)cfg->nsources;
	return n;
}

/* Waits for one of the slots; fd or -SL_E_INTERRUPTED. */
static int slot_acquire(const struct sl_config *cfg, const struct sl_source *src, const volatile int *stop)
{
	unsigned n = slots_of(cfg);
	bool told = false;
	for (;;) {
		for (unsigned k = 0; k < n; k++) {
			char name[32];
			snprintf(name, sizeof name, "slot-%u.lock", k);
			int fd = lock_try(cfg, name);
			if (fd != -SL_E_LOCKED)
				return fd;
		}
		if (stop_set(stop))
			return -SL_E_INTERRUPTED;
		if (!told)
			sl_log_info(src->name, "waiting: %u sync(s) already run (max_parallel_sources)", n);
		told = true;
		nap_ms(WAIT_STEP_MS);
	}
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
		/* Something new is coming: the scan engine loads while the downloads run. */
		sl_findings_gate_load(ctx->scan_gate);
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
	/* This run's share of the global caps (see the slots above). */
	unsigned slots = slots_of(cfg);
	o->max_connections = cfg->max_connections / slots ? cfg->max_connections / slots : 1;
	o->max_per_host = src->max_connections ? src->max_connections : cfg->max_connections_per_host;
	o->bandwidth_bps = cfg->bandwidth_bps / slots;
	if (cfg->bandwidth_bps > 0 && o->bandwidth_bps == 0)
		o->bandwidth_bps = 1;
	if (src->bandwidth_bps > 0 && (o->bandwidth_bps == 0 || src->bandwidth_bps < o->bandwidth_bps))
		o->bandwidth_bps = src->bandwidth_bps;   /* the per-source cap holds for the sum of its transfers */
	o->request_interval_ms = src->request_interval_ms >= 0 ? src->request_interval_ms
							       : cfg->request_interval_ms;
	o->low_speed_bps = cfg->low_speed_bps;
	o->low_speed_time_ms = cfg->low_speed_time_ms;
	o->transfer_timeout_ms = cfg->transfer_timeout_ms;
	o->retries = cfg->retries;
	o->resume_min_bytes = SL_FETCH_RESUME_MIN_BYTES;
	o->stop = stop;
	o->log_source = src->name;
}

/* A pending snapshot's findings on arrival: what its upgrades fix (advisories, never blocking), then the
 * malware scan gate ([scan]); the pending alert carries both. Findings left undecided by an earlier arrival
 * that was cut short are dropped first (the cut-short scan recorded no scan run, so the snapshot was
 * still waiting for it); decisions stay. */
int sl_sync_scan_arrival(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
			 struct sl_store *store, int64_t snap_id, struct sl_findings_gate *gate,
			 struct sl_sync_report *rep)
{
	struct sl_findings_result fr = { 0 };
	char *cause = NULL, msg[SL_MAX_REASON];
	unsigned advisories = 0;
	int rc = sl_catalog_findings_clear_undecided(cat, snap_id, false);
	if (rc == 0)
		rc = sl_catalog_findings_clear_undecided(cat, snap_id, true);
	if (rc < 0)
		sl_cause(&cause, rc, "cannot clear the findings of an earlier scan: %s", sl_strerror(rc));
	/* What the upgrades say they fix: information recorded on arrival, never a reason to stop. */
	if (rc == 0 && sl_findings_advise(src, cat, store, snap_id, &advisories, &cause) < 0) {
		sl_log_warn(src->name, "advisories: %s", cause ? cause : "failed");
		free(cause);
		cause = NULL;
	}
	if (rc == 0)
		rc = gate != NULL ? sl_findings_scan_gate(gate, cfg, src, cat, store, snap_id, &fr, &cause)
				  : sl_findings_scan(cfg, src, cat, store, snap_id, &fr, &cause);
	int n = snprintf(msg, sizeof msg, "snapshot %lld verified, pending approval", (long long)snap_id);
	if (n < 0 || (size_t)n >= sizeof msg)
		n = 0;
	rep->findings_undecided = 0;
	if (rc < 0) {
		sl_log_err(src->name, "scan gate: %s", cause ? cause : sl_strerror(rc));
		snprintf(msg + n, sizeof msg - (size_t)n, "; the scan gate failed: %s", cause ? cause : sl_strerror(rc));
		rep->findings_undecided = 1;
	} else if (fr.enabled) {
		snprintf(msg + n, sizeof msg - (size_t)n, "; scanned %llu artifact(s) (%llu cached): %llu finding(s), %u "
			 "undecided", (unsigned long long)fr.scanned, (unsigned long long)fr.cached,
			 (unsigned long long)fr.findings, fr.undecided);
		rep->findings_undecided = fr.undecided;
	}
	free(cause);
	free(rep->message);
	rep->message = strdup(msg);
	rep->scan_queued = false;
	struct sl_snapshot_info si;
	if (sl_catalog_snapshot_get(cat, snap_id, &si) == 0) {
		char size[32];
		sl_units_format_size(si.total_bytes, size, sizeof size);
		sl_alert_raise(cfg, cat, "pending", src->name, snap_id, NULL,
			       json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "entries", (json_int_t)si.n_entries, "bytes",
					 (json_int_t)si.total_bytes, "findings", (json_int_t)(rc < 0 ? 0 : fr.findings),
					 "findings_undecided", (json_int_t)rep->findings_undecided, "scanned",
					 (json_int_t)(rc < 0 ? 0 : fr.scanned), "advisories", (json_int_t)advisories),
			       "sluice: snapshot %lld of %s verified and waiting for %s: %llu files, %s%s%s. Review: sluice "
			       "diff %lld; sluice findings %lld.", (long long)snap_id, src->name,
			       src->auto_approve ? "auto-approval" : "approval", (unsigned long long)si.n_entries, size,
			       rep->findings_undecided ? "; BLOCKING FINDINGS: " : "",
			       rep->findings_undecided ? "undecided findings block approval" : "", (long long)snap_id,
			       (long long)snap_id);
		sl_snapshot_info_release(&si);
	}
	return rc < 0 ? rc : 0;
}

int sl_sync_scan_queue(const struct sl_config *cfg, struct sl_catalog *cat, struct sl_store *store,
		       void (*done)(void *arg, const struct sl_source *src, const struct sl_sync_report *rep, int rc),
		       void *arg)
{
	int n = 0, more;
	int64_t after = 0, snap = 0;
	const struct sl_source *src = NULL;
	while ((more = sl_findings_next_queued(cfg, cat, after, &src, &snap)) > 0) {
		after = snap;
		struct sl_sync_report rep = { .snap_id = snap, .snap_state = SL_SNAP_PENDING };
		int rc = sl_sync_scan_arrival(cfg, src, cat, store, snap, NULL, &rep);
		done(arg, src, &rep, rc);
		sl_sync_report_release(&rep);
		n++;
	}
	return more < 0 ? more : n;
}

/* A verified snapshot's arrival: scanned now, or (defer_scan, gated source) queued for sluice-syncd's
 * scanner, which raises the pending alert when the verdicts are in. */
static void arrive(struct sl_sync_ctx *ctx, bool defer, struct sl_sync_report *rep, char *msg, size_t cap)
{
	if (defer && sl_findings_gated(ctx->cfg, ctx->src)) {
		snprintf(msg, cap, "snapshot %lld verified, pending approval; its malware scan is queued (approval "
			 "waits for it)", (long long)ctx->snap_id);
		rep->scan_queued = true;
		return;
	}
	sl_sync_scan_arrival(ctx->cfg, ctx->src, ctx->cat, ctx->store, ctx->snap_id, ctx->scan_gate, rep);
	snprintf(msg, cap, "%s", rep->message ? rep->message : "");
	free(rep->message);
	rep->message = NULL;
}

double sl_sync_lap(struct timespec *mark)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double s = (double)(now.tv_sec - mark->tv_sec) + (double)(now.tv_nsec - mark->tv_nsec) / 1e9;
	*mark = now;
	return s;
}

/* The store's flush to disk, on a thread of its own while the verifier reads. */
struct flush {
	struct sl_store *st;
	const char *src;
	pthread_t thread;
	bool started;   /* a thread runs it */
	bool done;      /* rc is the result */
	int rc;
	struct timespec t0;
};

static void *flush_main(void *arg)
{
	struct flush *fl = arg;
	fl->rc = sl_store_sync(fl->st);
	return NULL;
}

static void flush_start(struct flush *fl)
{
	clock_gettime(CLOCK_MONOTONIC, &fl->t0);
	fl->started = sl_thread_start(&fl->thread, flush_main, fl) == 0;
	if (!fl->started) {
		fl->rc = sl_store_sync(fl->st);
		fl->done = true;
	}
}

static void flush_join(struct flush *fl)
{
	if (!fl->started)
		return;
	pthread_join(fl->thread, NULL);
	fl->started = false;
	fl->done = true;
	sl_log_debug(fl->src, "store flushed to disk %.2f s after the syncer's end", sl_sync_lap(&fl->t0));
}

/* The settle's barrier: the store's flush has passed. */
static int flush_wait(void *arg, char **why)
{
	struct flush *fl = arg;
	flush_join(fl);
	if (!fl->done) {   /* never started: flush now */
		fl->rc = sl_store_sync(fl->st);
		fl->done = true;
	}
	if (fl->rc >= 0)
		return 0;
	*why = strdup("cannot flush the content store to disk");
	return fl->rc;
}

/* Ends the run and settles the snapshot from the syncer's verdict. */
static void finish(struct sl_sync_ctx *ctx, int rc, const char *cause, bool defer_scan, struct sl_sync_report *rep,
		   uint64_t bytes, uint64_t requests, struct flush *fl)
{
	enum sl_run_outcome outcome;
	char msg[SL_MAX_REASON];
	rep->snap_state = -1;

	if (rc == SL_SYNC_UNCHANGED && ctx->snap_id == 0) {
		outcome = SL_RUN_UNCHANGED;
		snprintf(msg, sizeof msg, "upstream unchanged");
	} else if (rc == 0 && ctx->checks_failed == 0 && ctx->snap_id != 0) {
		/* The syncer fetched and pre-checked; the format's verifier decides, from the store. */
		struct sl_settle_result st;
		char *scause = NULL;
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		const struct sl_settle_barrier durable = { flush_wait, fl };
		int t = sl_settle_snapshot_after(ctx->cfg, ctx->src, ctx->cat, ctx->store, ctx->source_id, ctx->snap_id,
						 &durable, &st, &scause);
		sl_log_debug(ctx->src->name, "phase verify: %.2f s", sl_sync_lap(&t0));
		ctx->checks_failed += st.failed;
		if (t < 0) {
			outcome = SL_RUN_FAILED;
			snprintf(msg, sizeof msg, "%s", scause ? scause : sl_strerror(t));
		} else if (st.verdict == SL_SETTLED_FAILED) {
			outcome = SL_RUN_FAILED;
			rep->snap_state = SL_SNAP_FAILED;
			if (ctx->src->format->sync->refused != NULL)
				ctx->src->format->sync->refused(ctx);
			snprintf(msg, sizeof msg, "%s", st.reason);
			sl_alert_raise(ctx->cfg, ctx->cat, "verification-failed", ctx->src->name, ctx->snap_id, NULL,
				       json_pack("{s:I, s:I}", "checks", (json_int_t)st.checks, "failed", (json_int_t)st.failed),
				       "sluice: a sync of %s was REFUSED: %u of %u check(s) failed; first: %s. Nothing was "
				       "published (sluice show %lld).", ctx->src->name, st.failed, st.checks, st.reason,
				       (long long)ctx->snap_id);
		} else if (st.verdict == SL_SETTLED_UNCHANGED) {
			outcome = SL_RUN_UNCHANGED;
			snprintf(msg, sizeof msg, "upstream unchanged (%s)", st.reason);
			ctx->snap_id = 0;
		} else {
			outcome = SL_RUN_OK;
			rep->snap_state = SL_SNAP_PENDING;
			arrive(ctx, defer_scan, rep, msg, sizeof msg);
		}
		free(scause);
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
	const struct sl_syncer *syncer = src->format->sync;
	if (src->from_bundle) {
		sl_log_err(src->name, "from = bundle: this source is fed by sluice import and never fetched");
		return -SL_E_UNSUPPORTED;
	}
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
	/* Waiting for the host or a slot is not part of the run: no run is recorded if stopped meanwhile. */
	int host = -1, slot = -1;
	int rc = host_acquire(cfg, src, ctx.stop, &host);
	if (rc == 0) {
		slot = slot_acquire(cfg, src, ctx.stop);
		rc = slot < 0 ? slot : 0;
	}
	int64_t interval = src->request_interval_ms >= 0 ? src->request_interval_ms : cfg->request_interval_ms;
	if (rc == 0)
		rc = sl_catalog_source_ensure(cat, src->name, src->format->name, &ctx.source_id);
	int settled = 0;   /* we hold the source's lock: a run of it still 'running' was killed */
	if (rc == 0 && sl_catalog_recover_source(cat, ctx.source_id, &settled) == 0 && settled > 0)
		sl_log_warn(src->name, "an earlier sync of this source was killed: recorded as interrupted");
	if (rc == 0)
		rc = sl_catalog_run_begin(cat, ctx.source_id, &ctx.run_id);
	if (rc < 0) {
		sl_sync_unlock(slot);
		host_release(host, 0);
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
		sl_sync_unlock(slot);
		host_release(host, 0);
		sl_sync_unlock(lock);
		return 0;
	}
	if (opts != NULL && opts->transfer != NULL)
		sl_fetch_on_progress(ctx.fetch, opts->transfer, opts->progress_arg);
	/* The scanner is forked now, before the run's threads and connections exist; it loads nothing until
	 * the run makes a snapshot (sl_sync_snapshot), so an unchanged upstream costs no engine load. */
	if (opts == NULL || !opts->defer_scan)
		ctx.scan_gate = sl_findings_gate_new(cfg, src, cat);
	rc = syncer->run(&ctx, &cause);
	/* Objects were committed without a per-object fsync; they are made durable while the verifier works,
	 * and the snapshot is recorded as verified only once that has passed (the barrier in finish). */
	struct flush fl = { .st = store, .src = src->name };
	if ((rc == 0 || rc == SL_SYNC_UNCHANGED) && ctx.snap_id != 0)
		flush_start(&fl);
	/* The downloads are over: their buffers and connections go before the verifier builds its tables
	 * (peak RSS is the larger of the two, not the sum). */
	uint64_t bytes = 0, requests = 0;
	sl_fetch_stats(ctx.fetch, &bytes, &requests);
	sl_fetch_free(ctx.fetch);
	ctx.fetch = NULL;
	finish(&ctx, rc, cause, opts != NULL && opts->defer_scan, report, bytes, requests, &fl);
	flush_join(&fl);   /* a run that did not reach the barrier */
	sl_findings_gate_free(ctx.scan_gate);
	free(cause);
	sl_sync_unlock(slot);
	host_release(host, interval);
	sl_sync_unlock(lock);
	return 0;
}
