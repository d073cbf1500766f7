/* upstream: nginx and upstream.py as children of the test process, on free loopback ports. */
#include "tests/unit/lib/upstream.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>

#define UP_START_MS   10000   /* ms: a server that is not listening by then is broken */
#define UP_STOP_MS    5000    /* ms: after SIGTERM, then SIGKILL */
#define UP_MAX_CHILD  16      /* servers alive at once in one test program */
#define UP_LOG_CAP    (16u << 20) /* bytes: request log read at most */

static pid_t up_children[UP_MAX_CHILD];
static bool up_atexit_set;

static void up_kill_all(void)
{
	for (int i = 0; i < UP_MAX_CHILD; i++) {
		if (up_children[i] > 0) {
			kill(up_children[i], SIGTERM);
			waitpid(up_children[i], NULL, 0);
			up_children[i] = 0;
		}
	}
}

static void up_track(pid_t pid, bool add)
{
	if (!up_atexit_set) {
		atexit(up_kill_all);
		up_atexit_set = true;
	}
	for (int i = 0; i < UP_MAX_CHILD; i++) {
		if (add && up_children[i] == 0) {
			up_children[i] = pid;
			return;
		}
		if (!add && up_children[i] == pid) {
			up_children[i] = 0;
			return;
		}
	}
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int fmt(char *buf, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
static int fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, cap, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static int rmtree(const char *path)
{
	if (path[0] == '\0')
		return 0;
	int rc = nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc == 0 || errno == ENOENT ? 0 : -errno;
}

static int tmpdir(char *buf, size_t cap)
{
	if (fmt(buf, cap, "/tmp/sluice-upstream.XXXXXX") != 0)
		return -ENAMETOOLONG;
	return mkdtemp(buf) ? 0 : -errno;
}

static int mkdirs(const char *path)
{
	char tmp[SL_UPSTREAM_PATH];
	if (fmt(tmp, sizeof tmp, "%s", path) != 0)
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(tmp, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

int sl_upstream_write_file(const char *path, const void *data, size_t len)
{
	char dir[SL_UPSTREAM_PATH], tmp[SL_UPSTREAM_PATH];
	if (fmt(dir, sizeof dir, "%s", path) != 0 || fmt(tmp, sizeof tmp, "%s.tmp~", path) != 0)
		return -ENAMETOOLONG;
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		int rc = mkdirs(dir);
		if (rc != 0)
			return rc;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = -errno;
			close(fd);
			unlink(tmp);
			return e;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = -errno;
		unlink(tmp);
		return e;
	}
	return 0;
}

int sl_upstream_free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	int rc = 0;
	if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &len) != 0)
		rc = -errno;
	close(s);
	return rc ? rc : ntohs(a.sin_port);
}

static bool port_open(int port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
	close(s);
	return ok;
}

/* fork + exec with output into `out`; the child dies with us (PR_SET_PDEATHSIG). */
static pid_t spawn(char *const argv[], const char *out)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int in = open("/dev/null", O_RDONLY);
		int o = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (in < 0 || o < 0)
			_exit(127);
		dup2(in, 0);
		dup2(o, 1);
		dup2(o, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	up_track(pid, true);
	return pid;
}

static void stop_child(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	for (int waited = 0; waited < UP_STOP_MS; waited += 10) {
		if (waitpid(*pid, NULL, WNOHANG) == *pid)
			goto done;
		msleep(10);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
done:
	up_track(*pid, false);
	*pid = 0;
}

static void dump(const char *what, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	fprintf(stderr, "---- %s (%s) ----\n", what, path);
	char line[512];
	while (fgets(line, sizeof line, f))
		fputs(line, stderr);
	fclose(f);
}

static int run_wait(char *const argv[], const char *out)
{
	pid_t pid = spawn(argv, out);
	if (pid < 0)
		return (int)pid;
	int status = 0;
	waitpid(pid, &status, 0);
	up_track(pid, false);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* ---- nginx ---- */

static const char *nginx_path(void)
{
	static const char *const cand[] = { "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx" };
	for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++)
		if (access(cand[i], X_OK) == 0)
			return cand[i];
	return NULL;
}

bool sl_upstream_have_nginx(void)
{
	return nginx_path() != NULL;
}

static int make_cert(struct sl_upstream_nginx *n)
{
	char key[SL_UPSTREAM_PATH], out[SL_UPSTREAM_PATH];
	if (fmt(n->ca_file, sizeof n->ca_file, "%s/cert.pem", n->dir) != 0 ||
	    fmt(key, sizeof key, "%s/key.pem", n->dir) != 0 || fmt(out, sizeof out, "%s/openssl.log", n->dir) != 0)
		return -ENAMETOOLONG;
	char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
			 "-nodes", "-keyout", key, "-out", n->ca_file, "-days", "2", "-subj", "/CN=127.0.0.1",
			 "-addext", "subjectAltName=IP:127.0.0.1", NULL };
	int rc = run_wait(argv, out);
	if (rc != 0)
		dump("openssl", out);
	return rc;
}

/* extra_conf with @PORT@ and @TLS_PORT@ replaced by the ports chosen at start. */
static int expand(const struct sl_upstream_nginx *n, const char *in, char *out, size_t cap)
{
	size_t o = 0;
	while (*in) {
		char num[16] = "";
		if (strncmp(in, "@PORT@", 6) == 0) {
			snprintf(num, sizeof num, "%d", n->port);
			in += 6;
		} else if (strncmp(in, "@TLS_PORT@", 10) == 0) {
			snprintf(num, sizeof num, "%d", n->tls_port);
			in += 10;
		} else {
			num[0] = *in++;
		}
		size_t l = strlen(num);
		if (o + l >= cap)
			return -ENAMETOOLONG;
		memcpy(out + o, num, l);
		o += l;
	}
	out[o] = '\0';
	return 0;
}

static int nginx_conf(struct sl_upstream_nginx *n, const struct sl_upstream_nginx_opts *o, const char *path)
{
	char extra[16384];
	if (expand(n, o->extra_conf ? o->extra_conf : "", extra, sizeof extra) != 0)
		return -ENAMETOOLONG;
	char tls[3 * SL_UPSTREAM_PATH] = "";
	if (o->tls && fmt(tls, sizeof tls,
			  "listen 127.0.0.1:%d ssl http2;\n\t\tssl_certificate %s;\n"
			  "\t\tssl_certificate_key %s/key.pem;\n",
			  n->tls_port, n->ca_file, n->dir) != 0)
		return -ENAMETOOLONG;
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	/* As root the workers would switch to nobody and could not read a 0700 temp dir. */
	fprintf(f, "daemon off;\nmaster_process on;\nworker_processes 1;\n%s"
		"pid %s/nginx.pid;\nerror_log %s/error.log info;\n"
		"events { worker_connections 512; }\n"
		"http {\n\taccess_log %s/access.log;\n"
		"\tclient_body_temp_path %s/tmp/body;\n\tproxy_temp_path %s/tmp/proxy;\n"
		"\tfastcgi_temp_path %s/tmp/fastcgi;\n\tuwsgi_temp_path %s/tmp/uwsgi;\n"
		"\tscgi_temp_path %s/tmp/scgi;\n"
		"\tdefault_type application/octet-stream;\n\tsendfile on;\n"
		"\tkeepalive_timeout 60;\n\tkeepalive_requests 100000;\n"
		"\tserver {\n\t\tlisten 127.0.0.1:%d;\n\t\t%s\n\t\troot %s;\n\t\t%s\n\t}\n}\n",
		geteuid() == 0 ? "user root root;\n" : "", n->dir, n->dir, n->dir, n->dir, n->dir, n->dir, n->dir,
		n->dir, n->port, tls, n->root, extra);
	return fclose(f) == 0 ? 0 : -errno;
}

int sl_upstream_nginx_start(struct sl_upstream_nginx *n, const struct sl_upstream_nginx_opts *o)
{
	static const struct sl_upstream_nginx_opts none = { 0 };
	o = o ? o : &none;
	memset(n, 0, sizeof *n);
	const char *bin = nginx_path();
	if (bin == NULL)
		return -ENOENT;
	int rc = tmpdir(n->dir, sizeof n->dir);
	if (rc != 0)
		return rc;
	char conf[SL_UPSTREAM_PATH], tmp[SL_UPSTREAM_PATH], out[SL_UPSTREAM_PATH], elog[SL_UPSTREAM_PATH];
	if (fmt(conf, sizeof conf, "%s/nginx.conf", n->dir) != 0 || fmt(tmp, sizeof tmp, "%s/tmp", n->dir) != 0 ||
	    fmt(out, sizeof out, "%s/stderr.log", n->dir) != 0 || fmt(elog, sizeof elog, "%s/error.log", n->dir) ||
	    fmt(n->root, sizeof n->root, "%s", o->root ? o->root : "") != 0) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	if (o->root == NULL && fmt(n->root, sizeof n->root, "%s/root", n->dir) != 0) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	if ((rc = mkdirs(tmp)) != 0 || (rc = mkdirs(n->root)) != 0)
		goto fail;
	if (o->tls && (rc = make_cert(n)) != 0)
		goto fail;
	/* The port may be taken between choosing and binding: try a few. */
	for (int attempt = 0; attempt < 5; attempt++) {
		n->port = sl_upstream_free_port();
		n->tls_port = o->tls ? sl_upstream_free_port() : 0;
		if (n->port < 0 || n->tls_port < 0 || n->port == n->tls_port) {
			rc = n->port < 0 ? n->port : -EADDRINUSE;
			continue;
		}
		if ((rc = nginx_conf(n, o, conf)) != 0)
			goto fail;
		char *argv[] = { (char *)bin, "-p", n->dir, "-c", conf, "-e", elog, NULL };
		n->pid = spawn(argv, out);
		if (n->pid < 0) {
			rc = (int)n->pid;
			n->pid = 0;
			goto fail;
		}
		for (int waited = 0; waited < UP_START_MS; waited += 10) {
			if (waitpid(n->pid, NULL, WNOHANG) == n->pid) {
				up_track(n->pid, false);
				n->pid = 0;
				break;
			}
			if (port_open(n->port) && (!o->tls || port_open(n->tls_port)))
				return 0;
			msleep(10);
		}
		stop_child(&n->pid);
		rc = -EADDRINUSE;
	}
	dump("nginx stderr", out);
	dump("nginx error.log", elog);
fail:
	sl_upstream_nginx_stop(n);
	return rc;
}

void sl_upstream_nginx_stop(struct sl_upstream_nginx *n)
{
	stop_child(&n->pid);
	rmtree(n->dir);
	n->dir[0] = '\0';
}

/* ---- upstream.py ---- */

static int script_path(char *buf, size_t cap)
{
	const char *src = getenv("SL_SOURCE_DIR");
	if (src && src[0])
		return fmt(buf, cap, "%s/tests/integration/upstream.py", src);
	/* Fallback: this file is SRC/tests/unit/lib/upstream.c. */
	if (fmt(buf, cap, "%s", __FILE__) != 0)
		return -ENAMETOOLONG;
	char *p = strstr(buf, "tests/unit/lib/upstream.c");
	if (p == NULL)
		return -ENOENT;
	*p = '\0';
	return fmt(p, cap - (size_t)(p - buf), "tests/integration/upstream.py");
}

int sl_upstream_py_start(struct sl_upstream_py *u)
{
	memset(u, 0, sizeof *u);
	char script[SL_UPSTREAM_PATH], portf[SL_UPSTREAM_PATH], out[SL_UPSTREAM_PATH];
	int rc = script_path(script, sizeof script);
	if (rc != 0)
		return rc;
	if ((rc = tmpdir(u->dir, sizeof u->dir)) != 0)
		return rc;
	if (fmt(u->root, sizeof u->root, "%s/root", u->dir) != 0 ||
	    fmt(u->config, sizeof u->config, "%s/script.json", u->dir) != 0 ||
	    fmt(u->log, sizeof u->log, "%s/requests.jsonl", u->dir) != 0 ||
	    fmt(portf, sizeof portf, "%s/port", u->dir) != 0 || fmt(out, sizeof out, "%s/stderr.log", u->dir) != 0) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	if ((rc = mkdirs(u->root)) != 0 || (rc = sl_upstream_write_file(u->config, "{}", 2)) != 0)
		goto fail;
	const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	char *argv[] = { (char *)py, script, "--root", u->root, "--port-file", portf, "--log", u->log,
			 "--config", u->config, NULL };
	u->pid = spawn(argv, out);
	if (u->pid < 0) {
		rc = (int)u->pid;
		u->pid = 0;
		goto fail;
	}
	rc = -ETIMEDOUT;
	for (int waited = 0; waited < UP_START_MS; waited += 10) {
		if (waitpid(u->pid, NULL, WNOHANG) == u->pid) {
			up_track(u->pid, false);
			u->pid = 0;
			rc = -EIO;
			break;
		}
		FILE *f = fopen(portf, "r");
		if (f != NULL) {
			int ok = fscanf(f, "%d", &u->port);
			fclose(f);
			if (ok == 1 && u->port > 0)
				return 0;
		}
		msleep(10);
	}
	dump("upstream.py stderr", out);
fail:
	sl_upstream_py_stop(u);
	return rc;
}

void sl_upstream_py_stop(struct sl_upstream_py *u)
{
	stop_child(&u->pid);
	rmtree(u->dir);
	u->dir[0] = '\0';
}

int sl_upstream_py_script(struct sl_upstream_py *u, const char *json)
{
	json_error_t e;
	json_t *j = json_loads(json, 0, &e);
	if (j == NULL) {
		fprintf(stderr, "upstream script is not JSON: %s (line %d)\n", e.text, e.line);
		return -EINVAL;
	}
	json_decref(j);
	return sl_upstream_write_file(u->config, json, strlen(json));
}

static void jcopy(json_t *o, const char *key, char *buf, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, key));
	snprintf(buf, cap, "%s", s ? s : "");
}

int sl_upstream_py_requests(const struct sl_upstream_py *u, const char *path, struct sl_upstream_request **out,
			    size_t *n)
{
	*out = NULL;
	*n = 0;
	FILE *f = fopen(u->log, "r");
	if (f == NULL)
		return -errno;
	size_t cap = 0, total = 0;
	char line[8192];
	int rc = 0;
	while (fgets(line, sizeof line, f) != NULL && total < UP_LOG_CAP) {
		total += strlen(line);
		json_t *j = json_loads(line, 0, NULL);
		if (j == NULL)
			continue;   /* a line being written right now */
		struct sl_upstream_request r = { 0 };
		r.t = json_number_value(json_object_get(j, "t"));
		r.status = (int)json_integer_value(json_object_get(j, "status"));
		jcopy(j, "method", r.method, sizeof r.method);
		jcopy(j, "path", r.path, sizeof r.path);
		jcopy(j, "query", r.query, sizeof r.query);
		jcopy(j, "range", r.range, sizeof r.range);
		jcopy(j, "if_none_match", r.if_none_match, sizeof r.if_none_match);
		jcopy(j, "if_modified_since", r.if_modified_since, sizeof r.if_modified_since);
		jcopy(j, "user_agent", r.user_agent, sizeof r.user_agent);
		json_decref(j);
		if (path != NULL && strcmp(path, r.path) != 0)
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct sl_upstream_request *m = realloc(*out, ncap * sizeof *m);
			if (m == NULL) {
				rc = -ENOMEM;
				break;
			}
			*out = m;
			cap = ncap;
		}
		(*out)[(*n)++] = r;
	}
	fclose(f);
	return rc;
}
