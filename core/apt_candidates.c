/* apt_candidates: per (package, arch) candidate versions of two APT snapshots, merge-joined (see
 * apt_candidates.h). */
#include "core/apt_candidates.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/debver.h"

#define F_PKG 0
#define F_ARCH 1
#define F_VER 2
#define F_SUITE 3
#define F_SUITES 4   /* every suite listing the file ("stable stable-updates"), when more than one */

struct side {
	bool have;                    /* cur holds a group being reduced */
	struct sl_apt_candidate cur;
	int (*flush)(struct side *sd, const struct sl_apt_candidate *c);
	FILE *spill;                  /* old side: candidates written here */
	/* new side: the merge against the old side's file */
	FILE *old;
	bool have_old;                /* next_old holds the old side's next unconsumed candidate */
	struct sl_apt_candidate next_old;
	sl_apt_candidates_cb cb;
	void *arg;
};

bool sl_apt_candidates_security(const char *suite)
{
	return strstr(suite, "-security") != NULL || strstr(suite, "/updates") != NULL;
}

static bool field_fits(const char *v, size_t cap)
{
	return v != NULL && strlen(v) < cap && strpbrk(v, "\t\n") == NULL;
}

static int group_cmp(const struct sl_apt_candidate *a, const struct sl_apt_candidate *b)
{
	int c = strcmp(a->pkg, b->pkg);
	return c != 0 ? c : strcmp(a->arch, b->arch);
}

static int reduce_row(void *arg, const char *path, const char *const *v)
{
	struct side *sd = arg;
	/* Fields a syncer would never write (tabs, oversized) cannot name a package apt installs: skipped. */
	if (!field_fits(v[F_PKG], sizeof sd->cur.pkg) || !field_fits(v[F_ARCH], sizeof sd->cur.arch) ||
	    !field_fits(v[F_VER], sizeof sd->cur.ver) || !field_fits(v[F_SUITE], sizeof sd->cur.suite) ||
	    !field_fits(path, sizeof sd->cur.path))
		return 0;
	/* A file several suites list (a point release folds stable-updates into stable) is catalogued once,
	 * under the first; `suites` names them all, so the change is attributed to every one of them. */
	const char *suite = field_fits(v[F_SUITES], sizeof sd->cur.suite) ? v[F_SUITES] : v[F_SUITE];
	struct sl_apt_candidate w;
	snprintf(w.pkg, sizeof w.pkg, "%s", v[F_PKG]);
	snprintf(w.arch, sizeof w.arch, "%s", v[F_ARCH]);
	snprintf(w.ver, sizeof w.ver, "%s", v[F_VER]);
	snprintf(w.suite, sizeof w.suite, "%s", suite);
	snprintf(w.path, sizeof w.path, "%s", sd->spill != NULL ? "" : path);
	if (sd->have && group_cmp(&sd->cur, &w) == 0) {
		int cmp = sl_debver_cmp_str(w.ver, sd->cur.ver);
		if (cmp > 0 || (cmp == 0 && sl_apt_candidates_security(w.suite) &&
				!sl_apt_candidates_security(sd->cur.suite)))
			sd->cur = w;
		return 0;
	}
	int rc = sd->have ? sd->flush(sd, &sd->cur) : 0;
	sd->cur = w;
	sd->have = true;
	return rc;
}

static int spill(struct side *sd, const struct sl_apt_candidate *c)
{
	if (fprintf(sd->spill, "%s\t%s\t%s\t%s\n", c->pkg, c->arch, c->ver, c->suite) < 0)
		return -EIO;
	return 0;
}

static void read_old(struct side *sd)
{
	char line[1024];
	sd->have_old = false;
	if (fgets(line, sizeof line, sd->old) == NULL)
		return;
	line[strcspn(line, "\n")] = '\0';
	char *f[4], *p = line;
	for (int i = 0; i < 4; i++) {
		f[i] = strsep(&p, "\t");
		if (f[i] == NULL)
			return;
	}
	struct sl_apt_candidate *c = &sd->next_old;
	snprintf(c->pkg, sizeof c->pkg, "%s", f[0]);
	snprintf(c->arch, sizeof c->arch, "%s", f[1]);
	snprintf(c->ver, sizeof c->ver, "%s", f[2]);
	snprintf(c->suite, sizeof c->suite, "%s", f[3]);
	c->path[0] = '\0';
	sd->have_old = true;
}

/* Every old candidate before `upto` (NULL: all that are left) was removed. */
static int drain_old(struct side *sd, const struct sl_apt_candidate *upto)
{
	int rc = 0;
	while (rc == 0 && sd->have_old && (upto == NULL || group_cmp(&sd->next_old, upto) < 0)) {
		rc = sd->cb(sd->arg, "removed", &sd->next_old, NULL);
		read_old(sd);
	}
	return rc;
}

static int merge(struct side *sd, const struct sl_apt_candidate *c)
{
	int rc = drain_old(sd, c);
	if (rc < 0)
		return rc;
	if (sd->have_old && group_cmp(&sd->next_old, c) == 0) {
		int cmp = sl_debver_cmp_str(c->ver, sd->next_old.ver);
		if (cmp != 0)
			rc = sd->cb(sd->arg, cmp > 0 ? "upgraded" : "downgraded", &sd->next_old, c);
		read_old(sd);
		return rc;
	}
	return sd->cb(sd->arg, "added", NULL, c);
}

static const char *const pool_fields[] = { "package", "arch", "version", "suite", "suites" };

static int reduce_snapshot(struct sl_catalog *cat, int64_t id, struct side *sd)
{
	int rc = sl_catalog_snapshot_fields(cat, id, "pool", pool_fields, 5, reduce_row, sd);
	if (rc == 0 && sd->have)
		rc = sd->flush(sd, &sd->cur);
	return rc;
}

int sl_apt_candidates_diff(struct sl_catalog *cat, int64_t old_id, int64_t new_id, sl_apt_candidates_cb cb,
			   void *arg)
{
	FILE *f = tmpfile();
	if (f == NULL)
		return -errno;
	/* on the heap: a side holds two 1.7 KB candidates */
	struct side *olds = calloc(2, sizeof *olds), *news = olds + 1;
	if (olds == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	*olds = (struct side){ .flush = spill, .spill = f };
	int rc = old_id ? reduce_snapshot(cat, old_id, olds) : 0;
	if (rc == 0 && (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0))
		rc = -errno;
	*news = (struct side){ .flush = merge, .old = f, .cb = cb, .arg = arg };
	if (rc == 0) {
		read_old(news);
		rc = reduce_snapshot(cat, new_id, news);
	}
	if (rc == 0)
		rc = drain_old(news, NULL);
	fclose(f);
	free(olds);
	return rc;
}
