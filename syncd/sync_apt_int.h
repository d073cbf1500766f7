/* sync_apt_int: what the APT sync's own files share — one run's suites, indices and pool state
 * (sync_apt.c: the phases and the run; apt_select.c: phase 3, choosing packages and filtering the
 * indices). Not for use outside syncd/sync_apt.c and syncd/apt_select.c. */
#ifndef SL_SYNC_APT_INT_H
#define SL_SYNC_APT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/apt_depsolve.h"
#include "core/apt_release.h"
#include "core/compjob.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/url.h"
#include "syncd/apt_seen.h"
#include "syncd/apt_pool.h"
#include "syncd/sync.h"

#define APT_POOL_WINDOW 256        /* pool requests queued at once: bounds memory for huge indices */
#define APT_URL_CAP (SL_MAX_URL + SL_MAX_PATH) /* bytes: base URL + repository path, checked on use */

struct apt_suite {
	const char *name;
	bool conditional;          /* a verified Release of this suite was accepted before */
	bool not_modified;
	bool detached;             /* InRelease absent: Release + Release.gpg */
	int err;
	char *err_msg;
	uint8_t *body;             /* InRelease or Release */
	size_t body_len;
	uint8_t *sig;              /* Release.gpg */
	size_t sig_len;
	bool parsed;
	struct sl_apt_release rel;
	char signer[41];
};

struct apt_run;

#define APT_CAT_REFUSED_KEPT 16    /* refused pool files whose checks wait for the catalogue one by one */
#define APT_CAT_CACHE_KIB 256      /* KiB of catalogue cache while the pool's entries go in (apt_catalog.c) */
#define APT_CAT_CHUNK 4096         /* pool entries per transaction: ~0.1 s of the catalogue's write lock */

struct apt_cat {                   /* the pool's catalogue pass (apt_catalog.c) */
	pthread_t thread;
	bool running;                  /* the thread was started and not joined yet */
	bool open;                     /* one of its transactions is open */
	bool added;                    /* it has begun adding entries */
	atomic_int stop;               /* the downloads failed: stop adding rows */
	int rc;                        /* the thread's result */
	struct sl_apt_pool_cursor cur;
	struct sl_apt_pool_item it;
	struct {
		char *path, *why;
	} refused[APT_CAT_REFUSED_KEPT];
	size_t nrefused, more_refused;
};

struct apt_index {
	struct apt_run *run;
	struct apt_suite *suite;
	const char *comp, *arch;
	char rel_path[SL_MAX_REL_PATH];   /* relative to dists/<suite>/ */
	const struct sl_apt_release_file *file;
	bool by_hash_tried_plain;
	bool refused;                     /* its content was refused (the verifier records why) */
	int err;
	char *err_msg;
	char sha256[SL_SHA256_HEX];
	char plain_sha[SL_SHA256_HEX];    /* the filtered Packages, once committed: what the forms are made from */
	bool make[2];                     /* Packages.gz, Packages.xz still to be made from it */
	struct sl_compjob *jobs[2];       /* those being made (during the downloads, see fetch_pool) */
	bool reuse[2];                    /* that form is the upstream index itself (apt_select.c) */
};

struct apt_run {
	struct sl_sync_ctx *ctx;
	const struct sl_source *src;
	char base[SL_MAX_URL];
	struct apt_suite suites[SL_APT_MAX_SUITES];
	size_t nsuites;
	struct apt_index idx[SL_APT_MAX_INDICES];
	size_t nidx;
	struct sl_apt_solver *solver;
	/* pool phase */
	struct sl_apt_pool *pool;           /* the files to fetch, in a temporary file (see apt_pool.h) */
	struct sl_apt_pool_item pool_it;    /* scratch for reading it */
	struct apt_cat cat;                 /* its entries, added while it downloads */
	size_t pool_queued, pool_done;
	bool pool_end;                      /* every item has been queued */
	uint64_t pool_bytes_done;
	int pool_err;
	char *pool_err_msg;
	struct timespec phase_at;  /* CLOCK_MONOTONIC: when the current phase began (debug timings) */
	char fingerprint[129];     /* of the source configuration, see config_fingerprint() */
	struct sl_apt_seen *seen;  /* pool paths already queued (arch:all files appear in every arch); freed
	                            * once every index is filtered */
	struct json_t *also;       /* pool path -> "suite ...": further suites listing a queued file (apt_select.c) */
};

/* The upstream URL of dists/<suite>/<rel>, built as apt builds it (debmetaindex.cc): the suite is quoted
 * (sl_url_quote), the rest ("main/binary-amd64/Packages.xz", ".../by-hash/SHA256/<hex>": configured
 * names and the Release's own) is not. 0, or -SL_E_TOOBIG when it does not fit. */
static inline int url_of(const struct apt_run *r, const char *suite, const char *rel, char *buf, size_t cap)
{
	char q[SL_MAX_REL_PATH];
	int rc = sl_url_quote(q, sizeof q, suite);
	if (rc < 0)
		return rc;
	int n = snprintf(buf, cap, "%s/dists/%s/%s", r->base, q, rel);
	return (n < 0 || (size_t)n >= cap) ? -SL_E_TOOBIG : 0;
}

/* Phase 3 (apt_select.c). With `packages =`, resolve their dependency closure over every index
 * (tmp_dirfd: where the pruned copies go); otherwise nothing to do. */
int sl_apt_select_packages(struct apt_run *r, int tmp_dirfd, char **cause);
/* The catalogue metadata of a pool item: its own, plus `suites` ("stable stable-updates") when further
 * suites list the same file (a point release folds stable-updates into stable). Returns it->meta or buf. */
const char *sl_apt_select_pool_meta(struct apt_run *r, const struct sl_apt_pool_item *it, char *buf, size_t cap);
/* Walk one verified index: queue its selected pool files and, when re-signing, write the filtered
 * Packages and note its .gz and .xz as still to be made. -SL_E_VERIFY with ix->refused when its content
 * is refused. */
int sl_apt_select_filter_index(struct apt_run *r, struct apt_index *ix, char **cause);
/* apt_catalog.c: start adding the pool list's entries to the snapshot (in bulk transactions), on a thread
 * of its own (the fetch engine lends it the catalogue; nothing else on this thread may use the catalogue
 * until sl_apt_cat_finish). Call after the pool list is rewound. If no thread can be started, the entries
 * are added by finish instead. */
void sl_apt_cat_start(struct apt_run *r);
/* While the thread runs: keep a refused pool file's check for finish to record (the first
 * APT_CAT_REFUSED_KEPT one by one, the rest counted). */
void sl_apt_cat_defer_check(struct apt_run *r, const char *path, const char *why);
/* Join the thread (stopping it early when !downloads_ok); unless the downloads and the entries all
 * succeeded, remove the pool entries it added; then record the deferred checks. 0, or the catalogue's
 * error (*cause set); failed downloads are not an error here. */
int sl_apt_cat_finish(struct apt_run *r, bool downloads_ok, char **cause);
/* Start making the compressed indices still to be made, each on its own thread. 0, or -ENOMEM (*cause
 * set) when a job could not start; jobs already started are then still awaited by finish. */
int sl_apt_select_start_compressed(struct apt_run *r, char **cause);
/* Start what is still to be made, then wait for the compressed indices and record them. After the first
 * failure the rest are only awaited. */
int sl_apt_select_finish_compressed(struct apt_run *r, char **cause);

#endif
