/* server: sluice-served's HTTP daemon. Binds [served] listen, then runs libmicrohttpd with a pool of
 * epoll threads answering from the route table: the published trees (/<format>/<source>/..., one route
 * per format of core/format.h that has a served handler), /keys/, /healthz, /metrics and the status page
 * at /. GET and HEAD only; everything is read-only.
 *
 * Limits (connections, per-IP connections, idle timeout, the deadline for a request's head, header bytes),
 * the CIDR allow-list, TLS and client certificates come from [served]. Connections are tracked beside
 * libmicrohttpd (served/conn.h: head deadline, a reserve beyond max_connections, a status for requests
 * MHD would drop silently) and heads are checked strictly (served/reqhead.h); every request is finished,
 * counted and logged once, whichever way MHD ends its connection. The caller (main) owns signals: it calls sl_served_reopen_log()
 * on SIGHUP and sl_served_quiesce() + sl_served_free() on SIGTERM.
 *
 * Ownership: sl_served_new() -> sl_served_free(). The config is borrowed and must outlive the server. */
#ifndef SL_SERVER_H
#define SL_SERVER_H

#include <stdint.h>

struct sl_config;
struct sl_served;

/* Validate [served], open the access log, bind and listen. No thread is started, so privileges can be
 * dropped after this. NULL + *cause on failure. */
struct sl_served *sl_served_new(const struct sl_config *cfg, char **cause);
/* Start the worker threads. 0, or a negative code with *cause. */
int sl_served_start(struct sl_served *s, char **cause);
/* The bound port (useful with port 0) and "http(s)://HOST:PORT/". */
uint16_t sl_served_port(const struct sl_served *s);
const char *sl_served_url(const struct sl_served *s);
/* SIGHUP: reopen the access log. 0 or -errno (the old file stays in use). */
int sl_served_reopen_log(struct sl_served *s);
/* Stop accepting connections; requests in progress continue. */
void sl_served_quiesce(struct sl_served *s);
/* Requests between request line and completion, for a graceful stop. */
int64_t sl_served_in_flight(const struct sl_served *s);
/* Stop the threads (closing remaining connections) and free. NULL is a no-op. */
void sl_served_free(struct sl_served *s);

#endif
