/* server: libmicrohttpd set-up, the route table and per-request bookkeeping. */
#include "served/server.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "core/error.h"
#include "core/format.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"
#include "served/accesslog.h"
#include "served/conn.h"
#include "served/files.h"
#include "served/hotcache.h"
#include "served/mapcache.h"
#include "served/metrics.h"
#include "served/netaddr.h"
#include "served/oci.h"
#include "served/reqhead.h"
#include "served/request.h"
#include "served/status.h"

#define SL_TLS_PEM_MAX (1u << 20)   /* bytes: a certificate chain or key file larger than 1 MiB is a mistake */

/* sluice's own routes. Each format's route is its row's `serve` (core/format.c); nothing in served/
 * outside a format's own files names a format. Exact routes and prefixes never overlap, so order does not
 * matter. Metrics slots: these routes, then one per format in sl_formats[] order, then "other". */
static const struct sl_route sl_routes[] = {
	{ .name = "status", .prefix = "/", .exact = true, .handle = sl_status_page },
	{ .name = "healthz", .prefix = "/healthz", .exact = true, .handle = sl_status_healthz },
	{ .name = "metrics", .prefix = "/metrics", .exact = true, .handle = sl_metrics_serve },
	{ .name = "keys", .prefix = "/keys/", .handle = sl_files_serve_keys },
};
#define SL_NROUTES (sizeof sl_routes / sizeof sl_routes[0])

static unsigned nformats(void)
{
	unsigned n = 0;
	while (sl_formats[n] != NULL)
		n++;
	return n;
}

/* The route of metrics slot `slot`, NULL for "other" (and past the end). */
static const struct sl_route *route_at(unsigned slot)
{
	if (slot < SL_NROUTES)
		return &sl_routes[slot];
	slot -= SL_NROUTES;
	return slot < nformats() ? sl_formats[slot]->serve : NULL;
}

struct sl_served {
	const struct sl_config *cfg;
	struct sl_served_stats stats;
	struct MHD_Daemon *daemon;
	int listen_fd;                 /* ours until MHD is started, then MHD's until quiesce */
	bool quiesced;
	atomic_bool serving;           /* MHD_start_daemon returned: MHD's messages are about clients now */
	bool tls;
	bool client_certs;
	char *tls_cert, *tls_key, *tls_ca;
	struct sl_cidr *allow;
	size_t nallow;
	struct sl_accesslog *access_log;
	struct sl_conns *conns;        /* open connections: head deadline, reserve, last-word replies */
	uint16_t port;
	char public_dir[SL_MAX_PATH];
	atomic_int public_fd;          /* STATE/public opened once (O_PATH), -1 until it exists; see files.h */
	struct sl_hotcache *hot;       /* small published files' responses, shared by the workers */
	struct sl_mapcache *maps;      /* large files' shared mappings; outlives the daemon's responses */
	char catalog_path[SL_MAX_PATH];
	char authority[300];           /* HOST:PORT as bound */
	char url[320];
};

unsigned sl_route_count(void)
{
	return SL_NROUTES + nformats() + 1;
}

const char *sl_route_label(unsigned slot)
{
	const struct sl_route *rt = route_at(slot);
	return rt != NULL ? rt->name : "other";
}

/* Match a raw path; *rest gets what follows the prefix, *slot the route's metrics slot. A format route
 * without a prefix of its own serves "/<format>/". */
static const struct sl_route *route_match(const char *url, const char **rest, unsigned *slot)
{
	for (unsigned i = 0; i < sl_route_count() - 1; i++) {
		const struct sl_route *rt = route_at(i);
		if (rt == NULL)
			continue;
		if (rt->prefix == NULL) {
			const char *name = sl_formats[i - SL_NROUTES]->name;
			size_t n = strlen(name);
			if (url[0] == '/' && strncmp(url + 1, name, n) == 0 && url[n + 1] == '/') {
				*rest = url + n + 2;
				*slot = i;
				return rt;
			}
		} else if (rt->exact ? strcmp(url, rt->prefix) == 0
				     : strncmp(url, rt->prefix, strlen(rt->prefix)) == 0) {
			*rest = url + strlen(rt->prefix);
			*slot = i;
			return rt;
		}
	}
	return NULL;
}

/* MHD must hand handlers the raw path: its own unescaping would turn %2f into '/' and %00 into a
 * truncated string before anything could refuse them. files.c decodes with sl_path_url_decode(). */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

/* The status of the last error page MHD queued in this worker thread, and when (CLOCK_MONOTONIC ms). MHD
 * answers some malformed request lines itself before any callback names the request; its log line is the
 * only place the status appears, and the close of that connection follows in the same worker. */
static _Thread_local unsigned tl_lib_status;
static _Thread_local int64_t tl_lib_when;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* MHD reports start-up problems (bind, TLS credentials) and per-connection events (a client hanging up
 * mid-body, timeouts) through one callback. The first kind is logged as warnings; once serving, the rest
 * is client behaviour and goes to debug, or a load balancer's health checks would fill the log. */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	const struct sl_served *s = cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	const char *code = strstr(msg, "HTTP response code is ");
	unsigned st;
	if (code != NULL && sscanf(code + strlen("HTTP response code is "), "%u", &st) == 1) {
		tl_lib_status = st;
		tl_lib_when = mono_ms();
	}
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	sl_log(atomic_load(&s->serving) ? SL_LOG_DEBUG : SL_LOG_WARN, NULL, "microhttpd: %s", msg);
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	const struct sl_served *s = cls;
	if (s->nallow == 0)
		return MHD_YES;
	for (size_t i = 0; i < s->nallow; i++)
		if (sl_netaddr_cidr_match(&s->allow[i], addr))
			return MHD_YES;
	return MHD_NO;
}

static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct sl_served *s = cls;
	struct sl_request *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->cfg = s->cfg;
	r->stats = &s->stats;
	r->public_dir = s->public_dir;
	r->public_fd = &s->public_fd;
	r->hot = s->hot;
	r->maps = s->maps;
	r->catalog_path = s->catalog_path;
	r->authority = s->authority;
	r->tls = s->tls;
	r->conn = conn;
	r->route_slot = sl_route_count() - 1;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	r->started_wall = time(NULL);
	snprintf(r->uri, sizeof r->uri, "%s", uri != NULL ? uri : "");
	r->target = uri;
	r->target_len = uri != NULL ? strlen(uri) : 0;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		sl_netaddr_host(ci->client_addr, false, r->client, sizeof r->client);
	else
		snprintf(r->client, sizeof r->client, "-");
	const union MHD_ConnectionInfo *sc = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	r->cn = sc != NULL ? sc->socket_context : NULL;
	if (r->cn != NULL)
		r->cn->req = r;
	atomic_fetch_add_explicit(&s->stats.in_flight, 1, memory_order_relaxed);
	return r;
}

/* What MHD's own refusals mean, for the access log. */
static const char *library_reason(unsigned status)
{
	switch (status) {
	case MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE: return "request head too large";
	case MHD_HTTP_URI_TOO_LONG: return "request line too long";
	case MHD_HTTP_CONTENT_TOO_LARGE: return "content too large";
	default: return "malformed request";
	}
}

/* A request the route handlers never answered: say why, and when MHD sent nothing at all, answer it here
 * (clear text only) so that no client is left with a silent close. `lib_status` is what MHD queued. */
static void explain_unanswered(struct sl_request *r, enum MHD_RequestTerminationCode toe, unsigned lib_status)
{
	struct sl_conn *c = r->cn;
	enum sl_conn_phase phase = c != NULL ? sl_conn_phase(c) : SL_CONN_BUSY;
	unsigned status = 0;
	if (phase == SL_CONN_TIMEDOUT) {
		status = MHD_HTTP_REQUEST_TIMEOUT;
		r->reason = "header timeout";
	} else if (phase == SL_CONN_EVICTED) {
		status = MHD_HTTP_REQUEST_TIMEOUT;
		r->reason = "head too slow while the server was full";
	} else if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED) {
		status = MHD_HTTP_REQUEST_TIMEOUT;
		r->reason = "idle timeout";
	} else if (toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT || toe == MHD_REQUEST_TERMINATED_READ_ERROR) {
		r->reason = "client closed the connection";
		return;
	} else if (toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN) {
		r->reason = "server stopping";
		return;
	} else if (r->called) {
		r->reason = "dropped (out of memory)";
		return;
	} else {
		status = lib_status != 0 ? lib_status : MHD_HTTP_BAD_REQUEST;
		r->reason = library_reason(status);
	}
	if (c == NULL || sl_conn_wrote(c)) {
		r->status = lib_status;   /* MHD's own answer went out (or nobody can tell) */
		return;
	}
	if (!sl_conn_peer_closed(c) && sl_conn_raw_reply(c, status))
		r->status = status;
}

static void finish_request(struct sl_served *s, struct sl_request *r, enum MHD_RequestTerminationCode toe,
			   unsigned lib_status)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(now.tv_sec - r->started.tv_sec) * 1000 +
		       (now.tv_nsec - r->started.tv_nsec) / 1000000;
	bool complete = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && r->answered;
	if (!r->answered) {
		explain_unanswered(r, toe, lib_status);
	} else if (!complete && r->status >= 400 && r->cn != NULL && !sl_conn_wrote(r->cn) &&
		   !sl_conn_peer_closed(r->cn)) {
		/* An error page of ours MHD could not send: a head that filled its memory pool leaves no room
		 * for the response header. */
		sl_conn_raw_reply(r->cn, r->status);
	}
	atomic_fetch_add_explicit(&s->stats.requests[r->route_slot][sl_request_code_slot(r->status)], 1,
				  memory_order_relaxed);
	if (complete)
		atomic_fetch_add_explicit(&s->stats.bytes[r->route_slot], r->body_bytes, memory_order_relaxed);
	sl_accesslog_write(s->access_log, r, r->status, complete ? (long long)r->body_bytes : -1, ms);
	atomic_fetch_sub_explicit(&s->stats.in_flight, 1, memory_order_relaxed);
	if (r->cn != NULL)
		r->cn->req = NULL;
	free(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct sl_served *s = cls;
	struct sl_request *r = *con_cls;
	if (r == NULL)
		return;
	*con_cls = NULL;
	struct sl_conn *c = r->cn;
	/* MHD destroys its own error response right after this callback: its status is readable now. */
	const union MHD_ConnectionInfo *hs = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
	finish_request(s, r, toe, hs != NULL ? hs->http_status : 0);
	if (c != NULL) {
		sl_conn_end(s->conns, c);   /* a keep-alive connection starts its next head */
		sl_conn_mark(c);
	}
}

/* Bytes arrived after the last answer without a request line MHD accepted: the line was malformed (MHD
 * may or may not have answered it), or the client was cut while sending it. Logged, and answered if MHD
 * did not. */
static void finish_lineless(struct sl_served *s, struct MHD_Connection *conn, struct sl_conn *c)
{
	struct sl_request dropped = { .route_slot = SL_NROUTES, .started_wall = time(NULL) };
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		sl_netaddr_host(ci->client_addr, false, dropped.client, sizeof dropped.client);
	else
		snprintf(dropped.client, sizeof dropped.client, "-");
	enum sl_conn_phase phase = sl_conn_phase(c);
	unsigned status = MHD_HTTP_BAD_REQUEST;
	dropped.reason = "malformed request line";
	if (sl_conn_wrote(c)) {
		status = 0;   /* MHD answered it on its own (an unsupported version...) */
		if (tl_lib_status != 0 && tl_lib_when >= atomic_load(&c->head_since))
			dropped.status = tl_lib_status;
	} else if (phase == SL_CONN_TIMEDOUT || phase == SL_CONN_EVICTED) {
		status = MHD_HTTP_REQUEST_TIMEOUT;
		dropped.reason = phase == SL_CONN_TIMEDOUT ? "header timeout" : "head too slow while the server was full";
	} else if (sl_conn_peer_closed(c)) {
		status = 0;
		dropped.reason = "client closed the connection";
	} else if (sl_conn_quiet_ms(c) >= 1000) {
		/* MHD refuses a bad line as soon as it reads it; a close long after is its idle timeout. */
		status = MHD_HTTP_REQUEST_TIMEOUT;
		dropped.reason = "idle timeout";
	}
	if (status != 0 && sl_conn_raw_reply(c, status))
		dropped.status = status;
	atomic_fetch_add_explicit(&s->stats.requests[SL_NROUTES][sl_request_code_slot(dropped.status)], 1,
				  memory_order_relaxed);
	sl_accesslog_write(s->access_log, &dropped, dropped.status, -1, 0);
}

/* MHD reports every connection's start and end, including those whose request it dropped without the
 * completion callback (0.9.75: a Cookie header that does not fit its memory pool) or before the request
 * line was even parsed (a malformed one). Whatever request is still attached is finished here: nothing
 * leaks and the in-flight gauge returns to 0. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct sl_served *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = fi != NULL ? sl_conns_add(s->conns, fi->connect_fd, s->tls) : NULL;
		return;
	}
	struct sl_conn *c = *socket_context;
	*socket_context = NULL;
	if (c == NULL)
		return;
	if (c->req != NULL)
		finish_request(s, c->req, MHD_REQUEST_TERMINATED_WITH_ERROR, 0);
	else if (sl_conn_read(c) && (!c->tls || sl_conn_phase(c) == SL_CONN_TIMEDOUT ||
				       sl_conn_phase(c) == SL_CONN_EVICTED))
		finish_lineless(s, conn, c);   /* over TLS the handshake alone moves the counters */
	sl_conns_remove(s->conns, c);
}

/* With [served] tls_client_ca, only peers whose certificate chains to that CA get an answer. MHD asks
 * for the certificate during the handshake but does not enforce it; this does, per request. */
static bool client_cert_ok(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return false;
	gnutls_session_t session = (gnutls_session_t)ci->tls_session;
	unsigned n = 0;
	if (gnutls_certificate_get_peers(session, &n) == NULL || n == 0)
		return false;
	unsigned status = 0;
	return gnutls_certificate_verify_peers2(session, &status) == GNUTLS_E_SUCCESS && status == 0;
}

/* MHD parses the request line as C strings: a raw NUL inside the target silently truncates it, and the
 * prefix would be served. The target and the version both point into MHD's read buffer, so anything but
 * the separator between them is bytes hidden behind a NUL. When the layout is not the expected one
 * (another MHD version), nothing is concluded: the truncated prefix is still checked like any path. */
static bool target_hides_bytes(const struct sl_request *r, const char *version)
{
	if (r->target == NULL)
		return false;
	const char *end = r->target + r->target_len;
	if (version <= end || (size_t)(version - end) > SL_MAX_REQUEST_HEADERS)
		return false;
	for (const char *c = end; c < version; c++)
		if (*c != '\0' && *c != ' ')
			return true;
	return false;
}

/* An answer that ends the connection: refused heads, and the 503 of a full server. */
static enum MHD_Result refuse(struct sl_request *r, unsigned status)
{
	char body[64];
	int n = snprintf(body, sizeof body, "%u %s\n", status,
			 status == MHD_HTTP_SERVICE_UNAVAILABLE ? "server full, retry later" : r->reason);
	struct MHD_Response *resp = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE) {
		char secs[16];
		snprintf(secs, sizeof secs, "%d", SL_CONN_RETRY_AFTER_S);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	return sl_request_respond(r, status, resp, (uint64_t)n);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct sl_served *s = cls;
	struct sl_request *r = *con_cls;
	if (r == NULL)
		return MHD_NO;   /* the request-line callback could not allocate: drop the connection */
	if (r->answered) {
		*upload_data_size = 0;   /* a body nobody asked for (POST...): discard */
		return MHD_YES;
	}
	if (!r->called) {
		r->called = true;
		snprintf(r->method, sizeof r->method, "%s", method);
		snprintf(r->version, sizeof r->version, "%s", version);
		r->get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
		r->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
		if (r->cn != NULL && !sl_conn_begin(r->cn))
			return MHD_NO;   /* the head deadline passed first: the watchdog has cut the connection */
		unsigned bad = sl_reqhead_check(r, method, version);
		if (bad != 0)
			return refuse(r, bad);
		if (r->cn != NULL && sl_conn_refuse(s->conns, r->cn)) {
			r->reason = "server full";
			return refuse(r, MHD_HTTP_SERVICE_UNAVAILABLE);
		}
		/* MHD 0.9.7x closes the connection after any response queued in this first call (it cannot
		 * know the request was read whole), which would cost every keep-alive client a new TCP
		 * connection per file. A GET or HEAD without a body is answered in the next call instead;
		 * anything else is refused now and the connection closes, so no body is ever read. */
		if ((r->get || r->head) && !sl_request_has_body(r))
			return MHD_YES;
	} else if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (s->client_certs && !client_cert_ok(conn)) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(
			strlen("403 client certificate required\n"), (void *)"403 client certificate required\n",
			MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return MHD_NO;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
		return sl_request_respond(r, MHD_HTTP_FORBIDDEN, resp, strlen("403 client certificate required\n"));
	}
	const char *rest = NULL;
	unsigned slot = 0;
	const struct sl_route *rt = url[0] == '/' ? route_match(url, &rest, &slot) : NULL;
	if (rt != NULL) {
		r->route = rt;
		r->route_slot = slot;
	}
	if (!r->get && !r->head) {
		if (rt != NULL && rt->refuse != NULL)
			return rt->refuse(r);
		return sl_request_error(r, MHD_HTTP_METHOD_NOT_ALLOWED);
	}
	if (target_hides_bytes(r, version))
		return sl_request_error(r, MHD_HTTP_BAD_REQUEST);
	if (url[0] != '/' || strlen(url) >= SL_MAX_REQUEST_PATH)
		return sl_request_error(r, url[0] != '/' ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_URI_TOO_LONG);
	if (rt == NULL)
		return sl_request_error(r, MHD_HTTP_NOT_FOUND);
	return rt->handle(r, rest);
}

static int set_cause(char **cause, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int set_cause(char **cause, int err, const char *fmt, ...)
{
	if (cause != NULL) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(cause, fmt, ap) < 0)
			*cause = NULL;
		va_end(ap);
	}
	return err;
}

static int load_pem(const char *path, char **out, char **cause)
{
	size_t len;
	int rc = sl_fs_read_file(path, SL_TLS_PEM_MAX, out, &len);
	if (rc < 0)
		return set_cause(cause, rc, "%s: %s", path, sl_strerror(rc));
	return 0;
}

static int bind_listen(struct sl_served *s, char **cause)
{
	const char *listen_on = s->cfg->listen != NULL ? s->cfg->listen : "127.0.0.1:8080";
	struct sockaddr_storage ss;
	socklen_t sslen;
	int rc = sl_netaddr_parse_listen(listen_on, &ss, &sslen);
	if (rc < 0)
		return set_cause(cause, -SL_E_CONFIG, "[served] listen = %s: %s", listen_on,
				 rc == -SL_E_NOTFOUND ? "host does not resolve" : "expected HOST:PORT or [V6]:PORT");
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return set_cause(cause, -errno, "socket: %s", strerror(errno));
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, SOMAXCONN) < 0) {
		int err = errno;
		close(fd);
		return set_cause(cause, -err, "listen on %s: %s", listen_on, strerror(err));
	}
	sslen = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		int err = errno;
		close(fd);
		return set_cause(cause, -err, "getsockname: %s", strerror(err));
	}
	s->listen_fd = fd;
	s->port = sl_netaddr_port((struct sockaddr *)&ss);
	char host[INET6_ADDRSTRLEN + 2];
	sl_netaddr_host((struct sockaddr *)&ss, true, host, sizeof host);
	snprintf(s->authority, sizeof s->authority, "%s:%u", host, (unsigned)s->port);
	snprintf(s->url, sizeof s->url, "%s://%s/", s->tls ? "https" : "http", s->authority);
	return 0;
}

struct sl_served *sl_served_new(const struct sl_config *cfg, char **cause)
{
	struct sl_served *s = calloc(1, sizeof *s);
	if (s == NULL) {
		set_cause(cause, -ENOMEM, "out of memory");
		return NULL;
	}
	s->cfg = cfg;
	s->listen_fd = -1;
	atomic_init(&s->public_fd, -1);
	s->hot = sl_hotcache_new();   /* NULL (no memory) only costs speed */
	if (cfg->map_budget > 0)
		s->maps = sl_mapcache_new(cfg->map_budget);   /* likewise; none: large files by sendfile only */
	if (sl_route_count() > SL_ROUTE_SLOTS) {
		set_cause(cause, -SL_E_CONFIG, "%u routes but only %d metrics slots (SL_ROUTE_SLOTS)", sl_route_count(),
			  SL_ROUTE_SLOTS);
		goto fail;
	}
	if (cfg->state_dir == NULL) {
		set_cause(cause, -SL_E_CONFIG, "[sluice] state_dir is not set");
		goto fail;
	}
	if (snprintf(s->public_dir, sizeof s->public_dir, "%s/public", cfg->state_dir) >= (int)sizeof s->public_dir ||
	    snprintf(s->catalog_path, sizeof s->catalog_path, "%s/catalog.db", cfg->state_dir) >=
		    (int)sizeof s->catalog_path) {
		set_cause(cause, -SL_E_TOOBIG, "[sluice] state_dir is too long");
		goto fail;
	}
	if (cfg->allow.n > 0) {
		s->allow = calloc(cfg->allow.n, sizeof *s->allow);
		if (s->allow == NULL) {
			set_cause(cause, -ENOMEM, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < cfg->allow.n; i++) {
			if (sl_netaddr_parse_cidr(cfg->allow.v[i], &s->allow[i]) < 0) {
				set_cause(cause, -SL_E_CONFIG, "[served] allow: %s is not an address or CIDR",
					  cfg->allow.v[i]);
				goto fail;
			}
		}
		s->nallow = cfg->allow.n;
	}
	if ((cfg->tls_cert != NULL) != (cfg->tls_key != NULL)) {
		set_cause(cause, -SL_E_CONFIG, "[served] tls_cert and tls_key go together");
		goto fail;
	}
	if (cfg->tls_client_ca != NULL && cfg->tls_cert == NULL) {
		set_cause(cause, -SL_E_CONFIG, "[served] tls_client_ca needs tls_cert and tls_key");
		goto fail;
	}
	if (cfg->tls_cert != NULL) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			set_cause(cause, -SL_E_UNSUPPORTED, "[served] tls_cert: libmicrohttpd was built without TLS");
			goto fail;
		}
		/* Read while still privileged: the key is typically root-only. */
		if (load_pem(cfg->tls_cert, &s->tls_cert, cause) < 0 || load_pem(cfg->tls_key, &s->tls_key, cause) < 0)
			goto fail;
		if (cfg->tls_client_ca != NULL) {
			if (load_pem(cfg->tls_client_ca, &s->tls_ca, cause) < 0)
				goto fail;
			s->client_certs = true;
		}
		s->tls = true;
	}
	unsigned max = cfg->served_max_connections ? cfg->served_max_connections : 1024;
	int64_t idle_ms = cfg->connection_timeout_ms > 0 ? cfg->connection_timeout_ms : 30000;
	s->conns = sl_conns_new(max, cfg->header_timeout_ms, idle_ms);
	if (s->conns == NULL) {
		set_cause(cause, -ENOMEM, "out of memory");
		goto fail;
	}
	if (cfg->access_log != NULL) {
		s->access_log = sl_accesslog_open(cfg->access_log, cause);
		if (s->access_log == NULL)
			goto fail;
	}
	if (bind_listen(s, cause) < 0)
		goto fail;
	return s;
fail:
	sl_served_free(s);
	return NULL;
}

static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int sl_served_start(struct sl_served *s, char **cause)
{
	const struct sl_config *cfg = s->cfg;
	unsigned threads = cfg->threads ? cfg->threads : default_threads();
	unsigned timeout_s = cfg->connection_timeout_ms > 0 ? (unsigned)((cfg->connection_timeout_ms + 999) / 1000)
							    : 30;
	struct MHD_OptionItem opts[24];
	size_t n = 0;
#define OPT(o, v, p) opts[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) }
	/* First, so libmicrohttpd reports even the handling of the options below through our log. */
	OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, s);
	OPT(MHD_OPTION_LISTEN_SOCKET, s->listen_fd, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, sl_conns_mhd_limit(s->conns), NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_connections_per_ip ? cfg->max_connections_per_ip : 64,
	    NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, timeout_s, NULL);
	/* Room beyond the head limit: MHD copies the Cookie header into the same pool and fails without an
	 * answer when it does not fit; heads within the limit must reach sl_reqhead_check(), which answers 431. */
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SL_MAX_REQUEST_HEADERS * 4, NULL);
	OPT(MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_request_line, s);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s);
	OPT(MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)keep_escaped, NULL);
	OPT(MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);
	if (threads > 1)
		OPT(MHD_OPTION_THREAD_POOL_SIZE, threads, NULL);
	if (s->tls) {
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key);
		if (s->tls_ca != NULL)
			OPT(MHD_OPTION_HTTPS_MEM_TRUST, 0, s->tls_ca);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	if (s->tls)
		flags |= MHD_USE_TLS;
	int rc = sl_conns_start(s->conns);
	if (rc < 0)
		return set_cause(cause, rc, "cannot start the header watchdog: %s", strerror(-rc));
	s->daemon = MHD_start_daemon(flags, 0, on_accept, s, on_request, s, MHD_OPTION_ARRAY, opts,
				     MHD_OPTION_END);
	if (s->daemon == NULL)
		return set_cause(cause, -SL_E_CONFIG, "cannot start the HTTP server on %s (see the log above)",
				 s->authority);
	atomic_store(&s->serving, true);
	return 0;
}

uint16_t sl_served_port(const struct sl_served *s)
{
	return s->port;
}

const char *sl_served_url(const struct sl_served *s)
{
	return s->url;
}

int sl_served_reopen_log(struct sl_served *s)
{
	sl_files_public_reopen(&s->public_fd, s->public_dir);
	sl_hotcache_clear(s->hot);
	int rc = sl_accesslog_reopen(s->access_log);
	if (rc < 0)
		sl_log_err(NULL, "access log %s: cannot reopen: %s", s->cfg->access_log, sl_strerror(rc));
	return rc;
}

void sl_served_quiesce(struct sl_served *s)
{
	if (s->daemon == NULL || s->quiesced)
		return;
	MHD_socket fd = MHD_quiesce_daemon(s->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	s->listen_fd = -1;
	s->quiesced = true;
}

int64_t sl_served_in_flight(const struct sl_served *s)
{
	return atomic_load(&s->stats.in_flight);
}

void sl_served_free(struct sl_served *s)
{
	if (s == NULL)
		return;
	if (s->daemon != NULL) {
		MHD_stop_daemon(s->daemon);
		/* MHD closes the listen socket it was given unless quiesce handed it back. */
		s->listen_fd = -1;
	}
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (atomic_load(&s->public_fd) >= 0)
		close(atomic_load(&s->public_fd));
	sl_hotcache_free(s->hot);
	sl_mapcache_free(s->maps);   /* after MHD_stop_daemon: every response sending from a mapping is gone */
	sl_accesslog_free(s->access_log);
	sl_conns_free(s->conns);   /* after MHD_stop_daemon: every connection has been reported closed */
	free(s->allow);
	free(s->tls_cert);
	if (s->tls_key != NULL) {
		explicit_bzero(s->tls_key, strlen(s->tls_key));
		free(s->tls_key);
	}
	free(s->tls_ca);
	free(s);
}
