/* diff_apt: what an APT snapshot changes, per package and architecture. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/diff.h"
#include "core/catalog.h"
#include "core/debver.h"

/* ---- apt: per package and architecture, the version clients would install, in dpkg version order ---- */

/* A security suite by Debian's and Ubuntu's naming (bookworm-security, jammy-security, old
 * squeeze/updates). */
static bool security_suite(const char *suite)
{
	return strstr(suite, "-security") != NULL || strstr(suite, "/updates") != NULL;
}

/* Map "package\tarch" -> {"version", "suite"}: with several suites (bookworm, bookworm-security) the
 * highest version is what apt installs, so that is what the diff speaks of; a tie is attributed to a
 * security suite, so a fix that also reached the point release is still marked. */
static int collect_pkgs(void *arg, const struct sl_entry *e)
{
	if (strcmp(e->role, "pool") != 0 || e->meta_json == NULL)
		return 0;
	json_t *m = json_loads(e->meta_json, 0, NULL);
	const char *pkg = json_string_value(json_object_get(m, "package"));
	const char *ver = json_string_value(json_object_get(m, "version"));
	const char *arch = json_string_value(json_object_get(m, "arch"));
	const char *suite = json_string_value(json_object_get(m, "suite"));
	if (pkg && ver && arch && suite) {
		char key[512];
		snprintf(key, sizeof key, "%s\t%s", pkg, arch);
		json_t *have = json_object_get(arg, key);
		int cmp = have == NULL ? 1
				       : sl_debver_cmp_str(ver, json_string_value(json_object_get(have, "version")));
		if (cmp > 0 || (cmp == 0 && security_suite(suite) &&
				!security_suite(json_string_value(json_object_get(have, "suite")))))
			json_object_set_new(arg, key, json_pack("{s:s, s:s}", "version", ver, "suite", suite));
	}
	json_decref(m);
	return 0;
}

static json_t *apt_change(const char *kind, const char *key, const json_t *old_v, const json_t *new_v)
{
	char pkg[256] = "", arch[64] = "";
	sscanf(key, "%255[^\t]\t%63s", pkg, arch);
	/* Where the change comes from: the new version's suite, or for a removal the old one's. */
	const char *suite = json_string_value(json_object_get(new_v != NULL ? new_v : old_v, "suite"));
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:b}", "change", kind, "package", pkg, "arch", arch, "suite",
			 suite ? suite : "", "old", json_string_value(json_object_get(old_v, "version")), "new",
			 json_string_value(json_object_get(new_v, "version")), "security",
			 new_v != NULL && suite != NULL && security_suite(suite));
}

static int diff(struct sl_catalog *cat, int64_t old_id, int64_t new_id, json_t *changes, json_t *summary)
{
	json_t *a = json_object(), *b = json_object();
	int rc = old_id ? sl_catalog_snapshot_entries(cat, old_id, collect_pkgs, a) : 0;
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(cat, new_id, collect_pkgs, b);
	const char *k;
	json_t *v;
	json_object_foreach(b, k, v) {
		json_t *ov = json_object_get(a, k);
		json_t *c = NULL;
		if (ov == NULL) {
			c = apt_change("added", k, NULL, v);
		} else {
			int cmp = sl_debver_cmp_str(json_string_value(json_object_get(v, "version")),
						    json_string_value(json_object_get(ov, "version")));
			if (cmp != 0)
				c = apt_change(cmp > 0 ? "upgraded" : "downgraded", k, ov, v);
		}
		if (c != NULL) {
			sl_diff_bump(summary, json_string_value(json_object_get(c, "change")));
			if (json_is_true(json_object_get(c, "security")))
				sl_diff_bump(summary, "security");
			json_array_append_new(changes, c);
		}
	}
	json_object_foreach(a, k, v) {
		if (json_object_get(b, k) == NULL) {
			json_array_append_new(changes, apt_change("removed", k, v, NULL));
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
	printf("  %-10s %-32s %-6s %s%s%s  [%s]%s\n", json_string_value(json_object_get(c, "change")),
	       json_string_value(json_object_get(c, "package")), json_string_value(json_object_get(c, "arch")),
	       old_v ? old_v : "", old_v && new_v ? " -> " : "", new_v ? new_v : "",
	       json_string_value(json_object_get(c, "suite")),
	       json_is_true(json_object_get(c, "security")) ? "  SECURITY" : "");
}

const struct sl_differ sl_apt_differ = { .diff = diff, .print = print };
