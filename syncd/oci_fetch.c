/* oci_fetch: the OCI syncer's download phases — manifests by digest (the exact bytes, re-hashed, checked
 * against the size and media type the parent index declares, as an early reject; the verifier decides
 * again from the store), index children narrowed to `platforms` by sl_oci_index_plan(), every config and
 * layer blob (digest and size enforced while streaming), and the platform of single images. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/store.h"
#include "core/strset.h"
#include "syncd/fetch.h"
#include "syncd/registry.h"
#include "syncd/sync_oci_int.h"

/* ---- manifests --------------------------------------------------------------------------------- */

/* Load manifest `hex` of `repo` (from the store when it is there, else by digest from the registry),
 * check its bytes against the digest and the descriptor size, parse it, and keep it in the store. */
static int load_manifest(struct oci_run *r, const char *repo, const char *hex, const char *hint,
			 int64_t expect_size, struct sl_oci_manifest *m, size_t *len_out, char **cause)
{
	struct sl_sync_ctx *ctx = r->ctx;
	char subject[OCI_REPO_BUF + 80], ct[SL_OCI_MT_MAX] = "";
	snprintf(subject, sizeof subject, "%s@sha256:%s", repo, hex);
	uint8_t *data = NULL;
	size_t len = 0;
	bool from_store = false;
	if (sl_store_has(ctx->store, hex) &&
	    sl_store_read(ctx->store, hex, SL_MAX_OCI_MANIFEST, &data, &len) == 0) {
		from_store = true;
	} else {
		int rc = sl_registry_get_manifest(r->reg, repo, hex, &data, &len, ct, cause);
		if (rc == -SL_E_DIGEST || rc == -SL_E_TOOBIG)
			sl_sync_check(ctx, subject, "manifest-digest", NULL, false, "%s", *cause);
		if (rc < 0)
			return rc;
	}
	char got[SL_SHA256_HEX];
	sl_digest_sha256(data, len, got);
	int rc = 0;
	if (strcmp(got, hex) != 0) {
		sl_sync_check(ctx, subject, "manifest-digest", NULL, false, "bytes hash to sha256:%s", got);
		rc = sl_cause(cause, -SL_E_DIGEST, "%s: manifest bytes hash to sha256:%s", subject, got);
	} else if (expect_size >= 0 && (uint64_t)expect_size != len) {
		sl_sync_check(ctx, subject, "manifest-size", NULL, false, "%zu bytes, the index says %lld", len,
			      (long long)expect_size);
		rc = sl_cause(cause, -SL_E_SIZE, "%s: %zu bytes, the index says %lld", subject, len, (long long)expect_size);
	}
	char *pcause = NULL;
	if (rc == 0) {
		rc = sl_oci_parse(data, len, ct[0] ? ct : hint, m, &pcause);
		if (rc < 0) {
			sl_sync_check(ctx, subject, "manifest-format", NULL, false, "%s", pcause ? pcause : sl_strerror(rc));
			sl_cause(cause, rc, "%s: %s", subject, pcause ? pcause : sl_strerror(rc));
		}
		free(pcause);
	}
	if (rc == 0 && !from_store) {
		struct sl_store_expect e = { hex, (int64_t)len, SL_MAX_OCI_MANIFEST };
		rc = sl_store_put(ctx->store, data, len, &e, NULL);
		if (rc < 0)
			sl_cause(cause, rc, "%s: cannot store: %s", subject, sl_strerror(rc));
	}
	if (rc < 0)
		sl_oci_manifest_release(m);
	free(data);
	*len_out = len;
	return rc;
}

/* A manifest for the snapshot: published, or (evidence) kept only for the verifier. */
static int add_man(struct oci_run *r, const char *repo, const char *hex, const char *mt, size_t len, bool pinned,
		   bool evidence)
{
	char key[OCI_REPO_BUF + 80];
	snprintf(key, sizeof key, "%s@%s%s", repo, hex, evidence ? "/evidence" : "");
	int added = sl_strset_add(r->man_seen, key);
	if (added < 0)
		return added;
	if (added == 0) {
		for (size_t i = 0; i < r->nman; i++)
			if (strcmp(r->mans[i].hex, hex) == 0 && strcmp(r->mans[i].repo, repo) == 0 &&
			    r->mans[i].evidence == evidence)
				r->mans[i].pinned |= pinned;
		return 0;
	}
	int rc = sl_oci_grow((void **)&r->mans, &r->cap_man, r->nman, sizeof *r->mans, SIZE_MAX / sizeof *r->mans);
	if (rc < 0)
		return rc;
	struct man *m = &r->mans[r->nman++];
	snprintf(m->repo, sizeof m->repo, "%s", repo);
	memcpy(m->hex, hex, SL_SHA256_HEX);
	snprintf(m->mt, sizeof m->mt, "%s", mt);
	m->len = len;
	m->pinned = pinned;
	m->evidence = evidence;
	return 0;
}

static int add_blob(struct oci_run *r, const char *repo, const struct sl_oci_desc *d)
{
	char key[OCI_REPO_BUF + 80];
	snprintf(key, sizeof key, "%s@%s", repo, d->digest);
	int added = sl_strset_add(r->blob_seen, key);
	if (added <= 0)
		return added;
	int rc = sl_oci_grow((void **)&r->blobs, &r->cap_blob, r->nblob, sizeof *r->blobs, SIZE_MAX / sizeof *r->blobs);
	if (rc < 0)
		return rc;
	struct blob *b = &r->blobs[r->nblob++];
	snprintf(b->repo, sizeof b->repo, "%s", repo);
	memcpy(b->hex, d->digest, SL_SHA256_HEX);
	snprintf(b->mt, sizeof b->mt, "%s", d->media_type);
	b->size = d->size;
	return 0;
}

static int add_image_blobs(struct oci_run *r, const char *repo, const struct sl_oci_manifest *m)
{
	int rc = add_blob(r, repo, &m->config);
	for (size_t i = 0; rc == 0 && i < m->n; i++)
		rc = add_blob(r, repo, &m->descs[i]);
	return rc;
}

/* An index: decide what is kept (sl_oci_index_plan, see sync_oci.h), load the kept children, collect
 * their blobs. A narrowed index is kept as evidence: the verifier needs the bytes the signatures and the
 * reference name to link them to the manifest the tag publishes. */
static int process_index(struct oci_run *r, struct img *im, const struct sl_oci_manifest *ix, size_t ix_len,
			 char **cause)
{
	const char *const *plats = (const char *const *)r->src->platforms.v;
	size_t nplat = r->src->platforms.n;
	struct sl_oci_index_plan plan;
	if (sl_oci_index_plan(ix, plats, nplat, &plan) < 0) {
		char subject[OCI_REPO_BUF + 200];
		snprintf(subject, sizeof subject, "%s:%s", im->repo, im->tag[0] ? im->tag : im->hex);
		sl_sync_check(r->ctx, subject, "platform", NULL, false, "no platform of the index is configured");
		return sl_cause(cause, -SL_E_MISMATCH, "%s: no platform of the index matches `platforms`", subject);
	}
	im->narrowed = plan.narrowed;
	if (im->narrowed) {
		memcpy(im->pub_hex, ix->descs[plan.narrowed_to].digest, SL_SHA256_HEX);
		snprintf(im->pub_mt, sizeof im->pub_mt, "%s", ix->descs[plan.narrowed_to].media_type);
	}
	int rc = add_man(r, im->repo, im->hex, ix->media_type, ix_len, im->tag[0] == '\0', im->narrowed);
	if (rc < 0)
		return sl_cause(cause, rc, "%s", sl_strerror(rc));
	for (size_t i = 0; i < ix->n; i++) {
		const struct sl_oci_desc *d = &ix->descs[i];
		if (!sl_oci_index_loads(&plan, ix, i, plats, nplat))
			continue;
		struct sl_oci_manifest cm;
		size_t len = 0;
		rc = load_manifest(r, im->repo, d->digest, d->media_type, (int64_t)d->size, &cm, &len, cause);
		if (rc < 0)
			return rc;
		if (strcmp(cm.media_type, d->media_type) != 0)
			rc = sl_cause(cause, -SL_E_MISMATCH, "%s@sha256:%s: media type %s, the index says %s", im->repo,
				  d->digest, cm.media_type, d->media_type);
		if (rc == 0)
			rc = add_man(r, im->repo, d->digest, cm.media_type, len, false, false);
		if (rc == 0)
			rc = add_image_blobs(r, im->repo, &cm);
		sl_oci_manifest_release(&cm);
		if (rc < 0)
			return sl_cause(cause, rc, "%s", sl_strerror(rc));
		if (d->has_platform && strcmp(d->platform.os, "unknown") != 0) {
			char pf[3 * SL_OCI_PLATFORM_MAX];
			sl_oci_platform_format(&d->platform, pf, sizeof pf);
			json_array_append_new(im->platforms, json_string(pf));
		}
	}
	return 0;
}

static int process_img(struct oci_run *r, struct img *im, char **cause)
{
	im->platforms = json_array();
	if (im->platforms == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	struct sl_oci_manifest m;
	size_t len = 0;
	int rc = load_manifest(r, im->repo, im->hex, im->head_mt, -1, &m, &len, cause);
	if (rc < 0)
		return rc;
	memcpy(im->pub_hex, im->hex, SL_SHA256_HEX);
	snprintf(im->pub_mt, sizeof im->pub_mt, "%s", m.media_type);
	if (m.kind == SL_OCI_INDEX) {
		rc = process_index(r, im, &m, len, cause);
	} else {
		memcpy(im->config_hex, m.config.digest, SL_SHA256_HEX);
		rc = add_man(r, im->repo, im->hex, m.media_type, len, im->tag[0] == '\0', false);
		if (rc == 0)
			rc = add_image_blobs(r, im->repo, &m);
		if (rc < 0)
			sl_cause(cause, rc, "%s: %s", im->repo, sl_strerror(rc));
	}
	sl_oci_manifest_release(&m);
	return rc;
}

/* ---- blobs ------------------------------------------------------------------------------------- */

struct blob_arg {
	struct oci_run *r;
	size_t i;
};

static void blob_progress(struct oci_run *r)
{
	if (r->ctx->progress != NULL)
		r->ctx->progress(r->ctx->progress_arg, "blobs", r->blobs_done, r->blobs_total, r->bytes_done,
				 r->bytes_total);
}

static void blob_done(void *arg, const struct sl_fetch_result *res)
{
	struct blob_arg *a = arg;
	struct oci_run *r = a->r;
	const struct blob *b = &r->blobs[a->i];
	r->blobs_done++;
	r->bytes_done += b->size;
	if (res->err != 0) {
		char subject[OCI_REPO_BUF + 80];
		snprintf(subject, sizeof subject, "%s@sha256:%s", b->repo, b->hex);
		const char *why = res->message ? res->message : sl_strerror(res->err);
		/* Bytes that contradict their digest or size are refused content, not a network failure. */
		if (res->err == -SL_E_DIGEST || res->err == -SL_E_SIZE || res->err == -SL_E_TOOBIG)
			sl_sync_check(r->ctx, subject, "blob-digest", NULL, false, "%s", why);
		if (r->blob_err == 0) {
			r->blob_err = res->err;
			snprintf(r->blob_err_msg, sizeof r->blob_err_msg, "blob %s: %s", subject, why);
		}
	}
	free(a);
	blob_progress(r);
}

int sl_oci_fetch_blobs(struct oci_run *r, char **cause)
{
	int queue_err = 0;
	for (size_t i = 0; i < r->nblob && queue_err == 0; i++) {
		const struct blob *b = &r->blobs[i];
		if (sl_store_has_size(r->ctx->store, b->hex, b->size) || sl_strset_has(r->queued, b->hex))
			continue;
		int rc = sl_strset_add(r->queued, b->hex);
		struct blob_arg *a = rc >= 0 ? malloc(sizeof *a) : NULL;
		if (a == NULL) {
			queue_err = sl_cause(cause, -ENOMEM, "out of memory");
			break;
		}
		*a = (struct blob_arg){ r, i };
		r->blobs_total++;
		r->bytes_total += b->size;
		rc = sl_registry_blob_add(r->reg, b->repo, b->hex, b->size, blob_done, a, cause);
		if (rc < 0) {
			free(a);
			queue_err = rc;
		}
	}
	/* Run even after a queueing failure: the blobs already queued call back into `r`, so they must finish
	 * (or fail fast, e.g. on a cool-down) before the run is freed. */
	blob_progress(r);
	int rc = sl_fetch_run(r->ctx->fetch);
	if (queue_err < 0)
		return queue_err;
	if (rc < 0)
		return sl_cause(cause, rc, "interrupted while fetching blobs");
	if (r->blob_err != 0)
		return sl_cause(cause, r->blob_err, "%s", r->blob_err_msg);
	for (size_t i = 0; i < r->nblob; i++)
		if (!sl_store_has_size(r->ctx->store, r->blobs[i].hex, r->blobs[i].size))
			return sl_cause(cause, -SL_E_NOTFOUND, "blob %s@sha256:%s missing after download", r->blobs[i].repo,
				    r->blobs[i].hex);
	return 0;
}

/* The platform of a single image, from its config (os/architecture/variant). */
static void config_platform(struct oci_run *r, struct img *im)
{
	uint8_t *data = NULL;
	size_t len = 0;
	if (im->config_hex[0] == '\0' ||
	    sl_store_read(r->ctx->store, im->config_hex, OCI_CONFIG_MAX, &data, &len) < 0)
		return;
	json_t *j = json_loadb((const char *)data, len, 0, NULL);
	struct sl_oci_platform p = { "", "", "" };
	const char *os = json_string_value(json_object_get(j, "os"));
	const char *arch = json_string_value(json_object_get(j, "architecture"));
	const char *var = json_string_value(json_object_get(j, "variant"));
	char pf[3 * SL_OCI_PLATFORM_MAX];
	if (os && arch && strlen(os) < sizeof p.os && strlen(arch) < sizeof p.arch &&
	    (var == NULL || strlen(var) < sizeof p.variant)) {
		snprintf(p.os, sizeof p.os, "%s", os);
		snprintf(p.arch, sizeof p.arch, "%s", arch);
		snprintf(p.variant, sizeof p.variant, "%s", var ? var : "");
		if (sl_oci_platform_format(&p, pf, sizeof pf) == 0)
			json_array_append_new(im->platforms, json_string(pf));
	}
	json_decref(j);
	free(data);
}

int sl_oci_fetch_manifests(struct oci_run *r, char **cause)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < r->nimg; i++)
		rc = process_img(r, &r->imgs[i], cause);
	return rc;
}

void sl_oci_fetch_platforms(struct oci_run *r)
{
	for (size_t i = 0; i < r->nimg; i++)
		if (r->imgs[i].config_hex[0] != '\0')
			config_platform(r, &r->imgs[i]);
}
