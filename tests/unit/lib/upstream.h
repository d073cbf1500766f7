/* upstream: real HTTP servers on 127.0.0.1 for unit tests. nginx (static files, ETag, Range, keep-alive,
 * optional TLS with a throw-away certificate) and tests/integration/upstream.py (scripted statuses,
 * stalls, resets, Retry-After; it logs every request so a test can check what the client really sent).
 *
 * Each server gets a fresh temporary directory (mkdtemp under /tmp) holding its configuration, pid file
 * and logs, and listens on a free port. Servers are started as children that die with the test process
 * (PR_SET_PDEATHSIG) and are also stopped by an atexit handler, so a failing or crashing test leaves
 * nothing running; _stop() (idempotent) kills the server and removes its directory.
 *
 * Functions return 0 or -errno; a server that does not come up prints its error log to stderr. */
#ifndef SL_UPSTREAM_TEST_H
#define SL_UPSTREAM_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SL_UPSTREAM_PATH 1024

struct sl_upstream_nginx {
	pid_t pid;                      /* 0 when not running */
	int port;                       /* plain HTTP */
	int tls_port;                   /* HTTPS (HTTP/2 offered), 0 without tls */
	char dir[SL_UPSTREAM_PATH];         /* prefix: nginx.conf, nginx.pid, error.log, access.log */
	char root[SL_UPSTREAM_PATH];        /* served directory */
	char ca_file[SL_UPSTREAM_PATH];     /* the self-signed certificate (CN and SAN 127.0.0.1), when tls */
};

struct sl_upstream_nginx_opts {
	const char *root;               /* directory to serve; NULL: DIR/root (created) */
	bool tls;                       /* also listen with TLS on tls_port */
	const char *extra_conf;         /* inserted in the server block, e.g. "location /x { return 302 ...; }";
					 * @PORT@ and @TLS_PORT@ stand for the ports chosen at start */
};

/* Is nginx installed? Tests skip otherwise. */
bool sl_upstream_have_nginx(void);
int sl_upstream_nginx_start(struct sl_upstream_nginx *n, const struct sl_upstream_nginx_opts *o);
void sl_upstream_nginx_stop(struct sl_upstream_nginx *n);

struct sl_upstream_py {
	pid_t pid;
	int port;
	char dir[SL_UPSTREAM_PATH];
	char root[SL_UPSTREAM_PATH];        /* DIR/root: files served */
	char config[SL_UPSTREAM_PATH];      /* DIR/script.json, re-read on every request */
	char log[SL_UPSTREAM_PATH];         /* DIR/requests.jsonl */
};

int sl_upstream_py_start(struct sl_upstream_py *u);
void sl_upstream_py_stop(struct sl_upstream_py *u);
/* Replace the script (JSON object keyed by path, see upstream.py) atomically. */
int sl_upstream_py_script(struct sl_upstream_py *u, const char *json);

/* One logged request. */
struct sl_upstream_request {
	double t;                       /* arrival, Unix seconds */
	char method[16];
	char path[256];
	char query[256];
	char range[64];                 /* "" when no Range header */
	char if_none_match[256];
	char if_modified_since[64];
	char user_agent[128];
	int status;
};
/* Requests logged so far for `path` (NULL: all), oldest first; *out heap (free()), may be NULL if none. */
int sl_upstream_py_requests(const struct sl_upstream_py *u, const char *path, struct sl_upstream_request **out,
			      size_t *n);

/* A port that was free a moment ago on 127.0.0.1, or -errno. */
int sl_upstream_free_port(void);
/* Create or replace a file with these bytes (parent directories created). */
int sl_upstream_write_file(const char *path, const void *data, size_t len);

#endif
