/* sluice-syncd: the DMZ daemon. It schedules every source itself (every/jitter/window, persisted in the
 * catalogue), runs each sync in a child process (one source never twice, at most max_parallel_sources at
 * once), and hands snapshots of `approve = auto` sources to the publisher (`sluice auto-approve`), which
 * holds the signing key this daemon never reads. SIGHUP reloads the configuration (a broken one is refused
 * and the old one kept); SIGTERM stops new work, tells children to stop, and exits within seconds. */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store.h"
#include "syncd/sync.h"

#define STOP_GRACE_S 4            /* seconds children get after SIGTERM before SIGKILL */
#define TICK_S 5                  /* seconds between schedule checks when idle */

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
};

struct daemon {
	const char *config_path;
	struct sl_config *cfg;
	struct child *children;     /* one slot per possible parallel run */
	unsigned nchildren, maxchildren;
	bool once;
	unsigned char ran[SL_MAX_SOURCES];  /* --once: sources already started */
	sigset_t orig_mask;         /* restored in children and while waiting */
	char self_dir[PATH_MAX];    /* where sluice-syncd lives: `sluice` is found beside it */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sluice-syncd [-c CONFIG] [-f] [-n] [--once]\n"
		   "  -c CONFIG  configuration file (default $SLUICE_CONFIG, then /etc/sluice/sluice.conf)\n"
		   "  -f         stay in the foreground, log to stderr (for systemd)\n"
		   "  -n         check the configuration and exit\n"
		   "  --once     run every due source once, then exit\n");
}

/* ---- scheduling ----------------------------------------------------------------------------------- */

static bool in_window(const struct sl_source *src, time_t t)
{
	if (src->window_start_min < 0)
		return true;
	struct tm tm;
	localtime_r(&t, &tm);
	int m = tm.tm_hour * 60 + tm.tm_min;
	if (src->window_start_min <= src->window_end_min)
		return m >= src->window_start_min && m < src->window_end_min;
	return m >= src->window_start_min || m < src->window_end_min; /* across midnight */
}

static int64_t jitter_s(const struct sl_source *src)
{
	if (src->jitter_ms <= 0)
		return 0;
	return (int64_t)((uint64_t)random() % (uint64_t)(src->jitter_ms / 1000 + 1));
}

/* Next run after one that ended at `now`: interval plus jitter, moved into the window if there is one. */
static int64_t next_after(const struct sl_source *src, time_t now)
{
	int64_t t = (int64_t)now + src->every_ms / 1000 + jitter_s(src);
	for (int i = 0; i < 48 * 60 && !in_window(src, (time_t)t); i++)
		t += 60;
	return t;
}

static const char *state_path(const struct sl_config *cfg, const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", cfg->state_dir, name);
	return buf;
}

/* ---- one sync, in a child ----------------------------------------------------------------------------- */

static int auto_approve(struct daemon *d, const struct sl_source *src, int64_t snap_id)
{
	char sluice[PATH_MAX + 16], id[32];
	snprintf(sluice, sizeof sluice, "%s/sluice", d->self_dir);
	if (access(sluice, X_OK) != 0)
		snprintf(sluice, sizeof sluice, "sluice");
	snprintf(id, sizeof id, "%lld", (long long)snap_id);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp(sluice, "sluice", "-c", d->config_path, "auto-approve", id, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		sl_log_err(src->name, "auto-approval of snapshot %lld failed (%s auto-approve exited %d)", (long long)snap_id,
			   sluice, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -SL_E_VERIFY;
	}
	return 0;
}

static volatile int child_stop;

static void child_on_stop(int sig)
{
	(void)sig;
	child_stop = 1;
}

static int child_run(struct daemon *d, const struct sl_source *src)
{
	struct sigaction sa = { .sa_handler = child_on_stop };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL); /* the whole run's deadline (timeout =) */
	signal(SIGHUP, SIG_IGN);
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
	struct sl_sync_opts opts = { .stop = &child_stop };
	int rc = sl_sync_run(d->cfg, src, cat, st, &opts, &rep);
	if (sl_catalog_source_ensure(cat, src->name, src->format->name, &sid) == 0)
		sl_catalog_source_set_next_run(cat, sid, next_after(src, time(NULL)));
	if (rc == 0 && rep.snap_state == SL_SNAP_PENDING && src->auto_approve)
		auto_approve(d, src, rep.snap_id);
	int code = rc < 0 ? 1 : (rep.outcome == SL_RUN_OK || rep.outcome == SL_RUN_UNCHANGED) ? 0 : 1;
	sl_sync_report_release(&rep);
	sl_store_free(st);
	sl_catalog_free(cat);
	return code;
}

static bool running(const struct daemon *d, const char *source)
{
	for (unsigned i = 0; i < d->nchildren; i++)
		if (strcmp(d->children[i].source, source) == 0)
			return true;
	return false;
}

static void start(struct daemon *d, const struct sl_source *src)
{
	pid_t pid = fork();
	if (pid < 0) {
		sl_log_err(src->name, "cannot fork a sync: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &d->orig_mask, NULL);
		_exit(child_run(d, src));
	}
	struct child *c = &d->children[d->nchildren++];
	c->pid = pid;
	snprintf(c->source, sizeof c->source, "%s", src->name);
	sl_log_info(src->name, "sync started (pid %d)", (int)pid);
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
			d->children[i] = d->children[--d->nchildren];
			break;
		}
		if (block)
			break;
	}
}

/* Start every due source within the parallelism cap (with --once: every source, once). Returns seconds
 * until the next source is due (capped at TICK_S). */
static int schedule(struct daemon *d, struct sl_catalog *cat)
{
	time_t now = time(NULL);
	int64_t soonest = (int64_t)now + TICK_S;
	for (size_t i = 0; i < d->cfg->nsources && d->nchildren < d->maxchildren; i++) {
		const struct sl_source *src = &d->cfg->sources[i];
		int64_t sid = 0, next = 0;
		if (running(d, src->name) || (d->once && d->ran[i]))
			continue;
		if (sl_catalog_source_ensure(cat, src->name, src->format->name, &sid) < 0 ||
		    sl_catalog_source_next_run(cat, sid, &next) < 0)
			continue;
		if (next == 0 && !d->once) {
			/* Never scheduled: first run soon, spread by jitter so a fleet does not start in step. */
			next = (int64_t)now + jitter_s(src);
			sl_catalog_source_set_next_run(cat, sid, next);
		}
		if (!d->once && next > (int64_t)now) {
			if (next < soonest)
				soonest = next;
			continue;
		}
		if (!d->once && !in_window(src, now)) {
			sl_catalog_source_set_next_run(cat, sid, next_after(src, now) - src->every_ms / 1000);
			continue;
		}
		d->ran[i] = 1;
		start(d, src);
	}
	int64_t wait = soonest - (int64_t)time(NULL);
	return wait < 1 ? 1 : wait > TICK_S ? TICK_S : (int)wait;
}

static bool once_done(const struct daemon *d)
{
	for (size_t i = 0; i < d->cfg->nsources; i++)
		if (!d->ran[i])
			return false;
	return d->nchildren == 0;
}

/* ---- daemon life ---------------------------------------------------------------------------------------- */

static int lock_state(const struct sl_config *cfg)
{
	char dir[SL_MAX_PATH], path[SL_MAX_PATH + 16];
	state_path(cfg, "run", dir, sizeof dir);
	if (sl_fs_mkdirs(dir, 0750) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/syncd.pid", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "";
		ssize_t n = read(fd, pid, sizeof pid - 1);
		pid[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "sluice-syncd: another sluice-syncd (pid %s) already uses %s\n", pid[0] ? pid : "?",
			cfg->state_dir);
		close(fd);
		return -2;
	}
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)n) != n)
		sl_log_warn(NULL, "cannot write %s", path);
	return fd;
}

static int drop_privileges(const char *user)
{
	if (user == NULL || geteuid() != 0)
		return 0;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		sl_log_err(NULL, "[syncd] user %s does not exist", user);
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		sl_log_err(NULL, "cannot drop privileges to %s: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

static void reload(struct daemon *d)
{
	char *cause = NULL;
	struct sl_config *cfg = sl_config_load(d->config_path, &cause);
	if (cfg == NULL) {
		sl_log_err(NULL, "SIGHUP: new configuration refused, keeping the old one: %s", cause ? cause : "?");
		free(cause);
		return;
	}
	if (strcmp(cfg->state_dir, d->cfg->state_dir) != 0) {
		sl_log_err(NULL, "SIGHUP: state_dir cannot change while running (%s -> %s); keeping the old configuration",
			   d->cfg->state_dir, cfg->state_dir);
		sl_config_free(cfg);
		return;
	}
	/* Children hold pointers into the old config only in their own copy of memory: safe to swap. */
	sl_config_free(d->cfg);
	d->cfg = cfg;
	sl_log_info(NULL, "configuration reloaded from %s (%zu source(s))", d->config_path, cfg->nsources);
}

static void stop_children(struct daemon *d)
{
	for (unsigned i = 0; i < d->nchildren; i++)
		kill(d->children[i].pid, SIGTERM);
	time_t deadline = time(NULL) + STOP_GRACE_S;
	while (d->nchildren > 0 && time(NULL) < deadline) {
		reap(d, false);
		usleep(50 * 1000);
	}
	for (unsigned i = 0; i < d->nchildren; i++) {
		sl_log_warn(d->children[i].source, "sync did not stop in %d s: killed", STOP_GRACE_S);
		kill(d->children[i].pid, SIGKILL);
	}
	while (d->nchildren > 0)
		reap(d, true);
}

int main(int argc, char **argv)
{
	struct daemon d = { 0 };
	d.config_path = getenv("SLUICE_CONFIG");
	if (d.config_path == NULL || *d.config_path == '\0')
		d.config_path = "/etc/sluice/sluice.conf";
	bool foreground = false, check = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			d.config_path = argv[++i];
		else if (strcmp(argv[i], "-f") == 0)
			foreground = true;
		else if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--check-config") == 0)
			check = true;
		else if (strcmp(argv[i], "--once") == 0)
			d.once = foreground = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
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
	if (sl_fs_mkdirs(d.cfg->state_dir, 0750) < 0) {
		fprintf(stderr, "sluice-syncd: cannot create %s\n", d.cfg->state_dir);
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
	if (drop_privileges(d.cfg->user) < 0)
		return 1;
	srandom((unsigned)(time(NULL) ^ getpid()));

	/* Signals are blocked except inside sigsuspend(): none can slip in between a check and the wait. */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &d.orig_mask);
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_wake;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);

	char path[SL_MAX_PATH];
	struct sl_catalog *cat = sl_catalog_open(state_path(d.cfg, "catalog.db", path, sizeof path), 0, &cause);
	if (cat == NULL) {
		sl_log_err(NULL, "catalogue %s: %s", path, cause ? cause : "?");
		free(cause);
		return 1;
	}
	int recovered = 0;
	sl_catalog_recover_interrupted(cat, &recovered);
	if (recovered > 0)
		sl_log_warn(NULL, "%d sync run(s) were interrupted (crash or kill); marked, will resume", recovered);
	d.maxchildren = d.cfg->max_parallel_sources ? d.cfg->max_parallel_sources : 1;
	d.children = calloc(SL_MAX_SOURCES, sizeof *d.children);
	if (d.children == NULL)
		return 1;
	sl_log_info(NULL, "started with %zu source(s), state in %s", d.cfg->nsources, d.cfg->state_dir);

	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			reload(&d);
			d.maxchildren = d.cfg->max_parallel_sources ? d.cfg->max_parallel_sources : 1;
		}
		reap(&d, false);
		int wait = schedule(&d, cat);
		if (d.once && once_done(&d))
			break;
		alarm((unsigned)wait);
		sigsuspend(&d.orig_mask);
		alarm(0);
	}
	if (got_term)
		sl_log_info(NULL, "stopping: %u sync(s) in progress asked to stop", d.nchildren);
	stop_children(&d);
	sl_catalog_free(cat);
	sl_config_free(d.cfg);
	free(d.children);
	close(lock);
	sl_log_close();
	return 0;
}
