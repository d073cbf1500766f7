/* fetch_body: curl's callbacks for one transfer: response headers (validators, captures, Retry-After),
 * the moment the body starts (status known: store, memory or discard; Range answers checked), and every
 * body chunk (size and cap checks, bandwidth buckets, into the store writer or capped memory). */
#include "syncd/fetch_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/error.h"
#include "core/log.h"
#include "core/store.h"
#include "core/writeq.h"

static int refuse(struct xfer *x, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A control character other than HTAB is not allowed in a field value (RFC 9110 5.5); a CR in a kept
 * value would go back upstream in If-None-Match, into the catalogue and into logs. */
static bool has_ctl(struct sl_blob v)
{
	for (size_t i = 0; i < v.len; i++)
		if ((v.p[i] < 0x20 && v.p[i] != '\t') || v.p[i] == 0x7f)
			return true;
	return false;
}

/* Keep a header the caller asked for; repeated fields are joined with ", " (RFC 9110 5.3). -1 when the
 * value outgrows its buffer: the request fails rather than hand over a cut value. */
static int capture(struct xfer *x, struct sl_blob name, struct sl_blob value)
{
	for (size_t i = 0; i < x->ncap; i++) {
		if (!sl_blob_eq_nocase(name, x->req.capture[i]))
			continue;
		if (has_ctl(value))
			return refuse(x, -SL_E_HTTP, "response header %s has a control character in its value",
				      x->req.capture[i]);
		char *v = x->cap_val[i];
		size_t have = (x->cap_seen & (1u << i)) ? strlen(v) : 0, sep = have ? 2 : 0;
		if (have + sep + value.len >= SL_MAX_HEADER_VALUE)
			return refuse(x, -SL_E_TOOBIG, "response header %s longer than %d bytes", x->req.capture[i],
				      SL_MAX_HEADER_VALUE - 1);
		memcpy(v + have, ", ", sep);
		memcpy(v + have + sep, value.p, value.len);
		v[have + sep + value.len] = '\0';
		x->cap_seen |= 1u << i;
		return 0;
	}
	return 0;
}

size_t sl_fx_on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	struct sl_blob line = { (const uint8_t *)p, len }, name;
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A new response (redirect hop, 1xx): forget the previous one's headers. */
		x->etag[0] = x->last_modified[0] = x->content_type[0] = '\0';
		x->retry_after[0] = x->content_range[0] = '\0';
		x->cap_seen = 0;
		return len;
	}
	if (!sl_blob_split(&line, ':', &name))
		return len;
	name = sl_blob_trim(name);
	struct sl_blob value = sl_blob_trim(line);
	if (capture(x, name, value) != 0)
		return 0;   /* refused: curl aborts the transfer, abort_err says why */
	char *dst = NULL;
	size_t cap = 0;
	if (sl_blob_eq_nocase(name, "etag")) {
		dst = x->etag;
		cap = sizeof x->etag;
	} else if (sl_blob_eq_nocase(name, "last-modified")) {
		dst = x->last_modified;
		cap = sizeof x->last_modified;
	} else if (sl_blob_eq_nocase(name, "content-type")) {
		dst = x->content_type;
		cap = sizeof x->content_type;
	} else if (sl_blob_eq_nocase(name, "retry-after")) {
		dst = x->retry_after;
		cap = sizeof x->retry_after;
	} else if (sl_blob_eq_nocase(name, "content-range")) {
		dst = x->content_range;
		cap = sizeof x->content_range;
	}
	/* An oversized validator is dropped rather than truncated: a truncated ETag never matches. One with a
	 * control character is dropped too: it would be sent back upstream. */
	if (dst != NULL && (has_ctl(value) || sl_blob_copy(value, dst, cap) != 0))
		dst[0] = '\0';
	return len;
}

int sl_fx_on_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
	struct xfer *x = arg;
	if (!x->sent) {
		x->sent = true;
		x->host->unsent--;
	}
	int64_t next = sl_fx_now_ms() + x->f->opts.request_interval_ms;
	if (next > x->host->next_start)
		x->host->next_start = next;
	return CURL_PREREQFUNC_OK;
}

static int refuse(struct xfer *x, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof x->msg, fmt, ap);
	va_end(ap);
	x->abort_err = err;
	return -1;
}

static unsigned writer_flags(const struct xfer *x)
{
	/* A small object is cheaper to fetch again than to keep in a named, locked partial file. */
	bool big = x->req.expect_size < 0 || (uint64_t)x->req.expect_size >= x->f->opts.resume_min_bytes;
	bool resumable = (x->req.flags & SL_FETCH_RESUMABLE) && x->req.expect_sha256 != NULL &&
			 x->req.range == NULL && big;
	unsigned flags = resumable ? SL_STORE_RESUMABLE : 0;
#ifdef SL_STORE_DEFER_SYNC
	flags |= SL_STORE_DEFER_SYNC;
#endif
	return flags;
}

/* A store writer for x's body. Its bytes are written by the write-behind thread, so that this (event loop)
 * thread receives and hashes while the kernel copies the previous buffers into the page cache. */
static struct sl_store_writer *writer_new(struct xfer *x, char **cause)
{
	struct sl_fetch *f = x->f;
	struct sl_store_expect e = { x->req.expect_sha256, x->req.expect_size, x->cap };
	if (f->wq == NULL && !f->wq_failed) {
		char *why = NULL;
		f->wq = sl_writeq_new(&why);
		if (f->wq == NULL) {
			sl_log_warn(f->log_source, "writing downloads without a write-behind thread: %s",
				    why ? why : "?");
			f->wq_failed = true;
		}
		free(why);
	}
	return sl_store_writer_new_behind(f->st, &e, writer_flags(x), f->wq, cause);
}

/* First body bytes of an attempt: now the status is known, decide where the body goes. */
static int body_begin(struct xfer *x)
{
	struct sl_fetch *f = x->f;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status < 200 || x->status >= 300) {
		x->discard = true;   /* an error page is never content */
		return 0;
	}
	if (x->status == 206 && x->offset == 0 && x->req.range == NULL)
		return refuse(x, -SL_E_HTTP, "partial content (206) to a request without Range");
	if (x->offset > 0 && x->status == 200) {
		/* The server ignored Range: the whole body follows, start the object over. */
		sl_log_info(f->log_source, "%s: server ignored Range, restarting from 0", x->req.url);
		sl_store_writer_abort(x->w, false);
		char *cause = NULL;
		x->w = writer_new(x, &cause);
		if (x->w == NULL) {
			refuse(x, -EIO, "cannot restart the store write: %s", cause ? cause : "?");
			free(cause);
			return -1;
		}
		x->offset = sl_store_writer_offset(x->w);
	} else if (x->offset > 0 && x->status == 206) {
		uint64_t start = 0;
		if (sscanf(x->content_range, "bytes %" SCNu64 "-", &start) != 1 || start != x->offset) {
			x->restart = true;
			return refuse(x, -SL_E_HTTP, "Content-Range does not start at %" PRIu64, x->offset);
		}
	}
	curl_off_t cl = -1;
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (cl >= 0 && !(x->req.flags & SL_FETCH_HEAD)) {
		uint64_t total = x->offset + (uint64_t)cl;
		if (x->req.expect_size >= 0 && x->req.range == NULL && total != (uint64_t)x->req.expect_size)
			return refuse(x, -SL_E_SIZE, "upstream announces %" PRIu64 " bytes, expected %" PRIu64,
				      total, (uint64_t)x->req.expect_size);
		if (total > x->cap)
			return refuse(x, -SL_E_TOOBIG, "upstream announces %" PRIu64 " bytes, cap is %" PRIu64,
				      total, x->cap);
	}
	return 0;
}

size_t sl_fx_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	struct sl_fetch *f = x->f;
	size_t len = size * n;
	if (f->bw.rate || x->bw.rate) {
		int64_t now = sl_fx_now_ms();
		sl_fx_bucket_refill(&f->bw, now);
		sl_fx_bucket_refill(&x->bw, now);
		if (sl_fx_bucket_wait(&f->bw) || sl_fx_bucket_wait(&x->bw)) {
			x->paused = true;   /* curl keeps these bytes and hands them over again on unpause */
			return CURL_WRITEFUNC_PAUSE;
		}
		f->bw.tokens -= (double)len;
		x->bw.tokens -= (double)len;
	}
	f->bytes += len;
	if (f->progress != NULL)
		sl_fx_progress(f, false);
	if (!x->body_started) {
		x->body_started = true;
		if (body_begin(x) != 0)
			return 0;
	}
	if (x->abort_err)
		return 0;
	if (x->discard) {
		x->got += len;
		return x->got > FETCH_ERROR_BODY ? 0 : len;
	}
	uint64_t total = x->offset + x->got + len;
	if (x->req.expect_size >= 0 && x->req.range == NULL && total > (uint64_t)x->req.expect_size)
		return (size_t)(refuse(x, -SL_E_SIZE, "upstream sent more than the expected %" PRId64 " bytes",
				       x->req.expect_size) + 1);
	if (total > x->cap)
		return (size_t)(refuse(x, -SL_E_TOOBIG, "body exceeds the cap of %" PRIu64 " bytes", x->cap) + 1);
	if (x->w != NULL) {
		int rc = sl_store_writer_write(x->w, p, len);
		if (rc != 0) {
			x->abort_err = rc;
			snprintf(x->msg, sizeof x->msg, "store write failed: %s", sl_strerror(rc));
			return 0;
		}
	} else {
		if (x->mem_len + len + 1 > x->mem_cap) {
			size_t want = x->mem_cap ? x->mem_cap : 16384;
			while (want < x->mem_len + len + 1)
				want *= 2;
			uint8_t *m = realloc(x->mem, want);
			if (m == NULL) {
				x->abort_err = -ENOMEM;
				snprintf(x->msg, sizeof x->msg, "out of memory");
				return 0;
			}
			x->mem = m;
			x->mem_cap = want;
		}
		memcpy(x->mem + x->mem_len, p, len);
		x->mem_len += len;
	}
	x->got += len;
	return len;
}

int sl_fx_open_writer(struct xfer *x, char **cause)
{
	x->w = writer_new(x, cause);
	if (x->w == NULL)
		return -EIO;
	x->offset = sl_store_writer_offset(x->w);
	/* A partial we must not trust (after a 416 or a digest mismatch) or one that is already complete
	 * (crash before commit; "bytes N-" would be unsatisfiable) is dropped, and the write starts at 0. */
	bool drop = x->no_resume || (x->req.expect_size >= 0 && x->offset >= (uint64_t)x->req.expect_size);
	if (x->offset > 0 && drop) {
		sl_store_writer_abort(x->w, false);
		x->w = writer_new(x, cause);
		if (x->w == NULL)
			return -EIO;
		x->offset = sl_store_writer_offset(x->w);
	}
	return 0;
}
