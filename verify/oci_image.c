/* oci_image: the OCI verifier (see oci_image.h): one pass over the snapshot's entries checks manifests,
 * blobs and tags by lookups of the entries they name; the images found on the way then have their
 * signatures checked. */
#include "verify/oci_image.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/oci.h"
#include "core/store.h"
#include "verify/gpg.h"
#include "verify/oci_sig.h"
#include "verify/oci_state.h"

#define REPO_BUF (SL_MAX_OCI_REPO + 1)
#define SUBJECT_BUF (REPO_BUF + 200)

/* An image whose signatures are checked (a tag, or a pinned digest; not cosign's .sig tags). Kept only
 * when the source has a signature policy; strings on the heap so that 10^4 tags stay a few MB. */
struct image {
	char *repo;
	char *tag;                       /* "" for a pinned digest */
	char hex[SL_SHA256_HEX];         /* what the reference resolved to (the index, when narrowed) */
};

struct oci_v {
	struct sl_verify_ctx *v;
	const char *const *plats;
	size_t nplat;
	size_t nman, nblob;
	unsigned man_bad, blob_bad;
	struct image *imgs;
	size_t nimg, cap_img;
	int err;                         /* could not run: catalogue, store I/O, memory */
	char *errcause;
	char first[SL_MAX_REASON];       /* the first failure, as *cause says it */
};

/* Record a failure; the first one becomes the cause (`first` when given, else "subject: check: why"). */
static void fail(struct oci_v *o, const char *subject, const char *check, const char *first, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void fail(struct oci_v *o, const char *subject, const char *check, const char *first, const char *fmt, ...)
{
	char why[SL_MAX_REASON];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (o->v->failed == 0) {
		if (first != NULL)
			snprintf(o->first, sizeof o->first, "%s", first);
		else
			snprintf(o->first, sizeof o->first, "%.200s: %.60s: %.3000s", subject, check, why);
	}
	sl_verify_check(o->v, subject, check, NULL, false, "%s", why);
}

static void run_error(struct oci_v *o, int rc, const char *what)
{
	if (o->err == 0) {
		o->err = rc;
		sl_cause(&o->errcause, rc, "%s: %s", what, sl_strerror(rc));
	}
}

/* "<repo>/<marker>/<rest>": repo (a valid repository name) and rest; false when the path is not so. */
static bool split(const char *path, const char *marker, char repo[REPO_BUF], const char **rest)
{
	char m[32];
	snprintf(m, sizeof m, "/%s/", marker);
	const char *at = strstr(path, m);
	if (at == NULL || (size_t)(at - path) >= REPO_BUF)
		return false;
	memcpy(repo, path, (size_t)(at - path));
	repo[at - path] = '\0';
	*rest = at + strlen(m);
	return sl_oci_valid_repo(repo);
}

/* Look an entry up by path: 1 found (release *e), 0 not there, or a run error. */
static int lookup(struct oci_v *o, const char *path, struct sl_entry *e)
{
	memset(e, 0, sizeof *e);
	int rc = sl_catalog_snapshot_entry(o->v->cat, o->v->snap_id, path, e);
	if (rc == -SL_E_NOTFOUND)
		return 0;
	if (rc < 0) {
		run_error(o, rc, path);
		return rc;
	}
	return 1;
}

/* The media type a manifest is published with (its .type entry), into mt; false when absent or bad. */
static bool published_type(struct oci_v *o, const char *repo, const char *hex, char mt[SL_OCI_MT_MAX])
{
	char path[REPO_BUF + 100];
	snprintf(path, sizeof path, "%s/_manifests/%s.type", repo, hex);
	struct sl_entry e;
	mt[0] = '\0';
	if (lookup(o, path, &e) != 1)
		return false;
	uint8_t *data = NULL;
	size_t len = 0;
	if (sl_store_read(o->v->store, e.sha256, SL_OCI_MT_MAX, &data, &len) == 0 && len > 1 && data[len - 1] == '\n' &&
	    memchr(data, '\0', len) == NULL) {
		memcpy(mt, data, len - 1);
		mt[len - 1] = '\0';
	}
	free(data);
	sl_entry_release(&e);
	return mt[0] != '\0';
}

/* Read a manifest's bytes (entry e) and parse them: they must hash to `hex`, the digest the path names.
 * 0, or -SL_E_VERIFY after recording why. */
static int load(struct oci_v *o, const char *repo, const char *hex, const struct sl_entry *e, const char *ct,
		struct sl_oci_manifest *m, size_t *len_out)
{
	char subject[SUBJECT_BUF];
	snprintf(subject, sizeof subject, "%s@sha256:%s", repo, hex);
	memset(m, 0, sizeof *m);
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = sl_store_read(o->v->store, e->sha256, SL_MAX_OCI_MANIFEST, &data, &len);
	if (rc == -SL_E_TOOBIG) {
		fail(o, subject, "manifest-digest", NULL, "%s", "over the manifest size cap");
		return -SL_E_VERIFY;
	}
	if (rc < 0) {
		fail(o, subject, "manifest-digest", NULL, "not readable from the store: %s", sl_strerror(rc));
		return -SL_E_VERIFY;
	}
	char got[SL_SHA256_HEX];
	sl_digest_sha256(data, len, got);
	*len_out = len;
	if (strcmp(got, hex) != 0) {
		fail(o, subject, "manifest-digest", NULL, "bytes hash to sha256:%s", got);
		free(data);
		return -SL_E_VERIFY;
	}
	char *pcause = NULL;
	rc = sl_oci_parse(data, len, ct, m, &pcause);
	free(data);
	if (rc < 0) {
		fail(o, subject, "manifest-format", NULL, "%s", pcause ? pcause : sl_strerror(rc));
		free(pcause);
		sl_oci_manifest_release(m);
		return -SL_E_VERIFY;
	}
	free(pcause);
	return 0;
}

/* A blob a manifest names: a blob entry of the repo with the declared size. */
static void check_blob_ref(struct oci_v *o, const char *repo, const struct sl_oci_desc *d)
{
	char path[REPO_BUF + 100], subject[SUBJECT_BUF];
	snprintf(path, sizeof path, "%s/_blobs/%s", repo, d->digest);
	snprintf(subject, sizeof subject, "%s@sha256:%s", repo, d->digest);
	struct sl_entry e;
	int found = lookup(o, path, &e);
	if (found < 0)
		return;
	if (found == 0) {
		o->blob_bad++;
		fail(o, subject, "blob-digest", NULL, "missing from the snapshot");
		return;
	}
	if (e.size != d->size) {
		o->blob_bad++;
		fail(o, subject, "blob-digest", NULL, "%llu bytes, the manifest says %llu", (unsigned long long)e.size,
		     (unsigned long long)d->size);
	}
	sl_entry_release(&e);
}

/* A child an index lists: a manifest entry with the descriptor's size and media type. */
static void check_child_ref(struct oci_v *o, const char *repo, const struct sl_oci_desc *d)
{
	char path[REPO_BUF + 100], subject[SUBJECT_BUF], mt[SL_OCI_MT_MAX];
	snprintf(path, sizeof path, "%s/_manifests/%s", repo, d->digest);
	snprintf(subject, sizeof subject, "%s@sha256:%s", repo, d->digest);
	struct sl_entry e;
	int found = lookup(o, path, &e);
	if (found < 0)
		return;
	if (found == 0) {
		o->man_bad++;
		fail(o, subject, "manifest-digest", NULL, "missing from the snapshot (its index lists it)");
		return;
	}
	if (e.size != d->size) {
		o->man_bad++;
		fail(o, subject, "manifest-size", NULL, "%llu bytes, the index says %llu", (unsigned long long)e.size,
		     (unsigned long long)d->size);
	} else if (published_type(o, repo, d->digest, mt) && strcmp(mt, d->media_type) != 0) {
		o->man_bad++;
		fail(o, subject, "manifest-type", NULL, "media type %s, the index says %s", mt, d->media_type);
	}
	sl_entry_release(&e);
}

/* An index's children: those the platform plan keeps must be there (ARRIVAL); those there must match. */
static void check_children(struct oci_v *o, const char *repo, const char *hex, const struct sl_oci_manifest *ix)
{
	struct sl_oci_index_plan plan;
	bool arrival = o->v->mode == SL_VERIFY_ARRIVAL;
	if (arrival && sl_oci_index_plan(ix, o->plats, o->nplat, &plan) < 0) {
		char subject[SUBJECT_BUF];
		snprintf(subject, sizeof subject, "%s@sha256:%s", repo, hex);
		fail(o, subject, "platform", NULL, "no platform of the index is configured");
		return;
	}
	for (size_t i = 0; i < ix->n && o->err == 0; i++) {
		const struct sl_oci_desc *d = &ix->descs[i];
		if (arrival && !sl_oci_index_loads(&plan, ix, i, o->plats, o->nplat))
			continue;
		if (!arrival) {
			char path[REPO_BUF + 100];
			struct sl_entry e;
			snprintf(path, sizeof path, "%s/_manifests/%s", repo, d->digest);
			if (lookup(o, path, &e) != 1)
				continue;
			sl_entry_release(&e);
		}
		check_child_ref(o, repo, d);
	}
}

static int add_image(struct oci_v *o, const char *repo, const char *tag, const char *hex)
{
	if (o->v->src->signed_by == NULL && o->v->src->cosign_key == NULL)
		return 0;
	if (o->nimg == o->cap_img) {
		if (o->nimg >= SL_MAX_OCI_TAGS)
			return -SL_E_TOOBIG;
		size_t want = o->cap_img ? o->cap_img * 2 : 16;
		struct image *p = realloc(o->imgs, want * sizeof *p);
		if (p == NULL)
			return -ENOMEM;
		o->imgs = p;
		o->cap_img = want;
	}
	struct image *im = &o->imgs[o->nimg];
	im->repo = strdup(repo);
	im->tag = strdup(tag);
	if (im->repo == NULL || im->tag == NULL) {
		free(im->repo);
		free(im->tag);
		return -ENOMEM;
	}
	snprintf(im->hex, sizeof im->hex, "%s", hex);
	o->nimg++;
	return 0;
}

static void free_images(struct oci_v *o)
{
	for (size_t i = 0; i < o->nimg; i++) {
		free(o->imgs[i].repo);
		free(o->imgs[i].tag);
	}
	free(o->imgs);
}

static bool meta_pinned(const char *meta)
{
	json_t *j = meta ? json_loads(meta, 0, NULL) : NULL;
	bool pinned = json_is_true(json_object_get(j, "pinned"));
	json_decref(j);
	return pinned;
}

/* role "manifest": <repo>/_manifests/<hex>. */
static void visit_manifest(struct oci_v *o, const struct sl_entry *e)
{
	char repo[REPO_BUF], mt[SL_OCI_MT_MAX];
	const char *hex = NULL;
	o->nman++;
	if (!split(e->path, "_manifests", repo, &hex) || !sl_digest_valid_sha256(hex)) {
		o->man_bad++;
		fail(o, e->path, "manifest-digest", NULL, "not a <repo>/_manifests/<sha256> path");
		return;
	}
	char subject[SUBJECT_BUF];
	snprintf(subject, sizeof subject, "%s@sha256:%s", repo, hex);
	if (!published_type(o, repo, hex, mt)) {
		o->man_bad++;
		fail(o, subject, "manifest-format", NULL, "no media type entry (%s.type)", hex);
		return;
	}
	struct sl_oci_manifest m;
	size_t len = 0;
	if (load(o, repo, hex, e, mt, &m, &len) < 0) {
		o->man_bad++;
		return;
	}
	if (strcmp(m.media_type, mt) != 0) {
		o->man_bad++;
		fail(o, subject, "manifest-type", NULL, "media type %s, published as %s", m.media_type, mt);
	}
	if (m.kind == SL_OCI_INDEX) {
		check_children(o, repo, hex, &m);
	} else {
		check_blob_ref(o, repo, &m.config);
		for (size_t i = 0; i < m.n && o->err == 0; i++)
			check_blob_ref(o, repo, &m.descs[i]);
	}
	sl_oci_manifest_release(&m);
	if (meta_pinned(e->meta_json)) {
		int rc = add_image(o, repo, "", hex);
		if (rc < 0)
			run_error(o, rc, subject);
	}
}

/* The narrowed index behind a tag or pinned digest (role "evidence", <repo>/_evidence/<hex>): its bytes
 * hash to the digest the reference resolved to, and with today's platforms it narrows to `child`
 * (NULL: whichever it narrows to must be in the snapshot). */
static void check_evidence(struct oci_v *o, const char *repo, const char *hex, const char *child)
{
	char path[REPO_BUF + 100], subject[SUBJECT_BUF];
	snprintf(path, sizeof path, "%s/_evidence/%s", repo, hex);
	snprintf(subject, sizeof subject, "%s@sha256:%s", repo, hex);
	struct sl_entry e;
	int rc, found = lookup(o, path, &e);
	if (found < 0)
		return;
	if (found == 0) {
		fail(o, subject, "platform", NULL, "the narrowed index is not in the snapshot");
		return;
	}
	struct sl_oci_manifest ix;
	size_t len = 0;
	json_t *meta = e.meta_json ? json_loads(e.meta_json, 0, NULL) : NULL;
	rc = load(o, repo, hex, &e, json_string_value(json_object_get(meta, "media_type")), &ix, &len);
	json_decref(meta);
	sl_entry_release(&e);
	if (rc < 0)
		return;
	const struct sl_oci_desc *d = NULL;
	struct sl_oci_index_plan plan;
	if (ix.kind != SL_OCI_INDEX) {
		fail(o, subject, "platform", NULL, "narrowed from a manifest that is not an index");
	} else if (o->v->mode == SL_VERIFY_RECHECK) {
		for (size_t i = 0; i < ix.n && d == NULL; i++)
			if (child != NULL && strcmp(ix.descs[i].digest, child) == 0)
				d = &ix.descs[i];
		if (d == NULL && child != NULL)
			fail(o, subject, "platform", NULL, "the index does not list sha256:%s", child);
	} else if (sl_oci_index_plan(&ix, o->plats, o->nplat, &plan) < 0 || !plan.narrowed) {
		fail(o, subject, "platform", NULL, "the configured platforms do not narrow this index to one manifest");
	} else {
		d = &ix.descs[plan.narrowed_to];
		if (child != NULL && strcmp(d->digest, child) != 0) {
			fail(o, subject, "platform", NULL, "narrows to sha256:%s, the tag publishes sha256:%s", d->digest, child);
			d = NULL;
		}
	}
	if (d != NULL)
		check_child_ref(o, repo, d);
	sl_oci_manifest_release(&ix);
}

/* role "evidence": only narrowed indexes so far; a pinned one is an image of its own. */
static void visit_evidence(struct oci_v *o, const struct sl_entry *e)
{
	char repo[REPO_BUF];
	const char *hex = NULL;
	if (!split(e->path, "_evidence", repo, &hex) || !sl_digest_valid_sha256(hex)) {
		fail(o, e->path, "platform", NULL, "not a <repo>/_evidence/<sha256> path");
		return;
	}
	if (!meta_pinned(e->meta_json))
		return;   /* a tag's: checked with the tag */
	check_evidence(o, repo, hex, NULL);
	int rc = add_image(o, repo, "", hex);
	if (rc < 0)
		run_error(o, rc, e->path);
}

/* role "blob": <repo>/_blobs/<hex>, in the store with its size (RECHECK: re-hashed). */
static void visit_blob(struct oci_v *o, const struct sl_entry *e)
{
	char repo[REPO_BUF], subject[SUBJECT_BUF];
	const char *hex = NULL;
	o->nblob++;
	if (!split(e->path, "_blobs", repo, &hex) || !sl_digest_valid_sha256(hex)) {
		o->blob_bad++;
		fail(o, e->path, "blob-digest", NULL, "not a <repo>/_blobs/<sha256> path");
		return;
	}
	snprintf(subject, sizeof subject, "%s@sha256:%s", repo, hex);
	if (strcmp(e->sha256, hex) != 0) {
		o->blob_bad++;
		fail(o, subject, "blob-digest", NULL, "bytes hash to sha256:%s", e->sha256);
		return;
	}
	if (o->v->mode == SL_VERIFY_ARRIVAL) {
		if (!sl_store_has_size(o->v->store, hex, e->size)) {
			o->blob_bad++;
			fail(o, subject, "blob-digest", NULL, "not in the store with %llu bytes", (unsigned long long)e->size);
		}
		return;
	}
	uint64_t size = 0;
	int rc = sl_store_check(o->v->store, hex, &size);
	if (rc == 0 && size != e->size)
		rc = -SL_E_SIZE;
	if (rc < 0) {
		o->blob_bad++;
		if (rc == -SL_E_SIZE)
			fail(o, subject, "blob-digest", NULL, "%llu bytes in the store, the snapshot says %llu",
			     (unsigned long long)size, (unsigned long long)e->size);
		else
			fail(o, subject, "blob-digest", NULL, "store object %s: %s", hex,
			     rc == -SL_E_DIGEST ? "its bytes no longer match its digest" : sl_strerror(rc));
	}
}

/* role "tag": <repo>/_tags/<tag>, meta {"repo","tag","digest","media_type"[,"index"][,"signature_of"]}. */
static void visit_tag(struct oci_v *o, const struct sl_entry *e)
{
	char repo[REPO_BUF], subject[SUBJECT_BUF], path[REPO_BUF + 100];
	const char *tag = NULL;
	if (!split(e->path, "_tags", repo, &tag) || !sl_oci_valid_tag(tag)) {
		fail(o, e->path, "tag", NULL, "not a <repo>/_tags/<tag> path");
		return;
	}
	snprintf(subject, sizeof subject, "%s:%s", repo, tag);
	json_t *j = e->meta_json ? json_loads(e->meta_json, 0, NULL) : NULL;
	const char *digest = json_string_value(json_object_get(j, "digest"));
	const char *index = json_string_value(json_object_get(j, "index"));
	const char *sig_of = json_string_value(json_object_get(j, "signature_of"));
	if (digest == NULL || !sl_digest_valid_sha256(digest) || (index != NULL && !sl_digest_valid_sha256(index)) ||
	    (sig_of != NULL && !sl_digest_valid_sha256(sig_of))) {
		fail(o, subject, "tag", NULL, "no valid digest in the tag's record");
		json_decref(j);
		return;
	}
	/* What clients read at the tag is the digest the record names. */
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = sl_store_read(o->v->store, e->sha256, SL_SHA256_HEX + 1, &data, &len);
	if (rc < 0 || len != SL_SHA256_HEX || memcmp(data, digest, SL_SHA256_HEX - 1) != 0 ||
	    data[SL_SHA256_HEX - 1] != '\n')
		fail(o, subject, "tag", NULL, "the published tag does not say sha256:%s", digest);
	free(data);
	snprintf(path, sizeof path, "%s/_manifests/%s", repo, digest);
	struct sl_entry m;
	int found = lookup(o, path, &m);
	if (found == 1)
		sl_entry_release(&m);
	else if (found == 0)
		fail(o, subject, "tag", NULL, "points at sha256:%s, which is not in the snapshot", digest);
	if (index != NULL)
		check_evidence(o, repo, index, digest);
	rc = sig_of != NULL ? 0 : add_image(o, repo, tag, index ? index : digest);
	if (rc < 0)
		run_error(o, rc, subject);
	json_decref(j);
}

/* Small published files (tags, .type, _catalog, signatures, evidence): in the store with their size;
 * RECHECK re-hashes them, so a file altered on disk is named even where no other check reads it. */
static void check_object(struct oci_v *o, const struct sl_entry *e)
{
	if (o->v->mode == SL_VERIFY_ARRIVAL) {
		if (!sl_store_has_size(o->v->store, e->sha256, e->size))
			fail(o, e->path, "sha256", NULL, "store object %s is not in the store with %llu bytes", e->sha256,
			     (unsigned long long)e->size);
		return;
	}
	uint64_t size = 0;
	int rc = sl_store_check(o->v->store, e->sha256, &size);
	if (rc == 0 && size != e->size)
		rc = -SL_E_SIZE;
	if (rc < 0)
		fail(o, e->path, "sha256", NULL, "store object %s: %s", e->sha256,
		     rc == -SL_E_DIGEST ? "its bytes no longer match its digest" : sl_strerror(rc));
}

static int visit(void *arg, const struct sl_entry *e)
{
	struct oci_v *o = arg;
	if (strcmp(e->role, "manifest") != 0 && strcmp(e->role, "blob") != 0)
		check_object(o, e);
	if (strcmp(e->role, "manifest") == 0)
		visit_manifest(o, e);
	else if (strcmp(e->role, "blob") == 0)
		visit_blob(o, e);
	else if (strcmp(e->role, "tag") == 0)
		visit_tag(o, e);
	else if (strcmp(e->role, "evidence") == 0)
		visit_evidence(o, e);
	else if (strcmp(e->role, "manifest-type") != 0 && strcmp(e->role, "signature") != 0 &&
		 strcmp(e->role, "catalog") != 0)
		fail(o, e->path, "entry", NULL, "unknown role %s", e->role);
	return o->err != 0;
}

/* ---- signatures -------------------------------------------------------------------------------- */

static int read_store_blob(void *arg, const char *hex, size_t cap, uint8_t **data, size_t *len)
{
	return sl_store_read(arg, hex, cap, data, len);
}

static void subject_of(const struct image *im, char subject[SUBJECT_BUF])
{
	snprintf(subject, SUBJECT_BUF, "%.256s%c%.128s", im->repo, im->tag[0] ? ':' : '@', im->tag[0] ? im->tag : im->hex);
}

/* The manifest digest of the image's cosign tag sha256-<hex>.sig, into sig_hex; false when there is none. */
static bool cosign_tag(struct oci_v *o, const struct image *im, char sig_hex[SL_SHA256_HEX])
{
	char path[SL_MAX_OCI_REPO + 120];
	snprintf(path, sizeof path, "%s/_tags/sha256-%s.sig", im->repo, im->hex);
	struct sl_entry e;
	if (lookup(o, path, &e) != 1)
		return false;
	json_t *j = e.meta_json ? json_loads(e.meta_json, 0, NULL) : NULL;
	const char *digest = json_string_value(json_object_get(j, "digest"));
	const char *of = json_string_value(json_object_get(j, "signature_of"));
	bool ok = digest != NULL && sl_digest_valid_sha256(digest) && of != NULL && strcmp(of, im->hex) == 0;
	if (ok)
		snprintf(sig_hex, SL_SHA256_HEX, "%s", digest);
	json_decref(j);
	sl_entry_release(&e);
	return ok;
}

/* cosign: the image's sha256-<hex>.sig tag (a manifest of the snapshot) verifies over its payload. */
static void check_cosign(struct oci_v *o, struct sl_oci_sig *sig, const struct image *im)
{
	char subject[SUBJECT_BUF], why[SL_MAX_REASON], first[SL_MAX_REASON], sig_hex[SL_SHA256_HEX];
	subject_of(im, subject);
	int rc = -SL_E_SIGNATURE;
	if (!cosign_tag(o, im, sig_hex)) {
		snprintf(why, sizeof why, "no cosign signature (tag sha256-%s.sig)", im->hex);
	} else {
		uint8_t *data = NULL;
		size_t len = 0;
		char *reason = NULL;
		rc = sl_store_read(o->v->store, sig_hex, SL_MAX_OCI_MANIFEST, &data, &len);
		if (rc == 0)
			rc = sl_oci_sig_cosign_manifest(sig, data, len, read_store_blob, o->v->store, im->repo, im->hex,
							&reason);
		if (data == NULL && reason == NULL)
			snprintf(why, sizeof why, "signature manifest unreadable: %s", sl_strerror(rc));
		else
			snprintf(why, sizeof why, "%s", reason ? reason : sl_strerror(rc));
		free(reason);
		free(data);
	}
	if (rc == 0) {
		sl_verify_check(o->v, subject, "cosign-signature", NULL, true, "%s", why);
		return;
	}
	snprintf(first, sizeof first, "%.300s: cosign signature refused: %.3000s", subject, why);
	fail(o, subject, "cosign-signature", first, "%s", why);
}

/* Simple signing: signature-1..N of the lookaside as the syncer found them; one good one suffices. */
static void check_simple(struct oci_v *o, struct sl_oci_sig *sig, const struct image *im)
{
	char subject[SUBJECT_BUF], why[SL_MAX_REASON], first[SL_MAX_REASON], fpr[41] = "";
	subject_of(im, subject);
	snprintf(why, sizeof why, "no signature in the lookaside");
	unsigned good = 0;
	int hard = 0;
	for (unsigned n = 1; n <= SL_MAX_OCI_LOOKASIDE && hard == 0; n++) {
		char path[REPO_BUF + 120];
		snprintf(path, sizeof path, "%s/_signatures/%s/signature-%u", im->repo, im->hex, n);
		struct sl_entry e;
		if (lookup(o, path, &e) != 1)
			break;
		uint8_t *data = NULL;
		size_t len = 0;
		char *reason = NULL, f[41];
		int rc = sl_store_read(o->v->store, e.sha256, SL_MAX_SIGNATURE_BYTES, &data, &len);
		sl_entry_release(&e);
		if (rc == 0)
			rc = sl_oci_sig_simple(sig, data, len, im->repo, im->tag[0] ? im->tag : NULL, im->hex, f, &reason);
		snprintf(why, sizeof why, "signature-%u: %s", n, reason ? reason : sl_strerror(rc));
		free(reason);
		free(data);
		if (rc == 0 && good++ == 0)
			memcpy(fpr, f, sizeof fpr);
		if (rc < 0 && rc != -SL_E_SIGNATURE && rc != -SL_E_MISMATCH && rc != -SL_E_PARSE)
			hard = rc;
	}
	if (good > 0 && hard == 0) {
		sl_verify_check(o->v, subject, "simple-signing", fpr, true, "%s", why);
		return;
	}
	snprintf(first, sizeof first, "%.300s: simple-signing signature refused: %.3000s", subject, why);
	fail(o, subject, "simple-signing", first, "%s", why);
}

static int check_signatures(struct oci_v *o, char **cause)
{
	const struct sl_source *src = o->v->src;
	if (src->signed_by == NULL && src->cosign_key == NULL)
		return 0;
	struct sl_gpg *gpg = NULL;
	if (src->signed_by != NULL) {
		gpg = sl_verify_gpg(o->v, src->signed_by, NULL, 0, cause);
		if (gpg == NULL)
			return -SL_E_SIGNATURE;
	}
	struct sl_oci_sig *sig = sl_oci_sig_new_take(gpg, src->cosign_key, cause);
	if (sig == NULL)
		return -SL_E_SIGNATURE;
	for (size_t i = 0; i < o->nimg && o->err == 0; i++) {
		const struct image *im = &o->imgs[i];
		if (src->cosign_key != NULL)
			check_cosign(o, sig, im);
		if (src->signed_by != NULL)
			check_simple(o, sig, im);
	}
	sl_oci_sig_free(sig);
	return 0;
}

/* ---- the verifier ------------------------------------------------------------------------------ */

static int oci_verify(struct sl_verify_ctx *v, char **cause)
{
	struct oci_v o = {
		.v = v, .plats = (const char *const *)v->src->platforms.v, .nplat = v->src->platforms.n,
	};
	int rc = sl_catalog_snapshot_entries(v->cat, v->snap_id, visit, &o);
	if (o.err == 0 && rc < 0)
		run_error(&o, rc, "snapshot entries");
	/* One record each for what passed (failures were recorded one by one): thousands of tags must not
	 * mean thousands of rows in `sluice show`. */
	if (o.err == 0 && o.man_bad == 0)
		sl_verify_check(v, "manifests", "manifest-digest", NULL, true,
				"%zu manifest(s) match their digests, sizes and media types", o.nman);
	if (o.err == 0 && o.blob_bad == 0)
		sl_verify_check(v, "blobs", "blob-digest", NULL, true, "%zu blob(s) match their digests and sizes",
				o.nblob);
	if (o.err == 0) {
		rc = check_signatures(&o, cause);
		if (rc < 0) {
			free_images(&o);
			return rc;
		}
	}
	free_images(&o);
	if (o.err != 0) {
		sl_cause(cause, o.err, "%s", o.errcause ? o.errcause : sl_strerror(o.err));
		free(o.errcause);
		return o.err;
	}
	if (v->failed == 0)
		return 0;
	if (v->failed == 1)
		return sl_cause(cause, -SL_E_VERIFY, "%s", o.first);
	return sl_cause(cause, -SL_E_VERIFY, "%s (and %u more failed check(s))", o.first, v->failed - 1);
}

struct state_arg {
	struct sl_oci_state *st;
	int rc;
};

/* Every reference the snapshot resolved: tags (the index when narrowed) and pinned digests. */
static int collect_refs(void *arg, const struct sl_entry *e)
{
	struct state_arg *a = arg;
	char repo[REPO_BUF];
	const char *rest = NULL;
	bool tag = strcmp(e->role, "tag") == 0;
	if (tag && split(e->path, "_tags", repo, &rest)) {
		json_t *j = e->meta_json ? json_loads(e->meta_json, 0, NULL) : NULL;
		const char *hex = json_string_value(json_object_get(j, "index"));
		if (hex == NULL)
			hex = json_string_value(json_object_get(j, "digest"));
		a->rc = hex ? sl_oci_state_add(a->st, repo, rest, hex) : -SL_E_PARSE;
		json_decref(j);
	} else if ((strcmp(e->role, "manifest") == 0 && split(e->path, "_manifests", repo, &rest)) ||
		   (strcmp(e->role, "evidence") == 0 && split(e->path, "_evidence", repo, &rest))) {
		if (meta_pinned(e->meta_json))
			a->rc = sl_oci_state_add(a->st, repo, "", rest);
	}
	return a->rc < 0;
}

static int oci_accept(struct sl_verify_ctx *v, char **cause)
{
	struct state_arg a = { sl_oci_state_new(), 0 };
	if (a.st == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	int rc = sl_catalog_snapshot_entries(v->cat, v->snap_id, collect_refs, &a);
	if (a.rc < 0)
		rc = a.rc;
	char *text = rc >= 0 ? sl_oci_state_text(a.st, v->src) : NULL;
	if (rc >= 0 && text == NULL)
		rc = -ENOMEM;
	if (rc >= 0)
		rc = sl_catalog_state_set(v->cat, v->source_id, SL_OCI_STATE_KEY, text);
	free(text);
	sl_oci_state_free(a.st);
	return rc < 0 ? sl_cause(cause, rc, "recording what the snapshot resolved: %s", sl_strerror(rc)) : 0;
}

const struct sl_verifier sl_oci_verifier = {
	.verify = oci_verify,
	.accept = oci_accept,
};
