/* registry: a client of the registry v2 / OCI distribution API for syncd — authentication (anonymous,
 * Basic, or the Bearer token flow from WWW-Authenticate: realm, service, scope; tokens reused per scope
 * until they expire), manifest HEAD and GET with an Accept for every manifest kind sluice verifies, tag
 * listing that follows Link pagination, blob downloads into the content store, and the registries'
 * rate-limit headers (RateLimit-Limit / RateLimit-Remaining), which are logged and respected: manifest
 * GETs stop, with a persisted cool-down, before the remaining allowance is used up.
 *
 * Every request — the /v2/ challenge, token requests, manifest HEAD and GET, tag pages, blobs — goes
 * through the fetch engine (syncd/fetch.h), so its per-host interval, bandwidth caps, retries, Retry-After
 * cool-downs and request count apply to all of them; the answers that live in response headers
 * (WWW-Authenticate, Docker-Content-Digest, Link, RateLimit-*) come back through its header capture.
 * The control calls below run the engine until their answer is in (they also drive whatever else is
 * queued), so they must not be called from inside a fetch callback; blob downloads are queued and wait,
 * when their token must be fetched or renewed first, for that one token request. Blob requests follow
 * redirects to a CDN; curl sends the Authorization header only to the host it was set for, so a token
 * never leaves the registry. Credentials go to a token realm only over https, or over http when the
 * registry itself is plain http.
 *
 * Ownership: sl_registry_new() -> sl_registry_free(); the registry borrows the fetch engine and catalogue
 * and copies every string it is given. Not thread-safe.
 * Failure: 0 or a negative code (-SL_E_NOTFOUND for 404, -SL_E_HTTP, -SL_E_NETWORK, -SL_E_COOLDOWN,
 * -SL_E_TOOBIG, -SL_E_PARSE, -SL_E_DIGEST...) with a heap *cause naming the URL; the registry logs only
 * rate-limit observations and blobs that failed for want of a token (as the engine logs a failed blob). */
#ifndef SL_REGISTRY_H
#define SL_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"
#include "core/oci.h"
#include "syncd/fetch.h"

struct sl_catalog;
struct sl_registry;

/* Proxy, CA file, retries and the stop flag are the fetch engine's (sl_fetch_opts): every request goes
 * through it. */
struct sl_registry_opts {
	const char *base;            /* http(s)://host[:port][/prefix], no trailing slash needed */
	const char *username;        /* NULL: anonymous */
	const char *password;        /* with username */
	int64_t timeout_ms;          /* deadline of one control request (not blobs); 0: 60 s */
	const char *log_source;
	uint64_t bandwidth_bps;      /* per-blob cap (the source's bandwidth); 0: only the engine's */
	struct sl_catalog *cat;      /* where rate-limit cool-downs persist; may be NULL */
};

/* NULL + *cause on failure (bad base URL, allocation). No request is made yet. */
struct sl_registry *sl_registry_new(struct sl_fetch *f, const struct sl_registry_opts *o, char **cause);
void sl_registry_free(struct sl_registry *r);

struct sl_registry_head {
	char digest[SL_SHA256_HEX];     /* from Docker-Content-Digest; "" when the registry sent none */
	char media_type[SL_OCI_MT_MAX]; /* Content-Type, parameters removed; may be "" */
	uint64_t size;                  /* Content-Length, 0 when absent */
};

/* HEAD /v2/<repo>/manifests/<ref> (ref: a tag or "sha256:<hex>"). -SL_E_NOTFOUND on 404. A malformed
 * Docker-Content-Digest is -SL_E_BADNAME. Does not count against Docker Hub's pull limit. */
int sl_registry_head(struct sl_registry *r, const char *repo, const char *ref, struct sl_registry_head *out,
		     char **cause);
/* GET a manifest by digest into a heap buffer (at most SL_MAX_OCI_MANIFEST bytes); the bytes must hash to
 * `hex` (-SL_E_DIGEST otherwise). content_type gets the bare Content-Type ("" if none). */
int sl_registry_get_manifest(struct sl_registry *r, const char *repo, const char *hex, uint8_t **body,
			     size_t *len, char content_type[SL_OCI_MT_MAX], char **cause);
/* Every tag of a repository, following Link pagination (at most SL_MAX_OCI_TAGS: -SL_E_TOOBIG beyond).
 * Tags that break the tag rules are dropped with a warning. *tags heap array of heap strings. */
int sl_registry_tags(struct sl_registry *r, const char *repo, char ***tags, size_t *n, char **cause);
void sl_registry_tags_free(char **tags, size_t n);

/* Queue the download of blob `hex` of `size` bytes into the store (digest and size enforced, resumable).
 * `done` is called from sl_fetch_run() as for any fetch request, also when the blob's token could not be
 * had (then with a result that carries no HTTP status). The first request to a registry waits for its
 * /v2/ answer: call it outside fetch callbacks. */
int sl_registry_blob_add(struct sl_registry *r, const char *repo, const char *hex, uint64_t size,
			 void (*done)(void *arg, const struct sl_fetch_result *res), void *arg, char **cause);

/* The target of a Link header's rel="next" (RFC 8288), resolved against `base` when it is a path. Only
 * targets on the registry's own origin are accepted. 0, -SL_E_NOTFOUND (no next), -SL_E_PARSE/-SL_E_BADNAME
 * (malformed or off-origin), -SL_E_TOOBIG. Exposed for tests. */
int sl_registry_link_next(const char *base, const char *link, char *out, size_t cap);

#endif
