/* settle: verify a candidate snapshot, record every check on it, and decide pending / failed / unchanged. */
#include "verify/settle.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "verify/verifier.h"

#define SETTLE_CACHE_KIB 256   /* KiB of catalogue cache while the verifier scans the snapshot's entries */

struct rec_arg {
	struct sl_catalog *cat;
	int64_t snap_id;
	int err;                 /* first catalogue failure while recording */
};

static void record_on_snapshot(void *arg, const struct sl_check *c)
{
	struct rec_arg *ra = arg;
	int rc = sl_catalog_verification_add(ra->cat, ra->snap_id, c->subject, c->check, c->key_fpr, c->passed,
					     c->reason);
	if (rc < 0 && ra->err == 0)
		ra->err = rc;
}

struct newest_live {
	int64_t self, id;
	char digest[SL_SHA256_HEX];
};

static int find_newest_live(void *arg, const struct sl_snapshot_info *s)
{
	struct newest_live *nl = arg;
	if (s->id == nl->self || s->state == SL_SNAP_SYNCING || s->state == SL_SNAP_FAILED ||
	    s->state == SL_SNAP_VERIFIED)
		return 0;
	nl->id = s->id;
	memcpy(nl->digest, s->content_digest, sizeof nl->digest);
	return 1;   /* newest first: the first live one is it */
}

/* The source's newest live snapshot has the candidate's content digest: its id, else 0. */
static int same_as_newest(struct sl_catalog *cat, int64_t source_id, int64_t snap_id, int64_t *same)
{
	struct sl_snapshot_info me;
	*same = 0;
	int rc = sl_catalog_snapshot_get(cat, snap_id, &me);
	if (rc < 0)
		return rc;
	struct newest_live nl = { .self = snap_id };
	rc = sl_catalog_snapshots(cat, source_id, -1, find_newest_live, &nl);
	if (rc >= 0 && nl.id != 0 && me.content_digest[0] != '\0' && strcmp(nl.digest, me.content_digest) == 0)
		*same = nl.id;
	sl_snapshot_info_release(&me);
	return rc < 0 ? rc : 0;
}

/* syncing -> verified, trust state, verified -> pending: one transaction, so the trust state never moves
 * for a snapshot that did not become pending. */
static int accept(struct sl_verify_ctx *v, char **cause)
{
	int rc = sl_catalog_begin(v->cat);
	if (rc < 0)
		return sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	rc = sl_catalog_snapshot_transition(v->cat, v->snap_id, SL_SNAP_SYNCING, SL_SNAP_VERIFIED, "all checks passed");
	if (rc < 0)
		sl_cause(cause, rc, "snapshot %lld: cannot record verification: %s", (long long)v->snap_id,
			 sl_strerror(rc));
	if (rc == 0)
		rc = sl_verify_accept(v, cause);
	if (rc == 0) {
		rc = sl_catalog_snapshot_transition(v->cat, v->snap_id, SL_SNAP_VERIFIED, SL_SNAP_PENDING, NULL);
		if (rc < 0)
			sl_cause(cause, rc, "snapshot %lld: cannot make it pending: %s", (long long)v->snap_id,
				 sl_strerror(rc));
	}
	if (rc == 0)
		rc = sl_catalog_commit(v->cat);
	if (rc < 0)
		sl_catalog_rollback(v->cat);
	return rc;
}

int sl_settle_snapshot(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
		       struct sl_store *store, int64_t source_id, int64_t snap_id, struct sl_settle_result *out,
		       char **cause)
{
	return sl_settle_snapshot_after(cfg, src, cat, store, source_id, snap_id, NULL, out, cause);
}

int sl_settle_snapshot_after(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
			     struct sl_store *store, int64_t source_id, int64_t snap_id,
			     const struct sl_settle_barrier *barrier, struct sl_settle_result *out, char **cause)
{
	memset(out, 0, sizeof *out);
	/* The verifier walks the entries once, in order: a small catalogue cache does as well, and the pages the
	 * syncer's inserts filled go before its tables are built. */
	(void)sl_catalog_cache_kib(cat, SETTLE_CACHE_KIB);
#ifdef __GLIBC__
	/* What the syncer freed (its connections, buffers, the catalogue's insert pages) goes back to the
	 * kernel before the verifier builds its tables: glibc keeps freed heap pages resident otherwise, and
	 * peak RSS would be their sum, not the larger of the two. */
	malloc_trim(0);
#endif
	struct rec_arg ra = { .cat = cat, .snap_id = snap_id };
	struct sl_verify_ctx v = {
		.cfg = cfg, .src = src, .cat = cat, .store = store, .source_id = source_id, .snap_id = snap_id,
		.mode = SL_VERIFY_ARRIVAL, .now = time(NULL), .record = record_on_snapshot, .record_arg = &ra,
	};
	char *vcause = NULL;
	int rc = sl_verify_snapshot(&v, &vcause);
	(void)sl_catalog_cache_kib(cat, 0);
	out->checks = v.checks;
	out->failed = v.failed;
	if (rc == 0 && ra.err < 0)
		rc = ra.err;   /* a check the catalogue did not keep is not a verification */
	if (rc < 0) {
		out->verdict = SL_SETTLED_FAILED;
		snprintf(out->reason, sizeof out->reason, "%s", vcause ? vcause : sl_strerror(rc));
		free(vcause);
		int t = sl_catalog_snapshot_transition(cat, snap_id, SL_SNAP_SYNCING, SL_SNAP_FAILED, out->reason);
		if (t < 0)
			return sl_cause(cause, t, "snapshot %lld: cannot record the failure: %s", (long long)snap_id,
					sl_strerror(t));
		return 0;
	}
	free(vcause);

	int64_t same = 0;
	rc = same_as_newest(cat, source_id, snap_id, &same);
	if (rc < 0)
		return sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	if (same != 0) {
		out->verdict = SL_SETTLED_UNCHANGED;
		out->same_as = same;
		snprintf(out->reason, sizeof out->reason, "content identical to snapshot %lld", (long long)same);
		/* Through 'failed', the one state a fresh snapshot may be deleted from: it never existed for
		 * anyone, and the run's message says why. */
		rc = sl_catalog_snapshot_transition(cat, snap_id, SL_SNAP_SYNCING, SL_SNAP_FAILED, out->reason);
		if (rc == 0)
			rc = sl_catalog_snapshot_delete(cat, snap_id);
		if (rc < 0)
			return sl_cause(cause, rc, "snapshot %lld: cannot discard: %s", (long long)snap_id, sl_strerror(rc));
		return 0;
	}

	if (barrier != NULL && barrier->wait != NULL) {
		char *why = NULL;
		rc = barrier->wait(barrier->arg, &why);
		if (rc < 0) {
			sl_cause(cause, rc, "%s", why ? why : sl_strerror(rc));
			free(why);
			int t = sl_catalog_snapshot_transition(cat, snap_id, SL_SNAP_SYNCING, SL_SNAP_FAILED, *cause);
			return t < 0 ? t : rc;
		}
		free(why);
	}
	rc = accept(&v, cause);
	if (rc < 0)
		return rc;
	out->verdict = SL_SETTLED_PENDING;
	snprintf(out->reason, sizeof out->reason, "%u check(s) passed", v.checks);
	return 0;
}
