/* diff_clamav: what a ClamAV snapshot changes, per database. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/diff.h"
#include "core/catalog.h"

/* ---- clamav: database versions and signature counts ------------------------------------------------- */

static int collect_cvds(void *arg, const struct sl_entry *e)
{
	if (strcmp(e->role, "cvd") != 0 || e->meta_json == NULL)
		return 0;
	json_t *m = json_loads(e->meta_json, 0, NULL);
	const char *db = json_string_value(json_object_get(m, "database"));
	if (db != NULL)
		json_object_set(arg, db, m);
	json_decref(m);
	return 0;
}

static int diff(struct sl_catalog *cat, int64_t old_id, int64_t new_id, struct sl_diff_out *out, json_t *summary)
{
	json_t *a = json_object(), *b = json_object();
	int rc = old_id ? sl_catalog_snapshot_entries(cat, old_id, collect_cvds, a) : 0;
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(cat, new_id, collect_cvds, b);
	const char *k;
	json_t *v;
	json_object_foreach(b, k, v) {
		json_t *o = json_object_get(a, k);
		json_int_t nv = json_integer_value(json_object_get(v, "version"));
		json_int_t ns = json_integer_value(json_object_get(v, "sigs"));
		json_int_t ov = json_integer_value(json_object_get(o, "version"));
		json_int_t os = json_integer_value(json_object_get(o, "sigs"));
		const char *kind = o == NULL ? "added" : nv > ov ? "updated" : nv < ov ? "downgraded" : NULL;
		if (kind == NULL)
			continue;
		json_t *c = json_pack("{s:s, s:s, s:I, s:I}", "change", kind, "path", k, "new_version", nv, "new_sigs", ns);
		if (o != NULL) {
			json_object_set_new(c, "old_version", json_integer(ov));
			json_object_set_new(c, "old_sigs", json_integer(os));
		}
		if (rc == 0)
			rc = sl_diff_emit(out, c);
		else
			json_decref(c);
		sl_diff_bump(summary, kind);
	}
	json_object_foreach(a, k, v) {
		if (json_object_get(b, k) == NULL) {
			if (rc == 0)
				rc = sl_diff_emit(out, json_pack("{s:s, s:s, s:I, s:I}", "change", "removed", "path", k,
									 "old_version", json_integer_value(json_object_get(v, "version")),
									 "old_sigs", json_integer_value(json_object_get(v, "sigs"))));
			sl_diff_bump(summary, "removed");
		}
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

static void print(const json_t *c)
{
	json_t *ov = json_object_get(c, "old_version"), *nv = json_object_get(c, "new_version");
	printf("  %-10s %-16s", json_string_value(json_object_get(c, "change")),
	       json_string_value(json_object_get(c, "path")));
	if (ov != NULL)
		printf(" version %lld (%lld signatures)", (long long)json_integer_value(ov),
		       (long long)json_integer_value(json_object_get(c, "old_sigs")));
	if (ov != NULL && nv != NULL)
		printf(" ->");
	if (nv != NULL)
		printf(" version %lld (%lld signatures)", (long long)json_integer_value(nv),
		       (long long)json_integer_value(json_object_get(c, "new_sigs")));
	printf("\n");
}

const struct sl_differ sl_clamav_differ = { .diff = diff, .print = print };
