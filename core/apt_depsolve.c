/* apt_depsolve: dependency closure over libsolv's view of APT Packages indices. libsolv parses the
 * indices and answers whatprovides queries (with Debian version comparison); the walk is our own
 * breadth-first search, because a mirror needs every acceptable candidate, not the one a solver picks. */
#include "core/apt_depsolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <solv/bitmap.h>
#include <solv/knownid.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/queue.h>
#include <solv/repo.h>
#include <solv/repo_deb.h>

#include "core/apt_prune.h"
#include "core/error.h"
#include "core/limits.h"

#define DEPSOLVE_MAX_UNKNOWN 512  /* bytes of unknown names listed in a cause */

struct sl_apt_solver {
	Pool *pool;
	Id archs[SL_MAX_DEBIAN_ARCHS];
	size_t narchs;
	Id ma_foreign, ma_allowed;   /* string ids of the Multi-Arch values */
	Map selected;
	bool closed;                 /* whatprovides built and `selected` valid */
	size_t count;
	struct sl_apt_prune *prune;  /* names the closure can reach (sl_apt_solver_prune), or NULL */
	bool indexed;                /* an index was added: too late to prune */
};


static bool arch_name_ok(const char *a)
{
	size_t n = strlen(a);
	if (n == 0 || n > SL_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= '0' && a[i] <= '9') || a[i] == '-'))
			return false;
	return true;
}

struct sl_apt_solver *sl_apt_solver_new(const char *const *archs, size_t narchs, char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	if (narchs == 0 || narchs > SL_MAX_DEBIAN_ARCHS) {
		sl_cause(cause, -SL_E_CONFIG, "between 1 and %d architectures are needed", SL_MAX_DEBIAN_ARCHS);
		return NULL;
	}
	for (size_t i = 0; i < narchs; i++)
		if (!arch_name_ok(archs[i])) {
			sl_cause(cause, -SL_E_CONFIG, "invalid architecture '%.64s'", archs[i]);
			return NULL;
		}
	struct sl_apt_solver *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		sl_cause(cause, -ENOMEM, "out of memory");
		return NULL;
	}
	s->pool = pool_create();
	if (s->pool == NULL) {
		free(s);
		sl_cause(cause, -ENOMEM, "out of memory");
		return NULL;
	}
	pool_setdisttype(s->pool, DISTTYPE_DEB);
	/* No pool_setarch: its policy would hide every architecture but one (and its compatibles) from
	 * whatprovides, while a multi-arch mirror needs them all; architecture rules are applied below. */
	for (size_t i = 0; i < narchs; i++)
		s->archs[s->narchs++] = pool_str2id(s->pool, archs[i], 1);
	s->ma_foreign = pool_str2id(s->pool, "foreign", 1);
	s->ma_allowed = pool_str2id(s->pool, "allowed", 1);
	map_init(&s->selected, 0);
	return s;
}

void sl_apt_solver_free(struct sl_apt_solver *s)
{
	if (s == NULL)
		return;
	map_free(&s->selected);
	pool_free(s->pool);
	sl_apt_prune_free(s->prune);
	free(s);
}

int sl_apt_solver_prune(struct sl_apt_solver *s, const int *fds, size_t nfds, const char *const *names, size_t n,
			int tmp_dirfd, char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	if (s->closed || s->indexed || s->prune != NULL)
		return sl_cause(cause, -SL_E_STATE, "pruning after indices were added");
	return sl_apt_prune_build(fds, nfds, names, n, tmp_dirfd, &s->prune, cause);
}

int sl_apt_solver_add_index(struct sl_apt_solver *s, const char *repo_name, int fd, char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	if (s->closed)
		return sl_cause(cause, -SL_E_STATE, "index added after the closure was computed");
	s->indexed = true;
	struct sl_apt_prune_stream *z = NULL;
	int rc = sl_apt_prune_open(s->prune, fd, &z, cause);
	if (rc < 0)
		return rc;
	/* One libsolv repo per index, so a failed index can be dropped whole; selection matches by name. */
	Repo *repo = repo_create(s->pool, repo_name);
	repo_add_debpackages(repo, sl_apt_prune_file(z), 0);
	rc = sl_apt_prune_close(z, cause);
	if (rc != 0)
		repo_free(repo, 1);
	return rc;
}

static bool arch_configured(const struct sl_apt_solver *s, Id arch)
{
	for (size_t i = 0; i < s->narchs; i++)
		if (s->archs[i] == arch)
			return true;
	return false;
}

/* May candidate c satisfy a dependency of `from` (any: the dependency said ":any")? */
static bool arch_ok(const struct sl_apt_solver *s, const Solvable *from, Solvable *c, bool any)
{
	if (c->arch == ARCH_ALL)
		return true;
	if (!arch_configured(s, c->arch))
		return false;
	if (from == NULL || from->arch == ARCH_ALL || from->arch == c->arch)
		return true;
	Id ma = solvable_lookup_id(c, SOLVABLE_MULTIARCH);
	return ma == s->ma_foreign || (any && ma == s->ma_allowed);
}

/* Candidates for one dependency (no alternatives) into q: real packages of that name satisfying it,
 * else the providers. */
static void candidates(struct sl_apt_solver *s, const Solvable *from, Id dep, Queue *q)
{
	Pool *pool = s->pool;
	bool any = false;
	if (ISRELDEP(dep)) {
		Reldep *rd = GETRELDEP(pool, dep);
		if (rd->flags == REL_MULTIARCH) {
			any = rd->evr == ARCH_ANY;
			dep = rd->name;
		} else if (rd->flags < 8 && ISRELDEP(rd->name)) {
			/* "name:any (>= v)": rebuild as "name (>= v)". */
			Reldep *inner = GETRELDEP(pool, rd->name);
			if (inner->flags == REL_MULTIARCH) {
				any = inner->evr == ARCH_ANY;
				dep = pool_rel2id(pool, inner->name, rd->evr, rd->flags, 1);
			}
		}
	}
	Id name = dep;
	while (ISRELDEP(name))
		name = GETRELDEP(pool, name)->name;
	queue_empty(q);
	Id p, pp;
	bool real = false;
	FOR_PROVIDES(p, pp, dep) {
		Solvable *c = pool->solvables + p;
		if (!arch_ok(s, from, c, any))
			continue;
		if (c->name == name && !real) {
			queue_empty(q);  /* a real package of that name wins over providers */
			real = true;
		}
		if (!real || c->name == name)
			queue_push(q, p);
	}
}

static void select_into(struct sl_apt_solver *s, Queue *q, Queue *work)
{
	for (int i = 0; i < q->count; i++) {
		Id p = q->elements[i];
		if (!MAPTST(&s->selected, p)) {
			MAPSET(&s->selected, p);
			s->count++;
			queue_push(work, p);
		}
	}
}

static void follow(struct sl_apt_solver *s, Id from_p, Queue *work, Queue *q)
{
	Pool *pool = s->pool;
	Solvable *from = pool->solvables + from_p;
	if (!from->requires)
		return;
	for (Id *reqp = from->repo->idarraydata + from->requires; *reqp != 0; reqp++) {
		Id dep = *reqp;
		if (dep == SOLVABLE_PREREQMARKER)
			continue;
		/* "a | b | c" is REL_OR(a, REL_OR(b, c)): the first alternative with a candidate wins. */
		queue_empty(q);
		while (ISRELDEP(dep) && GETRELDEP(pool, dep)->flags == REL_OR) {
			Reldep *rd = GETRELDEP(pool, dep);
			candidates(s, from, rd->name, q);
			if (q->count > 0)
				break;
			dep = rd->evr;
		}
		if (q->count == 0 && !(ISRELDEP(dep) && GETRELDEP(pool, dep)->flags == REL_OR))
			candidates(s, from, dep, q);
		select_into(s, q, work);
	}
}

int sl_apt_solver_closure(struct sl_apt_solver *s, const char *const *names, size_t n, char **cause)
{
	Pool *pool = s->pool;
	if (cause != NULL)
		*cause = NULL;
	if (!s->closed) {
		pool_addfileprovides(pool);
		pool_createwhatprovides(pool);
		s->closed = true;
	}
	map_free(&s->selected);
	map_init(&s->selected, pool->nsolvables);
	s->count = 0;
	Queue work, q;
	queue_init(&work);
	queue_init(&q);
	char unknown[DEPSOLVE_MAX_UNKNOWN] = "";
	size_t nunknown = 0;
	for (size_t i = 0; i < n; i++) {
		Id id = pool_str2id(pool, names[i], 0);
		queue_empty(&q);
		if (id != 0)
			candidates(s, NULL, id, &q);
		if (q.count == 0) {
			size_t used = strlen(unknown);
			snprintf(unknown + used, sizeof unknown - used, "%s%s", nunknown ? ", " : "", names[i]);
			nunknown++;
			continue;
		}
		select_into(s, &q, &work);
	}
	for (int i = 0; i < work.count; i++)   /* the work list grows while we walk it */
		follow(s, work.elements[i], &work, &q);
	queue_free(&work);
	queue_free(&q);
	if (nunknown > 0) {
		map_empty(&s->selected);
		s->count = 0;
		return sl_cause(cause, -SL_E_NOTFOUND, "unknown package%s: %s", nunknown > 1 ? "s" : "", unknown);
	}
	return 0;
}

bool sl_apt_solver_selected(const struct sl_apt_solver *s, const char *repo_name, struct sl_blob package,
			    struct sl_blob version, struct sl_blob arch)
{
	Pool *pool = s->pool;
	if (!s->closed || package.len == 0 || version.len == 0 || arch.len == 0)
		return false;
	Id name = pool_strn2id(pool, (const char *)package.p, (unsigned)package.len, 0);
	Id evr = pool_strn2id(pool, (const char *)version.p, (unsigned)version.len, 0);
	Id a = pool_strn2id(pool, (const char *)arch.p, (unsigned)arch.len, 0);
	if (name == 0 || evr == 0 || a == 0)
		return false;
	Id p, pp;
	FOR_PROVIDES(p, pp, name) {
		Solvable *c = pool->solvables + p;
		if (c->name == name && c->evr == evr && c->arch == a && MAPTST(&s->selected, p) &&
		    strcmp(c->repo->name, repo_name) == 0)
			return true;
	}
	return false;
}

size_t sl_apt_solver_count(const struct sl_apt_solver *s)
{
	return s->count;
}
