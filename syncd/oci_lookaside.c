/* oci_lookaside: the OCI syncer's signature phase — with `signed_by`, fetch every image's simple-signing
 * signatures from the lookaside (<url>/<repo>@sha256=<hex>/signature-N, N = 1.. until the first 404, at
 * most SL_MAX_OCI_LOOKASIDE) into the store. Nothing is judged here: the signatures become snapshot
 * entries and verify/oci_image.c decides from them, the same way for a sync and for a re-check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/store.h"
#include "core/strset.h"
#include "syncd/fetch.h"
#include "syncd/sync_oci_int.h"

struct sigdl {
	int err;
	long status;
	uint8_t *body;
	size_t len;
	char msg[256];
};

static void sigdl_done(void *arg, const struct sl_fetch_result *res)
{
	struct sigdl *d = arg;
	d->err = res->err;
	d->status = res->status;
	snprintf(d->msg, sizeof d->msg, "%s", res->message ? res->message : "");
	if (res->err == 0 && res->body != NULL) {
		d->body = sl_fetch_body_dup(res, &d->len);
		if (d->body == NULL)
			d->err = -ENOMEM;
	}
}

static int keep(struct oci_run *r, const struct img *im, unsigned n, const char *url, const struct sigdl *d)
{
	int rc = sl_oci_grow((void **)&r->sigs, &r->cap_sig, r->nsig, sizeof *r->sigs, SIZE_MAX / sizeof *r->sigs);
	if (rc < 0)
		return rc;
	struct sigfile *s = &r->sigs[r->nsig];
	struct sl_store_expect e = { NULL, (int64_t)d->len, SL_MAX_SIGNATURE_BYTES };
	rc = sl_store_put(r->ctx->store, d->body, d->len, &e, s->sha);
	if (rc < 0)
		return rc;
	snprintf(s->repo, sizeof s->repo, "%s", im->repo);
	memcpy(s->hex, im->hex, SL_SHA256_HEX);
	snprintf(s->url, sizeof s->url, "%s", url);
	s->n = n;
	s->len = d->len;
	r->nsig++;
	return 0;
}

/* signature-1..N of one image. 0, or a negative code with `why` saying which URL failed how. */
static int fetch_image(struct oci_run *r, const struct img *im, char *why, size_t cap)
{
	for (unsigned n = 1; n <= SL_MAX_OCI_LOOKASIDE; n++) {
		char url[SL_MAX_URL];
		int len = snprintf(url, sizeof url, "%s/%s@sha256=%s/signature-%u", r->base, im->repo, im->hex, n);
		if (len < 0 || (size_t)len >= sizeof url) {
			snprintf(why, cap, "%s/%s@sha256=%s/signature-%u: URL too long", r->base, im->repo, im->hex, n);
			return -SL_E_TOOBIG;
		}
		struct sigdl d = { 0 };
		struct sl_fetch_req req = {
			.url = url, .flags = SL_FETCH_OPTIONAL, .expect_size = -1,
			.max_size = SL_MAX_SIGNATURE_BYTES, .done = sigdl_done, .arg = &d,
		};
		int rc = sl_fetch_add(r->ctx->fetch, &req);
		if (rc == 0)
			rc = sl_fetch_run(r->ctx->fetch);
		if (rc == 0 && d.err != 0 && d.status == 404)
			break;
		if (rc == 0 && d.err != 0)
			rc = d.err;
		if (rc == 0)
			rc = keep(r, im, n, url, &d);
		if (rc < 0)
			snprintf(why, cap, "%s: %s", url, d.msg[0] ? d.msg : sl_strerror(rc));
		free(d.body);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int sl_oci_lookaside_fetch(struct oci_run *r, char **cause)
{
	if (r->src->signed_by == NULL)
		return 0;
	struct sl_strset *done = sl_strset_new();
	if (done == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < r->nimg; i++) {
		const struct img *im = &r->imgs[i];
		char key[OCI_REPO_BUF + SL_SHA256_HEX + 1], why[SL_MAX_REASON];
		snprintf(key, sizeof key, "%s@%s", im->repo, im->hex);
		if (im->sig_of[0] != '\0' || sl_strset_has(done, key))
			continue;
		rc = sl_strset_add(done, key);
		if (rc < 0) {
			rc = sl_cause(cause, rc, "out of memory");
			break;
		}
		rc = fetch_image(r, im, why, sizeof why);
		if (rc < 0) {
			/* The lookaside could not be read: a refusal like a bad download, in the words it always had. */
			char subject[OCI_REPO_BUF + 200];
			snprintf(subject, sizeof subject, "%s%c%s", im->repo, im->tag[0] ? ':' : '@',
				 im->tag[0] ? im->tag : im->hex);
			sl_sync_check(r->ctx, subject, "simple-signing", NULL, false, "%s", why);
			sl_cause(cause, rc == -SL_E_TOOBIG || rc == -ENOMEM ? rc : -SL_E_SIGNATURE,
				 "%s: simple-signing signature refused: %s", subject, why);
		}
	}
	sl_strset_free(done);
	return rc;
}
