/* registry_blob: blob downloads through the fetch engine, queued at once or behind their scope's bearer
 * token when that must be fetched first (also from inside fetch callbacks), renewed once on a 401. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/error.h"
#include "core/log.h"
#include "core/oci.h"
#include "syncd/registry_int.h"

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
		struct token *t = sl_registry_token_of(r, b->repo);
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
	char url[SL_MAX_URL + SL_MAX_OCI_REPO + 256], auth[REG_TOKEN_MAX + 64];
	if (blob_url(b, url, sizeof url) < 0)
		return sl_cause(cause, -SL_E_TOOBIG, "blob URL too long");
	int rc = sl_registry_auth_header(r, t, auth, sizeof auth, cause);
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
void sl_registry_blobs_release(struct token *t)
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
	struct token *t = sl_registry_token_of(r, b->repo);
	if (t == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	if (sl_registry_token_fresh(t) && !t->pending)
		return blob_send(b, t, cause);
	int rc = sl_registry_token_request(r, t, cause);
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
		int rc = sl_registry_ping(r, cause);
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
