/* registry: the distribution API client — auth challenges and tokens, manifest HEAD/GET, tag pages,
 * blob downloads, rate-limit accounting. Every request goes through the fetch engine; the answers that
 * live in response headers come back through its header capture. */
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
#include <openssl/evp.h>

#include "core/blob.h"
#include "core/catalog.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/url.h"
#include "syncd/registry_int.h"
#include "syncd/registry_parse.h"

#define REG_TAGS_PAGE       1000              /* tags asked for per page (n=); registries may send fewer */
#define REG_MAX_PAGES       1000              /* pages followed per repository: a loop guard */
#define REG_TOKEN_BODY_MAX  (64u << 10)       /* bytes of a token endpoint's JSON answer */
#define REG_PING_BODY_MAX   (64u << 10)       /* bytes of the /v2/ answer */
#define REG_TAGS_BODY_MAX   (4u << 20)        /* bytes of one tag page */
#define REG_TOKEN_DEFAULT_S 60                /* s: token lifetime when the realm names none (spec default) */
#define REG_TOKEN_MARGIN_S  10                /* s: renew this long before expiry (clock skew, slow requests) */
#define REG_RATE_RESERVE    2                 /* pulls left untouched: stop before the limit, not at it */
#define REG_RATE_COOL_S     3600              /* s: cool-down when the window is unknown */

/* Response headers every registry request captures (see fetch.h), in this order. */
enum { H_AUTH, H_LINK, H_DIGEST, H_LENGTH, H_RL_LIMIT, H_RL_REMAINING, H_N };
static const char *const reg_capture[H_N + 1] = {
	[H_AUTH] = "WWW-Authenticate", [H_LINK] = "Link", [H_DIGEST] = "Docker-Content-Digest",
	[H_LENGTH] = "Content-Length", [H_RL_LIMIT] = "RateLimit-Limit", [H_RL_REMAINING] = "RateLimit-Remaining",
	[H_N] = NULL,
};



static int64_t mono_s(void)
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

/* The registry's RateLimit-* headers of one response; true when they said how many pulls are left. */
static bool note_rate(struct sl_registry *r, const char *rl_limit, const char *rl_remaining)
{
	long limit = -1, rem = -1, window = r->rl_window;
	if (rl_remaining == NULL || !sl_regparse_rate(rl_remaining, &rem, &window))
		return false;
	if (rl_limit != NULL)
		sl_regparse_rate(rl_limit, &limit, &window);
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

/* What a request's callback copied out of the borrowed result. */
struct call {
	struct sl_registry *r;
	int err;
	long status;
	char msg[512];
	uint8_t *body;              /* heap, NUL-terminated; 2xx only */
	size_t len;
	char ctype[SL_OCI_MT_MAX];  /* bare Content-Type */
	char hdr[H_N][SL_MAX_HEADER_VALUE];   /* captured values, "" when absent */
	bool rated;                 /* the answer carried RateLimit-Remaining */
};

static void call_release(struct call *c)
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
static int call(struct sl_registry *r, const char *url, unsigned flags, const char *const *hdrs, uint64_t cap,
		const char *expect_sha256, struct call *c, char **cause)
{
	call_release(c);
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

/* ---- authentication ---- */

/* Parse a Bearer or Basic challenge (syncd/registry_parse) into r->mode/realm/service. */
static int parse_challenge(struct sl_registry *r, const char *www, char **cause)
{
	struct sl_regparse_challenge ch;
	const char *why = NULL;
	int rc = sl_regparse_challenge(www, r->https, &ch, &why);
	if (rc == -SL_E_UNSUPPORTED)
		return sl_cause(cause, rc, "%s: unsupported authentication challenge '%.100s'", r->base, www);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: token realm '%.200s' is not %s", r->base, ch.realm,
			    r->https ? "https" : "http(s)");
	if (ch.mode == SL_REGPARSE_BASIC) {
		r->mode = AUTH_BASIC;
		return 0;
	}
	snprintf(r->realm, sizeof r->realm, "%s", ch.realm);
	snprintf(r->service, sizeof r->service, "%s", ch.service);
	r->mode = AUTH_BEARER;
	return 0;
}

int sl_registry_ping(struct sl_registry *r, char **cause)
{
	char url[SL_MAX_URL + 16];
	snprintf(url, sizeof url, "%s/v2/", r->base);
	struct call c = { 0 };
	int rc = call(r, url, SL_FETCH_QUIET, NULL, REG_PING_BODY_MAX, NULL, &c, cause);
	if (rc == 0) {
		if (c.status == 200)
			r->mode = AUTH_NONE;
		else if (c.status == 401 && c.hdr[H_AUTH][0] != '\0')
			rc = parse_challenge(r, c.hdr[H_AUTH], cause);
		else
			rc = sl_cause(cause, -SL_E_HTTP, "%s: not a registry v2 API (HTTP %ld)", url, c.status);
	}
	call_release(&c);
	if (rc == 0 && r->mode == AUTH_BASIC && r->username == NULL)
		rc = sl_cause(cause, -SL_E_CONFIG, "%s asks for a user name and password (username, password_file)",
			  r->base);
	return rc;
}

static int basic_header(const struct sl_registry *r, char *buf, size_t cap)
{
	char plain[1024];
	int n = snprintf(plain, sizeof plain, "%s:%s", r->username, r->password ? r->password : "");
	if (n < 0 || (size_t)n >= sizeof plain)
		return -SL_E_TOOBIG;
	unsigned char b64[1400];
	EVP_EncodeBlock(b64, (const unsigned char *)plain, n);
	explicit_bzero(plain, sizeof plain);
	n = snprintf(buf, cap, "Authorization: Basic %s", b64);
	explicit_bzero(b64, sizeof b64);
	return (n < 0 || (size_t)n >= cap) ? -SL_E_TOOBIG : 0;
}

struct token *sl_registry_token_of(struct sl_registry *r, const char *repo)
{
	char scope[SL_MAX_OCI_REPO + 64];
	snprintf(scope, sizeof scope, "repository:%s:pull", repo);
	for (struct token *t = r->tokens; t != NULL; t = t->next)
		if (strcmp(t->scope, scope) == 0)
			return t;
	struct token *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	t->scope = strdup(scope);
	if (t->scope == NULL) {
		free(t);
		return NULL;
	}
	t->r = r;
	t->waiters_tail = &t->waiters;
	t->next = r->tokens;
	r->tokens = t;
	return t;
}

bool sl_registry_token_fresh(const struct token *t)
{
	return t->value != NULL && t->expires > mono_s();
}

static void token_free(struct token *t)
{
	if (t->value != NULL)
		explicit_bzero(t->value, strlen(t->value));
	free(t->value);
	free(t->scope);
	free(t);
}

/* The token endpoint's JSON answer (syncd/registry_parse) into t. */
static int token_take(struct token *t, const uint8_t *body, size_t len)
{
	char *v = NULL;
	int64_t renew_at = 0;
	int rc = sl_regparse_token(body, len, mono_s(), REG_TOKEN_DEFAULT_S, REG_TOKEN_MARGIN_S, &v, &renew_at);
	if (rc == -ENOMEM) {
		snprintf(t->msg, sizeof t->msg, "out of memory");
	} else if (rc < 0) {
		snprintf(t->msg, sizeof t->msg, "%s: no usable token in the answer", t->r->realm);
	} else {
		if (t->value != NULL)
			explicit_bzero(t->value, strlen(t->value));
		free(t->value);
		t->value = v;
		t->gen++;
		t->expires = renew_at;
	}
	return rc;
}

static void token_done(void *arg, const struct sl_fetch_result *res)
{
	struct token *t = arg;
	t->pending = false;
	if (t->r == NULL) {
		/* The registry was freed with this request still queued: nobody is left to tell. */
		sl_registry_blobs_release(t);
		token_free(t);
		return;
	}
	struct sl_registry *r = t->r;
	t->err = 0;
	t->msg[0] = '\0';
	if (res->err == 0) {
		t->err = token_take(t, res->body, res->body_len);
	} else if (res->err == -SL_E_HTTP && res->status > 0) {
		t->err = res->status == 401 || res->status == 403 ? -SL_E_CONFIG : -SL_E_HTTP;
		snprintf(t->msg, sizeof t->msg, "%s: token request for %s refused (HTTP %ld)%s", r->realm, t->scope,
			 res->status, res->status == 401 ? ": check username and password_file" : "");
	} else {
		t->err = res->err;
		snprintf(t->msg, sizeof t->msg, "%s: %s", r->realm, res->message ? res->message : sl_strerror(res->err));
	}
	sl_registry_blobs_release(t);
}

/* Queue a request for t's token (Basic credentials go along when configured). */
int sl_registry_token_request(struct sl_registry *r, struct token *t, char **cause)
{
	if (t->pending)
		return 0;
	char *esc_s = curl_easy_escape(NULL, t->scope, 0);
	char *esc_v = curl_easy_escape(NULL, r->service, 0);
	char url[SL_MAX_URL * 2];
	int n = esc_s && esc_v ? snprintf(url, sizeof url, "%s%cservice=%s&scope=%s", r->realm,
					  strchr(r->realm, '?') ? '&' : '?', esc_v, esc_s) : -1;
	curl_free(esc_s);
	curl_free(esc_v);
	if (n < 0 || (size_t)n >= sizeof url)
		return sl_cause(cause, -SL_E_TOOBIG, "token URL too long");
	char auth[2048];
	const char *hdrs[2] = { NULL, NULL };
	if (r->username != NULL) {
		if (basic_header(r, auth, sizeof auth) < 0)
			return sl_cause(cause, -SL_E_TOOBIG, "credentials too long");
		hdrs[0] = auth;
	}
	struct sl_fetch_req req = {
		.url = url, .flags = SL_FETCH_QUIET, .expect_size = -1, .max_size = REG_TOKEN_BODY_MAX,
		.headers = hdrs, .timeout_ms = r->timeout_ms, .done = token_done, .arg = t,
	};
	int rc = sl_fetch_add(r->f, &req);
	explicit_bzero(auth, sizeof auth);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: token request for %s: %s", r->realm, t->scope, sl_strerror(rc));
	t->pending = true;
	return 0;
}

/* The Authorization header line for `repo` into buf ("" when anonymous), without any request: the
 * mode is known and, for Bearer, t holds a fresh token. */
int sl_registry_auth_header(struct sl_registry *r, const struct token *t, char *buf, size_t cap, char **cause)
{
	buf[0] = '\0';
	int n = 0;
	if (r->mode == AUTH_BASIC)
		n = basic_header(r, buf, cap) < 0 ? -1 : 0;
	else if (r->mode == AUTH_BEARER)
		n = snprintf(buf, cap, "Authorization: Bearer %s", t->value);
	return (n < 0 || (size_t)n >= cap) ? sl_cause(cause, -SL_E_TOOBIG, "credentials or token too long") : 0;
}

/* As auth_header, asking the registry and its token realm first when needed (waits for them). renew: the
 * token was refused, get another. Never from inside a fetch callback. */
static int auth_for(struct sl_registry *r, const char *repo, bool renew, char *buf, size_t cap, char **cause)
{
	buf[0] = '\0';
	int rc = 0;
	if (r->mode == AUTH_UNKNOWN)
		rc = sl_registry_ping(r, cause);
	if (rc < 0 || r->mode != AUTH_BEARER)
		return rc < 0 ? rc : sl_registry_auth_header(r, NULL, buf, cap, cause);
	struct token *t = sl_registry_token_of(r, repo);
	if (t == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	if (renew || !sl_registry_token_fresh(t)) {
		rc = sl_registry_token_request(r, t, cause);
		if (rc == 0)
			rc = sl_fetch_run(r->f);
		if (rc < 0)
			return sl_cause(cause, rc, "%s: token request for %s: %s", r->realm, t->scope, sl_strerror(rc));
		if (t->err < 0)
			return sl_cause(cause, t->err, "%s", t->msg);
		if (!sl_registry_token_fresh(t))
			return sl_cause(cause, -SL_E_PARSE, "%s: token for %s expired on arrival", r->realm, t->scope);
	}
	return sl_registry_auth_header(r, t, buf, cap, cause);
}

/* A 401 on an authenticated request: the challenge may name what is missing. True when a retry with a
 * fresh token makes sense (Basic credentials would only be refused again). */
static bool reauth(struct sl_registry *r, const struct call *c)
{
	if (c->status != 401 || c->hdr[H_AUTH][0] == '\0')
		return false;
	char *ignored = NULL;
	int rc = parse_challenge(r, c->hdr[H_AUTH], &ignored);
	free(ignored);
	return rc == 0 && r->mode == AUTH_BEARER;
}

/* An authenticated request, renewing the token once on 401. */
static int call_auth(struct sl_registry *r, const char *repo, const char *url, unsigned flags,
		     const char *accept, uint64_t cap, const char *expect_sha256, struct call *c, char **cause)
{
	char auth[REG_TOKEN_MAX + 64];
	const char *hdrs[3] = { accept, NULL, NULL };
	int rc = 0;
	for (int pass = 0; pass < 2; pass++) {
		rc = auth_for(r, repo, pass > 0, auth, sizeof auth, cause);
		if (rc < 0)
			break;
		hdrs[accept ? 1 : 0] = auth[0] ? auth : NULL;
		rc = call(r, url, flags, hdrs, cap, expect_sha256, c, cause);
		if (rc < 0 || pass > 0 || !reauth(r, c))
			break;
	}
	explicit_bzero(auth, sizeof auth);
	return rc;
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
			token_free(t);
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
	rc = call_auth(r, repo, url, SL_FETCH_HEAD | SL_FETCH_QUIET, "Accept: " SL_OCI_ACCEPT, 0, NULL, &c, cause);
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
	call_release(&c);
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
	rc = call_auth(r, repo, url, 0, "Accept: " SL_OCI_ACCEPT, SL_MAX_OCI_MANIFEST, hex, &c, cause);
	if (rc == 0 && !c.rated && r->rl_remaining > 0)
		r->rl_remaining--;   /* a GET counts; when the answer does not say so, HEADs told us the rest */
	if (rc == 0 && c.err != 0)
		rc = c.status == 404 ? sl_cause(cause, -SL_E_NOTFOUND, "%s: manifest unknown (HTTP 404)", url)
				     : sl_cause(cause, -SL_E_HTTP, "%s: HTTP %ld", url, c.status);
	if (rc < 0) {
		call_release(&c);
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
		if (page >= REG_MAX_PAGES) {
			rc = sl_cause(cause, -SL_E_TOOBIG, "%s: more than %d pages of tags", repo, REG_MAX_PAGES);
			break;
		}
		rc = call_auth(r, repo, url, SL_FETCH_QUIET, NULL, REG_TAGS_BODY_MAX, NULL, &c, cause);
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
	call_release(&c);
	if (dropped > 0)
		sl_log_warn(r->log_source, "%s/%s: %zu tag(s) ignored: not valid tag names", r->origin, repo, dropped);
	if (rc < 0) {
		sl_registry_tags_free(*tags, *n);
		*tags = NULL;
		*n = 0;
	}
	return rc;
}
