/* scan: the scanner child and its protocol (see scan.h). The parent writes one path per line; the child
 * answers each with finding lines (scan_walk.c) and "E\n". At start the child answers "R\tVERSION\tSIGS\n"
 * once the engine is loaded, or "X\tERROR\n". */
#include "verify/scan.h"

#include <clamav.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"

#define SCAN_LINE_MAX (2 * SL_MAX_REL_PATH + 1024)   /* bytes of one protocol line */

struct sl_scanner {
	pid_t pid;
	FILE *to, *from;
	char engine[64];
	unsigned sigs;
	bool dead;
};

/* The child may not create sockets: a scanner that was taken over through a hostile file still cannot
 * reach the network. Other syscalls stay (libclamav's needs vary by version). */
static void no_sockets(void)
{
#if defined(__x86_64__)
#define SL_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif
#ifdef SL_AUDIT_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SL_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		_exit(4);   /* refuse to scan unconfined */
#else
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(4);
#endif
}

static void child_main(int in, int out, const char *db_dir, const struct sl_scan_limits *lim)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	char *cause = NULL;
	unsigned sigs = 0;
	struct sl_scan_engine *e = sl_scan_engine_load(db_dir, lim, &sigs, &cause);
	char line[SCAN_LINE_MAX];
	int n;
	if (e == NULL) {
		n = snprintf(line, sizeof line, "X\t%s\n", cause ? cause : "engine failed to load");
		if (write(out, line, (size_t)n) < 0)
			_exit(2);
		_exit(1);
	}
	no_sockets();
	n = snprintf(line, sizeof line, "R\t%s\t%u\n", cl_retver(), sigs);
	if (write(out, line, (size_t)n) != n)
		_exit(2);
	FILE *req = fdopen(in, "r");
	while (req != NULL && fgets(line, sizeof line, req) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		int fd = open(line, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			n = snprintf(line, sizeof line, "F\tscan-error\t-\tcannot open: %s\n", strerror(errno));
			if (write(out, line, (size_t)n) != n)
				_exit(2);
		} else {
			sl_scan_engine_scan(e, fd, out);
			close(fd);
		}
		if (write(out, "E\n", 2) != 2)
			_exit(2);
	}
	sl_scan_engine_free(e);
	_exit(0);
}

struct sl_scanner *sl_scanner_start(const char *db_dir, const struct sl_scan_limits *lim, char **cause)
{
	int p2c[2], c2p[2];
	if (pipe2(p2c, O_CLOEXEC) != 0) {
		sl_cause(cause, -errno, "scanner: pipe: %s", strerror(errno));
		return NULL;
	}
	if (pipe2(c2p, O_CLOEXEC) != 0) {
		sl_cause(cause, -errno, "scanner: pipe: %s", strerror(errno));
		close(p2c[0]);
		close(p2c[1]);
		return NULL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		sl_cause(cause, -errno, "scanner: fork: %s", strerror(errno));
		close(p2c[0]);
		close(p2c[1]);
		close(c2p[0]);
		close(c2p[1]);
		return NULL;
	}
	if (pid == 0) {
		close(p2c[1]);
		close(c2p[0]);
		child_main(p2c[0], c2p[1], db_dir, lim);
	}
	close(p2c[0]);
	close(c2p[1]);
	struct sl_scanner *s = calloc(1, sizeof *s);
	if (s != NULL) {
		s->pid = pid;
		s->to = fdopen(p2c[1], "w");
		s->from = fdopen(c2p[0], "r");
	}
	char line[SCAN_LINE_MAX];
	if (s == NULL || s->to == NULL || s->from == NULL || fgets(line, sizeof line, s->from) == NULL) {
		sl_cause(cause, -SL_E_VERIFY, "scanner: the engine process ended before it was ready");
		goto fail;
	}
	line[strcspn(line, "\n")] = '\0';
	if (line[0] == 'X') {
		sl_cause(cause, -SL_E_VERIFY, "%s", line + 2);
		goto fail;
	}
	char *tab = strchr(line + 2, '\t');
	if (line[0] != 'R' || tab == NULL) {
		sl_cause(cause, -SL_E_VERIFY, "scanner: unexpected answer");
		goto fail;
	}
	*tab = '\0';
	snprintf(s->engine, sizeof s->engine, "%.63s", line + 2);
	s->sigs = (unsigned)strtoul(tab + 1, NULL, 10);
	return s;
fail:
	if (s == NULL) {
		close(p2c[1]);
		close(c2p[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	sl_scanner_stop(s);
	return NULL;
}

const char *sl_scanner_engine(const struct sl_scanner *s)
{
	return s->engine;
}

unsigned sl_scanner_signatures(const struct sl_scanner *s)
{
	return s->sigs;
}

/* Undo scan_walk.c's %XX escaping in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		unsigned v;
		if (s[0] == '%' && sscanf(s + 1, "%2x", &v) == 1 && s[1] && s[2]) {
			*o++ = (char)v;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

int sl_scanner_scan(struct sl_scanner *s, const char *path,
		    void (*cb)(void *arg, const char *kind, const char *member, const char *detail), void *arg)
{
	if (s->dead)
		return -SL_E_VERIFY;
	if (fprintf(s->to, "%s\n", path) < 0 || fflush(s->to) != 0) {
		s->dead = true;
		return -SL_E_VERIFY;
	}
	char line[SCAN_LINE_MAX];
	while (fgets(line, sizeof line, s->from) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "E") == 0)
			return 0;
		char *f[4], *p = line;
		for (int i = 0; i < 4; i++)
			f[i] = strsep(&p, "\t");
		if (f[0] == NULL || strcmp(f[0], "F") != 0 || f[3] == NULL)
			continue;
		unescape(f[2]);
		unescape(f[3]);
		cb(arg, f[1], strcmp(f[2], "-") == 0 ? NULL : f[2], f[3]);
	}
	s->dead = true;
	return -SL_E_VERIFY;
}

void sl_scanner_stop(struct sl_scanner *s)
{
	if (s == NULL)
		return;
	if (s->to != NULL)
		fclose(s->to);   /* EOF: the child ends its loop */
	if (s->from != NULL)
		fclose(s->from);
	int st;
	if (s->pid > 0 && waitpid(s->pid, &st, 0) < 0)
		sl_log_warn(NULL, "scanner: waiting for pid %d: %s", (int)s->pid, strerror(errno));
	free(s);
}
