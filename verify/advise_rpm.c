/* advise_rpm: what an RPM snapshot's packages fix, from the repository's own updateinfo (the syncer keeps
 * the advisories about mirrored packages in the updateinfo entry's meta, syncd/sync_rpm.c). Each advisory
 * of the new snapshot that names a package the new snapshot brings (a NEVRA the old one did not have) is
 * one advisory on that package: "ID (type, severity): CVE-…". The same rule as `sluice diff`'s advisory
 * lines (admin/diff_rpm.c), so the two agree. The updateinfo was checked against the signed repomd before
 * the snapshot verified; its text is still the publisher's, kept within caps. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/strset.h"
#include "verify/advise.h"

#define NEVRA_CAP 1024   /* bytes of "name-epoch:version-release.arch": name and arch come from capped meta */

/* "name-epoch:version-release.arch" (epoch "0" when absent), as updateinfo names packages. */
static bool nevra_of(const struct sl_entry *e, char *out, size_t cap)
{
	if (strcmp(e->role, "package") != 0 || e->meta_json == NULL)
		return false;
	json_t *m = json_loads(e->meta_json, 0, NULL);
	const char *name = json_string_value(json_object_get(m, "name"));
	const char *arch = json_string_value(json_object_get(m, "arch"));
	const char *epoch = json_string_value(json_object_get(m, "epoch"));
	int n = -1;
	if (name != NULL && arch != NULL)
		n = snprintf(out, cap, "%s-%s:%s-%s.%s", name, epoch != NULL && *epoch ? epoch : "0",
			     json_string_value(json_object_get(m, "version")) ?: "",
			     json_string_value(json_object_get(m, "release")) ?: "", arch);
	json_decref(m);
	return n > 0 && (size_t)n < cap;
}

static int old_cb(void *arg, const struct sl_entry *e)
{
	char nevra[NEVRA_CAP];
	if (nevra_of(e, nevra, sizeof nevra) && sl_strset_add(arg, nevra) < 0)
		return -ENOMEM;
	return 0;
}

struct brought {
	const struct sl_strset *old;
	json_t *pkgs;         /* NEVRA -> [path, sha256]: packages new in this snapshot */
	json_t *advisories;   /* id -> {"type","severity","cves","packages"} */
};

static int new_cb(void *arg, const struct sl_entry *e)
{
	struct brought *b = arg;
	if (strcmp(e->role, "metadata") == 0 && e->meta_json != NULL) {
		json_t *m = json_loads(e->meta_json, 0, NULL);
		json_t *adv = json_object_get(m, "advisories");
		if (json_is_object(adv))
			json_object_update(b->advisories, adv);
		json_decref(m);
		return 0;
	}
	char nevra[NEVRA_CAP];
	if (!nevra_of(e, nevra, sizeof nevra) || sl_strset_has(b->old, nevra))
		return 0;
	return json_object_set_new(b->pkgs, nevra, json_pack("[s, s]", e->path, e->sha256)) == 0 ? 0 : -ENOMEM;
}

/* "RHSA-2026:1 (security, Important): CVE-A CVE-B" within cap. */
static void describe(const char *id, const json_t *adv, char *out, size_t cap)
{
	const char *type = json_string_value(json_object_get(adv, "type"));
	const char *sev = json_string_value(json_object_get(adv, "severity"));
	size_t n = (size_t)snprintf(out, cap, "%s (%s%s%s)", id, type && *type ? type : "update",
				    sev && *sev ? ", " : "", sev && *sev ? sev : "");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(adv, "cves"), i, c) {
		if (n >= cap || i >= SL_MAX_ADVISORY_CVES) {
			if (n < cap)
				snprintf(out + n, cap - n, " and more");
			break;
		}
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : ": ", json_string_value(c) ?: "?");
	}
}

static int advise(struct sl_catalog *cat, struct sl_store *store, int64_t old_id, int64_t new_id,
		  int (*cb)(void *arg, const struct sl_advisory *a), void *arg)
{
	(void)store;
	if (old_id == 0 || old_id == new_id)
		return 0;
	struct sl_strset *old = sl_strset_new();
	struct brought b = { .old = old, .pkgs = json_object(), .advisories = json_object() };
	int rc = old != NULL && b.pkgs != NULL && b.advisories != NULL ? 0 : -ENOMEM;
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(cat, old_id, old_cb, old);
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(cat, new_id, new_cb, &b);
	if (rc > 0)
		rc = -SL_E_CATALOG;
	const char *id;
	json_t *adv;
	json_object_foreach(b.advisories, id, adv) {
		if (rc != 0)
			break;
		char detail[SL_MAX_ADVISORY_CVES * 24 + 512];
		describe(id, adv, detail, sizeof detail);
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(adv, "packages"), i, p) {
			json_t *where = json_is_string(p) ? json_object_get(b.pkgs, json_string_value(p)) : NULL;
			if (where == NULL)
				continue;
			struct sl_advisory a = { .artifact = json_string_value(json_array_get(where, 0)),
						 .digest = json_string_value(json_array_get(where, 1)), .detail = detail };
			rc = cb(arg, &a);
			if (rc != 0)
				break;
		}
	}
	json_decref(b.pkgs);
	json_decref(b.advisories);
	sl_strset_free(old);
	return rc < 0 ? rc : 0;
}

const struct sl_advisor sl_rpm_advisor = { .advise = advise };
