/* diff_apt: what an APT snapshot changes, per package and architecture. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/diff.h"
#include "core/catalog.h"
#include "core/debver.h"

/* A security suite by Debian's and Ubuntu's naming (bookworm-security, jammy-security, old
 * squeeze/updates). */
static bool security_suite(const char *suite)
{
	return strstr(suite, "-security") != NULL || strstr(suite, "/updates") != NULL;
}

/* The version clients would install per (package, arch): with several suites (bookworm,
 * bookworm-security) the highest version is what apt installs, so that is what the diff speaks of; a tie
 * is attributed to a security suite, so a fix that also reached the point release is still marked.
 *
 * Both snapshots are streamed from the catalogue ordered by (package, arch) and reduced to one winner per
 * group; the old snapshot's winners go to a temporary file, the new one's are merge-joined against it as
 * they come. Memory is flat whatever the number of packages, and each kind of change comes out in
 * (package, arch) order, which is the output order (sl_differ.ordered). */

#define F_PKG 0
#define F_ARCH 1
#define F_VER 2
#define F_SUITE 3
#define F_SUITES 4   /* every suite listing the file ("stable stable-updates"), when more than one */

struct winner {
	bool have;
	char pkg[256], arch[64], ver[256], suite[128];
};

struct side {
	struct winner cur;            /* the group being reduced */
	int (*flush)(struct side *sd, const struct winner *w);
	FILE *spill;                  /* old side: winners written here */
	/* new side: the merge against the old side's file */
	FILE *old;
	struct winner next_old;       /* the old side's next unconsumed winner (have = false: none left) */
	struct sl_diff_out *out;
	json_t *summary;
	int err;
};

static bool field_fits(const char *v, size_t cap)
{
	return v != NULL && strlen(v) < cap && strpbrk(v, "\t\n") == NULL;
}

static int group_cmp(const struct winner *a, const struct winner *b)
{
	int c = strcmp(a->pkg, b->pkg);
	return c != 0 ? c : strcmp(a->arch, b->arch);
}

static int reduce_row(void *arg, const char *path, const char *const *v)
{
	struct side *sd = arg;
	(void)path;
	/* Fields a syncer would never write (tabs, oversized) cannot name a package apt installs: skipped. */
	if (!field_fits(v[F_PKG], sizeof sd->cur.pkg) || !field_fits(v[F_ARCH], sizeof sd->cur.arch) ||
	    !field_fits(v[F_VER], sizeof sd->cur.ver) || !field_fits(v[F_SUITE], sizeof sd->cur.suite))
		return 0;
	/* A file several suites list (a point release folds stable-updates into stable) is catalogued once,
	 * under the first; `suites` names them all, so the change is attributed to every one of them. */
	const char *suite = field_fits(v[F_SUITES], sizeof sd->cur.suite) ? v[F_SUITES] : v[F_SUITE];
	struct winner w = { .have = true };
	snprintf(w.pkg, sizeof w.pkg, "%s", v[F_PKG]);
	snprintf(w.arch, sizeof w.arch, "%s", v[F_ARCH]);
	snprintf(w.ver, sizeof w.ver, "%s", v[F_VER]);
	snprintf(w.suite, sizeof w.suite, "%s", suite);
	if (sd->cur.have && group_cmp(&sd->cur, &w) == 0) {
		int cmp = sl_debver_cmp_str(w.ver, sd->cur.ver);
		if (cmp > 0 || (cmp == 0 && security_suite(w.suite) && !security_suite(sd->cur.suite)))
			sd->cur = w;
		return 0;
	}
	int rc = sd->cur.have ? sd->flush(sd, &sd->cur) : 0;
	sd->cur = w;
	return rc;
}

static int spill_winner(struct side *sd, const struct winner *w)
{
	if (fprintf(sd->spill, "%s\t%s\t%s\t%s\n", w->pkg, w->arch, w->ver, w->suite) < 0)
		return -EIO;
	return 0;
}

static void read_old(struct side *sd)
{
	char line[1024];
	sd->next_old.have = false;
	if (fgets(line, sizeof line, sd->old) == NULL)
		return;
	line[strcspn(line, "\n")] = '\0';
	char *f[4], *p = line;
	for (int i = 0; i < 4; i++) {
		f[i] = strsep(&p, "\t");
		if (f[i] == NULL)
			return;
	}
	struct winner *w = &sd->next_old;
	snprintf(w->pkg, sizeof w->pkg, "%s", f[0]);
	snprintf(w->arch, sizeof w->arch, "%s", f[1]);
	snprintf(w->ver, sizeof w->ver, "%s", f[2]);
	snprintf(w->suite, sizeof w->suite, "%s", f[3]);
	w->have = true;
}

static int emit(struct side *sd, const char *kind, const struct winner *old_w, const struct winner *new_w)
{
	/* Where the change comes from: the new version's suite, or for a removal the old one's. */
	const struct winner *from = new_w != NULL ? new_w : old_w;
	bool security = new_w != NULL && security_suite(new_w->suite);
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:b}", "change", kind, "package", from->pkg, "arch",
			      from->arch, "suite", from->suite, "old", old_w ? old_w->ver : NULL, "new",
			      new_w ? new_w->ver : NULL, "security", security);
	if (c == NULL)
		return -ENOMEM;
	sl_diff_bump(sd->summary, kind);
	if (security)
		sl_diff_bump(sd->summary, "security");
	return sl_diff_emit(sd->out, c);
}

/* Every old winner before `upto` (NULL: all that are left) was removed. */
static int drain_old(struct side *sd, const struct winner *upto)
{
	int rc = 0;
	while (rc == 0 && sd->next_old.have && (upto == NULL || group_cmp(&sd->next_old, upto) < 0)) {
		rc = emit(sd, "removed", &sd->next_old, NULL);
		read_old(sd);
	}
	return rc;
}

static int merge_winner(struct side *sd, const struct winner *w)
{
	int rc = drain_old(sd, w);
	if (rc < 0)
		return rc;
	if (sd->next_old.have && group_cmp(&sd->next_old, w) == 0) {
		int cmp = sl_debver_cmp_str(w->ver, sd->next_old.ver);
		if (cmp != 0)
			rc = emit(sd, cmp > 0 ? "upgraded" : "downgraded", &sd->next_old, w);
		read_old(sd);
		return rc;
	}
	return emit(sd, "added", NULL, w);
}

static const char *const pool_fields[] = { "package", "arch", "version", "suite", "suites" };

static int reduce_snapshot(struct sl_catalog *cat, int64_t id, struct side *sd)
{
	int rc = sl_catalog_snapshot_fields(cat, id, "pool", pool_fields, 5, reduce_row, sd);
	if (rc == 0 && sd->cur.have)
		rc = sd->flush(sd, &sd->cur);
	return rc;
}

static int diff(struct sl_catalog *cat, int64_t old_id, int64_t new_id, struct sl_diff_out *out, json_t *summary)
{
	FILE *f = tmpfile();
	if (f == NULL)
		return -errno;
	struct side olds = { .flush = spill_winner, .spill = f };
	int rc = old_id ? reduce_snapshot(cat, old_id, &olds) : 0;
	if (rc == 0 && (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0))
		rc = -errno;
	struct side news = { .flush = merge_winner, .old = f, .out = out, .summary = summary };
	if (rc == 0) {
		read_old(&news);
		rc = reduce_snapshot(cat, new_id, &news);
	}
	if (rc == 0)
		rc = drain_old(&news, NULL);
	fclose(f);
	return rc;
}

static void print(const json_t *c)
{
	const char *old_v = json_string_value(json_object_get(c, "old"));
	const char *new_v = json_string_value(json_object_get(c, "new"));
	/* "stable stable-updates" reads as [stable, stable-updates] */
	char suites[160];
	const char *s = json_string_value(json_object_get(c, "suite"));
	size_t n = 0;
	for (; s != NULL && *s != '\0' && n + 3 < sizeof suites; s++) {
		if (*s == ' ')
			suites[n++] = ',';
		suites[n++] = *s;
	}
	suites[n] = '\0';
	printf("  %-10s %-32s %-6s %s%s%s  [%s]%s\n", json_string_value(json_object_get(c, "change")),
	       json_string_value(json_object_get(c, "package")), json_string_value(json_object_get(c, "arch")),
	       old_v ? old_v : "", old_v && new_v ? " -> " : "", new_v ? new_v : "", suites,
	       json_is_true(json_object_get(c, "security")) ? "  SECURITY" : "");
}

const struct sl_differ sl_apt_differ = { .diff = diff, .print = print, .ordered = true };
