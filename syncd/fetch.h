/* fetch: syncd's HTTP engine over one libcurl multi handle. Many transfers run in parallel (capped in
 * total and per host), connections are kept alive and reused, bodies stream either into the content
 * store (hashed on the fly, committed only when size and SHA-256 match) or into a capped memory buffer.
 *
 * Politeness lives here, for every format: a minimum interval between requests to one host, a global
 * and per-request bandwidth cap, conditional requests from stored validators (ETag / Last-Modified, so
 * an unchanged upstream costs a 304), Retry-After on 429/503 and optional long cool-down on 403 that are
 * persisted per host in the catalogue and never bypassed, retries with exponential backoff and jitter
 * for transient errors only (connect failure, reset, 5xx, stall), a low-speed timeout and a deadline per
 * transfer, resume of interrupted large downloads with Range, http/https only, no redirects to another
 * scheme, TLS verification always on.
 *
 * Ownership: sl_fetch_new() -> sl_fetch_free(); the engine borrows the catalogue and store (either may be
 * NULL: no persisted state / memory bodies only). Request strings are copied by sl_fetch_add(). A result
 * passed to `done` is borrowed for the duration of the callback; `done` may add further requests.
 *
 * Response headers a caller needs (a registry's WWW-Authenticate, Docker-Content-Digest, Link, rate-limit
 * counters) are named in req.capture and come back in result.captured, on success and on HTTP errors
 * alike, so every request of a format, control requests included, is paced, capped and counted here. */
#ifndef SL_FETCH_H
#define SL_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"

struct sl_catalog;
struct sl_store;
struct sl_fetch;

struct sl_fetch_opts {
	const char *user_agent;          /* NULL: "sluice/VERSION (+air-gapped mirror)" */
	const char *proxy;               /* NULL: environment */
	const char *ca_file;             /* NULL: system store */
	unsigned max_connections;        /* total; 0: 16 */
	unsigned max_per_host;           /* 0: 4 */
	uint64_t bandwidth_bps;          /* sum of all transfers; 0: unlimited */
	int64_t request_interval_ms;     /* minimum gap between request starts to one host */
	uint64_t low_speed_bps;          /* 0: 1024 */
	int64_t low_speed_time_ms;       /* 0: 30 s */
	int64_t transfer_timeout_ms;     /* 0: 1 h */
	int64_t connect_timeout_ms;      /* 0: 30 s */
	unsigned retries;                /* transient-error retries per request */
	int64_t retry_base_ms;           /* first backoff (0: 1 s), doubled each time, with jitter */
	uint64_t resume_min_bytes;       /* SL_FETCH_RESUMABLE only for bodies of unknown size or at least
					  * this many bytes (0: all); smaller ones start over after a failure */
	const volatile int *stop;        /* when *stop becomes non-zero, run() aborts transfers and returns */
	const char *log_source;          /* source name for log lines */
};

enum sl_fetch_flags {
	SL_FETCH_TO_STORE = 1u << 0,     /* body into the store (expect_* apply); else into memory */
	SL_FETCH_CONDITIONAL = 1u << 1,  /* send stored validators; 304 gives not_modified */
	SL_FETCH_RESUMABLE = 1u << 2,    /* keep partial bytes on failure and resume with Range */
	SL_FETCH_HEAD = 1u << 3,         /* HEAD request: status and headers only */
	SL_FETCH_COOLDOWN_403 = 1u << 4, /* 403 means the host banned us: cool down (ClamAV CDN) */
	SL_FETCH_OPTIONAL = 1u << 5,     /* 404 is an expected answer (not logged as an error) */
	SL_FETCH_QUIET = 1u << 6,        /* the caller reports every failure itself: logged at debug only */
};

struct sl_fetch_result {
	int err;                         /* 0 or -SL_E_* (HTTP, DIGEST, SIZE, TOOBIG, TIMEOUT, NETWORK, COOLDOWN) */
	long status;                     /* last HTTP status, 0 if none */
	bool not_modified;               /* 304 on a conditional request */
	const char *url;                 /* as requested */
	const char *effective_url;       /* after redirects */
	char sha256[SL_SHA256_HEX];      /* store mode: committed object */
	uint64_t size;                   /* bytes of the body (whole object in store mode) */
	const uint8_t *body;             /* memory mode: the body (NUL-terminated), else NULL */
	size_t body_len;
	const char *etag, *last_modified;/* response validators, may be NULL */
	const char *content_type;        /* may be NULL */
	const char *message;             /* human explanation when err != 0 */
	unsigned attempts;
	/* With req.capture: one value per name, same order, of the last response (after redirects), also
	 * on errors; NULL where absent. Repeated fields are joined with ", " (RFC 9110 5.3). Else NULL. */
	const char *const *captured;
};

struct sl_fetch_req {
	const char *url;
	unsigned flags;                  /* SL_FETCH_* */
	const char *expect_sha256;       /* store mode: required digest, or NULL */
	int64_t expect_size;             /* -1: unknown */
	uint64_t max_size;               /* cap on the body; 0: SL_MAX_MEMORY_BODY (memory) or artifact cap */
	const char *range;               /* e.g. "0-511", or NULL */
	const char *const *headers;      /* extra request headers, NULL-terminated, or NULL */
	uint64_t bandwidth_bps;          /* per-request cap (per-source setting); 0: none */
	void (*done)(void *arg, const struct sl_fetch_result *r);
	void *arg;
	/* Response header names to keep (case-insensitive), NULL-terminated, at most SL_MAX_FETCH_CAPTURE, or
	 * NULL. A value longer than SL_MAX_HEADER_VALUE - 1 bytes fails the request with -SL_E_TOOBIG: it is
	 * never truncated (a cut Link or digest parses as something else) nor dropped (an absent Link means
	 * "last page"). */
	const char *const *capture;
	int64_t timeout_ms;              /* deadline of one attempt; 0: opts.transfer_timeout_ms */
};

struct sl_fetch *sl_fetch_new(const struct sl_fetch_opts *opts, struct sl_catalog *cat, struct sl_store *st,
			      char **cause);
void sl_fetch_free(struct sl_fetch *f);
/* Queue a request. -SL_E_COOLDOWN immediately (done is not called) if its host is cooling down. */
int sl_fetch_add(struct sl_fetch *f, const struct sl_fetch_req *req);
/* A result's body is borrowed for the callback only; this is the copy a caller keeps: heap, NUL-terminated,
 * its length in *len (an absent body gives ""). NULL on allocation failure. */
uint8_t *sl_fetch_body_dup(const struct sl_fetch_result *r, size_t *len);
/* Run until every queued request (including ones added from callbacks) is done, or *stop is set.
 * 0, or -SL_E_INTERRUPTED. Per-request errors are reported to their callbacks, not here. */
int sl_fetch_run(struct sl_fetch *f);
/* Progress as it happens, for a display (`sluice sync` on a terminal): what was actually transferred,
 * not what a caller found already in the store. Counts are since creation. */
struct sl_fetch_progress {
	uint64_t bytes;                  /* body bytes received, every request, partial ones included */
	uint64_t files_ok;               /* store downloads committed */
	uint64_t files_failed;           /* store downloads that failed (not those a stop aborted) */
	uint64_t files_aborted;          /* store downloads ended by *stop */
	unsigned active;                 /* store downloads in flight */
	uint64_t active_bytes;           /* their bytes so far (resumed parts included) */
	const char *url;                 /* the in-flight store download with the most bytes still to come */
	uint64_t url_done, url_size;     /* its bytes so far and expected size (0: unknown); url NULL: none */
};
/* `cb` is called from sl_fetch_run() as bytes arrive (at most every SL_FETCH_PROGRESS_MS) and whenever a
 * store download ends; the struct and its url are borrowed for the call. NULL cb: none. */
void sl_fetch_on_progress(struct sl_fetch *f, void (*cb)(void *arg, const struct sl_fetch_progress *p),
			  void *arg);

/* Totals since creation. */
void sl_fetch_stats(const struct sl_fetch *f, uint64_t *bytes, uint64_t *requests);

/* Lend the catalogue away: until sl_fetch_catalog_return() the engine does not touch it (a syncer fills it
 * on another thread during its downloads, and a connection serves one thread at a time). Meanwhile
 * validators are neither read nor stored (conditional requests are made unconditionally), a host's stored
 * cool-down is read only after the return, and a cool-down that starts is kept in memory and persisted on
 * the return. Both run on the engine's thread, outside sl_fetch_run(). */
void sl_fetch_catalog_lend(struct sl_fetch *f);
void sl_fetch_catalog_return(struct sl_fetch *f);

#endif
