/* fetch_int: what the fetch engine's own files share (fetch.c: scheduling, politeness, starting an
 * attempt; fetch_end.c: what the end of an attempt means; fetch_body.c: curl's callbacks, where a
 * response's headers and body go). Not for use outside syncd/fetch*.c. */
#ifndef SL_FETCH_INT_H
#define SL_FETCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "core/limits.h"
#include "syncd/fetch.h"

#define FETCH_ERROR_BODY     (64u << 10)         /* bytes of an error page read (and dropped) at most */

/* Token bucket in bytes. curl's own CURLOPT_MAX_RECV_SPEED_LARGE lets every new transfer burst (it
 * reads whatever the socket holds before it starts waiting) and re-credits its 3 s window when the limit
 * changes, so a sync of many small files would ignore the cap; one engine-wide bucket that pauses the
 * transfer drawing on it (CURL_WRITEFUNC_PAUSE) holds the cap exactly and shares it among all. */
struct bucket {
	uint64_t rate;           /* bytes/s; 0: unlimited */
	double tokens;           /* may go negative by one write: that debt is repaid before the next */
	int64_t last;            /* monotonic ms of the last refill */
};

struct fetch_host {
	struct fetch_host *next;
	char name[256];
	int64_t next_start;      /* monotonic ms: no request to this host starts before this */
	int64_t cooldown_until;  /* Unix s; 0: none */
	unsigned active;         /* transfers in flight */
	unsigned unsent;         /* started but request not yet on the wire (interval is measured from sends) */
	bool cooldown_loaded;
	bool cooldown_unsaved;   /* started while the catalogue was lent (sl_fetch_catalog_lend) */
	char cooldown_why[128];
};

struct xfer {
	struct xfer *prev, *next;   /* in f->pending or f->active */
	struct sl_fetch *f;
	struct fetch_host *host;
	struct sl_fetch_req req;    /* strings owned */
	CURL *easy;
	struct curl_slist *hdrs;
	struct sl_store_writer *w;
	uint8_t *mem;
	size_t mem_len, mem_cap;
	uint64_t cap;               /* body cap (whole object) */
	uint64_t offset;            /* bytes resumed from a partial in this attempt */
	uint64_t got;               /* body bytes received in this attempt */
	int64_t not_before;         /* monotonic ms (backoff) */
	unsigned attempts, retries;
	struct bucket bw;           /* per-request cap */
	bool https, body_started, sent, no_resume, discard, restart, paused;
	int abort_err;              /* set by the body callback when it refused bytes */
	long status;
	char etag[SL_MAX_HEADER_VALUE], last_modified[SL_MAX_HEADER_VALUE], content_type[SL_MAX_HEADER_VALUE];
	size_t ncap;                /* names in req.capture */
	char (*cap_val)[SL_MAX_HEADER_VALUE];   /* per name: the current response's value */
	uint32_t cap_seen;          /* bit i: capture[i] present in the current response */
	char retry_after[128], content_range[128];
	char errbuf[CURL_ERROR_SIZE];
	char msg[512];
};

struct xlist {
	struct xfer *head, *tail;
	unsigned n;
};

struct sl_fetch {
	struct sl_fetch_opts opts;
	char *user_agent, *proxy, *ca_file, *log_source;
	struct sl_catalog *cat;
	bool cat_lent;              /* another thread has the catalogue: do not touch it */
	struct sl_store *st;
	CURLM *multi;
	struct xlist pending, active;
	struct xlist settling;      /* bodies complete, their write-behind not yet: committed once idle */
	struct fetch_host *hosts;
	struct bucket bw;           /* global cap */
	CURL **easy_pool;           /* idle easy handles, at most opts.max_connections, options mostly set */
	unsigned n_easy;
	struct sl_writeq *wq;       /* write-behind for store bodies: started with the first one, freed when idle */
	bool wq_failed;             /* could not start it: bodies are written on this thread */
	uint64_t bytes, requests;
	uint64_t rng;
	/* sl_fetch_on_progress */
	void (*progress)(void *arg, const struct sl_fetch_progress *p);
	void *progress_arg;
	int64_t progress_ms;        /* monotonic ms of the last call */
	uint64_t files_ok, files_failed, files_aborted;
};

#define SL_FETCH_PROGRESS_MS 250   /* ms between progress calls while bytes arrive: 4 redraws a second */

/* Call the progress callback (if any): always when `force`, else at most every SL_FETCH_PROGRESS_MS. */
void sl_fx_progress(struct sl_fetch *f, bool force);
/* Monotonic milliseconds. */
int64_t sl_fx_now_ms(void);
/* Token bucket: add what accrued since the last refill; ms to wait before the next write (0: go). */
void sl_fx_bucket_refill(struct bucket *b, int64_t now);
int64_t sl_fx_bucket_wait(const struct bucket *b);

/* curl callbacks (CURLOPT_HEADERFUNCTION, CURLOPT_WRITEFUNCTION, CURLOPT_PREREQFUNCTION); arg is the xfer. */
size_t sl_fx_on_header(char *p, size_t size, size_t n, void *arg);
size_t sl_fx_on_body(char *p, size_t size, size_t n, void *arg);
int sl_fx_on_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port);
/* The store writer for x's body (resuming a partial where allowed): 0, or -EIO with *cause. */
int sl_fx_open_writer(struct xfer *x, char **cause);

/* fetch.c's helpers for fetch_end.c. */
bool sl_fx_stopped(const struct sl_fetch *f);                  /* the caller's *stop is set */
void sl_fx_xlist_push(struct xlist *l, struct xfer *x);
void sl_fx_xlist_remove(struct xlist *l, struct xfer *x);
uint64_t sl_fx_rnd(struct sl_fetch *f);                        /* 64 bits of xorshift*: jitter, not secrets */
/* No request to this host before `seconds` from now (clamped to [1, SL_MAX_COOLDOWN_S], persisted in the
 * catalogue); only ever lengthens a cool-down. */
void sl_fx_host_cooldown(struct sl_fetch *f, struct fetch_host *h, int64_t seconds, const char *why);
void sl_fx_xfer_free(struct xfer *x);
/* A finished (removed from the multi handle) transfer's easy handle back to the pool; NULL: no-op. */
void sl_fx_easy_put(struct sl_fetch *f, CURL *e);

/* fetch_end.c: report x's outcome (logging a failure once) and free it. */
void sl_fx_xfer_finish(struct sl_fetch *f, struct xfer *x, int err, const char *why);
/* curl finished x's attempt with cc: commit, retry, resume, restart or give up. */
void sl_fx_xfer_done(struct sl_fetch *f, struct xfer *x, CURLcode cc);
/* Commit the settling transfers whose writes are done (all of them, waiting, when `wait`); whether any
 * was. */
bool sl_fx_settle(struct sl_fetch *f, bool wait);

#endif
