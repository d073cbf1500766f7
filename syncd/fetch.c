/* fetch: syncd's HTTP engine. One curl multi handle drives every transfer; this file decides when a
 * request may start (connection caps, per-host interval, backoff, cool-downs). What the end of an attempt
 * means (commit, retry, resume, restart, give up) is fetch_end.c's; what arrives on the way (headers,
 * body bytes, into a store writer or capped memory) is fetch_body.c's. */
#include "syncd/fetch_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>

#include "core/blob.h"
#include "core/catalog.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store.h"
#include "core/writeq.h"
#include "core/url.h"

#define FETCH_UA             "sluice/" SLUICE_VERSION " (+air-gapped mirror)"
#define FETCH_POLL_MS        50                  /* ms: longest sleep, bounds how late *stop is seen */
#define FETCH_RECV_BUFFER    (256L << 10)        /* bytes per receive: fewer syscalls and callbacks on fast links */

int64_t sl_fx_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool sl_fx_stopped(const struct sl_fetch *f)
{
	return f->opts.stop != NULL && *f->opts.stop != 0;
}

void sl_fx_xlist_push(struct xlist *l, struct xfer *x)
{
	x->next = NULL;
	x->prev = l->tail;
	if (l->tail)
		l->tail->next = x;
	else
		l->head = x;
	l->tail = x;
	l->n++;
}

void sl_fx_xlist_remove(struct xlist *l, struct xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		l->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	else
		l->tail = x->prev;
	x->prev = x->next = NULL;
	l->n--;
}

/* xorshift64*: jitter only, no security relevance. */
uint64_t sl_fx_rnd(struct sl_fetch *f)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 2685821657736338717ull;
}

/* libcurl validates the URL and its scheme; the host comes from core/url.h, the one parser the locks,
 * cool-downs and displays share. */
static int url_parts(const char *url, bool *https, char *host, size_t cap)
{
	CURLU *u = curl_url();
	if (u == NULL)
		return -ENOMEM;
	char *scheme = NULL;
	int rc = -SL_E_BADNAME;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		goto out;
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		rc = -SL_E_UNSUPPORTED;
		goto out;
	}
	if (https)
		*https = scheme[4] == 's';
	rc = sl_url_host(url, host, cap);
out:
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}


static struct fetch_host *host_get(struct sl_fetch *f, const char *name)
{
	for (struct fetch_host *h = f->hosts; h; h = h->next)
		if (strcmp(h->name, name) == 0)
			return h;
	struct fetch_host *h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	snprintf(h->name, sizeof h->name, "%s", name);
	h->next = f->hosts;
	f->hosts = h;
	return h;
}

/* True while the host cools down; the catalogue is read once per host so another process's (or an
 * earlier run's) cool-down is honoured. */
static bool host_cooling(struct sl_fetch *f, struct fetch_host *h)
{
	if (!h->cooldown_loaded && f->cat != NULL && !f->cat_lent) {
		int64_t until = 0;
		if (sl_catalog_cooldown_get(f->cat, h->name, &until, NULL) == 0 && until > h->cooldown_until)
			h->cooldown_until = until;
		h->cooldown_loaded = true;
	}
	return h->cooldown_until > (int64_t)time(NULL);
}

/* Store h's cool-down (until h->cooldown_until) in the catalogue, which the caller has (not lent). */
static void cooldown_persist(struct sl_fetch *f, const struct fetch_host *h, const char *why)
{
	if (sl_catalog_cooldown_set(f->cat, h->name, h->cooldown_until, why) != 0)
		sl_log_warn(f->log_source, "%s: cool-down not persisted in the catalogue", h->name);
}

void sl_fx_host_cooldown(struct sl_fetch *f, struct fetch_host *h, int64_t seconds, const char *why)
{
	if (seconds > SL_MAX_COOLDOWN_S)
		seconds = SL_MAX_COOLDOWN_S;
	if (seconds < 1)
		seconds = 1;
	int64_t until = (int64_t)time(NULL) + seconds;
	if (until <= h->cooldown_until)
		return;
	h->cooldown_until = until;
	sl_log_warn(f->log_source, "%s: cooling down for %" PRId64 " s: %s", h->name, seconds, why);
	if (f->cat != NULL && f->cat_lent) {   /* persisted by sl_fetch_catalog_return() */
		h->cooldown_unsaved = true;
		snprintf(h->cooldown_why, sizeof h->cooldown_why, "%s", why);
	} else if (f->cat != NULL) {
		cooldown_persist(f, h, why);
	}
}

void sl_fetch_catalog_lend(struct sl_fetch *f)
{
	f->cat_lent = true;
}

void sl_fetch_catalog_return(struct sl_fetch *f)
{
	f->cat_lent = false;
	for (struct fetch_host *h = f->hosts; h != NULL; h = h->next) {
		if (h->cooldown_unsaved && f->cat != NULL)
			cooldown_persist(f, h, h->cooldown_why);
		h->cooldown_unsaved = false;
	}
}

static char *dup_or_null(const char *s, bool *fail)
{
	if (s == NULL)
		return NULL;
	char *d = strdup(s);
	if (d == NULL)
		*fail = true;
	return d;
}

/* A copy of a NULL-terminated string vector (NULL stays NULL); *fail on allocation failure. */
static const char *const *strv_dup(const char *const *v, bool *fail)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	if (n == 0)
		return NULL;
	char **d = calloc(n + 1, sizeof *d);
	if (d == NULL) {
		*fail = true;
		return NULL;
	}
	bool bad = false;
	for (size_t i = 0; i < n; i++)
		d[i] = dup_or_null(v[i], &bad);
	if (bad) {
		for (size_t i = 0; i < n; i++)
			free(d[i]);
		free(d);
		*fail = true;
		return NULL;
	}
	return (const char *const *)d;
}

static void strv_free(const char *const *v)
{
	for (size_t i = 0; v && v[i]; i++)
		free((char *)v[i]);
	free((void *)v);
}

void sl_fx_xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	sl_fx_easy_put(x->f, x->easy);
	curl_slist_free_all(x->hdrs);
	sl_store_writer_abort(x->w, false);
	free(x->mem);
	free((char *)x->req.url);
	free((char *)x->req.expect_sha256);
	free((char *)x->req.range);
	strv_free(x->req.headers);
	strv_free(x->req.capture);
	free(x->cap_val);
	free(x);
}

static void bucket_init(struct bucket *b, uint64_t rate)
{
	b->rate = rate;
	b->tokens = 0;
	b->last = sl_fx_now_ms();
}

void sl_fx_bucket_refill(struct bucket *b, int64_t now)
{
	if (b->rate == 0)
		return;
	/* At most 50 ms of credit (but one curl write, 16 KiB): an idle engine cannot save up a burst. */
	double burst = (double)b->rate / 20 > 16384 ? (double)b->rate / 20 : 16384;
	b->tokens += (double)(now - b->last) * (double)b->rate / 1000;
	b->last = now;
	if (b->tokens > burst)
		b->tokens = burst;
}

/* ms until the bucket allows a write again; 0: now. */
int64_t sl_fx_bucket_wait(const struct bucket *b)
{
	if (b->rate == 0 || b->tokens > 0)
		return 0;
	return (int64_t)(-b->tokens * 1000 / (double)b->rate) + 1;
}

/* ---- starting a transfer ---- */

static int add_header(struct curl_slist **l, const char *name, const char *value)
{
	char line[SL_MAX_HEADER_VALUE + 64];
	if (value == NULL || value[0] == '\0')
		return 0;
	if ((size_t)snprintf(line, sizeof line, "%s: %s", name, value) >= sizeof line)
		return 0;   /* an oversized stored validator is simply not sent */
	struct curl_slist *n = curl_slist_append(*l, line);
	if (n == NULL)
		return -ENOMEM;
	*l = n;
	return 0;
}


/* ---- easy handles: one per connection slot, kept across transfers ---- */

/* A new handle with what every transfer of this engine shares: set once, not ~30 options per request. */
static CURL *easy_new(struct sl_fetch *f)
{
	const struct sl_fetch_opts *o = &f->opts;
	CURL *e = curl_easy_init();
	if (e == NULL)
		return NULL;
	CURLcode c = CURLE_OK;
#define SET(opt, val) do { if (c == CURLE_OK) c = curl_easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)SL_MAX_REDIRECTS);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (f->ca_file)
		SET(CURLOPT_CAINFO, f->ca_file);
	if (f->proxy)
		SET(CURLOPT_PROXY, f->proxy);
	SET(CURLOPT_USERAGENT, f->user_agent);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout_ms ? o->connect_timeout_ms : 30000));
	SET(CURLOPT_LOW_SPEED_LIMIT, (long)(o->low_speed_bps ? o->low_speed_bps : 1024));
	/* curl counts the low-speed window in whole seconds; round up so it is never shorter than asked. */
	SET(CURLOPT_LOW_SPEED_TIME, (long)((o->low_speed_time_ms ? o->low_speed_time_ms : 30000) + 999) / 1000);
	SET(CURLOPT_HEADERFUNCTION, sl_fx_on_header);
	SET(CURLOPT_WRITEFUNCTION, sl_fx_on_body);
	/* curl's 16 KiB default costs a recv, a callback and a store write per 16 KiB on fast links */
	SET(CURLOPT_BUFFERSIZE, FETCH_RECV_BUFFER);
	SET(CURLOPT_PREREQFUNCTION, sl_fx_on_prereq);
#undef SET
	if (c != CURLE_OK) {
		curl_easy_cleanup(e);
		return NULL;
	}
	return e;
}

void sl_fx_easy_put(struct sl_fetch *f, CURL *e)
{
	if (e == NULL)
		return;
	if (f->n_easy < f->opts.max_connections && f->easy_pool != NULL) {
		/* Nothing of the finished transfer stays pointed to: its header list and buffers are freed next. */
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, (char *)NULL);
		curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)NULL);
		f->easy_pool[f->n_easy++] = e;
		return;
	}
	curl_easy_cleanup(e);
}

static int xfer_setup(struct xfer *x)
{
	struct sl_fetch *f = x->f;
	const struct sl_fetch_opts *o = &f->opts;
	CURL *e = f->n_easy > 0 ? f->easy_pool[--f->n_easy] : easy_new(f);
	if (e == NULL)
		return -ENOMEM;
	x->easy = e;
	char range[48] = "";
	if (x->offset > 0)
		snprintf(range, sizeof range, "%" PRIu64 "-", x->offset);
	else if (x->req.range != NULL)
		snprintf(range, sizeof range, "%s", x->req.range);

	if ((x->req.flags & SL_FETCH_CONDITIONAL) && f->cat != NULL && !f->cat_lent && range[0] == '\0') {
		char *etag = NULL, *lm = NULL;
		if (sl_catalog_http_get(f->cat, x->req.url, &etag, &lm) == 0) {
			int rc = add_header(&x->hdrs, "If-None-Match", etag);
			if (rc == 0)
				rc = add_header(&x->hdrs, "If-Modified-Since", lm);
			free(etag);
			free(lm);
			if (rc != 0)
				return rc;
		}
	}
	for (size_t i = 0; x->req.headers && x->req.headers[i]; i++) {
		struct curl_slist *n = curl_slist_append(x->hdrs, x->req.headers[i]);
		if (n == NULL)
			return -ENOMEM;
		x->hdrs = n;
	}

	/* A reused handle keeps every option: each one a request may change is set here, every time, to this
	 * request's value or back to the default (no Range, GET, no extra headers). */
	CURLcode c = CURLE_OK;
#define SET(opt, val) do { if (c == CURLE_OK) c = curl_easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_URL, x->req.url);
	SET(CURLOPT_PRIVATE, x);
	/* Redirects never downgrade: https may only go to https; http may go to http or https. */
	SET(CURLOPT_REDIR_PROTOCOLS_STR, x->https ? "https" : "http,https");
	int64_t timeout = x->req.timeout_ms ? x->req.timeout_ms : o->transfer_timeout_ms;
	SET(CURLOPT_TIMEOUT_MS, (long)(timeout ? timeout : 3600000));
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_PREREQDATA, x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_RANGE, range[0] ? range : NULL);
	if (x->req.flags & SL_FETCH_HEAD)
		SET(CURLOPT_NOBODY, 1L);
	else
		SET(CURLOPT_HTTPGET, 1L);   /* also undoes a previous transfer's NOBODY */
	SET(CURLOPT_HTTPHEADER, x->hdrs);
#undef SET
	return c == CURLE_OK ? 0 : -SL_E_UNSUPPORTED;
}

static void xfer_start(struct sl_fetch *f, struct xfer *x)
{
	x->attempts++;
	x->body_started = x->sent = x->discard = x->restart = x->paused = false;
	bucket_init(&x->bw, x->req.bandwidth_bps);
	x->abort_err = 0;
	x->status = 0;
	x->cap_seen = 0;
	x->got = x->offset = 0;
	x->mem_len = 0;
	x->errbuf[0] = x->msg[0] = '\0';
	char *cause = NULL;
	int rc = 0;
	if ((x->req.flags & SL_FETCH_TO_STORE) && !(x->req.flags & SL_FETCH_HEAD))
		rc = sl_fx_open_writer(x, &cause);
	if (rc == 0)
		rc = xfer_setup(x);
	if (rc == 0 && curl_multi_add_handle(f->multi, x->easy) != CURLM_OK)
		rc = -ENOMEM;
	if (rc != 0) {
		snprintf(x->msg, sizeof x->msg, "cannot start: %s", cause ? cause : sl_strerror(rc));
		free(cause);
		sl_fx_xfer_finish(f, x, rc, NULL);
		return;
	}
	f->requests++;
	sl_fx_xlist_push(&f->active, x);
	x->host->active++;
	x->host->unsent++;
	int64_t next = sl_fx_now_ms() + f->opts.request_interval_ms;
	if (next > x->host->next_start)
		x->host->next_start = next;
}

/* ---- public ---- */

struct sl_fetch *sl_fetch_new(const struct sl_fetch_opts *opts, struct sl_catalog *cat, struct sl_store *st,
			      char **cause)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		if (cause)
			*cause = strdup("libcurl initialisation failed");
		return NULL;
	}
	struct sl_fetch *f = calloc(1, sizeof *f);
	bool fail = f == NULL;
	if (!fail) {
		f->opts = *opts;
		f->user_agent = dup_or_null(opts->user_agent ? opts->user_agent : FETCH_UA, &fail);
		f->proxy = dup_or_null(opts->proxy, &fail);
		f->ca_file = dup_or_null(opts->ca_file, &fail);
		f->log_source = dup_or_null(opts->log_source, &fail);
		f->opts.user_agent = f->user_agent;
		f->opts.proxy = f->proxy;
		f->opts.ca_file = f->ca_file;
		f->opts.log_source = f->log_source;
		if (f->opts.max_connections == 0)
			f->opts.max_connections = 16;
		if (f->opts.max_per_host == 0)
			f->opts.max_per_host = 4;
		if (f->opts.request_interval_ms < 0)
			f->opts.request_interval_ms = 0;
		f->cat = cat;
		f->st = st;
		bucket_init(&f->bw, f->opts.bandwidth_bps);
		f->multi = curl_multi_init();
		f->easy_pool = calloc(f->opts.max_connections, sizeof *f->easy_pool);
		fail = fail || f->multi == NULL || f->easy_pool == NULL;
	}
	if (!fail) {
		curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)f->opts.max_connections);
		curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)f->opts.max_per_host);
		curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
		if (getrandom(&f->rng, sizeof f->rng, 0) != (ssize_t)sizeof f->rng || f->rng == 0)
			f->rng = (uint64_t)sl_fx_now_ms() * 0x9e3779b97f4a7c15ull | 1;
		return f;
	}
	if (cause)
		*cause = strdup("out of memory");
	sl_fetch_free(f);
	return NULL;
}

static void abort_all(struct sl_fetch *f, int err)
{
	struct xfer *x;
	while ((x = f->active.head) != NULL) {
		curl_multi_remove_handle(f->multi, x->easy);
		sl_fx_xlist_remove(&f->active, x);
		x->host->active--;
		if (!x->sent)
			x->host->unsent--;
		if (x->w != NULL) {
			sl_store_writer_abort(x->w, true);   /* resumable writers keep their partial */
			x->w = NULL;
		}
		sl_fx_xfer_finish(f, x, err, "interrupted");
	}
	while ((x = f->settling.head) != NULL) {
		sl_fx_xlist_remove(&f->settling, x);
		sl_store_writer_abort(x->w, true);
		x->w = NULL;
		sl_fx_xfer_finish(f, x, err, "interrupted");
	}
	while ((x = f->pending.head) != NULL) {
		sl_fx_xlist_remove(&f->pending, x);
		sl_fx_xfer_finish(f, x, err, "interrupted");
	}
}

void sl_fetch_free(struct sl_fetch *f)
{
	if (f == NULL)
		return;
	abort_all(f, -SL_E_INTERRUPTED);
	while (f->hosts) {
		struct fetch_host *h = f->hosts;
		f->hosts = h->next;
		free(h);
	}
	for (unsigned i = 0; i < f->n_easy; i++)
		curl_easy_cleanup(f->easy_pool[i]);
	free(f->easy_pool);
	if (f->multi)
		curl_multi_cleanup(f->multi);
	sl_writeq_free(f->wq);   /* after abort_all: every writer has drained */
	free(f->user_agent);
	free(f->proxy);
	free(f->ca_file);
	free(f->log_source);
	free(f);
	curl_global_cleanup();
}

int sl_fetch_add(struct sl_fetch *f, const struct sl_fetch_req *req)
{
	if (sl_fx_stopped(f))
		return -SL_E_INTERRUPTED;
	if (req->url == NULL || strlen(req->url) > SL_MAX_URL)
		return req->url ? -SL_E_TOOBIG : -EINVAL;
	if ((req->flags & SL_FETCH_TO_STORE) && f->st == NULL)
		return -EINVAL;
	if (req->expect_sha256 && !sl_digest_valid_sha256(req->expect_sha256))
		return -SL_E_BADNAME;
	for (size_t i = 0; req->capture && req->capture[i]; i++)
		if (i >= SL_MAX_FETCH_CAPTURE)
			return -SL_E_TOOBIG;
	char hostname[256];
	bool https = false;
	int rc = url_parts(req->url, &https, hostname, sizeof hostname);
	if (rc != 0)
		return rc;
	struct fetch_host *h = host_get(f, hostname);
	if (h == NULL)
		return -ENOMEM;
	if (host_cooling(f, h))
		return -SL_E_COOLDOWN;

	struct xfer *x = calloc(1, sizeof *x);
	if (x == NULL)
		return -ENOMEM;
	x->f = f;
	x->host = h;
	x->https = https;
	x->req = *req;
	bool fail = false;
	x->req.url = dup_or_null(req->url, &fail);
	x->req.expect_sha256 = dup_or_null(req->expect_sha256, &fail);
	x->req.range = dup_or_null(req->range, &fail);
	x->req.headers = strv_dup(req->headers, &fail);
	x->req.capture = strv_dup(req->capture, &fail);
	x->ncap = 0;
	while (x->req.capture && x->req.capture[x->ncap])
		x->ncap++;
	if (x->ncap) {
		x->cap_val = calloc(x->ncap, sizeof *x->cap_val);
		fail = fail || x->cap_val == NULL;
	}
	if (fail) {
		sl_fx_xfer_free(x);
		return -ENOMEM;
	}
	uint64_t dflt = (req->flags & SL_FETCH_TO_STORE) ? SL_MAX_ARTIFACT_BYTES : SL_MAX_MEMORY_BODY;
	x->cap = req->max_size ? req->max_size : dflt;
	sl_fx_xlist_push(&f->pending, x);
	return 0;
}

/* Under a global cap, more transfers than the cap can feed above the low-speed floor would only trip
 * the low-speed timeout: keep each share at twice the floor at least (one transfer always runs). */
static bool share_too_small(const struct sl_fetch *f)
{
	uint64_t floor = f->opts.low_speed_bps ? f->opts.low_speed_bps : 1024;
	return f->bw.rate && f->active.n > 0 && f->bw.rate / (f->active.n + 1) < 2 * floor;
}

/* Unpause transfers the buckets allow again; returns ms until the next one could resume. */
static int64_t unpause(struct sl_fetch *f)
{
	int64_t now = sl_fx_now_ms(), wait = FETCH_POLL_MS;
	sl_fx_bucket_refill(&f->bw, now);
	for (struct xfer *x = f->active.head; x; x = x->next) {
		if (!x->paused)
			continue;
		sl_fx_bucket_refill(&x->bw, now);
		int64_t w = sl_fx_bucket_wait(&f->bw) > sl_fx_bucket_wait(&x->bw) ? sl_fx_bucket_wait(&f->bw) : sl_fx_bucket_wait(&x->bw);
		if (w > 0) {
			wait = w < wait ? w : wait;
			continue;
		}
		x->paused = false;
		curl_easy_pause(x->easy, CURLPAUSE_CONT);   /* may call sl_fx_on_body, which may pause again */
	}
	return wait;
}

/* Whether a pending request could start or be refused now: some host has a free connection or is cooling
 * down. Hosts are few; the pending list holds a syncer's whole window (hundreds), and walking all of it on
 * every turn of the loop once every connection is busy cost a tenth of the loop's time at 60,000 files. */
static bool any_host_open(struct sl_fetch *f)
{
	for (struct fetch_host *h = f->hosts; h != NULL; h = h->next)
		if (h->active < f->opts.max_per_host || host_cooling(f, h))
			return true;
	return false;
}

/* Start what may start; returns ms until a waiting request could start (FETCH_POLL_MS if unknown). */
static int64_t start_ready(struct sl_fetch *f)
{
	int64_t now = sl_fx_now_ms(), wait = FETCH_POLL_MS;
	if (f->pending.n == 0 || !any_host_open(f))
		return wait;
	struct xfer *x = f->pending.head, *next;
	for (; x != NULL; x = next) {
		next = x->next;
		struct fetch_host *h = x->host;
		if (host_cooling(f, h)) {
			sl_fx_xlist_remove(&f->pending, x);
			snprintf(x->msg, sizeof x->msg, "host %s is cooling down", h->name);
			if (x->w != NULL)
				sl_store_writer_abort(x->w, true);
			x->w = NULL;
			sl_fx_xfer_finish(f, x, -SL_E_COOLDOWN, NULL);
			continue;
		}
		if (f->active.n >= f->opts.max_connections || share_too_small(f))
			break;
		if (x->not_before > now) {
			wait = x->not_before - now < wait ? x->not_before - now : wait;
			continue;
		}
		if (h->active >= f->opts.max_per_host) {
			if (!any_host_open(f))
				break;   /* the rest of the list waits for a connection too */
			continue;
		}
		if (f->opts.request_interval_ms > 0) {
			if (h->unsent > 0)
				continue;
			if (h->next_start > now) {
				wait = h->next_start - now < wait ? h->next_start - now : wait;
				continue;
			}
		}
		sl_fx_xlist_remove(&f->pending, x);
		xfer_start(f, x);
	}
	return wait;
}

int sl_fetch_run(struct sl_fetch *f)
{
	for (;;) {
		if (sl_fx_stopped(f)) {
			abort_all(f, -SL_E_INTERRUPTED);
			return -SL_E_INTERRUPTED;
		}
		int64_t wait = start_ready(f), uw = unpause(f);
		if (f->active.n == 0 && f->pending.n == 0) {
			if (f->settling.n == 0) {
				/* Idle: the write-behind threads, buffers and spare temp files go until the next
				 * store download, so a syncer's work between fetch phases (a dependency solve) does
				 * not carry them. */
				sl_writeq_free(f->wq);
				f->wq = NULL;
				return 0;
			}
			sl_fx_settle(f, true);   /* nothing else to do: wait for the writes (callbacks may add more) */
			continue;
		}
		wait = uw < wait ? uw : wait;
		int running = 0;
		CURLMcode mc = curl_multi_perform(f->multi, &running);
		if (mc != CURLM_OK) {
			sl_log_err(f->log_source, "curl multi: %s", curl_multi_strerror(mc));
			abort_all(f, -SL_E_NETWORK);
			return 0;
		}
		bool progressed = false;
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct xfer *x = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			sl_fx_xfer_done(f, x, m->data.result);
			progressed = true;
		}
		if (sl_fx_settle(f, false) || progressed)
			continue;
		long ct = -1;
		curl_multi_timeout(f->multi, &ct);
		int timeout = (int)wait;
		if (f->settling.n > 0 && timeout > 1)
			timeout = 1;   /* the write-behind thread does not wake curl: look again soon */
		if (ct >= 0 && ct < timeout)
			timeout = (int)ct;
		if (timeout > 0)
			curl_multi_poll(f->multi, NULL, 0, timeout, NULL);
	}
}

uint8_t *sl_fetch_body_dup(const struct sl_fetch_result *r, size_t *len)
{
	size_t n = r->body != NULL ? r->body_len : 0;
	uint8_t *copy = malloc(n + 1);
	if (copy == NULL)
		return NULL;
	if (n > 0)
		memcpy(copy, r->body, n);
	copy[n] = '\0';
	*len = n;
	return copy;
}

void sl_fetch_on_progress(struct sl_fetch *f, void (*cb)(void *arg, const struct sl_fetch_progress *p),
			  void *arg)
{
	f->progress = cb;
	f->progress_arg = arg;
}

void sl_fx_progress(struct sl_fetch *f, bool force)
{
	int64_t now = sl_fx_now_ms();
	if (f->progress == NULL || (!force && now - f->progress_ms < SL_FETCH_PROGRESS_MS))
		return;
	f->progress_ms = now;
	struct sl_fetch_progress p = {
		.bytes = f->bytes, .files_ok = f->files_ok, .files_failed = f->files_failed,
		.files_aborted = f->files_aborted,
	};
	uint64_t most_left = 0;
	for (const struct xfer *x = f->active.head; x != NULL; x = x->next) {
		if (!(x->req.flags & SL_FETCH_TO_STORE))
			continue;
		uint64_t done = x->offset + x->got;
		uint64_t size = x->req.expect_size > 0 ? (uint64_t)x->req.expect_size : 0;
		uint64_t left = size > done ? size - done : 0;
		p.active++;
		p.active_bytes += done;
		if (p.url == NULL || left > most_left) {
			p.url = x->req.url;
			p.url_done = done;
			p.url_size = size;
			most_left = left;
		}
	}
	f->progress(f->progress_arg, &p);
}

void sl_fetch_stats(const struct sl_fetch *f, uint64_t *bytes, uint64_t *requests)
{
	if (bytes)
		*bytes = f->bytes;
	if (requests)
		*requests = f->requests;
}
