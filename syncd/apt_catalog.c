/* apt_catalog: the APT pool catalogued on a thread of its own while the pool downloads. The pool list is
 * known before the first request (it comes from the verified indices), so its snapshot entries need not
 * wait for the files. They go in while the snapshot is still 'syncing', in transactions of
 * APT_CAT_CHUNK rows, so that the catalogue's write lock is never held for long (other sources' syncs and
 * the admin commands write too); if the downloads fail they are removed again before the run ends, and
 * nothing of them is sealed or verified. At Debian-main scale this is 60,000 rows, a second and a half of
 * one core that the downloads' waits leave free.
 *
 * The catalogue connection serves one thread at a time: while the thread runs, the fetch engine has lent it
 * away (sl_fetch_catalog_lend) and the run's own checks of refused files wait here until the join. A
 * process killed meanwhile leaves the entries added so far on a snapshot that the next run records as
 * interrupted (never sealed, never verified). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/error.h"
#include "core/url.h"
#include "core/thread.h"
#include "syncd/apt_pool.h"
#include "syncd/fetch.h"
#include "syncd/sync_apt_int.h"

/* The rows, in the pool list's digest order (the digest-keyed B-trees fill in key order). */
static int fill(struct apt_run *r, struct apt_cat *c)
{
	/* A small cache: this thread's pages live in its own malloc arena, where what it leaves behind is not
	 * reused by the verifier's tables on the main thread; with the default 2 MiB the run's peak RSS grew by
	 * about that much. The pass has the whole download phase to finish, so the extra WAL writes cost no
	 * wall time. */
	int rc = sl_catalog_cache_kib(r->ctx->cat, APT_CAT_CACHE_KIB);
	struct sl_apt_pool_item *it = &c->it;
	for (size_t n = 0; rc == 0; n++) {
		if (atomic_load(&c->stop))
			return -SL_E_INTERRUPTED;
		if (n % APT_CAT_CHUNK == 0) {
			if (c->open && (rc = sl_catalog_commit(r->ctx->cat)) < 0)
				break;
			c->open = false;
			if ((rc = sl_catalog_begin_bulk(r->ctx->cat)) < 0)
				break;
			c->open = c->added = true;
		}
		int more = sl_apt_pool_read(r->pool, &c->cur, it);
		if (more <= 0) {
			rc = more;
			break;
		}
		char url[APT_URL_CAP];
		rc = sl_url_join(url, sizeof url, r->base, it->path);
		if (rc < 0)
			break;
		char meta[SL_APT_POOL_META_MAX + 256];
		rc = sl_sync_add_entry(r->ctx, it->path, it->sha256, it->size, "pool",
				       "application/vnd.debian.binary-package", url,
				       sl_apt_select_pool_meta(r, it, meta, sizeof meta));
	}
	if (rc == 0 && c->open) {
		rc = sl_catalog_commit(r->ctx->cat);
		c->open = false;
	}
	return rc;
}

static void *cat_main(void *arg)
{
	struct apt_run *r = arg;
	r->cat.rc = fill(r, &r->cat);
	return NULL;
}

void sl_apt_cat_start(struct apt_run *r)
{
	struct apt_cat *c = &r->cat;
	memset(&c->cur, 0, sizeof c->cur);
	atomic_store(&c->stop, 0);
	c->rc = 0;
	c->open = c->added = false;
	sl_fetch_catalog_lend(r->ctx->fetch);
	c->running = sl_thread_start(&c->thread, cat_main, r) == 0;
	if (!c->running)
		sl_fetch_catalog_return(r->ctx->fetch);   /* filled after the downloads instead */
}

void sl_apt_cat_defer_check(struct apt_run *r, const char *path, const char *why)
{
	struct apt_cat *c = &r->cat;
	if (c->nrefused == APT_CAT_REFUSED_KEPT) {
		c->more_refused++;
		return;
	}
	char *p = strdup(path), *w = strdup(why);
	if (p == NULL || w == NULL) {
		free(p);
		free(w);
		c->more_refused++;
		return;
	}
	c->refused[c->nrefused].path = p;
	c->refused[c->nrefused++].why = w;
}

/* The checks pool_done() could not record while the thread had the catalogue. */
static void record_deferred(struct apt_run *r)
{
	struct apt_cat *c = &r->cat;
	for (size_t i = 0; i < c->nrefused; i++) {
		sl_sync_check(r->ctx, c->refused[i].path, "pool-file", NULL, false, "%s", c->refused[i].why);
		free(c->refused[i].path);
		free(c->refused[i].why);
	}
	if (c->more_refused > 0)
		sl_sync_check(r->ctx, "pool", "pool-file", NULL, false, "%zu more pool file(s) refused, not recorded "
			      "one by one", c->more_refused);
	c->nrefused = c->more_refused = 0;
}

int sl_apt_cat_finish(struct apt_run *r, bool downloads_ok, char **cause)
{
	struct apt_cat *c = &r->cat;
	if (c->running) {
		if (!downloads_ok)
			atomic_store(&c->stop, 1);   /* what it added is removed anyway */
		pthread_join(c->thread, NULL);
		c->running = false;
		sl_fetch_catalog_return(r->ctx->fetch);
	} else if (downloads_ok) {
		c->rc = fill(r, c);   /* no thread could be started */
	}
	if (c->open)
		sl_catalog_rollback(r->ctx->cat);
	c->open = false;
	(void)sl_catalog_cache_kib(r->ctx->cat, 0);
	int rc = downloads_ok ? c->rc : 0;
	/* Entries of files that are not all in the store go: the snapshot fails, and shows what did arrive. */
	if ((rc < 0 || !downloads_ok) && c->added) {
		int drc = sl_catalog_snapshot_drop_role(r->ctx->cat, r->ctx->snap_id, "pool");
		if (rc == 0)
			rc = drc;
	}
	c->added = false;
	record_deferred(r);
	if (rc < 0)
		return sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	return 0;
}
