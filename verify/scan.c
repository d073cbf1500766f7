/* scan: the scanner children and their protocol (see scan.h). One child (the loader) loads the engine, then
 * forks the workers, which inherit the compiled engine copy-on-write, and waits for them. The parent writes
 * one path per line to a worker; the worker answers with finding lines (scan_walk.c) and "E\n". At start
 * each worker answers "R\tVERSION\tSIGS\tPID\tLOAD_MS\n" once the engine is loaded, or "X\tERROR\n". */
#include "verify/scan.h"

#include <clamav.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"

struct worker {
	pid_t pid;                      /* reported by the worker itself (a grandchild: not ours to reap) */
	int to, from;                   /* -1 once gone */
	bool busy;
	sl_scan_finding_fn *cb;
	void *arg;
	size_t len;                     /* bytes in buf */
	char buf[SL_SCAN_WORKER_BUF];
};

struct sl_scanner {
	pid_t pid;                      /* the loader */
	unsigned n;
	struct worker *w;
	char engine[64];
	unsigned sigs;
	double load_s;
	int go;                         /* the loader waits for a byte here before loading; -1 once sent */
	bool ready;                     /* the workers' ready lines were read */
	char tmpdir[SL_MAX_PATH];
};

/* The children may not create sockets: a scanner that was taken over through a hostile file still cannot
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

static void say(int out, const char *line, int n)
{
	if (n < 0 || write(out, line, (size_t)n) != n)
		_exit(2);
}

static void worker_main(struct sl_scan_engine *e, int in, int out)
{
	char line[SL_MAX_SCAN_LINE];
	FILE *req = fdopen(in, "r");
	while (req != NULL && fgets(line, sizeof line, req) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		int fd = open(line, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			say(out, line, snprintf(line, sizeof line, "F\tscan-error\t-\tcannot open: %s\n", strerror(errno)));
		} else {
			sl_scan_engine_scan(e, fd, out);
			close(fd);
		}
		say(out, "E\n", 2);
	}
	_exit(0);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The loader keeps stdin/out/err and its pipes, nothing else of the caller: no catalogue, no lock, no
 * connection of the sync that forked it. */
static void close_others(const int *keep, unsigned nkeep)
{
	int *k = malloc((nkeep + 1) * sizeof *k);
	if (k == NULL)
		_exit(5);
	memcpy(k, keep, nkeep * sizeof *k);
	k[nkeep] = 2;
	qsort(k, nkeep + 1, sizeof *k, cmp_int);
	unsigned from = 3;
	for (unsigned i = 0; i <= nkeep; i++) {
		if (k[i] < 0 || (unsigned)k[i] < from)
			continue;
		if ((unsigned)k[i] > from && syscall(SYS_close_range, from, (unsigned)k[i] - 1, 0) != 0)
			_exit(5);
		from = (unsigned)k[i] + 1;
	}
	if (syscall(SYS_close_range, from, ~0u, 0) != 0)
		_exit(5);
	free(k);
}

/* The loader: p2c/c2p hold n pipe pairs (only the children's ends are open here); it loads the engine when
 * a byte arrives on go (at once when go < 0), and ends without loading at its EOF. */
static void loader_main(unsigned n, int (*p2c)[2], int (*c2p)[2], int go, const char *db_dir,
			const struct sl_scan_limits *lim, const char *tmpdir)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int keep[2 * SL_SCAN_MAX_WORKERS + 1];
	unsigned nkeep = 0;
	for (unsigned i = 0; i < n; i++) {
		keep[nkeep++] = p2c[i][0];
		keep[nkeep++] = c2p[i][1];
	}
	keep[nkeep++] = go;
	close_others(keep, nkeep);
	if (go >= 0) {
		char b;
		ssize_t r;
		do
			r = read(go, &b, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(0);   /* not wanted after all (the sync found nothing new) */
		close(go);
	}
	char *cause = NULL;
	unsigned sigs = 0;
	double t0 = now_s();
	struct sl_scan_engine *e = sl_scan_engine_load(db_dir, lim, tmpdir, &sigs, &cause);
	char line[SL_MAX_SCAN_LINE];
	if (e == NULL) {
		say(c2p[0][1], line, snprintf(line, sizeof line, "X\t%s\n", cause ? cause : "engine failed to load"));
		_exit(1);
	}
	long load_ms = (long)((now_s() - t0) * 1000);
	no_sockets();   /* inherited by every worker */
	for (unsigned i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (unsigned j = 0; j < n; j++)
				if (j != i) {
					close(p2c[j][0]);
					close(c2p[j][1]);
				}
			say(c2p[i][1], line, snprintf(line, sizeof line, "R\t%s\t%u\t%d\t%ld\n", cl_retver(), sigs,
						      (int)getpid(), load_ms));
			worker_main(e, p2c[i][0], c2p[i][1]);
		}
		if (pid < 0) {
			int n2 = snprintf(line, sizeof line, "X\tscanner: fork: %s\n", strerror(errno));
			if (n2 > 0 && write(c2p[i][1], line, (size_t)n2) < 0)
				(void)0;   /* the parent sees the end of the pipe either way */
		}
	}
	for (unsigned i = 0; i < n; i++) {
		close(p2c[i][0]);
		close(c2p[i][1]);
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	_exit(0);
}

/* A private directory for temporary files: memory-backed (/dev/shm) when there is one, else $TMPDIR or
 * /tmp. */
static int make_tmpdir(char *dir, size_t cap)
{
	const char *env = getenv("TMPDIR");
	const char *bases[] = { "/dev/shm", env, "/tmp" };
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		if (bases[i] == NULL || bases[i][0] != '/' || access(bases[i], W_OK | X_OK) != 0)
			continue;
		int n = snprintf(dir, cap, "%s/sluice-scan-XXXXXX", bases[i]);
		if (n > 0 && (size_t)n < cap && mkdtemp(dir) != NULL)
			return 0;
	}
	return -errno ? -errno : -EACCES;
}

static void worker_gone(struct sl_scanner *s, struct worker *w)
{
	if (w->to >= 0)
		close(w->to);
	if (w->from >= 0)
		close(w->from);
	w->to = w->from = -1;
	w->busy = false;
	w->pid = -1;
}

/* One read from a worker into its buffer: >0 bytes, 0 at its end (or a line longer than the protocol
 * allows: the worker is not trusted further). */
static ssize_t pump(struct worker *w)
{
	if (w->len == sizeof w->buf)
		return 0;
	ssize_t n;
	do
		n = read(w->from, w->buf + w->len, sizeof w->buf - w->len);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		w->len += (size_t)n;
	return n > 0 ? n : 0;
}

/* The next complete line in w's buffer, NUL-terminated in `line`; false when there is none yet. */
static bool next_line(struct worker *w, char *line, size_t cap)
{
	char *nl = memchr(w->buf, '\n', w->len);
	if (nl == NULL)
		return false;
	size_t n = (size_t)(nl - w->buf);
	snprintf(line, cap, "%.*s", (int)n, w->buf);
	memmove(w->buf, nl + 1, w->len - n - 1);
	w->len -= n + 1;
	return true;
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

/* Hand w's buffered lines to its scan's cb; true when its answer is complete ("E"). */
static bool drain(struct worker *w)
{
	char line[SL_MAX_SCAN_LINE];
	while (next_line(w, line, sizeof line)) {
		if (strcmp(line, "E") == 0)
			return true;
		char *f[4], *p = line;
		for (int i = 0; i < 4; i++)
			f[i] = strsep(&p, "\t");
		if (f[0] == NULL || strcmp(f[0], "F") != 0 || f[3] == NULL)
			continue;
		unescape(f[2]);
		unescape(f[3]);
		w->cb(w->arg, f[1], strcmp(f[2], "-") == 0 ? NULL : f[2], f[3]);
	}
	return false;
}

/* A worker's ready line (blocking): 0, or -1 with *why when it did not start. */
static int ready(struct sl_scanner *s, struct worker *w, char *why, size_t whycap)
{
	char line[SL_MAX_SCAN_LINE];
	while (!next_line(w, line, sizeof line))
		if (pump(w) == 0) {
			snprintf(why, whycap, "scanner: the engine process ended before it was ready");
			return -1;
		}
	char *f[5] = { 0 }, *p = line;
	for (int i = 0; i < 5 && p != NULL; i++)
		f[i] = strsep(&p, "\t");
	if (strcmp(f[0], "X") == 0 && f[1] != NULL) {
		snprintf(why, whycap, "%s", f[1]);
		return -1;
	}
	if (strcmp(f[0], "R") != 0 || f[4] == NULL) {
		snprintf(why, whycap, "scanner: unexpected answer");
		return -1;
	}
	snprintf(s->engine, sizeof s->engine, "%.63s", f[1]);
	s->sigs = (unsigned)strtoul(f[2], NULL, 10);
	w->pid = (pid_t)strtol(f[3], NULL, 10);
	s->load_s = (double)strtol(f[4], NULL, 10) / 1000;
	return 0;
}

/* write(2) to a worker that may have died: EPIPE, not a SIGPIPE that would end the caller. */
static int write_nosigpipe(int fd, const char *p, size_t len)
{
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	int err = 0;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (err == EPIPE && !sigismember(&old, SIGPIPE)) {
		struct timespec zero = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &zero);   /* the SIGPIPE our write raised, not left pending */
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -err;
}

static unsigned worker_count(const struct sl_scan_limits *lim)
{
	long n = lim->workers ? (long)lim->workers : sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > SL_SCAN_MAX_WORKERS ? SL_SCAN_MAX_WORKERS : (unsigned)n;
}

struct sl_scanner *sl_scanner_spawn(const char *db_dir, const struct sl_scan_limits *lim, char **cause)
{
	struct sl_scanner *s = calloc(1, sizeof *s);
	unsigned n = worker_count(lim);
	if (s != NULL)
		s->go = -1;
	int (*p2c)[2] = calloc(n, sizeof *p2c), (*c2p)[2] = calloc(n, sizeof *c2p);
	int go[2] = { -1, -1 };
	if (s != NULL)
		s->w = calloc(n, sizeof *s->w);
	if (s == NULL || s->w == NULL || p2c == NULL || c2p == NULL) {
		sl_cause(cause, -ENOMEM, "scanner: out of memory");
		goto fail_mem;
	}
	for (unsigned i = 0; i < n; i++)
		p2c[i][0] = p2c[i][1] = c2p[i][0] = c2p[i][1] = -1;
	int rc = make_tmpdir(s->tmpdir, sizeof s->tmpdir);
	if (rc < 0) {
		s->tmpdir[0] = '\0';
		sl_cause(cause, rc, "scanner: no directory for temporary files: %s", sl_strerror(rc));
		goto fail_mem;
	}
	if (pipe2(go, O_CLOEXEC) != 0) {
		sl_cause(cause, -errno, "scanner: pipe: %s", strerror(errno));
		goto fail_pipes;
	}
	for (unsigned i = 0; i < n; i++)
		if (pipe2(p2c[i], O_CLOEXEC) != 0 || pipe2(c2p[i], O_CLOEXEC) != 0) {
			sl_cause(cause, -errno, "scanner: pipe: %s", strerror(errno));
			goto fail_pipes;
		}
	s->pid = fork();
	if (s->pid < 0) {
		sl_cause(cause, -errno, "scanner: fork: %s", strerror(errno));
		goto fail_pipes;
	}
	if (s->pid == 0) {
		for (unsigned i = 0; i < n; i++) {
			close(p2c[i][1]);
			close(c2p[i][0]);
		}
		close(go[1]);
		loader_main(n, p2c, c2p, go[0], db_dir, lim, s->tmpdir);
	}
	s->n = n;
	for (unsigned i = 0; i < n; i++) {
		close(p2c[i][0]);
		close(c2p[i][1]);
		s->w[i].to = p2c[i][1];
		s->w[i].from = c2p[i][0];
		s->w[i].pid = -1;
	}
	close(go[0]);
	s->go = go[1];
	free(p2c);
	free(c2p);
	return s;
fail_pipes:
	for (int k = 0; k < 2; k++)
		if (go[k] >= 0)
			close(go[k]);
	for (unsigned i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			if (p2c[i][k] >= 0)
				close(p2c[i][k]);
			if (c2p[i][k] >= 0)
				close(c2p[i][k]);
		}
fail_mem:
	if (s != NULL && s->tmpdir[0])
		rmdir(s->tmpdir);
	free(p2c);
	free(c2p);
	if (s != NULL)
		free(s->w);
	free(s);
	return NULL;
}

void sl_scanner_go(struct sl_scanner *s)
{
	if (s->go < 0)
		return;
	if (write_nosigpipe(s->go, "g", 1) < 0)
		sl_log_warn(NULL, "scanner: the loader is gone before it was asked to load");
	close(s->go);
	s->go = -1;
}

int sl_scanner_ready(struct sl_scanner *s, char **cause)
{
	if (s->ready)
		return sl_scanner_workers(s) > 0 ? 0 : sl_cause(cause, -SL_E_VERIFY, "scanner: no worker started");
	sl_scanner_go(s);
	s->ready = true;
	char why[SL_MAX_SCAN_LINE] = "";
	unsigned up = 0;
	for (unsigned i = 0; i < s->n; i++) {
		char w_why[sizeof why];
		if (ready(s, &s->w[i], w_why, sizeof w_why) == 0) {
			up++;
		} else {
			worker_gone(s, &s->w[i]);
			if (why[0] == '\0')
				snprintf(why, sizeof why, "%s", w_why);
		}
	}
	return up > 0 ? 0 : sl_cause(cause, -SL_E_VERIFY, "%s", why);
}

struct sl_scanner *sl_scanner_start(const char *db_dir, const struct sl_scan_limits *lim, char **cause)
{
	struct sl_scanner *s = sl_scanner_spawn(db_dir, lim, cause);
	if (s != NULL && sl_scanner_ready(s, cause) < 0) {
		sl_scanner_stop(s);
		return NULL;
	}
	return s;
}

const char *sl_scanner_engine(const struct sl_scanner *s)
{
	return s->engine;
}

unsigned sl_scanner_signatures(const struct sl_scanner *s)
{
	return s->sigs;
}

double sl_scanner_load_seconds(const struct sl_scanner *s)
{
	return s->load_s;
}

unsigned sl_scanner_workers(const struct sl_scanner *s)
{
	unsigned k = 0;
	for (unsigned i = 0; i < s->n; i++)
		k += s->w[i].to >= 0;
	return k;
}

unsigned sl_scanner_idle(const struct sl_scanner *s)
{
	unsigned k = 0;
	for (unsigned i = 0; i < s->n; i++)
		k += s->w[i].to >= 0 && !s->w[i].busy;
	return k;
}

int sl_scanner_worker_pid(const struct sl_scanner *s, unsigned i)
{
	return i < s->n && s->w[i].to >= 0 ? (int)s->w[i].pid : -1;
}

int sl_scanner_submit(struct sl_scanner *s, const char *path, sl_scan_finding_fn *cb, void *arg)
{
	char line[SL_MAX_SCAN_LINE];
	int n = snprintf(line, sizeof line, "%s\n", path);
	if (n < 0 || (size_t)n >= sizeof line || strchr(path, '\n') != NULL)
		return -SL_E_TOOBIG;
	for (unsigned i = 0; i < s->n; i++) {
		struct worker *w = &s->w[i];
		if (w->to < 0 || w->busy)
			continue;
		if (write_nosigpipe(w->to, line, (size_t)n) < 0) {
			worker_gone(s, w);   /* died while idle: it held nothing */
			continue;
		}
		w->busy = true;
		w->cb = cb;
		w->arg = arg;
		return 0;
	}
	return sl_scanner_workers(s) == 0 ? -SL_E_VERIFY : -EBUSY;
}

int sl_scanner_wait(struct sl_scanner *s, void **arg)
{
	struct pollfd pf[SL_SCAN_MAX_WORKERS];
	unsigned idx[SL_SCAN_MAX_WORKERS];
	for (;;) {
		unsigned k = 0;
		for (unsigned i = 0; i < s->n; i++) {
			struct worker *w = &s->w[i];
			if (!w->busy)
				continue;
			if (drain(w)) {
				w->busy = false;
				*arg = w->arg;
				return 0;
			}
			pf[k] = (struct pollfd){ .fd = w->from, .events = POLLIN };
			idx[k++] = i;
		}
		if (k == 0)
			return -ENOENT;
		if (poll(pf, k, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (unsigned j = 0; j < k; j++) {
			struct worker *w = &s->w[idx[j]];
			if (pf[j].revents == 0)
				continue;
			if (pump(w) == 0) {
				/* The worker died (or broke the protocol) with this file in hand: its scan failed. */
				drain(w);
				*arg = w->arg;
				if (w->pid > 0)
					kill(w->pid, SIGKILL);
				worker_gone(s, w);
				return -SL_E_VERIFY;
			}
		}
	}
}

int sl_scanner_scan(struct sl_scanner *s, const char *path, sl_scan_finding_fn *cb, void *arg)
{
	int rc = sl_scanner_submit(s, path, cb, arg);
	if (rc < 0)
		return rc == -EBUSY || rc == -SL_E_VERIFY ? -SL_E_VERIFY : rc;
	void *got = NULL;
	rc = sl_scanner_wait(s, &got);
	return rc == 0 ? 0 : -SL_E_VERIFY;
}

void sl_scanner_stop(struct sl_scanner *s)
{
	if (s == NULL)
		return;
	if (s->go >= 0)
		close(s->go);   /* EOF: a loader that was never asked to load ends */
	else if (!s->ready && s->pid > 0)
		kill(s->pid, SIGKILL);   /* loading for nobody (the run failed): its workers die with it */
	for (unsigned i = 0; i < s->n; i++) {
		/* A worker still scanning is not waited for: its answer has no reader any more. */
		if (s->w[i].busy && s->w[i].pid > 0)
			kill(s->w[i].pid, SIGKILL);
		worker_gone(s, &s->w[i]);   /* EOF: an idle worker ends its loop */
	}
	int st;
	if (s->pid > 0 && waitpid(s->pid, &st, 0) < 0)
		sl_log_warn(NULL, "scanner: waiting for pid %d: %s", (int)s->pid, strerror(errno));
	/* What a crashed worker or libclamav left behind. */
	if (s->tmpdir[0] && sl_fs_rmtree(s->tmpdir) < 0)
		sl_log_warn(NULL, "scanner: cannot remove %s", s->tmpdir);
	free(s->w);
	free(s);
}
