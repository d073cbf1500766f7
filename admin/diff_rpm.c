/* diff_rpm: what an RPM snapshot changes, per package name and architecture, in rpm version order (the
 * newest EVR of a name.arch is what dnf installs, so that is what the diff speaks of). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rpm/rpmver.h>

#include "admin/diff.h"
#include "core/catalog.h"

/* rpm's order: epoch numerically, then version, then release with rpmvercmp. */
static int evr_cmp(const json_t *a, const json_t *b)
{
	long ea = strtol(json_string_value(json_object_get(a, "epoch")) ?: "0", NULL, 10);
	long eb = strtol(json_string_value(json_object_get(b, "epoch")) ?: "0", NULL, 10);
	if (ea != eb)
		return ea < eb ? -1 : 1;
	int c = rpmvercmp(json_string_value(json_object_get(a, "version")) ?: "",
			  json_string_value(json_object_get(b, "version")) ?: "");
	if (c != 0)
		return c;
	return rpmvercmp(json_string_value(json_object_get(a, "release")) ?: "",
			 json_string_value(json_object_get(b, "release")) ?: "");
}

static void evr_str(const json_t *m, char *buf, size_t cap)
{
	const char *e = json_string_value(json_object_get(m, "epoch"));
	bool epoch = e != NULL && strcmp(e, "0") != 0 && e[0] != '\0';
	snprintf(buf, cap, "%s%s%s-%s", epoch ? e : "", epoch ? ":" : "",
		 json_string_value(json_object_get(m, "version")) ?: "?",
		 json_string_value(json_object_get(m, "release")) ?: "?");
}

/* Map "name\tarch" -> the newest {"epoch","version","release"} of the snapshot. */
static int collect(void *arg, const struct sl_entry *e)
{
	if (strcmp(e->role, "package") != 0 || e->meta_json == NULL)
		return 0;
	json_t *m = json_loads(e->meta_json, 0, NULL);
	const char *name = json_string_value(json_object_get(m, "name"));
	const char *arch = json_string_value(json_object_get(m, "arch"));
	if (name != NULL && arch != NULL) {
		char key[512];
		snprintf(key, sizeof key, "%s\t%s", name, arch);
		json_t *have = json_object_get(arg, key);
		if (have == NULL || evr_cmp(m, have) > 0)
			json_object_set(arg, key, m);
	}
	json_decref(m);
	return 0;
}

static json_t *change(const char *kind, const char *key, const json_t *old_v, const json_t *new_v)
{
	char name[256] = "", arch[64] = "", o[300] = "", n[300] = "";
	sscanf(key, "%255[^\t]\t%63s", name, arch);
	if (old_v != NULL)
		evr_str(old_v, o, sizeof o);
	if (new_v != NULL)
		evr_str(new_v, n, sizeof n);
	return json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "change", kind, "package", name, "arch", arch, "old",
			 old_v ? o : NULL, "new", new_v ? n : NULL);
}

static int diff(struct sl_catalog *cat, int64_t old_id, int64_t new_id, json_t *changes, json_t *summary)
{
	json_t *a = json_object(), *b = json_object();
	int rc = old_id ? sl_catalog_snapshot_entries(cat, old_id, collect, a) : 0;
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(cat, new_id, collect, b);
	const char *k;
	json_t *v;
	json_object_foreach(b, k, v) {
		json_t *ov = json_object_get(a, k);
		json_t *c = NULL;
		if (ov == NULL) {
			c = change("added", k, NULL, v);
		} else {
			int cmp = evr_cmp(v, ov);
			if (cmp != 0)
				c = change(cmp > 0 ? "upgraded" : "downgraded", k, ov, v);
		}
		if (c != NULL) {
			sl_diff_bump(summary, json_string_value(json_object_get(c, "change")));
			json_array_append_new(changes, c);
		}
	}
	json_object_foreach(a, k, v) {
		if (json_object_get(b, k) == NULL) {
			json_array_append_new(changes, change("removed", k, v, NULL));
			sl_diff_bump(summary, "removed");
		}
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

static void print(const json_t *c)
{
	const char *old_v = json_string_value(json_object_get(c, "old"));
	const char *new_v = json_string_value(json_object_get(c, "new"));
	printf("  %-10s %-32s %-8s %s%s%s\n", json_string_value(json_object_get(c, "change")),
	       json_string_value(json_object_get(c, "package")), json_string_value(json_object_get(c, "arch")),
	       old_v ? old_v : "", old_v && new_v ? " -> " : "", new_v ? new_v : "");
}

const struct sl_differ sl_rpm_differ = { .diff = diff, .print = print };
