/* rpm_depsolve: the `packages =` closure over primary.xml with libsolv (see rpm_depsolve.h). */
#include "core/rpm_depsolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <solv/bitmap.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/queue.h>
#include <solv/repo.h>
#include <solv/repo_rpmmd.h>

#include "core/decomp.h"
#include "core/error.h"
#include "core/limits.h"

struct sl_rpm_solver {
	Pool *pool;
	Id archs[16];
	size_t narchs;
	Map selected;
	bool closed;
	size_t count;
};

struct sl_rpm_solver *sl_rpm_solver_new(const char *const *archs, size_t narchs, char **cause)
{
	if (narchs == 0 || narchs > 16) {
		sl_cause(cause, -SL_E_CONFIG, "between 1 and 16 architectures");
		return NULL;
	}
	struct sl_rpm_solver *s = calloc(1, sizeof *s);
	if (s == NULL || (s->pool = pool_create()) == NULL) {
		free(s);
		sl_cause(cause, -ENOMEM, "out of memory");
		return NULL;
	}
	if (pool_setdisttype(s->pool, DISTTYPE_RPM) < 0) {
		sl_rpm_solver_free(s);
		sl_cause(cause, -SL_E_UNSUPPORTED, "this libsolv cannot handle RPM dependencies");
		return NULL;
	}
	for (size_t i = 0; i < narchs; i++)
		s->archs[s->narchs++] = pool_str2id(s->pool, archs[i], 1);
	return s;
}

void sl_rpm_solver_free(struct sl_rpm_solver *s)
{
	if (s == NULL)
		return;
	if (s->closed)
		map_free(&s->selected);
	pool_free(s->pool);
	free(s);
}

static ssize_t cookie_read(void *c, char *buf, size_t size)
{
	ssize_t n = sl_decomp_reader_read(c, buf, size);
	return n < 0 ? -1 : n;
}

int sl_rpm_solver_add_primary(struct sl_rpm_solver *s, int fd, uint64_t max_out, char **cause)
{
	if (s->closed)
		return sl_cause(cause, -SL_E_STATE, "primary added after the closure was computed");
	struct sl_decomp_reader *r = sl_decomp_reader_new(fd, max_out, cause);
	if (r == NULL)
		return -SL_E_ARCHIVE;
	cookie_io_functions_t io = { .read = cookie_read };
	FILE *fp = fopencookie(r, "r", io);
	if (fp == NULL) {
		sl_decomp_reader_free(r);
		return sl_cause(cause, -ENOMEM, "out of memory");
	}
	Repo *repo = repo_create(s->pool, "primary");
	int bad = repo_add_rpmmd(repo, fp, NULL, 0);
	fclose(fp);
	int rc = 0;
	const char *derr = sl_decomp_reader_error(r);
	if (derr[0] != '\0')
		rc = sl_cause(cause, -SL_E_ARCHIVE, "primary: %s", derr);
	else if (bad != 0)
		rc = sl_cause(cause, -SL_E_PARSE, "primary: %s", pool_errstr(s->pool));
	sl_decomp_reader_free(r);
	if (rc < 0)
		repo_free(repo, 1);
	return rc;
}

static bool arch_ok(const struct sl_rpm_solver *s, Id arch)
{
	for (size_t i = 0; i < s->narchs; i++)
		if (s->archs[i] == arch)
			return true;
	return false;
}

static void take(struct sl_rpm_solver *s, Queue *work, Id p)
{
	Solvable *sv = pool_id2solvable(s->pool, p);
	if (MAPTST(&s->selected, p) || !arch_ok(s, sv->arch))
		return;
	MAPSET(&s->selected, p);
	s->count++;
	queue_push(work, p);
}

int sl_rpm_solver_closure(struct sl_rpm_solver *s, const char *const *names, size_t n, char **cause)
{
	Pool *pool = s->pool;
	if (!s->closed) {
		pool_addfileprovides(pool);
		pool_createwhatprovides(pool);
		map_init(&s->selected, pool->nsolvables);
		s->closed = true;
	}
	map_empty(&s->selected);
	s->count = 0;
	Queue work, deps;
	queue_init(&work);
	queue_init(&deps);
	char missing[512] = "";
	for (size_t i = 0; i < n; i++) {
		Id id = pool_str2id(pool, names[i], 0);
		size_t before = s->count;
		Id p, pp;
		if (id != 0) {
			FOR_PROVIDES(p, pp, id)
				if (pool->solvables[p].name == id)
					take(s, &work, p);
			if (s->count == before)
				FOR_PROVIDES(p, pp, id)
					take(s, &work, p);
		}
		if (s->count == before && strlen(missing) + strlen(names[i]) + 3 < sizeof missing)
			snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s", missing[0] ? ", " : "",
				 names[i]);
	}
	for (int t = 0; t < work.count; t++) {
		Solvable *sv = pool_id2solvable(pool, work.elements[t]);
		queue_empty(&deps);
		solvable_lookup_deparray(sv, SOLVABLE_REQUIRES, &deps, -1);
		for (int d = 0; d < deps.count; d++) {
			Id dep = deps.elements[d], p, pp;
			if (dep == SOLVABLE_PREREQMARKER)
				continue;
			FOR_PROVIDES(p, pp, dep)
				take(s, &work, p);
		}
	}
	queue_free(&work);
	queue_free(&deps);
	if (missing[0] != '\0')
		return sl_cause(cause, -SL_E_NOTFOUND, "no package of the configured architectures provides: %s", missing);
	return 0;
}

bool sl_rpm_solver_selected(const struct sl_rpm_solver *s, const char *name, const char *epoch, const char *ver,
			    const char *rel, const char *arch)
{
	if (!s->closed)
		return false;
	Pool *pool = s->pool;
	Id nid = pool_str2id(pool, name, 0), aid = pool_str2id(pool, arch, 0);
	if (nid == 0 || aid == 0)
		return false;
	char evr[600];
	bool has_epoch = epoch != NULL && epoch[0] != '\0' && strcmp(epoch, "0") != 0;
	snprintf(evr, sizeof evr, "%s%s%s-%s", has_epoch ? epoch : "", has_epoch ? ":" : "", ver, rel);
	Id eid = pool_str2id(pool, evr, 0);
	if (eid == 0)
		return false;
	Id p, pp;
	FOR_PROVIDES(p, pp, nid) {
		Solvable *sv = pool->solvables + p;
		if (sv->name == nid && sv->evr == eid && sv->arch == aid && MAPTST(&s->selected, p))
			return true;
	}
	return false;
}

size_t sl_rpm_solver_count(const struct sl_rpm_solver *s)
{
	return s->count;
}
