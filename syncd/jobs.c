/* jobs: what sluice-syncd's child processes do — one sync (then its next run, its failure alert and, for
 * `approve = auto`, the hand-over to `sluice auto-approve`), the arrival scans of the snapshots the syncs
 * left pending, one scheduled chain re-check, one round of alert deliveries. main.c forks them; each
 * returns the child's exit status. */
#include "syncd/jobs.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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
#include "core/url.h"
#include "syncd/alert_send.h"
#include "syncd/chaincheck.h"
#include "syncd/schedule.h"
#include "syncd/sync.h"
#include "verify/findings.h"

#define FAILURES_KEY "syncd.failures" /* per-source catalogue state: consecutive failed runs */
#define CHILD_SKIPPED 3           /* child exit: the run did not happen (locked, stopped while waiting) */

static const char *state_path(const struct sl_config *cfg, const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", cfg->state_dir, name);
	return buf;
}

/* ---- auto-approval ---- */

/* The signing key must not be readable by this daemon (see contrib/systemd/sluice-syncd.service). A
 * verified snapshot of an `approve = auto` source is therefore left as a request file
 * STATE/run/auto-approve/ID, which sluice-auto-approve.service (run as the key's owner when the
 * directory is not empty) turns into `sluice auto-approve ID`; that command re-checks the policy and the
 * snapshot's state, so a request can never publish more than the configuration allows. Only where this
 * daemon can read the key home anyway (one user for everything, tests) does it run the command itself. */
static void auto_approve(const struct sl_job_env *d, const struct sl_source *src, int64_t snap_id)
{
	char dir[SL_MAX_PATH], req[SL_MAX_PATH + 32], id[32];
	snprintf(id, sizeof id, "%lld", (long long)snap_id);
	state_path(d->cfg, "run/auto-approve", dir, sizeof dir);
	snprintf(req, sizeof req, "%s/%s", dir, id);
	int rc = sl_fs_mkdirs(dir, 0770);
	if (rc == 0)
		rc = sl_fs_write_atomic(req, src->name, strlen(src->name), 0660);
	if (rc < 0) {
		sl_log_err(src->name, "cannot queue snapshot %s for auto-approval in %s: %s", id, dir, sl_strerror(rc));
		return;
	}
	const char *home = d->cfg->gnupg_home;
	if (home == NULL || access(home, R_OK | X_OK) != 0) {
		sl_log_info(src->name, "snapshot %s verified; queued for auto-approval (%s, published by "
			    "sluice-auto-approve as the signing key's owner)", id, req);
		return;
	}
	/* `sluice` beside us, in ../bin (installed: sbin/sluice-syncd, bin/sluice), in ../admin (build
	 * tree), else from PATH. */
	static const char *const where[] = { "", "/../bin", "/../admin" };
	char sluice[PATH_MAX + 32] = "sluice";
	for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
		char cand[PATH_MAX + 32];
		snprintf(cand, sizeof cand, "%s%s/sluice", d->self_dir, where[i]);
		if (access(cand, X_OK) == 0) {
			snprintf(sluice, sizeof sluice, "%s", cand);
			break;
		}
	}
	pid_t pid = fork();
	if (pid < 0) {
		sl_log_err(src->name, "cannot fork sluice auto-approve: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		execlp(sluice, "sluice", "-c", d->config_path, "auto-approve", id, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		unlink(req);
		sl_log_info(src->name, "snapshot %s auto-approved and published", id);
	} else {
		sl_log_err(src->name, "auto-approval of snapshot %s failed (%s auto-approve exited %d); the request "
			   "stays in %s", id, sluice, WIFEXITED(status) ? WEXITSTATUS(status) : -1, dir);
	}
}

/* approve = auto, once the snapshot's findings are in. */
static void approve_if_auto(const struct sl_job_env *d, const struct sl_source *src, const struct sl_sync_report *rep)
{
	if (!src->auto_approve)
		return;
	if (rep->findings_undecided > 0)
		sl_log_warn(src->name, "snapshot %lld stays pending despite approve = auto: %u undecided finding(s) "
			    "(sluice findings %lld)", (long long)rep->snap_id, rep->findings_undecided,
			    (long long)rep->snap_id);
	else
		auto_approve(d, src, rep->snap_id);
}

/* ---- one sync ---- */

static volatile int child_stop;
static volatile sig_atomic_t child_deadline;

static void child_on_stop(int sig)
{
	if (sig == SIGALRM)
		child_deadline = 1;
	child_stop = 1;
}

static unsigned failures_get(struct sl_catalog *cat, int64_t sid)
{
	char *v = NULL;
	unsigned n = 0;
	if (sl_catalog_state_get(cat, sid, FAILURES_KEY, &v) == 0)
		n = (unsigned)strtoul(v, NULL, 10);
	free(v);
	return n > 64 ? 64 : n;
}

/* Persist when the source runs next, from how this run ended. */
static void reschedule(const struct sl_config *cfg, struct sl_catalog *cat, const struct sl_source *src, int64_t sid,
		       const struct sl_sync_report *rep)
{
	bool ok = rep->outcome == SL_RUN_OK || rep->outcome == SL_RUN_UNCHANGED;
	if (rep->outcome == SL_RUN_INTERRUPTED && !child_deadline) {
		/* Stopped by SIGTERM (daemon stopping): the source stays due, so a restart resumes it at once. */
		return;
	}
	unsigned failures = ok ? 0 : failures_get(cat, sid) + 1;
	char v[16];
	snprintf(v, sizeof v, "%u", failures);
	sl_catalog_state_set(cat, sid, FAILURES_KEY, failures ? v : NULL);
	int64_t next = sl_schedule_next_after(src, time(NULL), failures);
	sl_catalog_source_set_next_run(cat, sid, next);
	if (!ok) {
		char when[32];
		struct tm tm;
		time_t t = (time_t)next;
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
		sl_log_info(src->name, "failed %u time(s) in a row; next attempt at %s", failures, when);
		/* Once per streak: the run that reaches the threshold tells, the following ones do not. */
		if (failures == cfg->alert_failures) {
			char host[256], dedup[SL_MAX_NAME + 48];
			int64_t cool = 0;
			sl_url_source_host(src, host, sizeof host);
			if (host[0] != '\0')
				sl_catalog_cooldown_get(cat, host, &cool, NULL);
			snprintf(dedup, sizeof dedup, "failing:%s:%lld", src->name, (long long)rep->run_id);
			sl_alert_raise(cfg, cat, "sync-failing", src->name, 0, dedup,
				       json_pack("{s:I, s:I}", "failures", (json_int_t)failures, "cooldown_until",
						 (json_int_t)(cool > time(NULL) ? cool : 0)),
				       "sluice: %s has failed %u sync runs in a row%s%s%s; last: %s. Next attempt at %s.",
				       src->name, failures, cool > time(NULL) ? "; its upstream " : "",
				       cool > time(NULL) ? host : "", cool > time(NULL) ? " is cooling down" : "",
				       rep->message ? rep->message : "?", when);
		}
	}
}

int sl_jobs_sync(const struct sl_job_env *d, const struct sl_source *src, pid_t parent)
{
	/* A child must not outlive the daemon (kill -9 of the daemon): it stops cleanly instead. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return CHILD_SKIPPED;   /* the daemon died before the death signal was armed */
	struct sigaction sa = { .sa_handler = child_on_stop };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL); /* the whole run's deadline (timeout =) */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	if (src->timeout_ms > 0)
		alarm((unsigned)((src->timeout_ms + 999) / 1000));
	char path[SL_MAX_PATH], *cause = NULL;
	struct sl_catalog *cat = sl_catalog_open(state_path(d->cfg, "catalog.db", path, sizeof path), 0, &cause);
	struct sl_store *st = cat ? sl_store_open(d->cfg->state_dir, &cause) : NULL;
	if (st == NULL) {
		sl_log_err(src->name, "cannot open state in %s: %s", d->cfg->state_dir, cause ? cause : "?");
		free(cause);
		sl_catalog_free(cat);
		return 1;
	}
	int64_t sid = 0;
	struct sl_sync_report rep;
	/* The scan gate runs in a child of its own after this one (sl_jobs_scan): a long scan holds neither
	 * the source's lock nor a sync slot, and a timeout here never cuts a scan short. */
	struct sl_sync_opts opts = { .stop = &child_stop, .defer_scan = true };
	int rc = sl_sync_run(d->cfg, src, cat, st, &opts, &rep);
	int code = CHILD_SKIPPED;
	if (rc < 0 && rc != -SL_E_LOCKED && rc != -SL_E_INTERRUPTED) {
		sl_log_err(src->name, "sync could not run: %s", sl_strerror(rc));
		rep.outcome = SL_RUN_FAILED;
	}
	if (rc == 0 && rep.outcome == SL_RUN_INTERRUPTED && child_deadline)
		sl_log_err(src->name, "run stopped: it exceeded its timeout of %lld s", (long long)(src->timeout_ms / 1000));
	if ((rc == 0 || rep.outcome == SL_RUN_FAILED) &&
	    sl_catalog_source_ensure(cat, src->name, src->format->name, &sid) == 0) {
		reschedule(d->cfg, cat, src, sid, &rep);
		code = rep.outcome == SL_RUN_OK || rep.outcome == SL_RUN_UNCHANGED ? 0 : 1;
	}
	if (rc == 0 && rep.snap_state == SL_SNAP_PENDING && !rep.scan_queued && !child_stop)
		approve_if_auto(d, src, &rep);
	sl_sync_report_release(&rep);
	sl_store_free(st);
	sl_catalog_free(cat);
	return code;
}

/* The child of a scheduled chain re-check: stops with the daemon, like a sync. */
int sl_jobs_recheck(const struct sl_job_env *d, const struct sl_source *src, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return CHILD_SKIPPED;
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	return sl_chaincheck_run(d->cfg, src);
}

/* The alert deliverer: a child of its own, so a slow receiver never holds up the scheduler. */
int sl_jobs_alerts(const struct sl_job_env *d, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return CHILD_SKIPPED;
	char path[SL_MAX_PATH], *cause = NULL;
	struct sl_catalog *cat = sl_catalog_open(state_path(d->cfg, "catalog.db", path, sizeof path), 0, &cause);
	int rc = cat != NULL ? sl_alert_deliver(d->cfg, cat, NULL, NULL) : -SL_E_CATALOG;
	free(cause);
	sl_catalog_free(cat);
	return rc < 0 ? 1 : 0;
}

struct scan_job {
	const struct sl_job_env *d;
	bool failed;   /* an arrival scan could not record its findings */
};

static void scanned(void *arg, const struct sl_source *src, const struct sl_sync_report *rep, int rc)
{
	struct scan_job *j = arg;
	sl_log_info(src->name, "%s", rep->message ? rep->message : "");
	if (rc < 0)
		j->failed = true;
	else
		approve_if_auto(j->d, src, rep);
}

/* The scan child: every pending snapshot waiting for its scan (verify/findings.h), oldest first, each
 * once per child; the daemon starts another child when syncs queued more meanwhile. SIGTERM (the daemon
 * stopping) ends it at once: the scan it cut short recorded no scan run, so that snapshot waits and is
 * scanned again by the next child (the verdicts already cached are not). */
int sl_jobs_scan(const struct sl_job_env *d, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return CHILD_SKIPPED;
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	char path[SL_MAX_PATH], *cause = NULL;
	struct sl_catalog *cat = sl_catalog_open(state_path(d->cfg, "catalog.db", path, sizeof path), 0, &cause);
	struct sl_store *st = cat ? sl_store_open(d->cfg->state_dir, &cause) : NULL;
	if (st == NULL) {
		sl_log_err(NULL, "scan: cannot open state in %s: %s", d->cfg->state_dir, cause ? cause : "?");
		free(cause);
		sl_catalog_free(cat);
		return 1;
	}
	struct scan_job j = { .d = d };
	int n = sl_sync_scan_queue(d->cfg, cat, st, scanned, &j);
	if (n < 0)
		sl_log_err(NULL, "scan: the queue of snapshots waiting for their scan: %s", sl_strerror(n));
	sl_store_free(st);
	sl_catalog_free(cat);
	return n < 0 || j.failed ? 1 : 0;
}
