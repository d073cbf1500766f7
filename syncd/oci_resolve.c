/* oci_resolve: the OCI syncer's first phase — every `images =` item (tag, tag pattern over the tag list,
 * pinned digest) and each resolved image's cosign tag sha256-<hex>.sig become r->imgs, with manifest
 * HEADs only (see sync_oci.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/strset.h"
#include "syncd/registry.h"
#include "syncd/sync_oci_int.h"

static int add_img(struct oci_run *r, const char *repo, const char *tag, const char *hex, const char *mt,
		   const char *sig_of)
{
	char key[OCI_REPO_BUF + 200];
	snprintf(key, sizeof key, "%s%c%s", repo, tag[0] ? ':' : '@', tag[0] ? tag : hex);
	int added = sl_strset_add(r->img_seen, key);
	if (added <= 0)
		return added;
	int rc = sl_oci_grow((void **)&r->imgs, &r->cap_img, r->nimg, sizeof *r->imgs, SL_MAX_OCI_TAGS);
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

int sl_oci_resolve(struct oci_run *r, char **cause)
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
