/* cmd_diff: what a snapshot changes, readable per format: the format's differ (admin/diff_<format>.c,
 * reached through its row in core/format.c), or for a format without one the generic path/digest
 * comparison here. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/cli.h"
#include "admin/diff.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"


/* ---- generic: by path and digest -------------------------------------------------------------------- */

static int collect_paths(void *arg, const struct sl_entry *e)
{
	json_object_set_new(arg, e->path, json_string(e->sha256));
	return 0;
}

static int load_paths(struct sl_catalog *cat, int64_t id, json_t **out)
{
	*out = json_object();
	if (id == 0)
		return 0;
	return sl_catalog_snapshot_entries(cat, id, collect_paths, *out);
}

void sl_diff_bump(json_t *summary, const char *key)
{
	json_int_t n = json_integer_value(json_object_get(summary, key));
	json_object_set_new(summary, key, json_integer(n + 1));
}

/* Keep the first failure; a change after it is dropped. */
static int emit_unless_failed(struct sl_diff_out *out, json_t *c, int rc)
{
	if (rc == 0)
		return sl_diff_emit(out, c);
	json_decref(c);
	return rc;
}

static int diff_generic(struct sl_catalog *cat, int64_t old_id, int64_t new_id, struct sl_diff_out *out,
			json_t *summary)
{
	json_t *a = NULL, *b = NULL;
	int rc = load_paths(cat, old_id, &a);
	if (rc == 0)
		rc = load_paths(cat, new_id, &b);
	const char *k;
	json_t *v;
	json_object_foreach(b, k, v) {
		json_t *ov = json_object_get(a, k);
		if (ov == NULL) {
			json_t *c = json_pack("{s:s, s:s, s:s}", "change", "added", "path", k, "new", json_string_value(v));
			rc = emit_unless_failed(out, c, rc);
			sl_diff_bump(summary, "added");
		} else if (!json_equal(ov, v)) {
			json_t *c = json_pack("{s:s, s:s, s:s, s:s}", "change", "changed", "path", k, "old",
					      json_string_value(ov), "new", json_string_value(v));
			rc = emit_unless_failed(out, c, rc);
			sl_diff_bump(summary, "changed");
		}
	}
	json_object_foreach(a, k, v) {
		if (json_object_get(b, k) == NULL) {
			json_t *c = json_pack("{s:s, s:s, s:s}", "change", "removed", "path", k, "old", json_string_value(v));
			rc = emit_unless_failed(out, c, rc);
			sl_diff_bump(summary, "removed");
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

static const struct sl_differ generic = { .diff = diff_generic, .print = print_generic };

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

static int print_one(void *arg, const json_t *change)
{
	const struct sl_differ *d = arg;
	d->print(change);
	return 0;
}

/* --json, streamed: exactly what json_dumpf(JSON_INDENT(2) | JSON_SORT_KEYS) prints for
 * {"changes": [...], "format", "from", "source", "summary", "to"}, with the changes read back one at a time
 * ("changes" sorts first, so the rest follows them). */
struct json_stream {
	bool first;
};

static int json_one(void *arg, const json_t *change)
{
	struct json_stream *js = arg;
	char *txt = json_dumps(change, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (txt == NULL)
		return -ENOMEM;
	fputs(js->first ? "\n    " : ",\n    ", stdout);
	js->first = false;
	for (const char *p = txt; *p; p++) {
		putchar(*p);
		if (*p == '\n')
			fputs("    ", stdout);
	}
	free(txt);
	return 0;
}

static int json_out(struct sl_diff_out *out, json_t *rest)
{
	char *tail = json_dumps(rest, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(rest);
	if (tail == NULL)
		return -ENOMEM;
	fputs("{\n  \"changes\": [", stdout);
	struct json_stream js = { .first = true };
	int rc = sl_diff_out_each(out, json_one, &js);
	fputs(js.first ? "]" : "\n  ]", stdout);
	/* tail is "{\n  \"format\": ..." : its members continue the object. */
	printf(",\n%s\n", tail + 2);
	free(tail);
	return rc;
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
	const struct sl_differ *d = src != NULL && src->format->diff != NULL ? src->format->diff : &generic;
	json_t *summary = json_object();
	struct sl_diff_out *out = sl_diff_out_new(d->ordered);
	rc = out == NULL || summary == NULL ? -ENOMEM : d->diff(cli->cat, old_id, new_id, out, summary);
	if (rc < 0) {
		fprintf(stderr, "sluice: diff of snapshot %lld of %s: %s\n", (long long)new_id, s.source_name,
			sl_strerror(rc));
	} else if (cli->json) {
		rc = json_out(out, json_pack("{s:s, s:s, s:I, s:I, s:O}", "source", s.source_name, "format",
					     src ? src->format->name : "", "from", (json_int_t)old_id, "to", (json_int_t)new_id,
					     "summary", summary));
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
		rc = sl_diff_out_each(out, print_one, (void *)d);
		if (sl_diff_out_count(out) == 0)
			printf("  (no changes)\n");
		print_summary(summary);
	}
	if (rc < 0 && rc != -SL_E_CATALOG)
		fprintf(stderr, "sluice: diff of snapshot %lld: %s\n", (long long)new_id, sl_strerror(rc));
	sl_diff_out_free(out);
	json_decref(summary);
	sl_snapshot_info_release(&s);
	return rc < 0 ? SL_EXIT_FAIL : SL_EXIT_OK;
}
