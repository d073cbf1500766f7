/* registry_parse: WWW-Authenticate challenges, RateLimit-* values and token answers, parsed without any
 * request or registry state (moved out of registry.c so they can be fuzzed). */
#include "syncd/registry_parse.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"

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

int sl_regparse_challenge(const char *www, bool registry_https, struct sl_regparse_challenge *out,
			  const char **why)
{
	memset(out, 0, sizeof *out);
	if (strncasecmp(www, "Basic", 5) == 0 && (www[5] == ' ' || www[5] == '\0')) {
		out->mode = SL_REGPARSE_BASIC;
		return 0;
	}
	if (strncasecmp(www, "Bearer ", 7) != 0) {
		*why = "unsupported authentication challenge";
		return -SL_E_UNSUPPORTED;
	}
	const char *p = www + 7;
	char key[32], val[SL_MAX_URL];
	while (next_param(&p, key, sizeof key, val, sizeof val)) {
		if (strcasecmp(key, "realm") == 0)
			snprintf(out->realm, sizeof out->realm, "%s", val);
		else if (strcasecmp(key, "service") == 0 && strlen(val) < sizeof out->service)
			memcpy(out->service, val, strlen(val) + 1);
		else if (strcasecmp(key, "scope") == 0 && strlen(val) < sizeof out->scope)
			memcpy(out->scope, val, strlen(val) + 1);
	}
	bool https = strncmp(out->realm, "https://", 8) == 0;
	if (!https && !(strncmp(out->realm, "http://", 7) == 0 && !registry_https)) {
		*why = registry_https ? "token realm is not https" : "token realm is not http(s)";
		return -SL_E_BADNAME;
	}
	out->mode = SL_REGPARSE_BEARER;
	return 0;
}

bool sl_regparse_rate(const char *v, long *count, long *window)
{
	char *end = NULL;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno != 0 || end == v || n < 0)
		return false;
	*count = n;
	const char *w = strstr(end, "w=");
	if (w != NULL && window != NULL) {
		/* Cut to a sane maximum: the window becomes a cool-down added to the clock (strtol gives
		 * LONG_MAX for "w=99999999999999999999", and time(NULL) + LONG_MAX overflows). */
		long wv = strtol(w + 2, NULL, 10);
		if (wv > 0)
			*window = wv < SL_REGPARSE_WINDOW_MAX ? wv : SL_REGPARSE_WINDOW_MAX;
	}
	return true;
}

int sl_regparse_token(const uint8_t *body, size_t len, int64_t now, int64_t default_ttl, int64_t margin_s,
		      char **token, int64_t *renew_at)
{
	*token = NULL;
	json_t *j = json_loadb((const char *)body, len, 0, NULL);
	const char *tok = json_string_value(json_object_get(j, "token"));
	if (tok == NULL)
		tok = json_string_value(json_object_get(j, "access_token"));
	json_int_t ttl = json_integer_value(json_object_get(j, "expires_in"));
	int rc = 0;
	if (tok == NULL || tok[0] == '\0' || strlen(tok) > SL_REGPARSE_TOKEN_MAX || strpbrk(tok, "\r\n") != NULL) {
		rc = -SL_E_PARSE;
	} else {
		*token = strdup(tok);
		if (*token == NULL) {
			rc = -ENOMEM;
		} else {
			/* expires_in is the realm's word: capped, or now + ttl overflows (fuzz_registry). */
			if (ttl <= 0)
				ttl = default_ttl;
			if (ttl > SL_REGPARSE_TTL_MAX)
				ttl = SL_REGPARSE_TTL_MAX;
			int64_t margin = ttl > 2 * margin_s ? margin_s : ttl / 2;
			*renew_at = now + (int64_t)ttl - margin;
		}
	}
	json_decref(j);
	return rc;
}
