/* diff_rpm: what an RPM snapshot changes, per package name and architecture, in rpm version order (the
 * newest EVR of a name.arch is what dnf installs, so that is what the diff speaks of), and the advisories
 * (id, type, severity, CVEs) the change brings: those of the new snapshot's updateinfo (the syncer keeps the
 * ones about mirrored packages in the entry's meta) that name a package the old snapshot did not have. */
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

struct snap {
	json_t *newest;       /* "name\tarch" -> the newest {"epoch","version","release"} */
	json_t *nevras;       /* "name-epoch:version-release.arch" -> true, every package */
	json_t *advisories;   /* id -> {"type","severity","cves","packages"} */
};

static int collect(void *arg, const struct sl_entry *e)
{
	struct snap *sn = arg;
	if (strcmp(e->role, "metadata") == 0 && e->meta_json != NULL) {
		json_t *m = json_loads(e->meta_json, 0, NULL);
		json_t *adv = json_object_get(m, "advisories");
		if (json_is_object(adv))
			json_object_update(sn->advisories, adv);
		json_decref(m);
		return 0;
	}
	if (strcmp(e->role, "package") != 0 || e->meta_json == NULL)
		return 0;
	json_t *m = json_loads(e->meta_json, 0, NULL);
	const char *name = json_string_value(json_object_get(m, "name"));
	const char *arch = json_string_value(json_object_get(m, "arch"));
	if (name != NULL && arch != NULL) {
		char key[512], nevra[1024];
		snprintf(key, sizeof key, "%s\t%s", name, arch);
		json_t *have = json_object_get(sn->newest, key);
		if (have == NULL || evr_cmp(m, have) > 0)
			json_object_set(sn->newest, key, m);
		snprintf(nevra, sizeof nevra, "%s-%s:%s-%s.%s", name, json_string_value(json_object_get(m, "epoch")) ?: "0",
			 json_string_value(json_object_get(m, "version")) ?: "", json_string_value(json_object_get(m, "release")) ?: "",
			 arch);
		json_object_set_new(sn->nevras, nevra, json_true());
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

/* Advisories of the new snapshot that name a package the old one did not have: what this change brings. */
static int advisories(const struct snap *a, const struct snap *b, struct sl_diff_out *out, json_t *summary)
{
	const char *id;
	json_t *adv;
	json_object_foreach(b->advisories, id, adv) {
		json_t *brought = json_array();
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(adv, "packages"), i, p)
			if (json_is_string(p) && json_object_get(a->nevras, json_string_value(p)) == NULL &&
			    json_object_get(b->nevras, json_string_value(p)) != NULL)
				json_array_append(brought, p);
		if (json_array_size(brought) == 0) {
			json_decref(brought);
			continue;
		}
		json_t *c = json_pack("{s:s, s:s, s:s?, s:s?, s:O?, s:o}", "change", "advisory", "id", id, "type",
				      json_string_value(json_object_get(adv, "type")), "severity",
				      json_string_value(json_object_get(adv, "severity")), "cves",
				      json_object_get(adv, "cves"), "packages", brought);
		if (c == NULL)
			continue;
		sl_diff_bump(summary, "advisory");
		const char *type = json_string_value(json_object_get(adv, "type"));
		if (type != NULL && strcmp(type, "security") == 0)
			sl_diff_bump(summary, "security");
		int rc = sl_diff_emit(out, c);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int diff(struct sl_catalog *cat, int64_t old_id, int64_t new_id, struct sl_diff_out *out, json_t *summary)
{
	struct snap a = { json_object(), json_object(), json_object() }, b = { json_object(), json_object(), json_object() };
	int rc = old_id ? sl_catalog_snapshot_entries(cat, old_id, collect, &a) : 0;
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(cat, new_id, collect, &b);
	const char *k;
	json_t *v;
	json_object_foreach(b.newest, k, v) {
		json_t *ov = json_object_get(a.newest, k);
		json_t *c = NULL;
		if (ov == NULL) {
			c = change("added", k, NULL, v);
		} else {
			int cmp = evr_cmp(v, ov);
			if (cmp != 0)
				c = change(cmp > 0 ? "upgraded" : "downgraded", k, ov, v);
		}
		if (c != NULL && rc == 0) {
			sl_diff_bump(summary, json_string_value(json_object_get(c, "change")));
			rc = sl_diff_emit(out, c);
		} else {
			json_decref(c);
		}
	}
	json_object_foreach(a.newest, k, v) {
		if (json_object_get(b.newest, k) == NULL && rc == 0) {
			json_t *c = change("removed", k, v, NULL);
			if (c == NULL)
				continue;
			rc = sl_diff_emit(out, c);
			sl_diff_bump(summary, "removed");
		}
	}
	if (rc == 0)
		rc = advisories(&a, &b, out, summary);
	json_t *all[] = { a.newest, a.nevras, a.advisories, b.newest, b.nevras, b.advisories };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		json_decref(all[i]);
	return rc;
}

static void print(const json_t *c)
{
	if (strcmp(json_string_value(json_object_get(c, "change")) ?: "", "advisory") == 0) {
		printf("  %-10s %-32s %-8s %s", "advisory", json_string_value(json_object_get(c, "id")),
		       json_string_value(json_object_get(c, "type")) ?: "", json_string_value(json_object_get(c, "severity")) ?: "");
		size_t i;
		json_t *x;
		json_array_foreach(json_object_get(c, "cves"), i, x)
			printf("%s%s", i == 0 ? "  " : ",", json_string_value(x));
		printf("\n");
		return;
	}
	const char *old_v = json_string_value(json_object_get(c, "old"));
	const char *new_v = json_string_value(json_object_get(c, "new"));
	printf("  %-10s %-32s %-8s %s%s%s\n", json_string_value(json_object_get(c, "change")),
	       json_string_value(json_object_get(c, "package")), json_string_value(json_object_get(c, "arch")),
	       old_v ? old_v : "", old_v && new_v ? " -> " : "", new_v ? new_v : "");
}

const struct sl_differ sl_rpm_differ = { .diff = diff, .print = print };
