/* diff_oci: what an OCI snapshot changes, per tag. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/diff.h"
#include "core/catalog.h"

/* ---- oci: tags by repository, with the digest and platforms each points to --------------------------- */

static int collect_oci_tags(void *arg, const struct sl_entry *e)
{
	if (strcmp(e->role, "tag") != 0 || e->meta_json == NULL)
		return 0;
	json_t *m = json_loads(e->meta_json, 0, NULL);
	const char *repo = json_string_value(json_object_get(m, "repo"));
	const char *tag = json_string_value(json_object_get(m, "tag"));
	if (repo != NULL && tag != NULL && json_string_value(json_object_get(m, "digest")) != NULL) {
		char key[512];
		snprintf(key, sizeof key, "%s:%s", repo, tag);
		json_object_set(arg, key, m);
	}
	json_decref(m);
	return 0;
}

static json_t *oci_platforms(const json_t *meta)
{
	json_t *p = json_object_get(meta, "platforms");
	return p != NULL ? json_deep_copy(p) : json_array();
}

static int diff(struct sl_catalog *cat, int64_t old_id, int64_t new_id, struct sl_diff_out *out, json_t *summary)
{
	json_t *a = json_object(), *b = json_object();
	int rc = old_id ? sl_catalog_snapshot_entries(cat, old_id, collect_oci_tags, a) : 0;
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(cat, new_id, collect_oci_tags, b);
	const char *k;
	json_t *v;
	json_object_foreach(b, k, v) {
		json_t *ov = json_object_get(a, k);
		const char *nd = json_string_value(json_object_get(v, "digest"));
		const char *od = ov != NULL ? json_string_value(json_object_get(ov, "digest")) : NULL;
		const char *kind = ov == NULL ? "added" : (strcmp(nd, od ? od : "") != 0 ? "moved" : NULL);
		if (kind == NULL)
			continue;
		if (rc == 0)
			rc = sl_diff_emit(out, json_pack("{s:s, s:s, s:s?, s:s, s:o, s:o}", "change", kind, "path", k,
								 "old", od, "new", nd, "old_platforms",
								 ov != NULL ? oci_platforms(ov) : json_array(), "new_platforms",
								 oci_platforms(v)));
		sl_diff_bump(summary, kind);
	}
	json_object_foreach(a, k, v) {
		if (json_object_get(b, k) == NULL) {
			if (rc == 0)
				rc = sl_diff_emit(out, json_pack("{s:s, s:s, s:s, s:o, s:o}", "change", "removed", "path", k,
									 "old", json_string_value(json_object_get(v, "digest")),
									 "old_platforms", oci_platforms(v), "new_platforms",
									 json_array()));
			sl_diff_bump(summary, "removed");
		}
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

static void print(const json_t *c)
{
	const char *old_d = json_string_value(json_object_get(c, "old"));
	const char *new_d = json_string_value(json_object_get(c, "new"));
	const json_t *pf = json_object_get(c, new_d ? "new_platforms" : "old_platforms");
	printf("  %-10s %-40s %s%.12s%s%s%.12s  [", json_string_value(json_object_get(c, "change")),
	       json_string_value(json_object_get(c, "path")), old_d ? "sha256:" : "", old_d ? old_d : "",
	       old_d && new_d ? " -> " : "", new_d ? "sha256:" : "", new_d ? new_d : "");
	for (size_t i = 0; i < json_array_size(pf); i++)
		printf("%s%s", i ? " " : "", json_string_value(json_array_get(pf, i)));
	printf("]\n");
}

const struct sl_differ sl_oci_differ = { .diff = diff, .print = print };
