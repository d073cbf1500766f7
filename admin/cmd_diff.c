/* cmd_diff: what a snapshot changes, readable per format. Each format's differ is one entry in the table
 * below; formats without one get the generic path/digest comparison. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/cli.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/debver.h"
#include "core/error.h"

struct differ {
	const char *format;
	/* Compare `old` (0: nothing) with `new`; fill `changes` (array) and `summary` (object). */
	int (*diff)(struct sl_cli *cli, int64_t old_id, int64_t new_id, json_t *changes, json_t *summary);
	void (*print)(const json_t *change);
};

/* ---- generic: by path and digest -------------------------------------------------------------------- */

static int collect_paths(void *arg, const struct sl_entry *e)
{
	json_object_set_new(arg, e->path, json_string(e->sha256));
	return 0;
}

static int load_paths(struct sl_cli *cli, int64_t id, json_t **out)
{
	*out = json_object();
	if (id == 0)
		return 0;
	return sl_catalog_snapshot_entries(cli->cat, id, collect_paths, *out);
}

static void bump(json_t *summary, const char *key)
{
	json_int_t n = json_integer_value(json_object_get(summary, key));
	json_object_set_new(summary, key, json_integer(n + 1));
}

static int diff_generic(struct sl_cli *cli, int64_t old_id, int64_t new_id, json_t *changes, json_t *summary)
{
	json_t *a = NULL, *b = NULL;
	int rc = load_paths(cli, old_id, &a);
	if (rc == 0)
		rc = load_paths(cli, new_id, &b);
	const char *k;
	json_t *v;
	json_object_foreach(b, k, v) {
		json_t *ov = json_object_get(a, k);
		if (ov == NULL) {
			json_array_append_new(changes, json_pack("{s:s, s:s, s:s}", "change", "added", "path", k, "new",
								 json_string_value(v)));
			bump(summary, "added");
		} else if (!json_equal(ov, v)) {
			json_array_append_new(changes, json_pack("{s:s, s:s, s:s, s:s}", "change", "changed", "path", k, "old",
								 json_string_value(ov), "new", json_string_value(v)));
			bump(summary, "changed");
		}
	}
	json_object_foreach(a, k, v) {
		if (json_object_get(b, k) == NULL) {
			json_array_append_new(changes, json_pack("{s:s, s:s, s:s}", "change", "removed", "path", k, "old",
								 json_string_value(v)));
			bump(summary, "removed");
		}
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

static void print_generic(const json_t *c)
{
	printf("  %-10s %s\n", json_string_value(json_object_get(c, "change")),
	       json_string_value(json_object_get(c, "path")));
}

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

static int diff_apt(struct sl_cli *cli, int64_t old_id, int64_t new_id, json_t *changes, json_t *summary)
{
	json_t *a = json_object(), *b = json_object();
	int rc = old_id ? sl_catalog_snapshot_entries(cli->cat, old_id, collect_pkgs, a) : 0;
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(cli->cat, new_id, collect_pkgs, b);
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
			bump(summary, json_string_value(json_object_get(c, "change")));
			if (json_is_true(json_object_get(c, "security")))
				bump(summary, "security");
			json_array_append_new(changes, c);
		}
	}
	json_object_foreach(a, k, v) {
		if (json_object_get(b, k) == NULL) {
			json_array_append_new(changes, apt_change("removed", k, v, NULL));
			bump(summary, "removed");
		}
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

static void print_apt(const json_t *c)
{
	const char *old_v = json_string_value(json_object_get(c, "old"));
	const char *new_v = json_string_value(json_object_get(c, "new"));
	printf("  %-10s %-32s %-6s %s%s%s  [%s]%s\n", json_string_value(json_object_get(c, "change")),
	       json_string_value(json_object_get(c, "package")), json_string_value(json_object_get(c, "arch")),
	       old_v ? old_v : "", old_v && new_v ? " -> " : "", new_v ? new_v : "",
	       json_string_value(json_object_get(c, "suite")),
	       json_is_true(json_object_get(c, "security")) ? "  SECURITY" : "");
}

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

static int diff_clamav(struct sl_cli *cli, int64_t old_id, int64_t new_id, json_t *changes, json_t *summary)
{
	json_t *a = json_object(), *b = json_object();
	int rc = old_id ? sl_catalog_snapshot_entries(cli->cat, old_id, collect_cvds, a) : 0;
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(cli->cat, new_id, collect_cvds, b);
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
		json_array_append_new(changes, c);
		bump(summary, kind);
	}
	json_object_foreach(a, k, v) {
		if (json_object_get(b, k) == NULL) {
			json_array_append_new(changes, json_pack("{s:s, s:s, s:I, s:I}", "change", "removed", "path", k,
								 "old_version", json_integer_value(json_object_get(v, "version")),
								 "old_sigs", json_integer_value(json_object_get(v, "sigs"))));
			bump(summary, "removed");
		}
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

static void print_clamav(const json_t *c)
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

static int diff_oci(struct sl_cli *cli, int64_t old_id, int64_t new_id, json_t *changes, json_t *summary)
{
	json_t *a = json_object(), *b = json_object();
	int rc = old_id ? sl_catalog_snapshot_entries(cli->cat, old_id, collect_oci_tags, a) : 0;
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(cli->cat, new_id, collect_oci_tags, b);
	const char *k;
	json_t *v;
	json_object_foreach(b, k, v) {
		json_t *ov = json_object_get(a, k);
		const char *nd = json_string_value(json_object_get(v, "digest"));
		const char *od = ov != NULL ? json_string_value(json_object_get(ov, "digest")) : NULL;
		const char *kind = ov == NULL ? "added" : (strcmp(nd, od ? od : "") != 0 ? "moved" : NULL);
		if (kind == NULL)
			continue;
		json_array_append_new(changes, json_pack("{s:s, s:s, s:s?, s:s, s:o, s:o}", "change", kind, "path", k,
							 "old", od, "new", nd, "old_platforms",
							 ov != NULL ? oci_platforms(ov) : json_array(), "new_platforms",
							 oci_platforms(v)));
		bump(summary, kind);
	}
	json_object_foreach(a, k, v) {
		if (json_object_get(b, k) == NULL) {
			json_array_append_new(changes, json_pack("{s:s, s:s, s:s, s:o, s:o}", "change", "removed", "path", k,
								 "old", json_string_value(json_object_get(v, "digest")),
								 "old_platforms", oci_platforms(v), "new_platforms",
								 json_array()));
			bump(summary, "removed");
		}
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

static void print_oci(const json_t *c)
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

static const struct differ differs[] = {
	{ "apt", diff_apt, print_apt },
	{ "clamav", diff_clamav, print_clamav },
	{ "oci", diff_oci, print_oci },
};

static const struct differ generic = { NULL, diff_generic, print_generic };

static const struct differ *differ_for(const char *format)
{
	for (size_t i = 0; i < sizeof differs / sizeof differs[0]; i++)
		if (strcmp(differs[i].format, format) == 0)
			return &differs[i];
	return &generic;
}

static int cmp_changes(const void *x, const void *y)
{
	/* Stable, readable order: by change kind, then by what changed. */
	json_t *const *a = x, *const *b = y;
	int c = strcmp(json_string_value(json_object_get(*a, "change")), json_string_value(json_object_get(*b, "change")));
	if (c != 0)
		return c;
	const char *ka = json_string_value(json_object_get(*a, "package"));
	const char *kb = json_string_value(json_object_get(*b, "package"));
	if (ka == NULL) {
		ka = json_string_value(json_object_get(*a, "path"));
		kb = json_string_value(json_object_get(*b, "path"));
	}
	c = strcmp(ka ? ka : "", kb ? kb : "");
	if (c != 0)
		return c;
	static const char *const tie[] = { "arch", "suite" };
	for (size_t i = 0; i < sizeof tie / sizeof tie[0]; i++) {
		const char *sa = json_string_value(json_object_get(*a, tie[i]));
		const char *sb = json_string_value(json_object_get(*b, tie[i]));
		c = strcmp(sa ? sa : "", sb ? sb : "");
		if (c != 0)
			return c;
	}
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* "summary: added 2 removed 1 ...", keys in byte order so the line is stable (golden files). */
static void print_summary(const json_t *summary)
{
	size_t n = json_object_size(summary), i = 0;
	const char **keys = calloc(n ? n : 1, sizeof *keys);
	const char *k;
	json_t *v;
	printf("summary:");
	if (keys == NULL) {
		printf(" (out of memory)\n");
		return;
	}
	json_object_foreach((json_t *)summary, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof *keys, cmp_str);
	for (i = 0; i < n; i++)
		printf(" %s %lld", keys[i], (long long)json_integer_value(json_object_get(summary, keys[i])));
	printf("%s\n", n == 0 ? " no changes" : "");
	free(keys);
}

static json_t *sorted(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof *v);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof *v, cmp_changes);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

int sl_cmd_diff(struct sl_cli *cli, int argc, char **argv)
{
	int64_t new_id = sl_cli_snapshot_id(sl_cli_positional(argc, argv, 0));
	const char *against = NULL;
	if (new_id == 0 || sl_cli_opt(argc, argv, "--against", &against) < 0)
		return SL_EXIT_USAGE;
	int64_t old_id = 0, gen, at;
	if (against != NULL) {
		old_id = sl_cli_snapshot_id(against);
		if (old_id == 0)
			return SL_EXIT_USAGE;
	}
	struct sl_snapshot_info s;
	int rc = sl_catalog_snapshot_get(cli->cat, new_id, &s);
	if (rc < 0) {
		fprintf(stderr, "sluice: snapshot %lld: %s (see sluice snapshots)\n", (long long)new_id, sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	if (old_id != 0) {
		struct sl_snapshot_info o;
		rc = sl_catalog_snapshot_get(cli->cat, old_id, &o);
		bool same = rc == 0 && o.source_id == s.source_id;
		if (rc < 0)
			fprintf(stderr, "sluice: --against snapshot %lld: %s (see sluice snapshots %s)\n", (long long)old_id,
				sl_strerror(rc), s.source_name);
		else if (!same)
			fprintf(stderr, "sluice: snapshot %lld is of %s, snapshot %lld of %s: diff compares snapshots of one "
					"source (see sluice snapshots %s)\n",
				(long long)new_id, s.source_name, (long long)old_id, o.source_name, s.source_name);
		if (rc == 0)
			sl_snapshot_info_release(&o);
		if (!same) {
			sl_snapshot_info_release(&s);
			return SL_EXIT_FAIL;
		}
	} else if (sl_catalog_published_get(cli->cat, s.source_id, &old_id, &gen, &at) < 0) {
		old_id = 0; /* nothing published yet: everything is new */
	}
	const struct sl_source *src = sl_config_source(cli->cfg, s.source_name);
	const struct differ *d = differ_for(src ? src->format->name : "");
	json_t *changes = json_array(), *summary = json_object();
	rc = d->diff(cli, old_id, new_id, changes, summary);
	changes = sorted(changes);
	if (rc < 0) {
		fprintf(stderr, "sluice: diff of snapshot %lld of %s: %s\n", (long long)new_id, s.source_name,
			sl_strerror(rc));
	} else if (cli->json) {
		sl_cli_json_out(json_pack("{s:s, s:s, s:I, s:I, s:O, s:O}", "source", s.source_name, "format",
					  src ? src->format->name : "", "from", (json_int_t)old_id, "to",
					  (json_int_t)new_id, "changes", changes, "summary", summary));
	} else {
		if (old_id == new_id)
			printf("snapshot %lld (%s, %s) is the published one:\n", (long long)new_id, s.source_name,
			       sl_snap_state_name(s.state));
		else if (old_id)
			printf("snapshot %lld (%s, %s) against snapshot %lld%s:\n", (long long)new_id, s.source_name,
			       sl_snap_state_name(s.state), (long long)old_id, against ? "" : " (published)");
		else
			printf("snapshot %lld (%s, %s): nothing published yet, everything is new:\n", (long long)new_id,
			       s.source_name, sl_snap_state_name(s.state));
		for (size_t i = 0; i < json_array_size(changes); i++)
			d->print(json_array_get(changes, i));
		if (json_array_size(changes) == 0)
			printf("  (no changes)\n");
		print_summary(summary);
	}
	json_decref(changes);
	json_decref(summary);
	sl_snapshot_info_release(&s);
	return rc < 0 ? SL_EXIT_FAIL : SL_EXIT_OK;
}
