/* cmd_diff: what a snapshot changes, readable per format. Each format's differ is one entry in the table
 * below; formats without one get the generic path/digest comparison. */
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

/* ---- apt: packages by name, architecture and suite, in dpkg version order --------------------------- */

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
		snprintf(key, sizeof key, "%s\t%s\t%s", pkg, arch, suite);
		json_t *have = json_object_get(arg, key);
		/* Several versions of one package in one suite: the diff speaks of the newest. */
		if (have == NULL || sl_debver_cmp_str(ver, json_string_value(have)) > 0)
			json_object_set_new(arg, key, json_string(ver));
	}
	json_decref(m);
	return 0;
}

static json_t *apt_change(const char *kind, const char *key, const char *old_v, const char *new_v)
{
	char pkg[256] = "", arch[64] = "", suite[128] = "";
	sscanf(key, "%255[^\t]\t%63[^\t]\t%127s", pkg, arch, suite);
	bool security = strstr(suite, "-security") != NULL || strstr(suite, "/updates") != NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:b}", "change", kind, "package", pkg, "arch", arch, "suite",
			 suite, "old", old_v, "new", new_v, "security", security);
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
		const char *nv = json_string_value(v);
		json_t *c = NULL;
		if (ov == NULL) {
			c = apt_change("added", k, NULL, nv);
		} else {
			int cmp = sl_debver_cmp_str(nv, json_string_value(ov));
			if (cmp != 0)
				c = apt_change(cmp > 0 ? "upgraded" : "downgraded", k, json_string_value(ov), nv);
		}
		if (c != NULL) {
			bump(summary, json_string_value(json_object_get(c, "change")));
			if (json_is_true(json_object_get(c, "security")) && ov != NULL)
				bump(summary, "security");
			json_array_append_new(changes, c);
		}
	}
	json_object_foreach(a, k, v) {
		if (json_object_get(b, k) == NULL) {
			json_array_append_new(changes, apt_change("removed", k, json_string_value(v), NULL));
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

static const struct differ differs[] = {
	{ "apt", diff_apt, print_apt },
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
	const char *sa = json_string_value(json_object_get(*a, "suite"));
	const char *sb = json_string_value(json_object_get(*b, "suite"));
	return strcmp(sa ? sa : "", sb ? sb : "");
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
	struct sl_snapshot_info s;
	int rc = sl_catalog_snapshot_get(cli->cat, new_id, &s);
	if (rc < 0) {
		fprintf(stderr, "sluice: snapshot %lld: %s\n", (long long)new_id, sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	const struct sl_source *src = sl_config_source(cli->cfg, s.source_name);
	int64_t old_id = 0, gen, at;
	if (against != NULL) {
		old_id = sl_cli_snapshot_id(against);
		if (old_id == 0) {
			sl_snapshot_info_release(&s);
			return SL_EXIT_USAGE;
		}
	} else if (sl_catalog_published_get(cli->cat, s.source_id, &old_id, &gen, &at) < 0) {
		old_id = 0; /* nothing published yet: everything is new */
	}
	const struct differ *d = differ_for(src ? src->format->name : "");
	json_t *changes = json_array(), *summary = json_object();
	rc = d->diff(cli, old_id, new_id, changes, summary);
	changes = sorted(changes);
	if (rc < 0) {
		fprintf(stderr, "sluice: diff: %s\n", sl_strerror(rc));
	} else if (cli->json) {
		sl_cli_json_out(json_pack("{s:s, s:s, s:I, s:I, s:O, s:O}", "source", s.source_name, "format",
					  src ? src->format->name : "", "from", (json_int_t)old_id, "to",
					  (json_int_t)new_id, "changes", changes, "summary", summary));
	} else {
		if (old_id)
			printf("snapshot %lld (%s, %s) against snapshot %lld%s:\n", (long long)new_id, s.source_name,
			       sl_snap_state_name(s.state), (long long)old_id, against ? "" : " (published)");
		else
			printf("snapshot %lld (%s, %s): nothing published yet, everything is new:\n", (long long)new_id,
			       s.source_name, sl_snap_state_name(s.state));
		for (size_t i = 0; i < json_array_size(changes); i++)
			d->print(json_array_get(changes, i));
		if (json_array_size(changes) == 0)
			printf("  (no changes)\n");
		printf("summary:");
		const char *k;
		json_t *v;
		json_object_foreach(summary, k, v)
			printf(" %s %lld", k, (long long)json_integer_value(v));
		printf("\n");
	}
	json_decref(changes);
	json_decref(summary);
	sl_snapshot_info_release(&s);
	return rc < 0 ? SL_EXIT_FAIL : SL_EXIT_OK;
}
