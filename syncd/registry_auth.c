/* registry_auth: how sluice authenticates to a registry — the WWW-Authenticate challenge of /v2/, Basic
 * credentials, bearer tokens per repository scope (fetched synchronously for control requests, and
 * asynchronously for blobs, which wait for them), and one renewal on a 401. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "syncd/registry_int.h"

#define REG_TOKEN_DEFAULT_S 60                /* s: token lifetime when the realm names none (spec default) */
#define REG_TOKEN_MARGIN_S  10                /* s: renew this long before expiry (clock skew, slow requests) */

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
		return sl_cause(cause, -SL_E_UNSUPPORTED, "%s: unsupported authentication challenge '%.100s'", r->base, www);
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
		return sl_cause(cause, -SL_E_BADNAME, "%s: token realm '%.200s' is not %s", r->base, realm,
			    r->https ? "https" : "http(s)");
	snprintf(r->realm, sizeof r->realm, "%s", realm);
	snprintf(r->service, sizeof r->service, "%s", service);
	r->mode = AUTH_BEARER;
	return 0;
}

int sl_reg_ping(struct sl_registry *r, char **cause)
{
	char url[SL_MAX_URL + 16];
	snprintf(url, sizeof url, "%s/v2/", r->base);
	struct call c = { 0 };
	int rc = sl_reg_call(r, url, SL_FETCH_QUIET, NULL, SL_MAX_REGISTRY_PING_BODY, NULL, &c, cause);
	if (rc == 0) {
		if (c.status == 200)
			r->mode = AUTH_NONE;
		else if (c.status == 401 && c.hdr[H_AUTH][0] != '\0')
			rc = parse_challenge(r, c.hdr[H_AUTH], NULL, 0, cause);
		else
			rc = sl_cause(cause, -SL_E_HTTP, "%s: not a registry v2 API (HTTP %ld)", url, c.status);
	}
	sl_reg_call_release(&c);
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

struct token *sl_reg_token_of(struct sl_registry *r, const char *repo)
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

bool sl_reg_token_fresh(const struct token *t)
{
	return t->value != NULL && t->expires > sl_reg_mono_s();
}

void sl_reg_token_free(struct token *t)
{
	if (t->value != NULL)
		explicit_bzero(t->value, strlen(t->value));
	free(t->value);
	free(t->scope);
	free(t);
}

/* The token endpoint's JSON answer into t. */
static int token_take(struct token *t, const uint8_t *body, size_t len)
{
	json_t *j = json_loadb((const char *)body, len, 0, NULL);
	const char *tok = json_string_value(json_object_get(j, "token"));
	if (tok == NULL)
		tok = json_string_value(json_object_get(j, "access_token"));
	json_int_t ttl = json_integer_value(json_object_get(j, "expires_in"));
	int rc = 0;
	if (tok == NULL || tok[0] == '\0' || strlen(tok) > SL_MAX_REGISTRY_TOKEN || strpbrk(tok, "\r\n") != NULL) {
		rc = -SL_E_PARSE;
		snprintf(t->msg, sizeof t->msg, "%s: no usable token in the answer", t->r->realm);
	} else {
		char *v = strdup(tok);
		if (v == NULL) {
			rc = -ENOMEM;
			snprintf(t->msg, sizeof t->msg, "out of memory");
		} else {
			if (t->value != NULL)
				explicit_bzero(t->value, strlen(t->value));
			free(t->value);
			t->value = v;
			t->gen++;
			if (ttl <= 0)
				ttl = REG_TOKEN_DEFAULT_S;
			int64_t margin = ttl > 2 * REG_TOKEN_MARGIN_S ? REG_TOKEN_MARGIN_S : ttl / 2;
			t->expires = sl_reg_mono_s() + (int64_t)ttl - margin;
		}
	}
	json_decref(j);
	return rc;
}

static void token_done(void *arg, const struct sl_fetch_result *res)
{
	struct token *t = arg;
	t->pending = false;
	if (t->r == NULL) {
		/* The registry was freed with this request still queued: nobody is left to tell. */
		sl_reg_blobs_release(t);
		sl_reg_token_free(t);
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
	sl_reg_blobs_release(t);
}

/* Queue a request for t's token (Basic credentials go along when configured). */
int sl_reg_token_request(struct sl_registry *r, struct token *t, char **cause)
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
		.url = url, .flags = SL_FETCH_QUIET, .expect_size = -1, .max_size = SL_MAX_REGISTRY_TOKEN_BODY,
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
int sl_reg_auth_header(struct sl_registry *r, const struct token *t, char *buf, size_t cap, char **cause)
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
		rc = sl_reg_ping(r, cause);
	if (rc < 0 || r->mode != AUTH_BEARER)
		return rc < 0 ? rc : sl_reg_auth_header(r, NULL, buf, cap, cause);
	struct token *t = sl_reg_token_of(r, repo);
	if (t == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	if (renew || !sl_reg_token_fresh(t)) {
		rc = sl_reg_token_request(r, t, cause);
		if (rc == 0)
			rc = sl_fetch_run(r->f);
		if (rc < 0)
			return sl_cause(cause, rc, "%s: token request for %s: %s", r->realm, t->scope, sl_strerror(rc));
		if (t->err < 0)
			return sl_cause(cause, t->err, "%s", t->msg);
		if (!sl_reg_token_fresh(t))
			return sl_cause(cause, -SL_E_PARSE, "%s: token for %s expired on arrival", r->realm, t->scope);
	}
	return sl_reg_auth_header(r, t, buf, cap, cause);
}

/* A 401 on an authenticated request: the challenge may name what is missing. True when a retry with a
 * fresh token makes sense (Basic credentials would only be refused again). */
static bool reauth(struct sl_registry *r, const struct call *c)
{
	if (c->status != 401 || c->hdr[H_AUTH][0] == '\0')
		return false;
	char *ignored = NULL;
	int rc = parse_challenge(r, c->hdr[H_AUTH], NULL, 0, &ignored);
	free(ignored);
	return rc == 0 && r->mode == AUTH_BEARER;
}

/* An authenticated request, renewing the token once on 401. */
int sl_reg_call_auth(struct sl_registry *r, const char *repo, const char *url, unsigned flags,
		     const char *accept, uint64_t cap, const char *expect_sha256, struct call *c, char **cause)
{
	char auth[SL_MAX_REGISTRY_TOKEN + 64];
	const char *hdrs[3] = { accept, NULL, NULL };
	int rc = 0;
	for (int pass = 0; pass < 2; pass++) {
		rc = auth_for(r, repo, pass > 0, auth, sizeof auth, cause);
		if (rc < 0)
			break;
		hdrs[accept ? 1 : 0] = auth[0] ? auth : NULL;
		rc = sl_reg_call(r, url, flags, hdrs, cap, expect_sha256, c, cause);
		if (rc < 0 || pass > 0 || !reauth(r, c))
			break;
	}
	explicit_bzero(auth, sizeof auth);
	return rc;
}
