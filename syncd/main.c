/* sluice-syncd: the DMZ daemon. It schedules every source itself (every/jitter/window, next run persisted
 * in the catalogue; the arithmetic is syncd/schedule.c), runs each sync in a child process (one source
 * never twice, one upstream host at a time, at most max_parallel_sources at once: see the locks in
 * sync.c; what a child does is syncd/jobs.c), kills a run that outlives its `timeout`, and hands
 * snapshots of `approve = auto` sources to `sluice auto-approve`, which holds the signing key this daemon
 * never reads. SIGHUP reloads the configuration (a broken one is refused and the old one kept); SIGTERM
 * stops new work, tells children to stop, and exits within 5 s. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
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
#include "core/url.h"
#include "syncd/chaincheck.h"
#include "syncd/fetch.h"
#include "syncd/jobs.h"
#include "syncd/schedule.h"
#include "syncd/sync.h"
#include "verify/findings.h"

#define STOP_GRACE_S 4            /* s children get after SIGTERM before SIGKILL: the whole stop stays < 5 s */
#define DEADLINE_GRACE_S 30       /* s past `timeout` before a run that ignored its alarm is killed */
#define TICK_S 5                  /* s between schedule checks when idle (also how soon SIGHUP'd sources start) */
#define ALERT_CHILD "(alerts)"       /* the deliverer's slot name: no source name has parentheses */
#define SCAN_CHILD "(scan)"          /* the arrival scanner's slot name */
#define SCAN_POLL_S 60            /* s between looks for snapshots queued by others (`sluice sync --queue-scan`) */

static volatile sig_atomic_t got_term, got_hup;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

static void on_wake(int sig)
{
	(void)sig; /* SIGALRM, SIGCHLD: only interrupt sigsuspend() */
}

struct child {
	pid_t pid;
	char source[SL_MAX_NAME + 1];
	char host[256];             /* the source's upstream host: no second child talks to it meanwhile */
	time_t kill_at;             /* 0: no deadline; else SIGKILL when still running then */
	bool killed;
};

struct daemon {
	const char *config_path;
	struct sl_config *cfg;
	struct child *children;     /* SL_MAX_SOURCES + 1 slots (the scanner is beyond the cap), nchildren used */
	unsigned nchildren, maxchildren;
	bool once, recovered;
	bool scan_wanted;           /* a sync ended (or a poll is due): look for snapshots waiting for their scan */
	time_t scan_polled;
	char ran[SL_MAX_SOURCES][SL_MAX_NAME + 1]; /* --once: sources already started, by name */
	unsigned nran;
	sigset_t orig_mask;         /* restored in children and while waiting */
	char self_dir[PATH_MAX];    /* where sluice-syncd lives: `sluice` is looked for near it */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sluice-syncd [-c CONFIG] [-f] [-n] [--once]\n"
		   "  -c CONFIG  configuration file (default $SLUICE_CONFIG, then /etc/sluice/sluice.conf)\n"
		   "  -f         stay in the foreground, log to stderr (systemd: Type=notify)\n"
		   "  -n         check the configuration and exit\n"
		   "  --once     run every source once now (due or not), then exit\n");
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET ("@name" is an abstract socket). */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (path == NULL || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		sl_log_debug(NULL, "sd_notify %s: %s", msg, strerror(errno));
	close(fd);
}

static const char *state_path(const struct sl_config *cfg, const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", cfg->state_dir, name);
	return buf;
}

/* ---- children ---------------------------------------------------------------------------------------- */

/* What a child's job (syncd/jobs.h) needs of the daemon, as of the fork. */
static struct sl_job_env job_env(const struct daemon *d)
{
	return (struct sl_job_env){ .cfg = d->cfg, .config_path = d->config_path, .self_dir = d->self_dir };
}

static bool running(const struct daemon *d, const char *source, const char *host)
{
	for (unsigned i = 0; i < d->nchildren; i++)
		if (strcmp(d->children[i].source, source) == 0 || (host[0] && strcmp(d->children[i].host, host) == 0))
			return true;
	return false;
}

/* The alert deliverer: a child of its own, so a slow receiver never holds up the scheduler. */
static void start_alerts(struct daemon *d)
{
	pid_t parent = getpid(), pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		struct sl_job_env env = job_env(d);
		sigprocmask(SIG_SETMASK, &d->orig_mask, NULL);
		_exit(sl_jobs_alerts(&env, parent));
	}
	struct child *c = &d->children[d->nchildren++];
	memset(c, 0, sizeof *c);
	c->pid = pid;
	snprintf(c->source, sizeof c->source, "%s", ALERT_CHILD);
}

/* Children that count against max_parallel_sources: all but the arrival scanner, which must not keep a
 * sync from starting while it works through a large snapshot. */
static unsigned busy(const struct daemon *d)
{
	unsigned n = d->nchildren;
	for (unsigned i = 0; i < d->nchildren; i++)
		if (strcmp(d->children[i].source, SCAN_CHILD) == 0)
			n--;
	return n;
}

/* The arrival scanner: a child of its own, after the syncs, so a scan holds no source lock or sync slot. */
static void start_scan(struct daemon *d)
{
	pid_t parent = getpid(), pid = fork();
	if (pid < 0) {
		sl_log_err(NULL, "cannot fork the scanner: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		struct sl_job_env env = job_env(d);
		sigprocmask(SIG_SETMASK, &d->orig_mask, NULL);
		_exit(sl_jobs_scan(&env, parent));
	}
	struct child *c = &d->children[d->nchildren++];
	memset(c, 0, sizeof *c);
	c->pid = pid;
	snprintf(c->source, sizeof c->source, "%s", SCAN_CHILD);
}

static void start(struct daemon *d, const struct sl_source *src, const char *host, bool recheck)
{
	pid_t parent = getpid(), pid = fork();
	if (pid < 0) {
		sl_log_err(src->name, "cannot fork a sync: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		struct sl_job_env env = job_env(d);
		sigprocmask(SIG_SETMASK, &d->orig_mask, NULL);
		_exit(recheck ? sl_jobs_recheck(&env, src, parent) : sl_jobs_sync(&env, src, parent));
	}
	struct child *c = &d->children[d->nchildren++];
	memset(c, 0, sizeof *c);
	c->pid = pid;
	snprintf(c->source, sizeof c->source, "%s", src->name);
	snprintf(c->host, sizeof c->host, "%s", host);
	if (src->timeout_ms > 0)
		c->kill_at = time(NULL) + (time_t)((src->timeout_ms + 999) / 1000) + DEADLINE_GRACE_S;
	sl_log_info(src->name, "%s started (pid %d)", recheck ? "chain re-check" : "sync", (int)pid);
}

static void reap(struct daemon *d, bool block)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, block ? 0 : WNOHANG)) > 0) {
		for (unsigned i = 0; i < d->nchildren; i++) {
			if (d->children[i].pid != pid)
				continue;
			if (WIFSIGNALED(status))
				sl_log_err(d->children[i].source, "sync process killed by signal %d", WTERMSIG(status));
			if (d->children[i].source[0] != '(')
				d->scan_wanted = true;   /* a sync (or re-check) ended: it may have queued a scan */
			d->children[i] = d->children[--d->nchildren];
			break;
		}
		if (block)
			break;
	}
}

/* A run that ignores its alarm (stuck in a syscall, a bug) is killed; its run row stays 'running' until
 * the next start of the daemon marks it interrupted, and the source is retried at its next slot. */
static void enforce_deadlines(struct daemon *d)
{
	time_t now = time(NULL);
	for (unsigned i = 0; i < d->nchildren; i++) {
		struct child *c = &d->children[i];
		if (c->kill_at == 0 || now < c->kill_at || c->killed)
			continue;
		sl_log_err(c->source, "sync did not stop %d s after its timeout: killed", DEADLINE_GRACE_S);
		kill(c->pid, SIGKILL);
		c->killed = true;
	}
}

static bool ran_once(const struct daemon *d, const char *name)
{
	for (unsigned i = 0; i < d->nran; i++)
		if (strcmp(d->ran[i], name) == 0)
			return true;
	return false;
}

/* Whether the source may start now; otherwise *wake is lowered to when it might. */
static bool due(struct daemon *d, struct sl_catalog *cat, const struct sl_source *src, const char *host,
		time_t now, int64_t *wake)
{
	int64_t sid = 0, next = 0, cool = 0;
	if (sl_catalog_source_ensure(cat, src->name, src->format->name, &sid) < 0 ||
	    sl_catalog_source_next_run(cat, sid, &next) < 0)
		return false;
	if (d->once)
		return true;
	if (next == 0) {
		/* Never scheduled: first run soon, spread by jitter so a fleet does not start in step. */
		next = sl_schedule_fit_window(src, (int64_t)now + sl_schedule_jitter(src->jitter_ms / 1000));
		sl_catalog_source_set_next_run(cat, sid, next);
	}
	/* A host cooling down (Retry-After, 403 ban) is not contacted before it ends, restart or not. */
	if (host[0] && sl_catalog_cooldown_get(cat, host, &cool, NULL) == 0 && cool > next) {
		next = sl_schedule_fit_window(src, cool + 1 + sl_schedule_jitter(src->jitter_ms / 1000));
		sl_catalog_source_set_next_run(cat, sid, next);
		sl_log_info(src->name, "%s is cooling down: next run moved after it", host);
	}
	if (next > (int64_t)now) {
		if (next < *wake)
			*wake = next;
		return false;
	}
	if (!sl_schedule_in_window(src, now)) {
		/* Due outside its window (the daemon was down, or the window changed): wait for the window. */
		sl_catalog_source_set_next_run(cat, sid, sl_schedule_fit_window(src, (int64_t)now));
		return false;
	}
	return true;
}

/* A pending snapshot waiting longer than its source's approve_within: one alert per snapshot. */
struct overdue_arg {
	struct daemon *d;
	struct sl_catalog *cat;
	const struct sl_source *src;
	time_t now;
};

static int overdue_cb(void *arg, const struct sl_snapshot_info *s)
{
	struct overdue_arg *o = arg;
	if ((o->now - s->state_changed_at) * 1000 <= o->src->approve_within_ms)
		return 0;
	char dedup[64];
	snprintf(dedup, sizeof dedup, "overdue:%lld", (long long)s->id);
	sl_alert_raise(o->d->cfg, o->cat, "approval-overdue", o->src->name, s->id, dedup, NULL,
		       "sluice: snapshot %lld of %s has waited for approval longer than approve_within; review it with "
		       "sluice diff %lld and decide (sluice approve / reject).",
		       (long long)s->id, o->src->name, (long long)s->id);
	return 0;
}

static void overdue_alerts(struct daemon *d, struct sl_catalog *cat, time_t now)
{
	if (d->cfg->alert_webhook == NULL && d->cfg->alert_smtp == NULL)
		return;
	for (size_t i = 0; i < d->cfg->nsources; i++) {
		const struct sl_source *src = &d->cfg->sources[i];
		int64_t sid = 0;
		if (src->approve_within_ms <= 0 || sl_catalog_source_id(cat, src->name, &sid) < 0)
			continue;
		struct overdue_arg o = { d, cat, src, now };
		sl_catalog_snapshots(cat, sid, SL_SNAP_PENDING, overdue_cb, &o);
	}
}

/* Start every due source within the parallelism cap (with --once: every source, once). Returns seconds
 * until the next check (capped at TICK_S). */
static int schedule(struct daemon *d, struct sl_catalog *cat)
{
	time_t now = time(NULL);
	int64_t wake = (int64_t)now + TICK_S;
	for (size_t i = 0; i < d->cfg->nsources && busy(d) < d->maxchildren; i++) {
		const struct sl_source *src = &d->cfg->sources[i];
		if (src->from_bundle) {   /* fed only by `sluice import`: never fetched, no outbound request */
			if (d->once && !ran_once(d, src->name))
				snprintf(d->ran[d->nran++], sizeof d->ran[0], "%s", src->name);
			continue;
		}
		char host[256];
		sl_url_source_host(src, host, sizeof host);
		if (running(d, src->name, host) || (d->once && ran_once(d, src->name)))
			continue;
		if (!due(d, cat, src, host, now, &wake))
			continue;
		if (d->once)
			snprintf(d->ran[d->nran++], sizeof d->ran[0], "%s", src->name);
		start(d, src, host, false);
	}
	overdue_alerts(d, cat, now);
	/* Snapshots waiting for their scan: one scanner child at a time (it uses every CPU). */
	if (!d->once && now - d->scan_polled >= SCAN_POLL_S)
		d->scan_wanted = true;
	if (d->scan_wanted && d->cfg->scan_source != NULL && d->nchildren <= SL_MAX_SOURCES &&
	    !running(d, SCAN_CHILD, "")) {
		const struct sl_source *src = NULL;
		int64_t snap = 0;
		d->scan_wanted = false;
		d->scan_polled = now;
		if (sl_findings_next_queued(d->cfg, cat, 0, &src, &snap) > 0)
			start_scan(d);
	}
	if ((d->cfg->alert_webhook != NULL || d->cfg->alert_smtp != NULL) && !d->once &&
	    busy(d) < d->maxchildren && !running(d, ALERT_CHILD, ""))
		start_alerts(d);
	/* The offline integrity audit, when a source is idle: never beside its own sync (same child slot). */
	for (size_t i = 0; !d->once && i < d->cfg->nsources && busy(d) < d->maxchildren; i++) {
		const struct sl_source *src = &d->cfg->sources[i];
		if (!running(d, src->name, "") && sl_chaincheck_due(d->cfg, cat, src, now, &wake))
			start(d, src, "", true);
	}
	int64_t wait = wake - (int64_t)time(NULL);
	return wait < 1 ? 1 : wait > TICK_S ? TICK_S : (int)wait;
}

static bool once_done(const struct daemon *d)
{
	for (size_t i = 0; i < d->cfg->nsources; i++)
		if (!ran_once(d, d->cfg->sources[i].name))
			return false;
	/* The scans of what the syncs queued are part of the run. */
	return d->nchildren == 0 && !(d->scan_wanted && d->cfg->scan_source != NULL);
}

/* Runs left 'running' by a crash are marked interrupted — but only while no process holds any source's
 * lock: a `sluice sync` started by an admin before this daemon is alive and its run must not be touched.
 * Until then it is retried whenever none of our own syncs runs (they hold locks too; the scanner holds
 * none); scheduling goes on meanwhile, the stale rows only show as 'running'. */
static void recover(struct daemon *d, struct sl_catalog *cat)
{
	static bool told;
	int locks[SL_MAX_SOURCES];
	size_t n = 0;
	bool free_all = true;
	for (; n < d->cfg->nsources; n++) {
		locks[n] = sl_sync_lock(d->cfg, d->cfg->sources[n].name);
		if (locks[n] < 0) {
			if (locks[n] != -SL_E_LOCKED && !told)
				sl_log_err(d->cfg->sources[n].name, "cannot take the source's lock in %s/run: %s",
					   d->cfg->state_dir, sl_strerror(locks[n]));
			free_all = false;
			break;
		}
	}
	int count = 0;
	if (free_all && sl_catalog_recover_interrupted(cat, &count) == 0) {
		d->recovered = true;
		if (count > 0)
			sl_log_warn(NULL, "%d sync run(s) were interrupted (crash or kill): recorded as interrupted; "
				    "their sources run again now and resume partial downloads", count);
	}
	while (n > 0)
		sl_sync_unlock(locks[--n]);
	if (!d->recovered && !told)
		sl_log_info(NULL, "a sync started elsewhere is running: crash recovery waits until it ends");
	told = !d->recovered;
}

/* ---- daemon life ---------------------------------------------------------------------------------------- */

static int lock_state(const struct sl_config *cfg)
{
	char dir[SL_MAX_PATH], path[SL_MAX_PATH + 16];
	state_path(cfg, "run", dir, sizeof dir);
	if (sl_fs_mkdirs(dir, 0770) < 0) {
		fprintf(stderr, "sluice-syncd: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/syncd.pid", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		fprintf(stderr, "sluice-syncd: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "";
		ssize_t n = read(fd, pid, sizeof pid - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		sl_log_err(NULL, "another sluice-syncd (pid %s) already uses %s: refusing to start", pid[0] ? pid : "?",
			   cfg->state_dir);
		close(fd);
		return -2;
	}
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		sl_log_warn(NULL, "cannot write %s", path);
	return fd;
}

/* Started as root: become [syncd] user (with its groups: the state directory's group gives write access)
 * before anything is created, so every file of the state directory is the unprivileged user's. */
static int drop_privileges(const char *user)
{
	if (geteuid() != 0)
		return 0;
	if (user == NULL) {
		fprintf(stderr, "sluice-syncd: warning: running as root; set [syncd] user to an unprivileged user\n");
		return 0;
	}
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		fprintf(stderr, "sluice-syncd: [syncd] user %s does not exist\n", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		fprintf(stderr, "sluice-syncd: cannot drop privileges to %s: %s\n", user, strerror(errno));
		return -1;
	}
	if (setresuid(0, 0, 0) == 0) {
		fprintf(stderr, "sluice-syncd: privileges could be regained after dropping them: refusing to run\n");
		return -1;
	}
	return 0;
}

static void reload(struct daemon *d)
{
	char *cause = NULL;
	notify("RELOADING=1");
	struct sl_config *cfg = sl_config_load(d->config_path, &cause);
	if (cfg == NULL) {
		sl_log_err(NULL, "SIGHUP: new configuration refused, keeping the old one: %s", cause ? cause : "?");
		free(cause);
	} else if (strcmp(cfg->state_dir, d->cfg->state_dir) != 0) {
		sl_log_err(NULL, "SIGHUP: state_dir cannot change while running (%s -> %s); keeping the old configuration",
			   d->cfg->state_dir, cfg->state_dir);
		sl_config_free(cfg);
	} else {
		/* Children run on their own copy of the old configuration (fork): swapping ours is safe. */
		sl_config_free(d->cfg);
		d->cfg = cfg;
		d->maxchildren = cfg->max_parallel_sources ? cfg->max_parallel_sources : 1;
		enum sl_log_level lvl = SL_LOG_INFO;
		if (cfg->log_level != NULL && sl_log_parse_level(cfg->log_level, &lvl) == 0)
			sl_log_set_level(lvl);
		sl_log_info(NULL, "configuration reloaded from %s (%zu source(s))", d->config_path, cfg->nsources);
	}
	notify("READY=1");
}

static void stop_children(struct daemon *d)
{
	for (unsigned i = 0; i < d->nchildren; i++)
		kill(d->children[i].pid, SIGTERM);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (d->nchildren > 0) {
		reap(d, false);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= STOP_GRACE_S)
			break;
		usleep(20 * 1000);
	}
	for (unsigned i = 0; i < d->nchildren; i++) {
		sl_log_warn(d->children[i].source, "sync did not stop in %d s: killed", STOP_GRACE_S);
		kill(d->children[i].pid, SIGKILL);
	}
	while (d->nchildren > 0)
		reap(d, true);
}

/* The key home is the admin's; warn loudly when this daemon's user could read it. */
static void check_key_isolation(const struct sl_config *cfg)
{
	if (cfg->gnupg_home != NULL && access(cfg->gnupg_home, R_OK | X_OK) == 0)
		sl_log_warn(NULL, "the signing key home %s is readable by sluice-syncd (uid %d): run it as a user that "
			    "cannot read it (see sluice-syncd.service)", cfg->gnupg_home, (int)getuid());
}

static void setup_signals(struct daemon *d)
{
	/* Signals are blocked except inside sigsuspend(): none can slip in between a check and the wait. */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &d->orig_mask);
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_wake;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
}

static int parse_args(struct daemon *d, int argc, char **argv, bool *foreground, bool *check)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			d->config_path = argv[++i];
		else if (strcmp(argv[i], "-f") == 0)
			*foreground = true;
		else if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--check-config") == 0)
			*check = true;
		else if (strcmp(argv[i], "--once") == 0)
			d->once = *foreground = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct daemon d = { 0 };
	d.config_path = getenv("SLUICE_CONFIG");
	if (d.config_path == NULL || *d.config_path == '\0')
		d.config_path = "/etc/sluice/sluice.conf";
	bool foreground = false, check = false;
	int code = parse_args(&d, argc, argv, &foreground, &check);
	if (code >= 0)
		return code;
	char *cause = NULL;
	d.cfg = sl_config_load(d.config_path, &cause);
	if (d.cfg == NULL) {
		fprintf(stderr, "%s\n", cause ? cause : "sluice-syncd: invalid configuration");
		free(cause);
		return 1;
	}
	if (check) {
		printf("%s: configuration ok (%zu source(s))\n", d.config_path, d.cfg->nsources);
		sl_config_free(d.cfg);
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", d.self_dir, sizeof d.self_dir - 1);
	d.self_dir[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(d.self_dir, '/');
	if (slash != NULL)
		*slash = '\0';
	enum sl_log_level lvl = SL_LOG_INFO;
	if (d.cfg->log_level != NULL)
		sl_log_parse_level(d.cfg->log_level, &lvl);
	if (drop_privileges(d.cfg->user) < 0)
		return 1;
	if (sl_fs_mkdirs(d.cfg->state_dir, 0770) < 0) {
		fprintf(stderr, "sluice-syncd: cannot create %s: %s\n", d.cfg->state_dir, strerror(errno));
		return 1;
	}
	if (!foreground && daemon(0, 0) != 0) {
		perror("sluice-syncd: daemon");
		return 1;
	}
	sl_log_open("sluice-syncd", foreground, lvl);
	int lock = lock_state(d.cfg);
	if (lock < 0)
		return 1;
	srandom((unsigned)(time(NULL) ^ getpid()));
	setup_signals(&d);

	char path[SL_MAX_PATH];
	struct sl_catalog *cat = sl_catalog_open(state_path(d.cfg, "catalog.db", path, sizeof path), 0, &cause);
	if (cat == NULL) {
		sl_log_err(NULL, "catalogue %s: %s", path, cause ? cause : "?");
		free(cause);
		return 1;
	}
	check_key_isolation(d.cfg);
	d.maxchildren = d.cfg->max_parallel_sources ? d.cfg->max_parallel_sources : 1;
	d.children = calloc(SL_MAX_SOURCES + 1, sizeof *d.children);
	d.scan_wanted = true;   /* snapshots a stopped daemon left waiting for their scan */
	if (d.children == NULL)
		return 1;
	sl_log_info(NULL, "started with %zu source(s), state in %s", d.cfg->nsources, d.cfg->state_dir);
	notify("READY=1");

	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			reload(&d);
		}
		reap(&d, false);
		enforce_deadlines(&d);
		if (!d.recovered && busy(&d) == 0)
			recover(&d, cat);
		int wait = schedule(&d, cat);
		if (d.once && once_done(&d))
			break;
		alarm((unsigned)wait);
		sigsuspend(&d.orig_mask);
		alarm(0);
	}
	notify("STOPPING=1");
	if (got_term)
		sl_log_info(NULL, "stopping: %u sync(s) in progress asked to stop", d.nchildren);
	stop_children(&d);
	sl_catalog_free(cat);
	sl_config_free(d.cfg);
	free(d.children);
	close(lock);
	sl_log_info(NULL, "stopped");
	sl_log_close();
	return 0;
}
