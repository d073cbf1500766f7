/* registry_int: what the registry client's files share (registry.c: control requests and authentication;
 * registry_blob.c: blob downloads queued behind their scope's token). Internal to syncd/.
 *
 * Ownership: a struct token belongs to its registry's list; a blob request waiting for it is owned by the
 * token's waiters until queued or failed. Failure: as syncd/registry.h. */
#ifndef SL_REGISTRY_INT_H
#define SL_REGISTRY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/limits.h"
#include "syncd/registry.h"
#include "syncd/registry_parse.h"

#define REG_TOKEN_MAX       SL_REGPARSE_TOKEN_MAX /* bytes of a bearer token */

enum auth_mode { AUTH_UNKNOWN, AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

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

/* The first request to a registry: how it authenticates (waits for the answer). */
int sl_registry_ping(struct sl_registry *r, char **cause);
/* The token slot of repo's pull scope (created empty); NULL when out of memory. */
struct token *sl_registry_token_of(struct sl_registry *r, const char *repo);
bool sl_registry_token_fresh(const struct token *t);
/* Queue a request for t's token unless one is on its way; its answer releases t's waiters. */
int sl_registry_token_request(struct sl_registry *r, struct token *t, char **cause);
/* The Authorization header line into buf ("" when anonymous); t holds a fresh token for Bearer. */
int sl_registry_auth_header(struct sl_registry *r, const struct token *t, char *buf, size_t cap, char **cause);
/* Queue the blobs that waited for t, or fail them with t's error (registry_blob.c). */
void sl_registry_blobs_release(struct token *t);

#endif
