/* diff_out: where differs put their changes (diff.h). Unordered differs' changes are kept in memory and
 * sorted at the end (they are few: tags, databases, paths); an ordered differ's changes are appended, one
 * compact JSON line each, to one temporary file per kind, so a diff of 60,000 packages holds none of them
 * in memory. Either way they come back grouped by kind in byte order of the kind's name, each kind in
 * (package or path, arch, suite) order. */
#include "admin/diff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"

#define KIND_NAME_MAX 32    /* bytes of a kind's name: they are single words */

struct kind_file {
	char name[KIND_NAME_MAX];
	FILE *f;
};

struct sl_diff_out {
	bool ordered;
	json_t *mem;                   /* !ordered */
	struct kind_file kinds[SL_MAX_DIFF_KINDS];
	unsigned nkinds;
	uint64_t n;
};

struct sl_diff_out *sl_diff_out_new(bool ordered)
{
	struct sl_diff_out *o = calloc(1, sizeof *o);
	if (o == NULL)
		return NULL;
	o->ordered = ordered;
	if (!ordered && (o->mem = json_array()) == NULL) {
		free(o);
		return NULL;
	}
	return o;
}

void sl_diff_out_free(struct sl_diff_out *o)
{
	if (o == NULL)
		return;
	json_decref(o->mem);
	for (unsigned i = 0; i < o->nkinds; i++)
		fclose(o->kinds[i].f);
	free(o);
}

uint64_t sl_diff_out_count(const struct sl_diff_out *o)
{
	return o->n;
}

static struct kind_file *kind_get(struct sl_diff_out *o, const char *kind)
{
	for (unsigned i = 0; i < o->nkinds; i++)
		if (strcmp(o->kinds[i].name, kind) == 0)
			return &o->kinds[i];
	if (o->nkinds == SL_MAX_DIFF_KINDS || strlen(kind) >= KIND_NAME_MAX)
		return NULL;
	struct kind_file *k = &o->kinds[o->nkinds];
	k->f = tmpfile();
	if (k->f == NULL)
		return NULL;
	snprintf(k->name, sizeof k->name, "%s", kind);
	o->nkinds++;
	return k;
}

int sl_diff_emit(struct sl_diff_out *o, json_t *change)
{
	if (change == NULL)
		return -ENOMEM;
	o->n++;
	if (!o->ordered)
		return json_array_append_new(o->mem, change) == 0 ? 0 : -ENOMEM;
	const char *kind = json_string_value(json_object_get(change, "change"));
	struct kind_file *k = kind != NULL ? kind_get(o, kind) : NULL;
	char *line = k != NULL ? json_dumps(change, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(change);
	if (line == NULL)
		return k == NULL && kind != NULL ? -EMFILE : -ENOMEM;
	int rc = fprintf(k->f, "%s\n", line) < 0 ? -EIO : 0;
	free(line);
	return rc;
}

/* Stable, readable order: by change kind, then by what changed. */
static int cmp_changes(const void *x, const void *y)
{
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

static int each_mem(struct sl_diff_out *o, int (*cb)(void *arg, const json_t *change), void *arg)
{
	size_t n = json_array_size(o->mem);
	json_t **v = calloc(n ? n : 1, sizeof *v);
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(o->mem, i);
	qsort(v, n, sizeof *v, cmp_changes);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = cb(arg, v[i]);
	free(v);
	return rc;
}

static int cmp_kinds(const void *x, const void *y)
{
	return strcmp(((const struct kind_file *)x)->name, ((const struct kind_file *)y)->name);
}

int sl_diff_out_each(struct sl_diff_out *o, int (*cb)(void *arg, const json_t *change), void *arg)
{
	if (!o->ordered)
		return each_mem(o, cb, arg);
	qsort(o->kinds, o->nkinds, sizeof o->kinds[0], cmp_kinds);
	char *line = malloc(SL_MAX_DIFF_LINE);
	if (line == NULL)
		return -ENOMEM;
	int rc = 0;
	for (unsigned i = 0; rc == 0 && i < o->nkinds; i++) {
		FILE *f = o->kinds[i].f;
		if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) {
			rc = -errno;
			break;
		}
		while (rc == 0 && fgets(line, SL_MAX_DIFF_LINE, f) != NULL) {
			json_t *c = json_loads(line, 0, NULL);
			rc = c != NULL ? cb(arg, c) : -EIO;
			json_decref(c);
		}
	}
	free(line);
	return rc;
}
