/* sluice-served: the internal read-only mirror. Loads the config, binds, drops privileges, serves until
 * SIGTERM/SIGINT; SIGHUP reopens the access log. See served/server.h. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "served/server.h"

#define SL_SERVED_DRAIN_MS 10000   /* ms in-flight requests get after SIGTERM before connections are cut */

static volatile sig_atomic_t got_stop, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sluice-served -c CONFIG [-n] [-f]\n"
		   "  -c CONFIG  configuration file\n"
		   "  -n         check the configuration and exit (0: valid, 1: invalid)\n"
		   "  -f         stay in the foreground and log to stderr (default: syslog)\n"
		   "  --help     this text\n"
		   "  --version  print the version and exit\n");
}

/* Log to syslog when not in the foreground: a start-up failure also goes to the terminal that started
 * the daemon, or `sluice-served -c ...` run by hand would exit 1 without a word. */
static bool log_is_stderr;

static void startup_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void startup_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sl_log_err(NULL, "%s", msg);
	if (!log_is_stderr)
		fprintf(stderr, "sluice-served: %s\n", msg);
}

#define ROOT_REFUSAL "refusing to serve as root: set [served] user (or start as an unprivileged user)"

/* Root only long enough to bind and read the TLS key; never serves as root. */
static int drop_privileges(const char *user)
{
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		startup_error("[served] user %s: %s", user, errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (pw->pw_uid == 0) {
		startup_error("[served] user %s is root; refusing", user);
		return -1;
	}
	/* initgroups: membership in the state directory's group is how the served user reads the tree. */
	gid_t gid = pw->pw_gid;
	if (initgroups(pw->pw_name, gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		startup_error("dropping privileges to %s: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		startup_error("dropping privileges to %s: root could be regained", user);
		return -1;
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	const char *config_path = NULL;
	bool check_only = false, foreground = false;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "check-config", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "c:nfh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'n': check_only = true; break;
		case 'f': foreground = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sluice-served %s\n", SLUICE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (config_path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	log_is_stderr = foreground || check_only;
	sl_log_open("sluice-served", log_is_stderr, SL_LOG_INFO);
	char *cause = NULL;
	struct sl_config *cfg = sl_config_load(config_path, &cause);
	if (cfg == NULL) {
		fprintf(stderr, "sluice-served: %s\n", cause != NULL ? cause : "cannot load the configuration");
		free(cause);
		return 1;
	}
	if (check_only) {
		/* The start would refuse this; so does the check. */
		if (geteuid() == 0 && cfg->served_user == NULL) {
			fprintf(stderr, "sluice-served: %s: %s\n", config_path, ROOT_REFUSAL);
			sl_config_free(cfg);
			return 1;
		}
		printf("%s: ok\n", config_path);
		sl_config_free(cfg);
		return 0;
	}
	enum sl_log_level level = SL_LOG_INFO;
	if (cfg->log_level != NULL && sl_log_parse_level(cfg->log_level, &level) < 0)
		level = SL_LOG_INFO;
	sl_log_set_level(level);

	if (geteuid() == 0 && cfg->served_user == NULL) {
		startup_error("%s", ROOT_REFUSAL);
		sl_config_free(cfg);
		return 1;
	}
	/* Handlers only set flags; the signals stay blocked except inside sigsuspend(), and the worker
	 * threads (created later) inherit the block, so no signal lands in them. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);   /* a client hanging up mid-sendfile must not kill the server */

	struct sl_served *srv = sl_served_new(cfg, &cause);
	if (srv == NULL) {
		startup_error("%s", cause != NULL ? cause : "cannot start");
		free(cause);
		sl_config_free(cfg);
		return 1;
	}
	bool as_root = geteuid() == 0;
	if (as_root && drop_privileges(cfg->served_user) < 0) {
		sl_served_free(srv);
		sl_config_free(cfg);
		return 1;
	}
	if (!as_root && cfg->served_user != NULL)
		sl_log_debug(NULL, "[served] user %s ignored: not started as root", cfg->served_user);
	if (sl_served_start(srv, &cause) < 0) {
		startup_error("%s", cause != NULL ? cause : "cannot start");
		free(cause);
		sl_served_free(srv);
		sl_config_free(cfg);
		return 1;
	}
	printf("serving on %s\n", sl_served_url(srv));
	fflush(stdout);
	sl_log_info(NULL, "serving on %s", sl_served_url(srv));

	sigset_t wait_mask = old;
	sigdelset(&wait_mask, SIGHUP);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
	while (!got_stop) {
		sigsuspend(&wait_mask);
		if (got_hup) {
			got_hup = 0;
			if (sl_served_reopen_log(srv) == 0)
				sl_log_info(NULL, "SIGHUP: access log reopened");
		}
	}
	sl_log_info(NULL, "stopping: no new connections, draining requests in flight");
	sl_served_quiesce(srv);
	for (long waited = 0; sl_served_in_flight(srv) > 0 && waited < SL_SERVED_DRAIN_MS; waited += 50)
		sleep_ms(50);
	if (sl_served_in_flight(srv) > 0)
		sl_log_warn(NULL, "stopping with %lld requests still in flight", (long long)sl_served_in_flight(srv));
	sl_served_free(srv);
	sl_config_free(cfg);
	sl_log_close();
	return 0;
}
