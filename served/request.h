/* request: what every route handler of sluice-served sees — one in-flight request, the route table entry
 * that matched it, the server's counters — and the few ways to answer it. Internal to served/.
 *
 * A struct sl_request lives from the moment MHD has read the request line (URI log callback) until MHD
 * reports the request complete; server.c allocates and frees it. Handlers answer exactly once through
 * sl_request_respond() (or the helpers built on it), which records status and body size for the access
 * log and the metrics. Counters are C11 atomics: no lock is taken on the request path. */
#ifndef SL_REQUEST_H
#define SL_REQUEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "core/limits.h"

struct sl_config;
struct sl_conn;
struct sl_source;
struct sl_text;

#define SL_ROUTE_SLOTS 16        /* routes, including "other"; server.c asserts the table fits */
#define SL_LOG_URI_MAX 512       /* bytes of the request target kept for the access log */

/* Status codes counted in /metrics; anything else counts as "other". */
#define SL_CODE_LIST 200, 206, 304, 400, 403, 404, 405, 408, 414, 416, 431, 500, 503
#define SL_CODE_SLOTS 14         /* the list above plus "other" */

struct sl_served_stats {
	atomic_uint_fast64_t requests[SL_ROUTE_SLOTS][SL_CODE_SLOTS];
	atomic_uint_fast64_t bytes[SL_ROUTE_SLOTS];
	atomic_int_fast64_t in_flight;
};

struct sl_request;

/* One route: sluice's own (server.c) or a format's (its row's `serve`, in the format's own file). A format
 * route's prefix is "/<format>/" unless it names another (OCI's "/v2/"). */
struct sl_route {
	const char *name;        /* metrics label */
	const char *prefix;      /* NULL for a format route: "/<format>/" */
	bool exact;              /* the path must equal prefix */
	/* `rest` is the raw (still %-encoded) path after the prefix. */
	enum MHD_Result (*handle)(struct sl_request *r, const char *rest);
	/* Any method but GET and HEAD: the route's own 405 (OCI's error JSON). NULL: the generic 405 page. */
	enum MHD_Result (*refuse)(struct sl_request *r);
	/* Status page: client set-up for one source of this format, as escaped HTML. May be NULL. */
	void (*snippet)(struct sl_text *out, const char *base_url, const struct sl_source *src);
};

struct sl_request {
	const struct sl_config *cfg;
	struct sl_served_stats *stats;
	const char *public_dir;             /* STATE/public */
	atomic_int *public_fd;              /* its cached descriptor (sl_files_public_fd) */
	struct sl_hotcache *hot;            /* small published files' responses (served/hotcache.h); may be NULL */
	struct sl_mapcache *maps;           /* large files' shared mappings (served/mapcache.h); may be NULL */
	const char *catalog_path;           /* STATE/catalog.db */
	const char *authority;              /* listen HOST:PORT, for links when Host is unusable */
	bool tls;
	struct MHD_Connection *conn;
	const struct sl_route *route;       /* NULL: no route matched ("other") */
	unsigned route_slot;
	bool head;                          /* HEAD: MHD sends headers only */
	bool get;
	bool called;                        /* the access handler ran once (headers complete) */
	bool answered;
	unsigned status;                    /* 0 until answered (MHD-generated errors stay 0) */
	uint64_t body_bytes;                /* body size queued (0 for HEAD) */
	struct timespec started;            /* CLOCK_MONOTONIC */
	time_t started_wall;
	char client[64];                    /* numeric address */
	char method[16];
	char version[16];
	char uri[SL_LOG_URI_MAX];           /* raw request target, truncated */
	const char *target;                 /* MHD's copy of the target, valid during the handler call */
	size_t target_len;
	struct sl_conn *cn;                 /* its connection's state (served/conn.h); NULL if none */
	const char *reason;                 /* why it was refused or dropped (static text), for the access log */
};

/* Queue `resp` with `status` (the response is destroyed here in every case). `body_len` is the body the
 * response carries, for the access log. */
enum MHD_Result sl_request_respond(struct sl_request *r, unsigned status, struct MHD_Response *resp,
				   uint64_t body_len);
/* The same, but `resp` stays the caller's (a shared response kept for later requests). */
enum MHD_Result sl_request_respond_keep(struct sl_request *r, unsigned status, struct MHD_Response *resp,
					uint64_t body_len);
/* Record an answer queued directly with MHD (the hot cache), for the access log and the metrics. */
void sl_request_answered(struct sl_request *r, unsigned status, uint64_t body_len);
/* Short text/plain answer; `body` is copied. */
enum MHD_Result sl_request_text(struct sl_request *r, unsigned status, const char *content_type,
				const char *body, size_t len);
/* Heap body handed to MHD (freed by it). */
enum MHD_Result sl_request_take(struct sl_request *r, unsigned status, const char *content_type,
				char *body, size_t len, const char *cache_control);
/* The canonical error page for a status: "404 not found\n" etc. */
enum MHD_Result sl_request_error(struct sl_request *r, unsigned status);
/* Does the request announce a body (Content-Length other than 0, or Transfer-Encoding)? */
bool sl_request_has_body(const struct sl_request *r);
/* A request header, or NULL. */
const char *sl_request_header(const struct sl_request *r, const char *name);
/* "http://HOST:PORT" the client used (Host header when sane, else the listen address), for links. */
void sl_request_base_url(const struct sl_request *r, char *buf, size_t cap);

/* Route table lookups (server.c). */
/* Index of a status code among SL_CODE_LIST, or SL_CODE_SLOTS - 1 for any other. */
unsigned sl_request_code_slot(unsigned status);
extern const unsigned sl_request_codes[SL_CODE_SLOTS - 1];
/* Route table for /metrics labels. */
unsigned sl_route_count(void);
const char *sl_route_label(unsigned slot);

#endif
