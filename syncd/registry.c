/* registry: the distribution API client — auth challenges and tokens, manifest HEAD/GET, tag pages,
 * blob downloads, rate-limit accounting. Bodies go through the fetch engine; header-bearing control
 * requests through one keep-alive easy handle (see registry.h for why). */
#include "syncd/registry.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "core/blob.h"
#include "core/catalog.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"

#define REG_UA              "sluice/" SLUICE_VERSION " (+air-gapped mirror)"
#define REG_TAGS_PAGE       1000              /* tags asked for per page (n=); registries may send fewer */
#define REG_MAX_PAGES       1000              /* pages followed per repository: a loop guard */
#define REG_TOKEN_MAX       (16u << 10)       /* bytes of a bearer token: Docker Hub's JWTs are ~ 2 KiB */
#define REG_TOKEN_BODY_MAX  (64u << 10)       /* bytes of a token endpoint's JSON answer */
#define REG_TAGS_BODY_MAX   (4u << 20)        /* bytes of one tag page */
#define REG_TOKEN_DEFAULT_S 60                /* s: token lifetime when the realm names none (spec default) */
#define REG_TOKEN_MARGIN_S  10                /* s: renew this long before expiry (clock skew, slow requests) */
#define REG_RATE_RESERVE    2                 /* pulls left untouched: stop before the limit, not at it */
#define REG_RATE_COOL_S     3600              /* s: cool-down when the window is unknown */
#define REG_INLINE_WAIT_S   30                /* s: a Retry-After up to this is waited out */
#define REG_HDR             1024              /* bytes kept from one interesting response header */

enum auth_mode { AUTH_UNKNOWN, AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct token {
	struct token *next;
	char *scope, *value;
	int64_t expires;           /* monotonic s */
};

struct sl_registry {
	struct sl_fetch *f;
	CURL *easy;
	char *base, *origin, *username, *password, *proxy, *ca_file, *log_source;
	bool https;
	struct sl_catalog *cat;
	const volatile int *stop;
	uint64_t bandwidth_bps;
	int64_t timeout_ms;
	unsigned retries;
	enum auth_mode mode;
	char realm[SL_MAX_URL], service[256];
	struct token *tokens;
	long rl_limit, rl_remaining, rl_window;   /* -1: unknown */
	bool rl_logged;
};

struct ctl {
	long status;
	char www_auth[REG_HDR], link[REG_HDR], ctype[SL_OCI_MT_MAX], digest[128];
	char rl_limit[128], rl_remaining[128], retry_after[64];
	uint64_t clen;
	uint8_t *body;
	size_t len, cap;
	bool overflow;
};

static int fail(char **cause, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char **cause, int rc, const char *fmt, ...)
{
	if (cause != NULL && *cause == NULL) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(cause, fmt, ap) < 0)
			*cause = NULL;
		va_end(ap);
	}
	return rc;
}

static int64_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static bool stopped(const struct sl_registry *r)
{
	return r->stop != NULL && *r->stop != 0;
}

/* ---- control requests (easy handle) ---- */

static void keep(char *dst, size_t cap, struct sl_blob v)
{
	if (sl_blob_copy(v, dst, cap) != 0)
		dst[0] = '\0';   /* oversized: dropped, never truncated into something else */
}

static size_t ctl_header(char *p, size_t size, size_t n, void *arg)
{
	struct ctl *c = arg;
	size_t len = size * n;
	struct sl_blob line = { (const uint8_t *)p, len }, name;
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		c->www_auth[0] = c->link[0] = c->ctype[0] = c->digest[0] = '\0';
		c->rl_limit[0] = c->rl_remaining[0] = c->retry_after[0] = '\0';
		return len;
	}
	if (!sl_blob_split(&line, ':', &name))
		return len;
	name = sl_blob_trim(name);
	struct sl_blob v = sl_blob_trim(line);
	if (sl_blob_eq_nocase(name, "www-authenticate"))
		keep(c->www_auth, sizeof c->www_auth, v);
	else if (sl_blob_eq_nocase(name, "link"))
		keep(c->link, sizeof c->link, v);
	else if (sl_blob_eq_nocase(name, "content-type"))
		keep(c->ctype, sizeof c->ctype, v);
	else if (sl_blob_eq_nocase(name, "docker-content-digest"))
		keep(c->digest, sizeof c->digest, v);
	else if (sl_blob_eq_nocase(name, "ratelimit-limit"))
		keep(c->rl_limit, sizeof c->rl_limit, v);
	else if (sl_blob_eq_nocase(name, "ratelimit-remaining"))
		keep(c->rl_remaining, sizeof c->rl_remaining, v);
	else if (sl_blob_eq_nocase(name, "retry-after"))
		keep(c->retry_after, sizeof c->retry_after, v);
	return len;
}

static size_t ctl_body(char *p, size_t size, size_t n, void *arg)
{
	struct ctl *c = arg;
	size_t len = size * n;
	if (c->len + len + 1 > c->cap) {
		c->overflow = true;
		return 0;
	}
	memcpy(c->body + c->len, p, len);
	c->len += len;
	c->body[c->len] = '\0';
	return len;
}

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

static void note_rate(struct sl_registry *r, const struct ctl *c)
{
	long limit = -1, rem = -1, window = r->rl_window;
	if (c->rl_remaining[0] == '\0' || !parse_rate(c->rl_remaining, &rem, &window))
		return;
	if (c->rl_limit[0] != '\0')
		parse_rate(c->rl_limit, &limit, &window);
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
}

static bool transient_status(long st)
{
	return st == 429 || (st >= 500 && st != 501);
}

static int64_t retry_after_s(const char *ra)
{
	uint64_t secs;
	if (ra[0] == '\0')
		return -1;
	if (sl_blob_to_u64(sl_blob_str(ra), &secs) == 0)
		return secs > SL_MAX_COOLDOWN_S ? SL_MAX_COOLDOWN_S : (int64_t)secs;
	time_t at = curl_getdate(ra, NULL);
	if (at == (time_t)-1)
		return -1;
	int64_t d = (int64_t)at - (int64_t)time(NULL);
	return d < 0 ? 0 : (d > SL_MAX_COOLDOWN_S ? SL_MAX_COOLDOWN_S : d);
}

static void cooldown(struct sl_registry *r, int64_t seconds, const char *why)
{
	char host[256];
	if (r->cat == NULL || sl_fetch_url_host(r->base, host, sizeof host) != 0)
		return;
	if (sl_catalog_cooldown_set(r->cat, host, (int64_t)time(NULL) + seconds, why) != 0)
		sl_log_warn(r->log_source, "%s: cool-down not persisted in the catalogue", host);
}

/* One request with the given headers; retries transient failures. 0 once any HTTP status arrived (the
 * caller judges it), else -SL_E_NETWORK / -SL_E_TIMEOUT / -SL_E_TOOBIG / -SL_E_INTERRUPTED. */
static int ctl_do(struct sl_registry *r, const char *url, bool head, const char *const *hdrs, size_t body_cap,
		  struct ctl *c, char **cause)
{
	free(c->body);
	memset(c, 0, sizeof *c);
	c->cap = body_cap + 1;
	c->body = malloc(c->cap);
	if (c->body == NULL)
		return fail(cause, -ENOMEM, "out of memory");
	struct curl_slist *list = NULL;
	for (size_t i = 0; hdrs != NULL && hdrs[i] != NULL; i++) {
		struct curl_slist *n = curl_slist_append(list, hdrs[i]);
		if (n == NULL) {
			curl_slist_free_all(list);
			return fail(cause, -ENOMEM, "out of memory");
		}
		list = n;
	}
	int rc = -SL_E_NETWORK;
	for (unsigned attempt = 0;; attempt++) {
		if (stopped(r)) {
			rc = fail(cause, -SL_E_INTERRUPTED, "%s: interrupted", url);
			break;
		}
		CURL *e = r->easy;
		char errbuf[CURL_ERROR_SIZE] = "";
		curl_easy_reset(e);
		c->len = 0;
		c->overflow = false;
		c->status = 0;
		curl_easy_setopt(e, CURLOPT_URL, url);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, r->https ? "https" : "http,https");
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)SL_MAX_REDIRECTS);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
		curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
		if (r->ca_file != NULL)
			curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
		if (r->proxy != NULL)
			curl_easy_setopt(e, CURLOPT_PROXY, r->proxy);
		curl_easy_setopt(e, CURLOPT_USERAGENT, REG_UA);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, ctl_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, ctl_body);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(e, CURLOPT_NOBODY, head ? 1L : 0L);
		if (list != NULL)
			curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
		CURLcode cc = curl_easy_perform(e);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &c->status);
		curl_off_t cl = -1;
		curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		c->clen = cl > 0 ? (uint64_t)cl : 0;
		if (c->overflow) {
			rc = fail(cause, -SL_E_TOOBIG, "%s: answer exceeds %zu bytes", url, body_cap);
			break;
		}
		bool transient = cc != CURLE_OK || transient_status(c->status);
		if (!transient) {
			note_rate(r, c);
			rc = 0;
			break;
		}
		int64_t ra = retry_after_s(c->retry_after);
		if (c->status == 429 && ra > REG_INLINE_WAIT_S) {
			char why[SL_MAX_URL + 64];
			snprintf(why, sizeof why, "HTTP 429, Retry-After %s on %s", c->retry_after, url);
			cooldown(r, ra, why);
			rc = fail(cause, -SL_E_COOLDOWN, "%s: HTTP 429, registry asks to wait %" PRId64 " s", url, ra);
			break;
		}
		if (attempt >= r->retries) {
			if (cc != CURLE_OK)
				rc = fail(cause, cc == CURLE_OPERATION_TIMEDOUT ? -SL_E_TIMEOUT : -SL_E_NETWORK, "%s: %s",
					  url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
			else
				rc = 0;   /* the status speaks for itself */
			break;
		}
		int64_t wait_ms = ra >= 0 ? ra * 1000 : (int64_t)1000 << (attempt < 8 ? attempt : 8);
		sl_log_info(r->log_source, "%s: %s; retrying in %" PRId64 " ms", url,
			    cc != CURLE_OK ? (errbuf[0] ? errbuf : curl_easy_strerror(cc)) : "server error", wait_ms);
		for (int64_t slept = 0; slept < wait_ms && !stopped(r); slept += 50)
			usleep(50 * 1000);
	}
	curl_slist_free_all(list);
	return rc;
}

static void ctl_release(struct ctl *c)
{
	free(c->body);
	c->body = NULL;
}

/* ---- authentication ---- */

/* Next auth-param of a challenge: key=value or key="quoted \"value\"". */
static bool next_param(const char **pp, char *key, size_t kcap, char *val, size_t vcap)
{
	const char *p = *pp;
	while (*p == ' ' || *p == ',' || *p == '\t')
		p++;
	size_t k = 0;
	while (*p != '\0' && *p != '=' && *p != ',' && *p != ' ') {
		if (k + 1 >= kcap)
			return false;
		key[k++] = *p++;
	}
	key[k] = '\0';
	if (k == 0 || *p != '=')
		return false;
	p++;
	size_t v = 0;
	if (*p == '"') {
		p++;
		while (*p != '\0' && *p != '"') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (v + 1 >= vcap)
				return false;
			val[v++] = *p++;
		}
		if (*p != '"')
			return false;
		p++;
	} else {
		while (*p != '\0' && *p != ',' && *p != ' ') {
			if (v + 1 >= vcap)
				return false;
			val[v++] = *p++;
		}
	}
	val[v] = '\0';
	*pp = p;
	return true;
}

/* Parse a Bearer or Basic challenge into r->mode/realm/service; scope (may be NULL) gets the scope. */
static int parse_challenge(struct sl_registry *r, const char *www, char *scope, size_t scap, char **cause)
{
	if (strncasecmp(www, "Basic", 5) == 0 && (www[5] == ' ' || www[5] == '\0')) {
		r->mode = AUTH_BASIC;
		return 0;
	}
	if (strncasecmp(www, "Bearer ", 7) != 0)
		return fail(cause, -SL_E_UNSUPPORTED, "%s: unsupported authentication challenge '%.100s'", r->base, www);
	const char *p = www + 7;
	char key[32], val[SL_MAX_URL];
	char realm[SL_MAX_URL] = "", service[sizeof r->service] = "";
	if (scope != NULL)
		scope[0] = '\0';
	while (next_param(&p, key, sizeof key, val, sizeof val)) {
		if (strcasecmp(key, "realm") == 0)
			snprintf(realm, sizeof realm, "%s", val);
		else if (strcasecmp(key, "service") == 0 && strlen(val) < sizeof service)
			memcpy(service, val, strlen(val) + 1);
		else if (strcasecmp(key, "scope") == 0 && scope != NULL && strlen(val) < scap)
			memcpy(scope, val, strlen(val) + 1);
	}
	bool https = strncmp(realm, "https://", 8) == 0;
	if (!https && !(strncmp(realm, "http://", 7) == 0 && !r->https))
		return fail(cause, -SL_E_BADNAME, "%s: token realm '%.200s' is not %s", r->base, realm,
			    r->https ? "https" : "http(s)");
	snprintf(r->realm, sizeof r->realm, "%s", realm);
	snprintf(r->service, sizeof r->service, "%s", service);
	r->mode = AUTH_BEARER;
	return 0;
}

static int ping(struct sl_registry *r, char **cause)
{
	/* A cool-down persisted by an earlier run (rate limit, Retry-After) holds for control requests too. */
	char host[256];
	int64_t until = 0;
	if (r->cat != NULL && sl_fetch_url_host(r->base, host, sizeof host) == 0 &&
	    sl_catalog_cooldown_get(r->cat, host, &until, NULL) == 0 && until > (int64_t)time(NULL))
		return fail(cause, -SL_E_COOLDOWN, "%s is cooling down for another %lld s; not contacted", host,
			    (long long)(until - (int64_t)time(NULL)));
	char url[SL_MAX_URL + 16];
	snprintf(url, sizeof url, "%s/v2/", r->base);
	struct ctl c = { 0 };
	int rc = ctl_do(r, url, false, NULL, 64u << 10, &c, cause);
	if (rc == 0) {
		if (c.status == 200)
			r->mode = AUTH_NONE;
		else if (c.status == 401 && c.www_auth[0] != '\0')
			rc = parse_challenge(r, c.www_auth, NULL, 0, cause);
		else
			rc = fail(cause, -SL_E_HTTP, "%s: not a registry v2 API (HTTP %ld)", url, c.status);
	}
	ctl_release(&c);
	if (rc == 0 && r->mode == AUTH_BASIC && r->username == NULL)
		rc = fail(cause, -SL_E_CONFIG, "%s asks for a user name and password (username, password_file)",
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

static struct token *token_find(struct sl_registry *r, const char *scope)
{
	for (struct token *t = r->tokens; t != NULL; t = t->next)
		if (strcmp(t->scope, scope) == 0)
			return t;
	return NULL;
}

static int fetch_token(struct sl_registry *r, const char *scope, char **cause)
{
	char *esc_s = curl_easy_escape(r->easy, scope, 0);
	char *esc_v = curl_easy_escape(r->easy, r->service, 0);
	char url[SL_MAX_URL * 2];
	int n = esc_s && esc_v ? snprintf(url, sizeof url, "%s%cservice=%s&scope=%s", r->realm,
					  strchr(r->realm, '?') ? '&' : '?', esc_v, esc_s) : -1;
	curl_free(esc_s);
	curl_free(esc_v);
	if (n < 0 || (size_t)n >= sizeof url)
		return fail(cause, -SL_E_TOOBIG, "token URL too long");
	char auth[2048];
	const char *hdrs[2] = { NULL, NULL };
	if (r->username != NULL) {
		if (basic_header(r, auth, sizeof auth) < 0)
			return fail(cause, -SL_E_TOOBIG, "credentials too long");
		hdrs[0] = auth;
	}
	struct ctl c = { 0 };
	int rc = ctl_do(r, url, false, hdrs, REG_TOKEN_BODY_MAX, &c, cause);
	explicit_bzero(auth, sizeof auth);
	if (rc == 0 && c.status != 200)
		rc = fail(cause, c.status == 401 || c.status == 403 ? -SL_E_CONFIG : -SL_E_HTTP,
			  "%s: token request for %s refused (HTTP %ld)%s", r->realm, scope, c.status,
			  c.status == 401 ? ": check username and password_file" : "");
	json_t *j = NULL;
	if (rc == 0) {
		j = json_loadb((const char *)c.body, c.len, 0, NULL);
		const char *tok = json_string_value(json_object_get(j, "token"));
		if (tok == NULL)
			tok = json_string_value(json_object_get(j, "access_token"));
		json_int_t ttl = json_integer_value(json_object_get(j, "expires_in"));
		if (tok == NULL || tok[0] == '\0' || strlen(tok) > REG_TOKEN_MAX || strpbrk(tok, "\r\n") != NULL) {
			rc = fail(cause, -SL_E_PARSE, "%s: no usable token in the answer", r->realm);
		} else {
			if (ttl <= 0)
				ttl = REG_TOKEN_DEFAULT_S;
			struct token *t = token_find(r, scope);
			if (t == NULL) {
				t = calloc(1, sizeof *t);
				if (t != NULL && (t->scope = strdup(scope)) == NULL) {
					free(t);
					t = NULL;
				}
				if (t != NULL) {
					t->next = r->tokens;
					r->tokens = t;
				}
			}
			char *v = t != NULL ? strdup(tok) : NULL;
			if (v == NULL) {
				rc = fail(cause, -ENOMEM, "out of memory");
			} else {
				free(t->value);
				t->value = v;
				int64_t margin = ttl > 2 * REG_TOKEN_MARGIN_S ? REG_TOKEN_MARGIN_S : ttl / 2;
				t->expires = mono_s() + (int64_t)ttl - margin;
			}
		}
	}
	json_decref(j);
	ctl_release(&c);
	return rc;
}

/* The Authorization header line for `repo` into buf ("" when anonymous). renew: the cached token was
 * refused, get a new one. */
static int auth_for(struct sl_registry *r, const char *repo, bool renew, char *buf, size_t cap, char **cause)
{
	buf[0] = '\0';
	int rc = 0;
	if (r->mode == AUTH_UNKNOWN)
		rc = ping(r, cause);
	if (rc < 0 || r->mode == AUTH_NONE)
		return rc;
	if (r->mode == AUTH_BASIC)
		return basic_header(r, buf, cap) < 0 ? fail(cause, -SL_E_TOOBIG, "credentials too long") : 0;
	char scope[SL_MAX_OCI_REPO + 64];
	snprintf(scope, sizeof scope, "repository:%s:pull", repo);
	struct token *t = token_find(r, scope);
	if (renew || t == NULL || t->value == NULL || t->expires <= mono_s()) {
		rc = fetch_token(r, scope, cause);
		if (rc < 0)
			return rc;
		t = token_find(r, scope);
	}
	int n = snprintf(buf, cap, "Authorization: Bearer %s", t->value);
	return (n < 0 || (size_t)n >= cap) ? fail(cause, -SL_E_TOOBIG, "token too long") : 0;
}

/* A 401 on an authenticated request: the challenge may name what is missing. True when a retry with
 * fresh credentials makes sense. */
static bool reauth(struct sl_registry *r, const struct ctl *c)
{
	if (c->status != 401 || c->www_auth[0] == '\0')
		return false;
	char *ignored = NULL;
	int rc = parse_challenge(r, c->www_auth, NULL, 0, &ignored);
	free(ignored);
	return rc == 0 && r->mode != AUTH_NONE;
}

/* ---- public ---- */

struct sl_registry *sl_registry_new(struct sl_fetch *f, const struct sl_registry_opts *o, char **cause)
{
	if (o == NULL || o->base == NULL) {
		fail(cause, -EINVAL, "registry URL missing");
		return NULL;
	}
	struct sl_registry *r = calloc(1, sizeof *r);
	if (r == NULL) {
		fail(cause, -ENOMEM, "out of memory");
		return NULL;
	}
	r->f = f;
	r->cat = o->cat;
	r->stop = o->stop;
	r->retries = o->retries;
	r->bandwidth_bps = o->bandwidth_bps;
	r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
	r->rl_limit = r->rl_remaining = r->rl_window = -1;
	r->base = strdup(o->base);
	r->easy = curl_easy_init();
	bool bad = r->base == NULL || r->easy == NULL;
	r->username = o->username ? strdup(o->username) : NULL;
	r->password = o->password ? strdup(o->password) : NULL;
	r->proxy = o->proxy ? strdup(o->proxy) : NULL;
	r->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
	r->log_source = o->log_source ? strdup(o->log_source) : NULL;
	bad = bad || (o->username && !r->username) || (o->password && !r->password) || (o->proxy && !r->proxy) ||
	      (o->ca_file && !r->ca_file) || (o->log_source && !r->log_source);
	if (bad) {
		fail(cause, -ENOMEM, "out of memory");
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
		fail(cause, rc, "registry URL '%s' is not http(s)://host[:port]", o->base);
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
		if (t->value != NULL)
			explicit_bzero(t->value, strlen(t->value));
		free(t->value);
		free(t->scope);
		free(t);
	}
	if (r->password != NULL)
		explicit_bzero(r->password, strlen(r->password));
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	free(r->base);
	free(r->origin);
	free(r->username);
	free(r->password);
	free(r->proxy);
	free(r->ca_file);
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

static void bare(const char *ct, char *buf, size_t cap)
{
	size_t n = strcspn(ct, "; \t");
	if (n >= cap)
		n = 0;
	memcpy(buf, ct, n);
	buf[n] = '\0';
}

/* An authenticated control request, renewing credentials once on 401. */
static int ctl_auth(struct sl_registry *r, const char *repo, const char *url, bool head, const char *accept,
		    size_t cap, struct ctl *c, char **cause)
{
	char auth[REG_TOKEN_MAX + 64];
	const char *hdrs[3] = { accept, NULL, NULL };
	for (int pass = 0; pass < 2; pass++) {
		int rc = auth_for(r, repo, pass > 0, auth, sizeof auth, cause);
		if (rc < 0)
			return rc;
		hdrs[accept ? 1 : 0] = auth[0] ? auth : NULL;
		rc = ctl_do(r, url, head, hdrs, cap, c, cause);
		if (rc < 0)
			return rc;
		if (pass == 0 && reauth(r, c))
			continue;
		break;
	}
	explicit_bzero(auth, sizeof auth);
	return 0;
}

int sl_registry_head(struct sl_registry *r, const char *repo, const char *ref, struct sl_registry_head *out,
		     char **cause)
{
	memset(out, 0, sizeof *out);
	char url[SL_MAX_URL + SL_MAX_OCI_REPO + 256];
	int rc = manifest_url(r, repo, ref, url, sizeof url);
	if (rc < 0)
		return fail(cause, rc, "%s:%s: invalid reference", repo, ref);
	struct ctl c = { 0 };
	rc = ctl_auth(r, repo, url, true, "Accept: " SL_OCI_ACCEPT, 0, &c, cause);
	if (rc == 0) {
		if (c.status == 404)
			rc = fail(cause, -SL_E_NOTFOUND, "%s: manifest unknown (HTTP 404)", url);
		else if (c.status != 200)
			rc = fail(cause, -SL_E_HTTP, "%s: HTTP %ld", url, c.status);
	}
	if (rc == 0 && c.digest[0] != '\0' && sl_digest_parse_oci(c.digest, out->digest) != 0)
		rc = fail(cause, -SL_E_BADNAME, "%s: malformed Docker-Content-Digest '%.100s'", url, c.digest);
	if (rc == 0) {
		bare(c.ctype, out->media_type, sizeof out->media_type);
		out->size = c.clen;
	}
	ctl_release(&c);
	return rc;
}

struct body_arg {
	int err;
	long status;
	char msg[512];
	uint8_t *body;
	size_t len;
	char ctype[SL_OCI_MT_MAX];
};

static void body_done(void *arg, const struct sl_fetch_result *res)
{
	struct body_arg *b = arg;
	b->err = res->err;
	b->status = res->status;
	snprintf(b->msg, sizeof b->msg, "%s", res->message ? res->message : "");
	if (res->err == 0 && res->body != NULL) {
		b->body = malloc(res->body_len + 1);
		if (b->body == NULL) {
			b->err = -ENOMEM;
			return;
		}
		memcpy(b->body, res->body, res->body_len);
		b->body[res->body_len] = '\0';
		b->len = res->body_len;
		bare(res->content_type ? res->content_type : "", b->ctype, sizeof b->ctype);
	}
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
		return fail(cause, rc, "%s@%.80s: invalid reference", repo, hex);
	if (r->rl_remaining >= 0 && r->rl_remaining <= REG_RATE_RESERVE) {
		int64_t wait = r->rl_window > 0 ? r->rl_window : REG_RATE_COOL_S;
		char why[SL_MAX_URL + 128];
		snprintf(why, sizeof why, "pull rate limit: %ld left of %ld, stopping before the limit", r->rl_remaining,
			 r->rl_limit);
		cooldown(r, wait, why);
		return fail(cause, -SL_E_COOLDOWN, "%s: %s", r->origin, why);
	}
	char auth[REG_TOKEN_MAX + 64];
	for (int pass = 0; pass < 2; pass++) {
		rc = auth_for(r, repo, pass > 0, auth, sizeof auth, cause);
		if (rc < 0)
			return rc;
		const char *hdrs[3] = { "Accept: " SL_OCI_ACCEPT, auth[0] ? auth : NULL, NULL };
		struct body_arg b = { 0 };
		struct sl_fetch_req req = {
			.url = url, .flags = 0, .expect_sha256 = hex, .expect_size = -1,
			.max_size = SL_MAX_OCI_MANIFEST, .headers = hdrs, .done = body_done, .arg = &b,
		};
		rc = sl_fetch_add(r->f, &req);
		if (rc == 0)
			rc = sl_fetch_run(r->f);
		explicit_bzero(auth, sizeof auth);
		if (rc < 0)
			return fail(cause, rc, "%s: %s", url, sl_strerror(rc));
		if (r->rl_remaining > 0)
			r->rl_remaining--;   /* a GET counts; HEADs told us the rest */
		if (b.err == -SL_E_HTTP && b.status == 401 && pass == 0 && r->mode == AUTH_BEARER)
			continue;
		if (b.err != 0) {
			free(b.body);
			if (b.status == 404)
				return fail(cause, -SL_E_NOTFOUND, "%s: manifest unknown (HTTP 404)", url);
			return fail(cause, b.err, "%s: %s", url, b.msg[0] ? b.msg : sl_strerror(b.err));
		}
		*body = b.body;
		*len = b.len;
		memcpy(content_type, b.ctype, SL_OCI_MT_MAX);
		return 0;
	}
	return fail(cause, -SL_E_HTTP, "%s: HTTP 401 after renewing the token", url);
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

static int tags_page(const struct ctl *c, const char *url, char ***tags, size_t *n,
		     size_t *dropped, char **cause)
{
	json_error_t jerr;
	json_t *j = json_loadb((const char *)c->body, c->len, 0, &jerr);
	json_t *arr = json_object_get(j, "tags");
	int rc = 0;
	if (!json_is_object(j) || (arr != NULL && !json_is_array(arr) && !json_is_null(arr)))
		rc = fail(cause, -SL_E_PARSE, "%s: not a tag list", url);
	for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++) {
		const char *t = json_string_value(json_array_get(arr, i));
		if (t == NULL || !sl_oci_valid_tag(t)) {
			(*dropped)++;
			continue;
		}
		if (*n >= SL_MAX_OCI_TAGS) {
			rc = fail(cause, -SL_E_TOOBIG, "%s: more than %d tags", url, SL_MAX_OCI_TAGS);
			break;
		}
		char **v = realloc(*tags, (*n + 1) * sizeof *v);
		if (v == NULL || (v[*n] = strdup(t)) == NULL) {
			if (v != NULL)
				*tags = v;
			rc = fail(cause, -ENOMEM, "out of memory");
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
		return fail(cause, -SL_E_BADNAME, "%.300s: invalid repository name", repo);
	char url[SL_MAX_URL + SL_MAX_OCI_REPO + 256];
	snprintf(url, sizeof url, "%s/v2/%s/tags/list?n=%d", r->base, repo, REG_TAGS_PAGE);
	struct ctl c = { 0 };
	size_t dropped = 0;
	int rc = 0;
	for (unsigned page = 0; rc == 0; page++) {
		if (page >= REG_MAX_PAGES) {
			rc = fail(cause, -SL_E_TOOBIG, "%s: more than %d pages of tags", repo, REG_MAX_PAGES);
			break;
		}
		rc = ctl_auth(r, repo, url, false, NULL, REG_TAGS_BODY_MAX, &c, cause);
		if (rc < 0)
			break;
		if (c.status == 404) {
			rc = fail(cause, -SL_E_NOTFOUND, "%s: repository unknown (HTTP 404)", url);
			break;
		}
		if (c.status != 200) {
			rc = fail(cause, -SL_E_HTTP, "%s: HTTP %ld", url, c.status);
			break;
		}
		rc = tags_page(&c, url, tags, n, &dropped, cause);
		if (rc < 0 || c.link[0] == '\0')
			break;
		char next[sizeof url];
		int lr = sl_registry_link_next(r->origin, c.link, next, sizeof next);
		if (lr == -SL_E_NOTFOUND)
			break;
		if (lr < 0) {
			rc = fail(cause, lr, "%s: unusable Link header '%.200s'", url, c.link);
			break;
		}
		memcpy(url, next, sizeof url);
	}
	ctl_release(&c);
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
	char repo[SL_MAX_OCI_REPO + 1];
	char hex[SL_SHA256_HEX];
	uint64_t size;
	bool renewed;
	void (*done)(void *arg, const struct sl_fetch_result *res);
	void *arg;
};

static int blob_queue(struct blob_req *b, bool renew, char **cause);

static void blob_done(void *arg, const struct sl_fetch_result *res)
{
	struct blob_req *b = arg;
	if (res->err == -SL_E_HTTP && res->status == 401 && !b->renewed && b->r->mode == AUTH_BEARER) {
		/* The token expired while the queue drained: renew once and queue again. */
		char *cause = NULL;
		b->renewed = true;
		if (blob_queue(b, true, &cause) == 0) {
			free(cause);
			return;
		}
		sl_log_err(b->r->log_source, "%s: %s", b->hex, cause ? cause : "cannot renew the token");
		free(cause);
	}
	b->done(b->arg, res);
	free(b);
}

static int blob_queue(struct blob_req *b, bool renew, char **cause)
{
	struct sl_registry *r = b->r;
	char url[SL_MAX_URL + SL_MAX_OCI_REPO + 256], auth[REG_TOKEN_MAX + 64];
	int n = snprintf(url, sizeof url, "%s/v2/%s/blobs/sha256:%s", r->base, b->repo, b->hex);
	if (n < 0 || (size_t)n >= sizeof url)
		return fail(cause, -SL_E_TOOBIG, "blob URL too long");
	int rc = auth_for(r, b->repo, renew, auth, sizeof auth, cause);
	if (rc < 0)
		return rc;
	const char *hdrs[2] = { auth[0] ? auth : NULL, NULL };
	struct sl_fetch_req req = {
		.url = url, .flags = SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE, .expect_sha256 = b->hex,
		.expect_size = (int64_t)b->size, .headers = hdrs, .bandwidth_bps = r->bandwidth_bps,
		.done = blob_done, .arg = b,
	};
	rc = sl_fetch_add(r->f, &req);
	explicit_bzero(auth, sizeof auth);
	if (rc < 0)
		return fail(cause, rc, "%s: %s", url, sl_strerror(rc));
	return 0;
}

int sl_registry_blob_add(struct sl_registry *r, const char *repo, const char *hex, uint64_t size,
			 void (*done)(void *arg, const struct sl_fetch_result *res), void *arg, char **cause)
{
	if (!sl_oci_valid_repo(repo) || !sl_digest_valid_sha256(hex))
		return fail(cause, -SL_E_BADNAME, "invalid blob reference");
	struct blob_req *b = calloc(1, sizeof *b);
	if (b == NULL)
		return fail(cause, -ENOMEM, "out of memory");
	b->r = r;
	snprintf(b->repo, sizeof b->repo, "%s", repo);
	memcpy(b->hex, hex, SL_SHA256_HEX);
	b->size = size;
	b->done = done;
	b->arg = arg;
	int rc = blob_queue(b, false, cause);
	if (rc < 0)
		free(b);
	return rc;
}
