/* registry_parse: the registry client's parsers of untrusted answers, kept free of requests and state so
 * they can be tested and fuzzed alone: the WWW-Authenticate challenge (Basic, or Bearer with realm,
 * service and scope), the RateLimit-Limit / RateLimit-Remaining values ("76;w=21600") and the token
 * endpoint's JSON answer. (Link pagination is sl_registry_link_next in registry.h.) syncd/registry.c
 * decides what to do with the results.
 *
 * Ownership: results are plain structs filled in place or, for the token, a heap string the caller frees
 * (and should wipe: it is a credential). Inputs are borrowed and NUL-terminated unless a length is given.
 * Failure: a negative code and, where it says so, a static reason. */
#ifndef SL_REGISTRY_PARSE_H
#define SL_REGISTRY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"

#define SL_REGPARSE_SERVICE_MAX 256      /* bytes of a challenge's service, NUL included */
#define SL_REGPARSE_SCOPE_MAX   (SL_MAX_OCI_REPO + 64) /* bytes of a challenge's scope, NUL included */
#define SL_REGPARSE_WINDOW_MAX  (7 * 86400) /* s: longest rate-limit window believed (Docker Hub's is 6 h) */
#define SL_REGPARSE_TTL_MAX     86400    /* s: longest token lifetime believed (Docker Hub's are 300 s) */
#define SL_REGPARSE_TOKEN_MAX   (16u << 10) /* bytes of a bearer token: Docker Hub's JWTs are ~ 2 KiB */

enum sl_regparse_auth { SL_REGPARSE_BASIC = 1, SL_REGPARSE_BEARER };

struct sl_regparse_challenge {
	enum sl_regparse_auth mode;
	char realm[SL_MAX_URL];                 /* Bearer: the token endpoint, http(s)://... */
	char service[SL_REGPARSE_SERVICE_MAX];  /* Bearer: "" when absent or too long */
	char scope[SL_REGPARSE_SCOPE_MAX];      /* Bearer: "" when absent or too long */
};

/* A WWW-Authenticate value. registry_https: the registry itself is https, so the realm must be too
 * (credentials never go over plain http to a realm of an https registry). 0; -SL_E_UNSUPPORTED for
 * another scheme; -SL_E_BADNAME for a realm that is not http(s) as required. *why: static reason. */
int sl_regparse_challenge(const char *www, bool registry_https, struct sl_regparse_challenge *out,
			  const char **why);

/* A RateLimit-* value "N[;w=S]": true with *count = N (>= 0), and *window = S when the value names a
 * window of 1 s or more (at most SL_REGPARSE_WINDOW_MAX; longer ones are cut to it); *window is left
 * alone otherwise (window may be NULL). false for a value that does not start with a number. */
bool sl_regparse_rate(const char *v, long *count, long *window);

/* The token endpoint's JSON answer (len bytes): *token (heap) from "token" or "access_token", and the
 * monotonic second it should be renewed at, *renew_at = now + expires_in (default_ttl when absent or not
 * positive, at most SL_REGPARSE_TTL_MAX) less a margin for clock skew and slow requests (margin_s, or
 * half the lifetime when that is short). 0, -SL_E_PARSE (no usable token: missing, empty, longer than
 * SL_REGPARSE_TOKEN_MAX, or with CR/LF), -ENOMEM. */
int sl_regparse_token(const uint8_t *body, size_t len, int64_t now, int64_t default_ttl, int64_t margin_s,
		      char **token, int64_t *renew_at);

#endif
