/* sync_oci: resolve tags with HEADs, fetch and verify manifests and blobs, check signatures, and lay the
 * result out as the snapshot entries of the published registry tree (see sync_oci.h). */
#include "syncd/sync_oci.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/oci.h"
#include "core/store.h"
#include "core/strset.h"
#include "syncd/fetch.h"
#include "syncd/registry.h"
#include "verify/oci_sig.h"

#define OCI_CONFIG_MAX (4u << 20)   /* bytes of an image config read back for its platform */
#define OCI_PASSWORD_MAX 4096       /* bytes of password_file */
#define OCI_REPO_BUF (SL_MAX_OCI_REPO + 1)

struct img {
	char repo[OCI_REPO_BUF];
	char tag[129];                   /* "" for a pinned digest */
	char hex[SL_SHA256_HEX];         /* what the upstream reference resolved to */
	char head_mt[SL_OCI_MT_MAX];
	char sig_of[SL_SHA256_HEX];      /* cosign tag: the image digest it signs */
	char pub_hex[SL_SHA256_HEX];     /* what the published tag points to */
	char pub_mt[SL_OCI_MT_MAX];
	char config_hex[SL_SHA256_HEX];  /* single image: its config, for the platform */
	json_t *platforms;
	bool narrowed;
};

struct man {
	char repo[OCI_REPO_BUF];
	char hex[SL_SHA256_HEX];
	char mt[SL_OCI_MT_MAX];
	size_t len;
	bool pinned;
};

struct blob {
	char repo[OCI_REPO_BUF];
	char hex[SL_SHA256_HEX];
	char mt[SL_OCI_MT_MAX];
	uint64_t size;
};

struct sigfile {
	char repo[OCI_REPO_BUF];
	char hex[SL_SHA256_HEX];
	unsigned n;
	char sha[SL_SHA256_HEX];
	size_t len;
	char url[SL_MAX_URL];
};

struct oci_run {
	struct sl_sync_ctx *ctx;
	const struct sl_source *src;
	struct sl_registry *reg;
	struct sl_oci_sig *sig;
	struct img *imgs;
	size_t nimg, cap_img;
	struct man *mans;
	size_t nman, cap_man;
	struct blob *blobs;
	size_t nblob, cap_blob;
	struct sigfile *sigs;
	size_t nsig, cap_sig;
	struct sl_strset *img_seen, *man_seen, *blob_seen, *queued;
	size_t blobs_total, blobs_done;
	uint64_t bytes_total, bytes_done;
	int blob_err;
	char blob_err_msg[SL_MAX_REASON];
	char fingerprint[SL_SHA256_HEX];
	char base[SL_MAX_URL];
};


/* Room for one more element of `size` bytes in *v (at most `max`). */
static int grow(void **v, size_t *cap, size_t n, size_t size, size_t max)
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

/* ---- resolving references ---------------------------------------------------------------------- */

static int add_img(struct oci_run *r, const char *repo, const char *tag, const char *hex, const char *mt,
		   const char *sig_of)
{
	char key[OCI_REPO_BUF + 200];
	snprintf(key, sizeof key, "%s%c%s", repo, tag[0] ? ':' : '@', tag[0] ? tag : hex);
	int added = sl_strset_add(r->img_seen, key);
	if (added <= 0)
		return added;
	int rc = grow((void **)&r->imgs, &r->cap_img, r->nimg, sizeof *r->imgs, SL_MAX_OCI_TAGS);
	if (rc < 0)
		return rc;
	struct img *m = &r->imgs[r->nimg++];
	snprintf(m->repo, sizeof m->repo, "%s", repo);
	snprintf(m->tag, sizeof m->tag, "%s", tag);
	snprintf(m->hex, sizeof m->hex, "%s", hex);
	snprintf(m->head_mt, sizeof m->head_mt, "%s", mt ? mt : "");
	snprintf(m->sig_of, sizeof m->sig_of, "%s", sig_of ? sig_of : "");
	return 0;
}

static int resolve_tag(struct oci_run *r, const char *repo, const char *tag, char **cause)
{
	struct sl_registry_head h;
	int rc = sl_registry_head(r->reg, repo, tag, &h, cause);
	if (rc == -SL_E_BADNAME)
		sl_sync_check(r->ctx, repo, "manifest-digest", NULL, false, "%s", *cause ? *cause : "bad digest");
	if (rc < 0)
		return rc;
	if (h.digest[0] == '\0')
		return sl_cause(cause, -SL_E_UNSUPPORTED, "%s:%s: the registry sent no Docker-Content-Digest", repo, tag);
	rc = add_img(r, repo, tag, h.digest, h.media_type, NULL);
	return rc < 0 ? sl_cause(cause, rc, "%s:%s: %s", repo, tag, sl_strerror(rc)) : 0;
}

static int resolve(struct oci_run *r, char **cause)
{
	const struct sl_strlist *items = &r->src->images;
	for (size_t i = 0; i < items->n; i++) {
		struct sl_oci_ref ref;
		int rc = sl_oci_ref_parse(items->v[i], &ref, cause);
		if (rc < 0)
			return rc;
		if (ref.kind == SL_OCI_REF_TAG) {
			rc = resolve_tag(r, ref.repo, ref.tag, cause);
		} else if (ref.kind == SL_OCI_REF_DIGEST) {
			rc = add_img(r, ref.repo, "", ref.digest, NULL, NULL);
		} else {
			char **tags = NULL;
			size_t n = 0, matched = 0;
			rc = sl_registry_tags(r->reg, ref.repo, &tags, &n, cause);
			for (size_t t = 0; rc == 0 && t < n; t++) {
				/* cosign's signature tags follow their image; a pattern never selects them itself. */
				if (!sl_oci_tag_match(ref.tag, tags[t]) || strncmp(tags[t], "sha256-", 7) == 0)
					continue;
				matched++;
				rc = resolve_tag(r, ref.repo, tags[t], cause);
			}
			sl_registry_tags_free(tags, n);
			if (rc == 0 && matched == 0)
				sl_log_warn(r->src->name, "%s: no tag matches", items->v[i]);
		}
		if (rc < 0)
			return rc;
	}
	/* Signature tags travel with their images: HEAD sha256-<hex>.sig once per (repo, digest). */
	size_t nreal = r->nimg;
	for (size_t i = 0; i < nreal; i++) {
		char tag[80];
		snprintf(tag, sizeof tag, "sha256-%s.sig", r->imgs[i].hex);
		struct sl_registry_head h;
		char *c2 = NULL;
		int rc = sl_registry_head(r->reg, r->imgs[i].repo, tag, &h, &c2);
		if (rc == -SL_E_NOTFOUND) {
			free(c2);
			continue;
		}
		if (rc == 0 && h.digest[0] == '\0')
			rc = sl_cause(&c2, -SL_E_UNSUPPORTED, "%s:%s: no Docker-Content-Digest", r->imgs[i].repo, tag);
		if (rc == 0)
			rc = add_img(r, r->imgs[i].repo, tag, h.digest, h.media_type, r->imgs[i].hex);
		if (rc < 0) {
			sl_cause(cause, rc, "%s", c2 ? c2 : sl_strerror(rc));
			free(c2);
			return rc;
		}
	}
	return 0;
}

/* What the snapshot depends on besides the upstream: a changed configuration or key is never
 * "unchanged". */
static void fingerprint(struct oci_run *r)
{
	const struct sl_source *s = r->src;
	struct sl_hasher *h = sl_hasher_new(SL_HASH_SHA256);
	if (h == NULL)
		return;
	const char *fields[] = { s->registry, s->url, s->username, s->signed_by, s->cosign_key };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		sl_hasher_update(h, fields[i] ? fields[i] : "", fields[i] ? strlen(fields[i]) + 1 : 1);
	const struct sl_strlist *lists[] = { &s->images, &s->platforms };
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->n; i++)
			sl_hasher_update(h, lists[l]->v[i], strlen(lists[l]->v[i]) + 1);
		sl_hasher_update(h, "\n", 1);
	}
	const char *files[] = { s->signed_by, s->cosign_key };
	for (size_t i = 0; i < 2; i++) {
		char *data = NULL;
		size_t len = 0;
		if (files[i] != NULL && sl_fs_read_file(files[i], SL_MAX_KEYRING_BYTES, &data, &len) == 0)
			sl_hasher_update(h, data, len);
		free(data);
	}
	sl_hasher_final(h, NULL, NULL, r->fingerprint, NULL);
	sl_hasher_free(h);
}

static char *state_text(struct oci_run *r)
{
	json_t *tags = json_object();
	for (size_t i = 0; i < r->nimg; i++) {
		char key[OCI_REPO_BUF + 200];
		const struct img *m = &r->imgs[i];
		snprintf(key, sizeof key, "%s%c%s", m->repo, m->tag[0] ? ':' : '@', m->tag[0] ? m->tag : m->hex);
		json_object_set_new(tags, key, json_string(m->hex));
	}
	json_t *o = json_pack("{s:s, s:o}", "fingerprint", r->fingerprint, "tags", tags);
	char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return txt;
}

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

static int add_man(struct oci_run *r, const char *repo, const char *hex, const char *mt, size_t len, bool pinned)
{
	char key[OCI_REPO_BUF + 80];
	snprintf(key, sizeof key, "%s@%s", repo, hex);
	int added = sl_strset_add(r->man_seen, key);
	if (added < 0)
		return added;
	if (added == 0) {
		for (size_t i = 0; i < r->nman; i++)
			if (strcmp(r->mans[i].hex, hex) == 0 && strcmp(r->mans[i].repo, repo) == 0)
				r->mans[i].pinned |= pinned;
		return 0;
	}
	int rc = grow((void **)&r->mans, &r->cap_man, r->nman, sizeof *r->mans, SIZE_MAX / sizeof *r->mans);
	if (rc < 0)
		return rc;
	struct man *m = &r->mans[r->nman++];
	snprintf(m->repo, sizeof m->repo, "%s", repo);
	memcpy(m->hex, hex, SL_SHA256_HEX);
	snprintf(m->mt, sizeof m->mt, "%s", mt);
	m->len = len;
	m->pinned = pinned;
	return 0;
}

static int add_blob(struct oci_run *r, const char *repo, const struct sl_oci_desc *d)
{
	char key[OCI_REPO_BUF + 80];
	snprintf(key, sizeof key, "%s@%s", repo, d->digest);
	int added = sl_strset_add(r->blob_seen, key);
	if (added <= 0)
		return added;
	int rc = grow((void **)&r->blobs, &r->cap_blob, r->nblob, sizeof *r->blobs, SIZE_MAX / sizeof *r->blobs);
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

static bool real_platform(const struct sl_oci_desc *d)
{
	return d->has_platform && strcmp(d->platform.os, "unknown") != 0;
}

static bool platform_kept(const struct oci_run *r, const struct sl_oci_desc *d)
{
	if (r->src->platforms.n == 0)
		return true;
	for (size_t i = 0; i < r->src->platforms.n; i++)
		if (real_platform(d) && sl_oci_platform_match(&d->platform, r->src->platforms.v[i]))
			return true;
	return false;
}

/* An index: decide what is kept (see sync_oci.h), load the kept children, collect their blobs. */
static int process_index(struct oci_run *r, struct img *im, const struct sl_oci_manifest *ix, size_t ix_len,
			 char **cause)
{
	size_t nreal = 0, nkept = 0, last = 0;
	for (size_t i = 0; i < ix->n; i++) {
		if (!real_platform(&ix->descs[i]))
			continue;
		nreal++;
		if (platform_kept(r, &ix->descs[i])) {
			nkept++;
			last = i;
		}
	}
	bool all = r->src->platforms.n == 0 || nkept == nreal;
	if (!all && nkept == 0) {
		char subject[OCI_REPO_BUF + 200];
		snprintf(subject, sizeof subject, "%s:%s", im->repo, im->tag[0] ? im->tag : im->hex);
		sl_sync_check(r->ctx, subject, "platform", NULL, false, "no platform of the index is configured");
		return sl_cause(cause, -SL_E_MISMATCH, "%s: no platform of the index matches `platforms`", subject);
	}
	im->narrowed = !all && nkept == 1;
	if (im->narrowed) {
		memcpy(im->pub_hex, ix->descs[last].digest, SL_SHA256_HEX);
		snprintf(im->pub_mt, sizeof im->pub_mt, "%s", ix->descs[last].media_type);
	} else {
		int rc = add_man(r, im->repo, im->hex, ix->media_type, ix_len, im->tag[0] == '\0');
		if (rc < 0)
			return sl_cause(cause, rc, "%s", sl_strerror(rc));
	}
	for (size_t i = 0; i < ix->n; i++) {
		const struct sl_oci_desc *d = &ix->descs[i];
		if (!all && !(real_platform(d) && platform_kept(r, d)))
			continue;
		struct sl_oci_manifest cm;
		size_t len = 0;
		int rc = load_manifest(r, im->repo, d->digest, d->media_type, (int64_t)d->size, &cm, &len, cause);
		if (rc < 0)
			return rc;
		if (strcmp(cm.media_type, d->media_type) != 0)
			rc = sl_cause(cause, -SL_E_MISMATCH, "%s@sha256:%s: media type %s, the index says %s", im->repo,
				  d->digest, cm.media_type, d->media_type);
		if (rc == 0)
			rc = add_man(r, im->repo, d->digest, cm.media_type, len, false);
		if (rc == 0)
			rc = add_image_blobs(r, im->repo, &cm);
		sl_oci_manifest_release(&cm);
		if (rc < 0)
			return sl_cause(cause, rc, "%s", sl_strerror(rc));
		if (real_platform(d)) {
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
		rc = add_man(r, im->repo, im->hex, m.media_type, len, im->tag[0] == '\0');
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

static int fetch_blobs(struct oci_run *r, char **cause)
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
	/* One record each for what passed (failures were recorded one by one): thousands of tags must not
	 * mean thousands of rows in `sluice show`. */
	sl_sync_check(r->ctx, "manifests", "manifest-digest", NULL, true,
		      "%zu manifest(s) match their digests, sizes and media types", r->nman);
	sl_sync_check(r->ctx, "blobs", "blob-digest", NULL, true, "%zu blob(s) match their digests and sizes",
		      r->nblob);
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


/* ---- signatures -------------------------------------------------------------------------------- */

static int read_store_blob(void *arg, const char *hex, size_t cap, uint8_t **data, size_t *len)
{
	return sl_store_read(arg, hex, cap, data, len);
}

/* A cosign signature manifest (already verified against its digest and in the store). */
static int check_cosign(struct oci_run *r, const struct img *im, const struct img *sig, char *why, size_t cap)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = sl_store_read(r->ctx->store, sig->hex, SL_MAX_OCI_MANIFEST, &data, &len);
	if (rc < 0) {
		snprintf(why, cap, "signature manifest unreadable: %s", sl_strerror(rc));
		return -SL_E_SIGNATURE;
	}
	char *reason = NULL;
	rc = sl_oci_sig_cosign_manifest(r->sig, data, len, read_store_blob, r->ctx->store, im->repo, im->hex,
					&reason);
	snprintf(why, cap, "%s", reason ? reason : sl_strerror(rc));
	free(reason);
	free(data);
	return rc;
}

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

/* Simple signing: signature-1..N from the lookaside until the first 404; the verified ones are kept. */
static int check_simple(struct oci_run *r, const struct img *im, char *fpr, char *why, size_t cap)
{
	unsigned good = 0;
	snprintf(why, cap, "no signature in the lookaside");
	for (unsigned n = 1; n <= SL_MAX_OCI_LOOKASIDE; n++) {
		char url[SL_MAX_URL];
		int len = snprintf(url, sizeof url, "%s/%s@sha256=%s/signature-%u", r->base, im->repo, im->hex, n);
		if (len < 0 || (size_t)len >= sizeof url)
			return -SL_E_TOOBIG;
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
		if (rc < 0) {
			snprintf(why, cap, "%s: %s", url, d.msg[0] ? d.msg : sl_strerror(rc));
			free(d.body);
			return rc;
		}
		char *reason = NULL, f[41];
		rc = sl_oci_sig_simple(r->sig, d.body, d.len, im->repo, im->tag[0] ? im->tag : NULL, im->hex, f, &reason);
		snprintf(why, cap, "signature-%u: %s", n, reason ? reason : sl_strerror(rc));
		free(reason);
		if (rc == 0) {
			if (good++ == 0)
				memcpy(fpr, f, 41);
			rc = grow((void **)&r->sigs, &r->cap_sig, r->nsig, sizeof *r->sigs, SIZE_MAX / sizeof *r->sigs);
			if (rc == 0) {
				struct sigfile *s = &r->sigs[r->nsig];
				struct sl_store_expect e = { NULL, (int64_t)d.len, SL_MAX_SIGNATURE_BYTES };
				rc = sl_store_put(r->ctx->store, d.body, d.len, &e, s->sha);
				if (rc == 0) {
					snprintf(s->repo, sizeof s->repo, "%s", im->repo);
					memcpy(s->hex, im->hex, SL_SHA256_HEX);
					snprintf(s->url, sizeof s->url, "%s", url);
					s->n = good;
					s->len = d.len;
					r->nsig++;
				}
			}
		}
		free(d.body);
		if (rc < 0 && rc != -SL_E_SIGNATURE && rc != -SL_E_MISMATCH && rc != -SL_E_PARSE)
			return rc;
	}
	return good > 0 ? 0 : -SL_E_SIGNATURE;
}

static int check_signatures(struct oci_run *r, char **cause)
{
	const struct sl_source *src = r->src;
	if (src->signed_by == NULL && src->cosign_key == NULL)
		return 0;
	for (size_t i = 0; i < r->nimg; i++) {
		const struct img *im = &r->imgs[i];
		if (im->sig_of[0] != '\0')
			continue;
		char subject[OCI_REPO_BUF + 200], why[SL_MAX_REASON];
		snprintf(subject, sizeof subject, "%s%c%s", im->repo, im->tag[0] ? ':' : '@',
			 im->tag[0] ? im->tag : im->hex);
		if (src->cosign_key != NULL) {
			const struct img *sig = NULL;
			for (size_t k = 0; k < r->nimg && sig == NULL; k++)
				if (strcmp(r->imgs[k].sig_of, im->hex) == 0 && strcmp(r->imgs[k].repo, im->repo) == 0)
					sig = &r->imgs[k];
			int rc = -SL_E_SIGNATURE;
			if (sig == NULL)
				snprintf(why, sizeof why, "no cosign signature (tag sha256-%s.sig)", im->hex);
			else
				rc = check_cosign(r, im, sig, why, sizeof why);
			sl_sync_check(r->ctx, subject, "cosign-signature", NULL, rc == 0, "%s", why);
			if (rc < 0)
				return sl_cause(cause, -SL_E_SIGNATURE, "%s: cosign signature refused: %s", subject, why);
		}
		if (src->signed_by != NULL) {
			char fpr[41] = "";
			int rc = check_simple(r, im, fpr, why, sizeof why);
			sl_sync_check(r->ctx, subject, "simple-signing", rc == 0 ? fpr : NULL, rc == 0, "%s", why);
			if (rc < 0)
				return sl_cause(cause, rc == -SL_E_TOOBIG || rc == -ENOMEM ? rc : -SL_E_SIGNATURE,
					    "%s: simple-signing signature refused: %s", subject, why);
		}
	}
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
		char meta[OCI_REPO_BUF + 64];
		snprintf(meta, sizeof meta, "{\"repo\":\"%s\"%s}", m->repo, m->pinned ? ",\"pinned\":true" : "");
		snprintf(path, sizeof path, "%s/_manifests/%s", m->repo, m->hex);
		snprintf(url, sizeof url, "%s/v2/%s/manifests/sha256:%s", r->src->registry, m->repo, m->hex);
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

static int oci_sync(struct oci_run *r, char **cause)
{
	struct sl_sync_ctx *ctx = r->ctx;
	int rc = resolve(r, cause);
	if (rc < 0)
		return rc;
	fingerprint(r);
	char *now = state_text(r), *before = NULL;
	if (now == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	bool same = sl_catalog_state_get(ctx->cat, ctx->source_id, SL_SYNC_OCI_STATE_KEY, &before) == 0 &&
		    strcmp(before, now) == 0;
	free(before);
	if (same) {
		free(now);
		return SL_SYNC_UNCHANGED;
	}
	for (size_t i = 0; rc == 0 && i < r->nimg; i++)
		rc = process_img(r, &r->imgs[i], cause);
	if (rc == 0)
		rc = fetch_blobs(r, cause);
	for (size_t i = 0; rc == 0 && i < r->nimg; i++)
		if (r->imgs[i].config_hex[0] != '\0')
			config_platform(r, &r->imgs[i]);
	if (rc == 0)
		rc = check_signatures(r, cause);
	if (rc == 0) {
		rc = sl_catalog_begin(ctx->cat);
		if (rc == 0)
			rc = add_entries(r);
		if (rc == 0)
			rc = sl_catalog_commit(ctx->cat);
		else
			sl_catalog_rollback(ctx->cat);
		if (rc < 0)
			sl_cause(cause, rc, "cannot record the snapshot's entries: %s", sl_strerror(rc));
	}
	if (rc == 0) {
		char summary[256];
		size_t ntags = 0;
		for (size_t i = 0; i < r->nimg; i++)
			ntags += r->imgs[i].tag[0] != '\0';
		snprintf(summary, sizeof summary, "{\"tags\":%zu,\"manifests\":%zu,\"blobs\":%zu,\"signatures\":%zu}",
			 ntags, r->nman, r->nblob, r->nsig);
		rc = sl_catalog_snapshot_seal(ctx->cat, ctx->snap_id, 0, summary);
		if (rc == 0)
			rc = sl_catalog_state_set(ctx->cat, ctx->source_id, SL_SYNC_OCI_STATE_KEY, now);
		if (rc < 0)
			sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	}
	free(now);
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
	if (src->signed_by != NULL || src->cosign_key != NULL) {
		char home[SL_MAX_PATH];
		int n = snprintf(home, sizeof home, "%s/gnupg/%s", ctx->cfg->state_dir, src->name);
		if (n < 0 || (size_t)n >= sizeof home)
			return sl_cause(cause, -SL_E_TOOBIG, "state_dir path too long");
		r->sig = sl_oci_sig_new(home, src->signed_by, src->cosign_key, cause);
		if (r->sig == NULL)
			return -SL_E_SIGNATURE;
	}
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
	sl_oci_sig_free(r->sig);
	sl_registry_free(r->reg);
	free(r);
	return rc;
}

const struct sl_syncer sl_oci_syncer = {
	.run = oci_run,
};
