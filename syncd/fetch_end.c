/* fetch_end: what the end of one attempt means — commit the body, retry (with backoff, or after a short
 * Retry-After), resume, restart from 0, cool the host down, or give up and report — and the multi
 * handle's completion loop that reaches it. Part of the fetch engine (fetch_int.h). */
#include "syncd/fetch_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/blob.h"
#include "core/catalog.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store.h"
#include "core/writeq.h"

#define FETCH_MAX_BACKOFF_MS (5 * 60 * 1000)     /* ms: a retry never waits longer than 5 min */
#define FETCH_INLINE_RA_S    30                  /* s: a Retry-After up to this is waited out as a retry */
#define FETCH_COOLDOWN_403_S (24 * 3600)         /* s: a CDN ban (403) lasts hours; freshclam waits too */

/* Reports the outcome, logs a failure once, frees the transfer. */
void sl_fx_xfer_finish(struct sl_fetch *f, struct xfer *x, int err, const char *why)
{
	struct sl_fetch_result r = { 0 };
	r.err = err;
	r.status = x->status;
	r.url = x->req.url;
	r.effective_url = x->req.url;
	r.attempts = x->attempts;
	r.message = why ? why : (x->msg[0] ? x->msg : (err ? sl_strerror(err) : NULL));
	const char *captured[SL_MAX_FETCH_CAPTURE + 1] = { NULL };
	for (size_t i = 0; i < x->ncap; i++)
		captured[i] = (x->cap_seen & (1u << i)) ? x->cap_val[i] : NULL;
	r.captured = x->ncap ? captured : NULL;
	if (x->easy) {
		char *eff = NULL;
		if (curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff)
			r.effective_url = eff;
	}
	if (err == 0) {
		r.not_modified = x->status == 304;
		r.etag = x->etag[0] ? x->etag : NULL;
		r.last_modified = x->last_modified[0] ? x->last_modified : NULL;
		r.content_type = x->content_type[0] ? x->content_type : NULL;
		r.size = x->offset + x->got;
		if (x->mem != NULL && !r.not_modified) {
			r.body = x->mem;
			r.body_len = x->mem_len;
		} else if (x->w == NULL && !(x->req.flags & SL_FETCH_TO_STORE)) {
			r.body = (const uint8_t *)"";
		}
	}
	if (err == 0 && x->req.expect_sha256 && !r.not_modified && !(x->req.flags & SL_FETCH_HEAD))
		snprintf(r.sha256, sizeof r.sha256, "%s", x->req.expect_sha256);
	if (err != 0) {
		enum sl_log_level lvl = SL_LOG_ERR;
		if (err == -SL_E_INTERRUPTED || (x->req.flags & SL_FETCH_QUIET) ||
		    (x->status == 404 && (x->req.flags & SL_FETCH_OPTIONAL)))
			lvl = SL_LOG_DEBUG;
		else if (err == -SL_E_COOLDOWN && x->status == 0)
			lvl = SL_LOG_INFO;   /* failed fast behind a cool-down that was logged when it began */
		sl_log(lvl, f->log_source, "%s: %s (HTTP %ld, %u attempt%s)",
		       x->req.url, r.message, x->status, x->attempts, x->attempts == 1 ? "" : "s");
	}
	if (x->req.flags & SL_FETCH_TO_STORE) {
		if (err == 0)
			f->files_ok++;
		else if (err == -SL_E_INTERRUPTED)
			f->files_aborted++;
		else
			f->files_failed++;
	}
	if (x->req.done)
		x->req.done(x->req.arg, &r);
	bool to_store = x->req.flags & SL_FETCH_TO_STORE;
	sl_fx_xfer_free(x);
	if (to_store && f->progress != NULL)
		sl_fx_progress(f, true);
}

static int64_t retry_after_s(const struct xfer *x)
{
	const char *ra = x->retry_after;
	if (ra[0] == '\0')
		return -1;
	uint64_t secs;
	if (sl_blob_to_u64(sl_blob_str(ra), &secs) == 0)
		return secs > SL_MAX_COOLDOWN_S ? SL_MAX_COOLDOWN_S : (int64_t)secs;
	time_t at = curl_getdate(ra, NULL);
	if (at == (time_t)-1)
		return -1;   /* unparsable: as if absent */
	int64_t d = (int64_t)at - (int64_t)time(NULL);
	return d < 0 ? 0 : (d > SL_MAX_COOLDOWN_S ? SL_MAX_COOLDOWN_S : d);
}

static int map_curl(CURLcode cc, bool *transient)
{
	*transient = false;
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		*transient = true;
		return -SL_E_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		*transient = true;
		return -SL_E_NETWORK;
	case CURLE_UNSUPPORTED_PROTOCOL:   /* a refused redirect (handled by the caller), or HTTP/0.9 */
	case CURLE_WEIRD_SERVER_REPLY:
		/* Garbage where a status line belongs: typically a reused connection on which the previous
		 * response overran its Content-Length. curl closes it; a retry gets a fresh one. */
		*transient = true;
		return -SL_E_NETWORK;
	case CURLE_TOO_MANY_REDIRECTS:
		return -SL_E_HTTP;
	case CURLE_ABORTED_BY_CALLBACK:
		return -SL_E_INTERRUPTED;
	default:
		return -SL_E_NETWORK;
	}
}

/* Queue the transfer again after `delay` ms, keeping a resumable partial. */
static void xfer_again(struct sl_fetch *f, struct xfer *x, int64_t delay, const char *why)
{
	if (x->w != NULL) {
		sl_store_writer_abort(x->w, !x->no_resume);
		x->w = NULL;
	}
	sl_fx_easy_put(f, x->easy);
	x->easy = NULL;
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	x->not_before = sl_fx_now_ms() + delay;
	sl_log_info(f->log_source, "%s: %s; retrying in %" PRId64 " ms", x->req.url, why, delay);
	sl_fx_xlist_push(&f->pending, x);
}

static int64_t backoff(struct sl_fetch *f, unsigned n)
{
	int64_t d = f->opts.retry_base_ms > 0 ? f->opts.retry_base_ms : 1000;
	for (unsigned i = 1; i < n && d < FETCH_MAX_BACKOFF_MS; i++)
		d *= 2;
	if (d > FETCH_MAX_BACKOFF_MS)
		d = FETCH_MAX_BACKOFF_MS;
	/* Equal jitter: half fixed, half random, so a crowd of retries spreads out. */
	return d / 2 + (int64_t)(sl_fx_rnd(f) % (uint64_t)(d / 2 + 1));
}

/* A 2xx body arrived completely: check it, commit it, remember validators. */
static int complete_ok(struct sl_fetch *f, struct xfer *x)
{
	if (x->req.flags & SL_FETCH_HEAD)
		return 0;
	uint64_t total = x->offset + x->got;
	if (x->req.expect_size >= 0 && x->req.range == NULL && total != (uint64_t)x->req.expect_size) {
		snprintf(x->msg, sizeof x->msg, "got %" PRIu64 " bytes, expected %" PRId64, total,
			 x->req.expect_size);
		return -SL_E_SIZE;
	}
	if (x->w != NULL) {
		char digest[SL_SHA256_HEX];
		int rc = sl_store_writer_commit(x->w, digest);
		x->w = NULL;
		if (rc != 0) {
			snprintf(x->msg, sizeof x->msg, "store commit refused: %s", sl_strerror(rc));
			return rc;
		}
		x->req.expect_sha256 = x->req.expect_sha256 ? x->req.expect_sha256 : strdup(digest);
		if (x->req.expect_sha256 == NULL)
			return -ENOMEM;
	} else {
		if (x->mem == NULL) {
			x->mem = calloc(1, 1);
			if (x->mem == NULL)
				return -ENOMEM;
		}
		x->mem[x->mem_len] = '\0';
		if (x->req.expect_sha256 != NULL) {
			char digest[SL_SHA256_HEX];
			sl_digest_sha256(x->mem, x->mem_len, digest);
			if (strcmp(digest, x->req.expect_sha256) != 0) {
				snprintf(x->msg, sizeof x->msg, "SHA-256 %s, expected %s", digest,
					 x->req.expect_sha256);
				return -SL_E_DIGEST;
			}
		}
	}
	/* Validators are stored as soon as the body passed its size and digest checks: callers request
	 * conditionally only what they verify before use, and a body that fails later verification must
	 * not be fetched conditionally again (they then clear the flag). */
	if ((x->req.flags & SL_FETCH_CONDITIONAL) && f->cat != NULL && !f->cat_lent &&
	    (x->etag[0] || x->last_modified[0]) &&
	    sl_catalog_http_put(f->cat, x->req.url, x->etag[0] ? x->etag : NULL,
				x->last_modified[0] ? x->last_modified : NULL) != 0)
		sl_log_warn(f->log_source, "%s: validators not stored", x->req.url);
	return 0;
}

static void xfer_judge(struct sl_fetch *f, struct xfer *x, CURLcode cc);

void sl_fx_xfer_done(struct sl_fetch *f, struct xfer *x, CURLcode cc)
{
	curl_multi_remove_handle(f->multi, x->easy);
	sl_fx_xlist_remove(&f->active, x);
	x->host->active--;
	if (!x->sent)
		x->host->unsent--;
	if (x->status == 0)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
	/* A complete body of the expected size: its last bytes are written, its digest checked and the object
	 * named by the write-behind thread (sl_store_writer_commit_behind), and the outcome is collected later
	 * (sl_fx_settle()) rather than waited for here, so this thread goes on receiving; the connection is free
	 * for the next request now. Anything else is judged at once (complete_ok() explains a wrong size). */
	bool ok = cc == CURLE_OK && !x->abort_err && !x->restart && x->status >= 200 && x->status < 300;
	uint64_t total = x->offset + x->got;
	if (ok && x->w != NULL && (x->req.expect_size < 0 || x->req.range != NULL ||
				  total == (uint64_t)x->req.expect_size))
		sl_store_writer_commit_behind(x->w);
	else
		sl_store_writer_flush(x->w);
	if (ok && sl_store_writer_busy(x->w)) {
		sl_fx_xlist_push(&f->settling, x);
		return;
	}
	xfer_judge(f, x, cc);
}

/* Commit the settling transfers whose writes are done (all of them, waiting, when `wait`). */
bool sl_fx_settle(struct sl_fetch *f, bool wait)
{
	bool any = false;
	struct xfer *x = f->settling.head;
	while (x != NULL) {
		struct xfer *next = x->next;
		if (wait || !sl_store_writer_busy(x->w)) {
			sl_fx_xlist_remove(&f->settling, x);
			xfer_judge(f, x, CURLE_OK);
			any = true;
		}
		x = next;
	}
	return any;
}

/* What a finished attempt amounts to: success (committed), a retry, or a failure. */
static void xfer_judge(struct sl_fetch *f, struct xfer *x, CURLcode cc)
{
	long st = x->status;
	bool transient = false, can_retry = x->retries < f->opts.retries;
	int err = 0;

	if (x->restart || (st == 416 && x->offset > 0 && !x->no_resume)) {
		/* The server cannot continue our partial: drop it and start over at once. */
		x->no_resume = true;
		xfer_again(f, x, 0, st == 416 ? "range not satisfiable" : x->msg);
		return;
	}
	if (x->abort_err) {
		err = x->abort_err;
	} else if (cc != CURLE_OK && !x->discard) {
		err = map_curl(cc, &transient);
		snprintf(x->msg, sizeof x->msg, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
		if (cc == CURLE_UNSUPPORTED_PROTOCOL && st >= 300 && st < 400) {
			err = -SL_E_HTTP;
			transient = false;
			snprintf(x->msg, sizeof x->msg, "redirect to a refused scheme (%s)", x->errbuf);
		}
	} else if (st == 304 && (x->req.flags & SL_FETCH_CONDITIONAL)) {
		err = 0;
	} else if (st >= 200 && st < 300) {
		err = complete_ok(f, x);
		if ((err == -SL_E_DIGEST || err == -SL_E_SIZE) && x->offset > 0 && !x->no_resume) {
			/* The kept prefix may be what is wrong (an upstream changed the file under us). */
			x->no_resume = true;
			xfer_again(f, x, 0, x->msg);
			return;
		}
	} else {
		int64_t ra = retry_after_s(x);
		err = -SL_E_HTTP;
		snprintf(x->msg, sizeof x->msg, "HTTP %ld", st);
		if ((st == 429 || st == 503) && ra >= 0) {
			if (ra <= FETCH_INLINE_RA_S && can_retry) {
				int64_t next = sl_fx_now_ms() + ra * 1000;
				if (next > x->host->next_start)
					x->host->next_start = next;
				x->retries++;
				xfer_again(f, x, ra * 1000, x->msg);
				return;
			}
			char why[SL_MAX_URL + 64];
			snprintf(why, sizeof why, "HTTP %ld, Retry-After %s on %s", st, x->retry_after, x->req.url);
			sl_fx_host_cooldown(f, x->host, ra, why);
			err = -SL_E_COOLDOWN;
			snprintf(x->msg, sizeof x->msg, "HTTP %ld, upstream asks to wait %" PRId64 " s", st, ra);
		} else if (st == 403 && (x->req.flags & SL_FETCH_COOLDOWN_403)) {
			char why[SL_MAX_URL + 64];
			snprintf(why, sizeof why, "HTTP 403 (banned?) on %s", x->req.url);
			sl_fx_host_cooldown(f, x->host, FETCH_COOLDOWN_403_S, why);
			err = -SL_E_COOLDOWN;
			snprintf(x->msg, sizeof x->msg, "HTTP 403, host cooling down");
		} else {
			transient = st == 429 || (st >= 500 && st != 501);
		}
	}
	if (err != 0 && transient && can_retry && !sl_fx_stopped(f)) {
		x->retries++;
		xfer_again(f, x, backoff(f, x->retries), x->msg);
		return;
	}
	if (x->w != NULL) {
		/* A transient failure keeps the partial for the next run; a permanent one does not. */
		sl_store_writer_abort(x->w, transient || err == -SL_E_COOLDOWN);
		x->w = NULL;
	}
	sl_fx_xfer_finish(f, x, err, NULL);
}
