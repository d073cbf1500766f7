/* registry: the distribution API client — manifest HEAD/GET, tag pages, blob downloads, rate-limit
 * accounting (auth challenges and tokens are registry_auth.c's). Every request goes through the fetch
 * engine; the answers that live in response headers come back through its header capture. */
#include "syncd/registry.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "core/blob.h"
#include "core/catalog.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/url.h"
#include "syncd/registry_int.h"

#define REG_TAGS_PAGE       1000              /* tags asked for per page (n=); registries may send fewer */
#define REG_RATE_RESERVE    2                 /* pulls left untouched: stop before the limit, not at it */
#define REG_RATE_COOL_S     3600              /* s: cool-down when the window is unknown */

static const char *const reg_capture[H_N + 1] = {
	[H_AUTH] = "WWW-Authenticate", [H_LINK] = "Link", [H_DIGEST] = "Docker-Content-Digest",
	[H_LENGTH] = "Content-Length", [H_RL_LIMIT] = "RateLimit-Limit", [H_RL_REMAINING] = "RateLimit-Remaining",
	[H_N] = NULL,
};

int64_t sl_reg_mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static void bare(const char *ct, char *buf, size_t cap)
{
	size_t n = strcspn(ct, "; \t");
	if (n >= cap)
		n = 0;
	memcpy(buf, ct, n);
	buf[n] = '\0';
}

/* ---- rate limits ---- */

/* "76;w=21600" -> 76 and 21600 (window stays -1 when absent). */
static bool parse_rate(const char *v, long *count, long *window)
{
	char *end = NULL;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno != 0 || end == v || n < 0)
		return false;
	*count = n;
	const char *w = strstr(end, "w=");
	if (w != NULL && window != NULL) {
		long wv = strtol(w + 2, NULL, 10);
		if (wv > 0)
			*window = wv;
	}
	return true;
}

/* The registry's RateLimit-* headers of one response; true when they said how many pulls are left. */
static bool note_rate(struct sl_registry *r, const char *rl_limit, const char *rl_remaining)
{
	long limit = -1, rem = -1, window = r->rl_window;
	if (rl_remaining == NULL || !parse_rate(rl_remaining, &rem, &window))
		return false;
	if (rl_limit != NULL)
		parse_rate(rl_limit, &limit, &window);
	r->rl_remaining = rem;
	r->rl_window = window;
	if (limit >= 0)
		r->rl_limit = limit;
	bool low = r->rl_limit > 0 && rem * 10 < r->rl_limit;
	if (!r->rl_logged || low) {
		sl_log(low ? SL_LOG_WARN : SL_LOG_INFO, r->log_source,
		       "%s: pull rate limit: %ld of %ld left (window %ld s)", r->origin, rem, r->rl_limit, window);
		r->rl_logged = true;
	}
	return true;
}

static void cooldown(struct sl_registry *r, int64_t seconds, const char *why)
{
	char host[256];
	if (r->cat == NULL || sl_url_host(r->base, host, sizeof host) != 0)
		return;
	if (sl_catalog_cooldown_set(r->cat, host, (int64_t)time(NULL) + seconds, why) != 0)
		sl_log_warn(r->log_source, "%s: cool-down not persisted in the catalogue", host);
}

/* ---- one request, waited for ---- */

void sl_reg_call_release(struct call *c)
{
	free(c->body);
	c->body = NULL;
}

static void call_done(void *arg, const struct sl_fetch_result *res)
{
	struct call *c = arg;
	c->err = res->err;
	c->status = res->status;
	snprintf(c->msg, sizeof c->msg, "%s", res->message ? res->message : "");
	for (size_t i = 0; i < H_N; i++)
		snprintf(c->hdr[i], sizeof c->hdr[i], "%s", res->captured && res->captured[i] ? res->captured[i] : "");
	c->rated = note_rate(c->r, res->captured ? res->captured[H_RL_LIMIT] : NULL,
			     res->captured ? res->captured[H_RL_REMAINING] : NULL);
	if (res->err == 0 && res->body != NULL) {
		c->body = sl_fetch_body_dup(res, &c->len);
		if (c->body == NULL) {
			c->err = -ENOMEM;
			snprintf(c->msg, sizeof c->msg, "out of memory");
			return;
		}
		bare(res->content_type ? res->content_type : "", c->ctype, sizeof c->ctype);
	}
}

/* One request through the fetch engine (its pacing, caps, retries, Retry-After and cool-downs apply),
 * run to its end. 0 once the registry answered with a status, an HTTP error included (the caller judges
 * it); else the engine's error (-SL_E_NETWORK, -SL_E_TIMEOUT, -SL_E_TOOBIG, -SL_E_DIGEST, -SL_E_COOLDOWN,
 * -SL_E_INTERRUPTED...) with *cause naming the URL. Never from inside a fetch callback. */
int sl_reg_call(struct sl_registry *r, const char *url, unsigned flags, const char *const *hdrs, uint64_t cap,
		const char *expect_sha256, struct call *c, char **cause)
{
	sl_reg_call_release(c);
	memset(c, 0, sizeof *c);
	c->r = r;
	/* Control requests get the registry's deadline; a manifest body (the one digest-checked call) the
	 * engine's, as every download. */
	struct sl_fetch_req req = {
		.url = url, .flags = flags, .expect_sha256 = expect_sha256, .expect_size = -1, .max_size = cap,
		.headers = hdrs, .capture = reg_capture, .timeout_ms = expect_sha256 ? 0 : r->timeout_ms,
		.done = call_done, .arg = c,
	};
	int rc = sl_fetch_add(r->f, &req);
	if (rc == -SL_E_COOLDOWN)
		return sl_cause(cause, rc, "%s: the registry is cooling down (an earlier rate limit or Retry-After); "
			    "not contacted", url);
	if (rc == 0)
		rc = sl_fetch_run(r->f);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: %s", url, sl_strerror(rc));
	if (c->err == 0 || (c->err == -SL_E_HTTP && c->status >= 300))
		return 0;
	return sl_cause(cause, c->err, "%s: %s", url, c->msg[0] ? c->msg : sl_strerror(c->err));
}

/* ---- public ---- */

struct sl_registry *sl_registry_new(struct sl_fetch *f, const struct sl_registry_opts *o, char **cause)
{
	if (o == NULL || o->base == NULL) {
		sl_cause(cause, -EINVAL, "registry URL missing");
		return NULL;
	}
	struct sl_registry *r = calloc(1, sizeof *r);
	if (r == NULL) {
		sl_cause(cause, -ENOMEM, "out of memory");
		return NULL;
	}
	r->f = f;
	r->cat = o->cat;
	r->bandwidth_bps = o->bandwidth_bps;
	r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
	r->rl_limit = r->rl_remaining = r->rl_window = -1;
	r->base = strdup(o->base);
	r->username = o->username ? strdup(o->username) : NULL;
	r->password = o->password ? strdup(o->password) : NULL;
	r->log_source = o->log_source ? strdup(o->log_source) : NULL;
	if (r->base == NULL || (o->username && !r->username) || (o->password && !r->password) ||
	    (o->log_source && !r->log_source)) {
		sl_cause(cause, -ENOMEM, "out of memory");
		sl_registry_free(r);
		return NULL;
	}
	size_t n = strlen(r->base);
	while (n > 0 && r->base[n - 1] == '/')
		r->base[--n] = '\0';
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -SL_E_BADNAME;
	if (u != NULL && curl_url_set(u, CURLUPART_URL, r->base, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)) {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		r->https = scheme[4] == 's';
		rc = asprintf(&r->origin, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "") < 0 ? -ENOMEM
														: 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	if (rc < 0) {
		sl_cause(cause, rc, "registry URL '%s' is not http(s)://host[:port]", o->base);
		sl_registry_free(r);
		return NULL;
	}
	return r;
}

void sl_registry_free(struct sl_registry *r)
{
	if (r == NULL)
		return;
	while (r->tokens != NULL) {
		struct token *t = r->tokens;
		r->tokens = t->next;
		if (t->pending)
			t->r = NULL;   /* still queued in the engine: token_done frees it and its waiters */
		else
			sl_reg_token_free(t);
	}
	if (r->password != NULL)
		explicit_bzero(r->password, strlen(r->password));
	free(r->base);
	free(r->origin);
	free(r->username);
	free(r->password);
	free(r->log_source);
	free(r);
}

static int manifest_url(const struct sl_registry *r, const char *repo, const char *ref, char *buf, size_t cap)
{
	if (!sl_oci_valid_repo(repo))
		return -SL_E_BADNAME;
	char hex[SL_SHA256_HEX];
	if (!sl_oci_valid_tag(ref) && sl_digest_parse_oci(ref, hex) != 0)
		return -SL_E_BADNAME;
	int n = snprintf(buf, cap, "%s/v2/%s/manifests/%s", r->base, repo, ref);
	return (n < 0 || (size_t)n >= cap) ? -SL_E_TOOBIG : 0;
}

int sl_registry_head(struct sl_registry *r, const char *repo, const char *ref, struct sl_registry_head *out,
		     char **cause)
{
	memset(out, 0, sizeof *out);
	char url[SL_MAX_URL + SL_MAX_OCI_REPO + 256];
	int rc = manifest_url(r, repo, ref, url, sizeof url);
	if (rc < 0)
		return sl_cause(cause, rc, "%s:%s: invalid reference", repo, ref);
	struct call c = { 0 };
	rc = sl_reg_call_auth(r, repo, url, SL_FETCH_HEAD | SL_FETCH_QUIET, "Accept: " SL_OCI_ACCEPT, 0, NULL, &c, cause);
	if (rc == 0) {
		if (c.status == 404)
			rc = sl_cause(cause, -SL_E_NOTFOUND, "%s: manifest unknown (HTTP 404)", url);
		else if (c.status != 200)
			rc = sl_cause(cause, -SL_E_HTTP, "%s: HTTP %ld", url, c.status);
	}
	const char *digest = c.hdr[H_DIGEST];
	if (rc == 0 && digest[0] != '\0' && sl_digest_parse_oci(digest, out->digest) != 0)
		rc = sl_cause(cause, -SL_E_BADNAME, "%s: malformed Docker-Content-Digest '%.100s'", url, digest);
	if (rc == 0) {
		bare(c.ctype, out->media_type, sizeof out->media_type);
		if (sl_blob_to_u64(sl_blob_str(c.hdr[H_LENGTH]), &out->size) != 0)
			out->size = 0;
	}
	sl_reg_call_release(&c);
	return rc;
}

int sl_registry_get_manifest(struct sl_registry *r, const char *repo, const char *hex, uint8_t **body,
			     size_t *len, char content_type[SL_OCI_MT_MAX], char **cause)
{
	*body = NULL;
	*len = 0;
	content_type[0] = '\0';
	char ref[80], url[SL_MAX_URL + SL_MAX_OCI_REPO + 256];
	snprintf(ref, sizeof ref, "sha256:%s", hex);
	int rc = sl_digest_valid_sha256(hex) ? manifest_url(r, repo, ref, url, sizeof url) : -SL_E_BADNAME;
	if (rc < 0)
		return sl_cause(cause, rc, "%s@%.80s: invalid reference", repo, hex);
	if (r->rl_remaining >= 0 && r->rl_remaining <= REG_RATE_RESERVE) {
		int64_t wait = r->rl_window > 0 ? r->rl_window : REG_RATE_COOL_S;
		char why[SL_MAX_URL + 128];
		snprintf(why, sizeof why, "pull rate limit: %ld left of %ld, stopping before the limit", r->rl_remaining,
			 r->rl_limit);
		cooldown(r, wait, why);
		return sl_cause(cause, -SL_E_COOLDOWN, "%s: %s", r->origin, why);
	}
	struct call c = { 0 };
	rc = sl_reg_call_auth(r, repo, url, 0, "Accept: " SL_OCI_ACCEPT, SL_MAX_OCI_MANIFEST, hex, &c, cause);
	if (rc == 0 && !c.rated && r->rl_remaining > 0)
		r->rl_remaining--;   /* a GET counts; when the answer does not say so, HEADs told us the rest */
	if (rc == 0 && c.err != 0)
		rc = c.status == 404 ? sl_cause(cause, -SL_E_NOTFOUND, "%s: manifest unknown (HTTP 404)", url)
				     : sl_cause(cause, -SL_E_HTTP, "%s: HTTP %ld", url, c.status);
	if (rc < 0) {
		sl_reg_call_release(&c);
		return rc;
	}
	*body = c.body;
	*len = c.len;
	memcpy(content_type, c.ctype, SL_OCI_MT_MAX);
	return 0;
}

int sl_registry_link_next(const char *base, const char *link, char *out, size_t cap)
{
	out[0] = '\0';
	const char *p = link;
	while (p != NULL && *p != '\0') {
		const char *lt = strchr(p, '<');
		const char *gt = lt ? strchr(lt, '>') : NULL;
		if (lt == NULL || gt == NULL)
			return -SL_E_PARSE;
		const char *params = gt + 1, *next = strchr(params, ',');
		size_t plen = next ? (size_t)(next - params) : strlen(params);
		char pbuf[256];
		if (plen >= sizeof pbuf)
			return -SL_E_PARSE;
		memcpy(pbuf, params, plen);
		pbuf[plen] = '\0';
		bool is_next = strstr(pbuf, "rel=\"next\"") != NULL || strstr(pbuf, "rel=next") != NULL;
		if (is_next) {
			size_t ulen = (size_t)(gt - lt - 1);
			const char *u = lt + 1;
			for (size_t i = 0; i < ulen; i++)
				if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f)
					return -SL_E_BADNAME;
			int n;
			if (ulen > 0 && u[0] == '/' && !(ulen > 1 && u[1] == '/')) {
				n = snprintf(out, cap, "%s%.*s", base, (int)ulen, u);
			} else {
				size_t blen = strlen(base);
				if (ulen <= blen || strncmp(u, base, blen) != 0 || u[blen] != '/')
					return -SL_E_BADNAME;
				n = snprintf(out, cap, "%.*s", (int)ulen, u);
			}
			if (n < 0 || (size_t)n >= cap) {
				out[0] = '\0';
				return -SL_E_TOOBIG;
			}
			return 0;
		}
		p = next ? next + 1 : NULL;
	}
	return -SL_E_NOTFOUND;
}

void sl_registry_tags_free(char **tags, size_t n)
{
	for (size_t i = 0; tags != NULL && i < n; i++)
		free(tags[i]);
	free(tags);
}

static int tags_page(const struct call *c, const char *url, char ***tags, size_t *n, size_t *dropped,
		     char **cause)
{
	json_error_t jerr;
	json_t *j = json_loadb((const char *)c->body, c->len, 0, &jerr);
	json_t *arr = json_object_get(j, "tags");
	int rc = 0;
	if (!json_is_object(j) || (arr != NULL && !json_is_array(arr) && !json_is_null(arr)))
		rc = sl_cause(cause, -SL_E_PARSE, "%s: not a tag list", url);
	for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++) {
		const char *t = json_string_value(json_array_get(arr, i));
		if (t == NULL || !sl_oci_valid_tag(t)) {
			(*dropped)++;
			continue;
		}
		if (*n >= SL_MAX_OCI_TAGS) {
			rc = sl_cause(cause, -SL_E_TOOBIG, "%s: more than %d tags", url, SL_MAX_OCI_TAGS);
			break;
		}
		char **v = realloc(*tags, (*n + 1) * sizeof *v);
		if (v == NULL || (v[*n] = strdup(t)) == NULL) {
			if (v != NULL)
				*tags = v;
			rc = sl_cause(cause, -ENOMEM, "out of memory");
			break;
		}
		*tags = v;
		(*n)++;
	}
	json_decref(j);
	return rc;
}

int sl_registry_tags(struct sl_registry *r, const char *repo, char ***tags, size_t *n, char **cause)
{
	*tags = NULL;
	*n = 0;
	if (!sl_oci_valid_repo(repo))
		return sl_cause(cause, -SL_E_BADNAME, "%.300s: invalid repository name", repo);
	char url[SL_MAX_URL + SL_MAX_OCI_REPO + 256];
	snprintf(url, sizeof url, "%s/v2/%s/tags/list?n=%d", r->base, repo, REG_TAGS_PAGE);
	struct call c = { 0 };
	size_t dropped = 0;
	int rc = 0;
	for (unsigned page = 0; rc == 0; page++) {
		if (page >= SL_MAX_REGISTRY_PAGES) {
			rc = sl_cause(cause, -SL_E_TOOBIG, "%s: more than %d pages of tags", repo, SL_MAX_REGISTRY_PAGES);
			break;
		}
		rc = sl_reg_call_auth(r, repo, url, SL_FETCH_QUIET, NULL, SL_MAX_REGISTRY_TAGS_PAGE, NULL, &c, cause);
		if (rc < 0)
			break;
		if (c.status == 404) {
			rc = sl_cause(cause, -SL_E_NOTFOUND, "%s: repository unknown (HTTP 404)", url);
			break;
		}
		if (c.status != 200) {
			rc = sl_cause(cause, -SL_E_HTTP, "%s: HTTP %ld", url, c.status);
			break;
		}
		rc = tags_page(&c, url, tags, n, &dropped, cause);
		if (rc < 0 || c.hdr[H_LINK][0] == '\0')
			break;
		char next[sizeof url];
		int lr = sl_registry_link_next(r->origin, c.hdr[H_LINK], next, sizeof next);
		if (lr == -SL_E_NOTFOUND)
			break;
		if (lr < 0) {
			rc = sl_cause(cause, lr, "%s: unusable Link header '%.200s'", url, c.hdr[H_LINK]);
			break;
		}
		memcpy(url, next, sizeof url);
	}
	sl_reg_call_release(&c);
	if (dropped > 0)
		sl_log_warn(r->log_source, "%s/%s: %zu tag(s) ignored: not valid tag names", r->origin, repo, dropped);
	if (rc < 0) {
		sl_registry_tags_free(*tags, *n);
		*tags = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- blobs ---- */

struct blob_req {
	struct sl_registry *r;
	struct blob_req *next;      /* in a token's waiters */
	char repo[SL_MAX_OCI_REPO + 1];
	char hex[SL_SHA256_HEX];
	uint64_t size;
	unsigned gen;               /* generation of the token the last attempt carried */
	bool renewed;
	void (*done)(void *arg, const struct sl_fetch_result *res);
	void *arg;
};

static int blob_queue(struct blob_req *b, char **cause);

static int blob_url(const struct blob_req *b, char *url, size_t cap)
{
	int n = snprintf(url, cap, "%s/v2/%s/blobs/sha256:%s", b->r->base, b->repo, b->hex);
	return n < 0 || (size_t)n >= cap ? -SL_E_TOOBIG : 0;
}

/* Report a blob that never reached the engine (its token could not be had) and free it. */
static void blob_fail(struct blob_req *b, int err, const char *why)
{
	char url[SL_MAX_URL + SL_MAX_OCI_REPO + 256];
	if (blob_url(b, url, sizeof url) < 0)
		snprintf(url, sizeof url, "sha256:%s", b->hex);
	struct sl_fetch_result res = { .err = err, .url = url, .effective_url = url, .message = why };
	sl_log(err == -SL_E_INTERRUPTED ? SL_LOG_DEBUG : SL_LOG_ERR, b->r->log_source, "%s: %s", url, why);
	b->done(b->arg, &res);
	free(b);
}

static void blob_done(void *arg, const struct sl_fetch_result *res)
{
	struct blob_req *b = arg;
	struct sl_registry *r = b->r;
	if (res->err == -SL_E_HTTP && res->status == 401 && !b->renewed && r->mode == AUTH_BEARER) {
		/* The token expired while the queue drained: renew it once (one request for every blob that
		 * carried this token) and queue again. */
		char *cause = NULL;
		struct token *t = sl_reg_token_of(r, b->repo);
		b->renewed = true;
		if (t != NULL && t->gen == b->gen)
			t->expires = 0;
		if (t != NULL && blob_queue(b, &cause) == 0)
			return;
		sl_log_err(r->log_source, "%s: %s", b->hex, cause ? cause : "cannot renew the token");
		free(cause);
	}
	b->done(b->arg, res);
	free(b);
}

/* Queue the blob's GET with credentials at hand. */
static int blob_send(struct blob_req *b, const struct token *t, char **cause)
{
	struct sl_registry *r = b->r;
	char url[SL_MAX_URL + SL_MAX_OCI_REPO + 256], auth[SL_MAX_REGISTRY_TOKEN + 64];
	if (blob_url(b, url, sizeof url) < 0)
		return sl_cause(cause, -SL_E_TOOBIG, "blob URL too long");
	int rc = sl_reg_auth_header(r, t, auth, sizeof auth, cause);
	if (rc < 0)
		return rc;
	b->gen = t != NULL ? t->gen : 0;
	const char *hdrs[2] = { auth[0] ? auth : NULL, NULL };
	struct sl_fetch_req req = {
		.url = url, .flags = SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE, .expect_sha256 = b->hex,
		.expect_size = (int64_t)b->size, .headers = hdrs, .bandwidth_bps = r->bandwidth_bps,
		.done = blob_done, .arg = b,
	};
	rc = sl_fetch_add(r->f, &req);
	explicit_bzero(auth, sizeof auth);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: %s", url, sl_strerror(rc));
	return 0;
}

/* Queue the blobs that waited for t, or fail them with t's error. */
void sl_reg_blobs_release(struct token *t)
{
	struct blob_req *b = t->waiters;
	t->waiters = NULL;
	t->waiters_tail = &t->waiters;
	while (b != NULL) {
		struct blob_req *next = b->next;
		char *cause = NULL;
		int rc = t->r == NULL ? -SL_E_INTERRUPTED : t->err;
		if (t->r == NULL)
			free(b);   /* the registry, and with it the owner of b->arg, is gone */
		else if (rc < 0)
			blob_fail(b, rc, t->msg);
		else if (blob_send(b, t, &cause) < 0)
			blob_fail(b, -SL_E_NETWORK, cause ? cause : "cannot queue the blob");
		free(cause);
		b = next;
	}
}

/* Queue the blob now, or behind its scope's token when that must be fetched first (asynchronously: this
 * also runs inside fetch callbacks). */
static int blob_queue(struct blob_req *b, char **cause)
{
	struct sl_registry *r = b->r;
	if (r->mode != AUTH_BEARER)
		return blob_send(b, NULL, cause);
	struct token *t = sl_reg_token_of(r, b->repo);
	if (t == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	if (sl_reg_token_fresh(t) && !t->pending)
		return blob_send(b, t, cause);
	int rc = sl_reg_token_request(r, t, cause);
	if (rc < 0)
		return rc;
	b->next = NULL;
	*t->waiters_tail = b;
	t->waiters_tail = &b->next;
	return 0;
}

int sl_registry_blob_add(struct sl_registry *r, const char *repo, const char *hex, uint64_t size,
			 void (*done)(void *arg, const struct sl_fetch_result *res), void *arg, char **cause)
{
	if (!sl_oci_valid_repo(repo) || !sl_digest_valid_sha256(hex))
		return sl_cause(cause, -SL_E_BADNAME, "invalid blob reference");
	/* The first request to a registry learns how it authenticates (and waits for that answer). */
	if (r->mode == AUTH_UNKNOWN) {
		int rc = sl_reg_ping(r, cause);
		if (rc < 0)
			return rc;
	}
	struct blob_req *b = calloc(1, sizeof *b);
	if (b == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	b->r = r;
	snprintf(b->repo, sizeof b->repo, "%s", repo);
	memcpy(b->hex, hex, SL_SHA256_HEX);
	b->size = size;
	b->done = done;
	b->arg = arg;
	int rc = blob_queue(b, cause);
	if (rc < 0)
		free(b);
	return rc;
}
