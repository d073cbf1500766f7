/* registry_int: what the distribution API client's files share (registry.c: requests, manifests, tags,
 * blobs, rate limits; registry_auth.c: the auth challenge, Basic credentials and bearer tokens). Not for
 * use outside syncd/registry*.c. */
#ifndef SL_REGISTRY_INT_H
#define SL_REGISTRY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/oci.h"
#include "syncd/fetch.h"
#include "syncd/registry.h"

enum auth_mode { AUTH_UNKNOWN, AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

/* Response headers every registry request captures (see fetch.h), in this order. */
enum { H_AUTH, H_LINK, H_DIGEST, H_LENGTH, H_RL_LIMIT, H_RL_REMAINING, H_N };

struct blob_req;

/* A bearer token per scope. Fetched synchronously by the control requests, and asynchronously for blobs:
 * blobs that need it while it is on its way wait in `waiters` and are queued when it arrives. */
struct token {
	struct token *next;
	struct sl_registry *r;     /* NULL once the registry is gone while a request is still queued */
	char *scope, *value;
	int64_t expires;           /* monotonic s */
	unsigned gen;              /* bumped with every new value: a 401 renews only the token it was sent */
	bool pending;              /* a token request is queued in the fetch engine */
	int err;                   /* outcome of the last request: 0 or a negative code */
	char msg[SL_MAX_URL + 256];
	struct blob_req *waiters, **waiters_tail;
};

struct sl_registry {
	struct sl_fetch *f;
	char *base, *origin, *username, *password, *log_source;
	bool https;
	struct sl_catalog *cat;
	uint64_t bandwidth_bps;
	int64_t timeout_ms;
	enum auth_mode mode;
	char realm[SL_MAX_URL], service[256];
	struct token *tokens;
	long rl_limit, rl_remaining, rl_window;   /* -1: unknown */
	bool rl_logged;
};

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

/* registry.c */
int64_t sl_reg_mono_s(void);   /* monotonic seconds */
/* One request through the fetch engine, run to its end (see registry.c); c is reset first. */
int sl_reg_call(struct sl_registry *r, const char *url, unsigned flags, const char *const *hdrs, uint64_t cap,
		const char *expect_sha256, struct call *c, char **cause);
void sl_reg_call_release(struct call *c);
/* Fail or queue the blobs waiting for t, by t's outcome. */
void sl_reg_blobs_release(struct token *t);

/* registry_auth.c */
/* GET /v2/: learn the auth mode (none, Basic, Bearer with its realm and service). 0 or a code with *cause. */
int sl_reg_ping(struct sl_registry *r, char **cause);
/* The token of repo's pull scope (created empty on first use); NULL when out of memory. */
struct token *sl_reg_token_of(struct sl_registry *r, const char *repo);
bool sl_reg_token_fresh(const struct token *t);   /* has a value not about to expire */
void sl_reg_token_free(struct token *t);
/* Queue a request for t's token (Basic credentials go along when configured); blobs waiting on t are
 * released when it answers. */
int sl_reg_token_request(struct sl_registry *r, struct token *t, char **cause);
/* The Authorization header line into buf ("" when anonymous), without any request: the mode is known
 * and, for Bearer, t holds a fresh token. */
int sl_reg_auth_header(struct sl_registry *r, const struct token *t, char *buf, size_t cap, char **cause);
/* sl_reg_call() with the repository's authorization (and the `accept` header line, or NULL), renewing the
 * token once on a 401. */
int sl_reg_call_auth(struct sl_registry *r, const char *repo, const char *url, unsigned flags,
		     const char *accept, uint64_t cap, const char *expect_sha256, struct call *c, char **cause);

#endif
