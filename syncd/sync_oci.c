/* sync_oci: the OCI syncer's run — setup, the phases (resolve, the unchanged shortcut, manifests, blobs,
 * lookaside signatures) and the snapshot entries they make (see sync_oci.h). The verifier
 * (verify/oci_image.c) decides from those entries once the snapshot is sealed. */
#include "syncd/sync_oci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/store.h"
#include "core/strset.h"
#include "syncd/registry.h"
#include "syncd/sync_oci_int.h"
#include "verify/oci_state.h"

/* ---- helpers shared by the phases (sync_oci_int.h) ---- */

int sl_oci_grow(void **v, size_t *cap, size_t n, size_t size, size_t max)
{
	if (n < *cap)
		return 0;
	if (n >= max)
		return -SL_E_TOOBIG;
	size_t want = *cap ? *cap * 2 : 16;
	void *p = realloc(*v, want * size);
	if (p == NULL)
		return -ENOMEM;
	memset((char *)p + *cap * size, 0, (want - *cap) * size);
	*v = p;
	*cap = want;
	return 0;
}

/* ---- snapshot entries -------------------------------------------------------------------------- */

static int put_small(struct oci_run *r, const char *path, const char *text, const char *role, const char *meta)
{
	char sha[SL_SHA256_HEX];
	size_t len = strlen(text);
	int rc = sl_store_put(r->ctx->store, text, len, NULL, sha);
	if (rc == 0)
		rc = sl_sync_add_entry(r->ctx, path, sha, len, role, "text/plain", NULL, meta);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_catalog(struct oci_run *r)
{
	const char **v = calloc(r->nimg + 1, sizeof *v);
	if (v == NULL)
		return -ENOMEM;
	size_t n = 0, len = 1;
	for (size_t i = 0; i < r->nimg; i++)
		v[n++] = r->imgs[i].repo;
	qsort(v, n, sizeof *v, cmp_str);
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	char *text = malloc(len), *p = text;
	int rc = text != NULL ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
			continue;
		p += sprintf(p, "%s\n", v[i]);
	}
	if (rc == 0) {
		*p = '\0';
		rc = put_small(r, "_catalog", text, "catalog", NULL);
	}
	free(text);
	free(v);
	return rc;
}

static int add_entries(struct oci_run *r)
{
	char path[SL_MAX_REL_PATH + 1], url[SL_MAX_URL + SL_MAX_REL_PATH], line[SL_OCI_MT_MAX + 2];
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < r->nman; i++) {
		const struct man *m = &r->mans[i];
		char meta[OCI_REPO_BUF + SL_OCI_MT_MAX + 64];
		snprintf(url, sizeof url, "%s/v2/%s/manifests/sha256:%s", r->src->registry, m->repo, m->hex);
		if (m->evidence) {
			snprintf(meta, sizeof meta, "{\"repo\":\"%s\",\"media_type\":\"%s\"%s}", m->repo, m->mt,
				 m->pinned ? ",\"pinned\":true" : "");
			snprintf(path, sizeof path, "%s/_evidence/%s", m->repo, m->hex);
			rc = sl_sync_add_entry(r->ctx, path, m->hex, m->len, "evidence", m->mt, url, meta);
			continue;
		}
		snprintf(meta, sizeof meta, "{\"repo\":\"%s\"%s}", m->repo, m->pinned ? ",\"pinned\":true" : "");
		snprintf(path, sizeof path, "%s/_manifests/%s", m->repo, m->hex);
		rc = sl_sync_add_entry(r->ctx, path, m->hex, m->len, "manifest", m->mt, url, meta);
		snprintf(path, sizeof path, "%s/_manifests/%s.type", m->repo, m->hex);
		snprintf(line, sizeof line, "%s\n", m->mt);
		if (rc == 0)
			rc = put_small(r, path, line, "manifest-type", NULL);
	}
	for (size_t i = 0; rc == 0 && i < r->nblob; i++) {
		const struct blob *b = &r->blobs[i];
		snprintf(path, sizeof path, "%s/_blobs/%s", b->repo, b->hex);
		snprintf(url, sizeof url, "%s/v2/%s/blobs/sha256:%s", r->src->registry, b->repo, b->hex);
		rc = sl_sync_add_entry(r->ctx, path, b->hex, b->size, "blob", b->mt, url, NULL);
	}
	for (size_t i = 0; rc == 0 && i < r->nsig; i++) {
		const struct sigfile *s = &r->sigs[i];
		snprintf(path, sizeof path, "%s/_signatures/%s/signature-%u", s->repo, s->hex, s->n);
		rc = sl_sync_add_entry(r->ctx, path, s->sha, s->len, "signature", "application/pgp-signature", s->url,
				       NULL);
	}
	for (size_t i = 0; rc == 0 && i < r->nimg; i++) {
		struct img *im = &r->imgs[i];
		if (im->tag[0] == '\0')
			continue;
		json_t *meta = json_pack("{s:s, s:s, s:s, s:s, s:O}", "repo", im->repo, "tag", im->tag, "digest",
					 im->pub_hex, "media_type", im->pub_mt, "platforms", im->platforms);
		if (meta != NULL && im->narrowed)
			json_object_set_new(meta, "index", json_string(im->hex));
		if (meta != NULL && im->sig_of[0] != '\0')
			json_object_set_new(meta, "signature_of", json_string(im->sig_of));
		char *mtxt = meta ? json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(meta);
		char text[SL_SHA256_HEX + 1];
		snprintf(text, sizeof text, "%s\n", im->pub_hex);
		snprintf(path, sizeof path, "%s/_tags/%s", im->repo, im->tag);
		rc = mtxt != NULL ? put_small(r, path, text, "tag", mtxt) : -ENOMEM;
		free(mtxt);
	}
	if (rc == 0)
		rc = add_catalog(r);
	return rc;
}

/* ---- the run ----------------------------------------------------------------------------------- */

static int read_password(const char *path, char **out, char **cause)
{
	size_t len = 0;
	int rc = sl_fs_read_file(path, OCI_PASSWORD_MAX, out, &len);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: cannot read password_file: %s", path, sl_strerror(rc));
	while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
		(*out)[--len] = '\0';
	return 0;
}

/* Do the references resolve as they did for the last accepted snapshot, with the same configuration?
 * (verify/oci_state.h: the verifier's `accept` records it.) */
static int unchanged(struct oci_run *r, bool *same, char **cause)
{
	struct sl_oci_state *st = sl_oci_state_new();
	int rc = st != NULL ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < r->nimg; i++)
		rc = sl_oci_state_add(st, r->imgs[i].repo, r->imgs[i].tag, r->imgs[i].hex);
	char *now = rc == 0 ? sl_oci_state_text(st, r->src) : NULL, *before = NULL;
	sl_oci_state_free(st);
	if (now == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	*same = sl_catalog_state_get(r->ctx->cat, r->ctx->source_id, SL_OCI_STATE_KEY, &before) == 0 &&
		strcmp(before, now) == 0;
	free(before);
	free(now);
	return 0;
}

static int record_snapshot(struct oci_run *r, char **cause)
{
	struct sl_sync_ctx *ctx = r->ctx;
	int rc = sl_catalog_begin(ctx->cat);
	if (rc == 0)
		rc = add_entries(r);
	if (rc == 0)
		rc = sl_catalog_commit(ctx->cat);
	else
		sl_catalog_rollback(ctx->cat);
	if (rc < 0)
		return sl_cause(cause, rc, "cannot record the snapshot's entries: %s", sl_strerror(rc));
	char summary[256];
	size_t ntags = 0, nman = 0;
	for (size_t i = 0; i < r->nimg; i++)
		ntags += r->imgs[i].tag[0] != '\0';
	for (size_t i = 0; i < r->nman; i++)
		nman += !r->mans[i].evidence;
	snprintf(summary, sizeof summary, "{\"tags\":%zu,\"manifests\":%zu,\"blobs\":%zu,\"signatures\":%zu}", ntags,
		 nman, r->nblob, r->nsig);
	rc = sl_catalog_snapshot_seal(ctx->cat, ctx->snap_id, 0, summary);
	if (rc < 0)
		return sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	return 0;
}

static int oci_sync(struct oci_run *r, char **cause)
{
	int rc = sl_oci_resolve(r, cause);
	if (rc < 0)
		return rc;
	bool same = false;
	rc = unchanged(r, &same, cause);
	if (rc < 0)
		return rc;
	if (same)
		return SL_SYNC_UNCHANGED;
	rc = sl_oci_fetch_manifests(r, cause);
	if (rc == 0)
		rc = sl_oci_fetch_blobs(r, cause);
	if (rc == 0)
		sl_oci_fetch_platforms(r);
	if (rc == 0)
		rc = sl_oci_lookaside_fetch(r, cause);
	if (rc == 0)
		rc = record_snapshot(r, cause);
	return rc;
}

static int oci_setup(struct oci_run *r, char **password, char **cause)
{
	struct sl_sync_ctx *ctx = r->ctx;
	const struct sl_source *src = r->src;
	if (src->signed_by != NULL && src->url == NULL)
		return sl_cause(cause, -SL_E_CONFIG, "signed_by needs url = the simple-signing lookaside base URL");
	if (src->url != NULL) {
		int n = snprintf(r->base, sizeof r->base, "%s", src->url);
		while (n > 0 && r->base[n - 1] == '/')
			r->base[--n] = '\0';
	}
	if (src->password_file != NULL) {
		int rc = read_password(src->password_file, password, cause);
		if (rc < 0)
			return rc;
	}
	struct sl_registry_opts o = {
		.base = src->registry, .username = src->username, .password = *password,
		.timeout_ms = 60000, .log_source = src->name, .cat = ctx->cat, .bandwidth_bps = src->bandwidth_bps,
	};
	r->reg = sl_registry_new(ctx->fetch, &o, cause);
	if (r->reg == NULL)
		return -SL_E_CONFIG;
	r->img_seen = sl_strset_new();
	r->man_seen = sl_strset_new();
	r->blob_seen = sl_strset_new();
	r->queued = sl_strset_new();
	if (!r->img_seen || !r->man_seen || !r->blob_seen || !r->queued)
		return sl_cause(cause, -ENOMEM, "out of memory");
	return 0;
}

static int oci_run(struct sl_sync_ctx *ctx, char **cause)
{
	struct oci_run *r = calloc(1, sizeof *r);
	if (r == NULL)
		return -ENOMEM;
	r->ctx = ctx;
	r->src = ctx->src;
	char *password = NULL;
	int rc = oci_setup(r, &password, cause);
	if (rc == 0)
		rc = oci_sync(r, cause);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	for (size_t i = 0; i < r->nimg; i++)
		json_decref(r->imgs[i].platforms);
	free(r->imgs);
	free(r->mans);
	free(r->blobs);
	free(r->sigs);
	sl_strset_free(r->img_seen);
	sl_strset_free(r->man_seen);
	sl_strset_free(r->blob_seen);
	sl_strset_free(r->queued);
	sl_registry_free(r->reg);
	free(r);
	return rc;
}

const struct sl_syncer sl_oci_syncer = {
	.run = oci_run,
};
