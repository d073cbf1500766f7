/* sync_apt: fetch an APT repository's signed chain InRelease -> Packages -> pool files into the store,
 * pre-checking each link with the verifier's own functions (verify/apt_chain.h) so nothing a signed parent
 * does not promise is downloaded; verify/apt_chain.c decides and records, from the snapshot's entries. */
#include "syncd/sync_apt.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/apt_depsolve.h"
#include "core/apt_release.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store.h"
#include "syncd/apt_pool.h"
#include "syncd/fetch.h"
#include "syncd/sync_apt_int.h"
#include "verify/apt_chain.h"
#include "verify/gpg.h"
#include "verify/verifier.h"

/* Phase timings at `log_level = debug`: where a large sync's time goes, without a profiler. */
static void phase_end(struct apt_run *r, const char *phase)
{
	sl_log_debug(r->src->name, "phase %s: %.2f s", phase, sl_sync_lap(&r->phase_at));
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- phase 1: Release files ---------------------------------------------------------------------- */

struct release_req {
	struct apt_run *r;
	struct apt_suite *s;
	int which;                 /* 0 InRelease, 1 Release, 2 Release.gpg */
};

static void release_done(void *arg, const struct sl_fetch_result *res);

static int release_add(struct apt_run *r, struct apt_suite *s, int which, bool conditional)
{
	static const char *const names[] = { "InRelease", "Release", "Release.gpg" };
	char url[APT_URL_CAP];
	int rc = url_of(r, s->name, names[which], url, sizeof url);
	if (rc < 0)
		return rc;
	struct release_req *q = malloc(sizeof *q);
	if (q == NULL)
		return -ENOMEM;
	*q = (struct release_req){ r, s, which };
	/* Always conditional, so the answer's validators are recorded for the next run; when a 304 must not
	 * be trusted (first run, unclean previous run, changed configuration) forget the old ones first. */
	if (!conditional) {
		rc = sl_catalog_http_put(r->ctx->cat, url, NULL, NULL);
		if (rc < 0) {
			free(q);
			return rc;
		}
	}
	struct sl_fetch_req req = {
		.url = url,
		.flags = SL_FETCH_CONDITIONAL | (which == 0 ? SL_FETCH_OPTIONAL : 0),
		.expect_size = -1,
		.max_size = SL_MAX_RELEASE_BYTES,
		.bandwidth_bps = r->src->bandwidth_bps,
		.done = release_done,
		.arg = q,
	};
	rc = sl_fetch_add(r->ctx->fetch, &req);
	if (rc < 0)
		free(q);
	return rc;
}

static void set_err(int *err, char **msg, int rc, const char *text)
{
	if (*err != 0)
		return;
	*err = rc;
	*msg = xstrdup(text);
}

static void release_done(void *arg, const struct sl_fetch_result *res)
{
	struct release_req *q = arg;
	struct apt_suite *s = q->s;
	if (q->which == 0 && res->err == 0 && res->not_modified) {
		s->not_modified = true;
	} else if (q->which == 0 && res->status == 404) {
		/* No InRelease: fall back to the detached pair, as apt does. */
		s->detached = true;
		int rc = release_add(q->r, s, 1, false);
		if (rc == 0)
			rc = release_add(q->r, s, 2, false);
		if (rc < 0)
			set_err(&s->err, &s->err_msg, rc, "cannot queue Release/Release.gpg");
	} else if (res->err != 0) {
		set_err(&s->err, &s->err_msg, res->err, res->message ? res->message : sl_strerror(res->err));
	} else {
		uint8_t **dst = q->which == 2 ? &s->sig : &s->body;
		size_t *dlen = q->which == 2 ? &s->sig_len : &s->body_len;
		free(*dst);
		*dst = sl_fetch_body_dup(res, dlen);
		if (*dst == NULL)
			set_err(&s->err, &s->err_msg, -ENOMEM, "out of memory");
	}
	free(q);
}

static int fetch_releases(struct apt_run *r, bool only_not_modified, char **cause)
{
	for (size_t i = 0; i < r->nsuites; i++) {
		struct apt_suite *s = &r->suites[i];
		if (only_not_modified && !s->not_modified)
			continue;
		s->not_modified = false;
		int rc = release_add(r, s, 0, !only_not_modified && s->conditional);
		if (rc < 0)
			return sl_cause(cause, rc, "dists/%s/InRelease: %s", s->name, sl_strerror(rc));
	}
	int rc = sl_fetch_run(r->ctx->fetch);
	if (rc < 0)
		return sl_cause(cause, rc, "interrupted while fetching Release files");
	for (size_t i = 0; i < r->nsuites; i++) {
		struct apt_suite *s = &r->suites[i];
		if (s->err != 0)
			return sl_cause(cause, s->err, "dists/%s: %s", s->name, s->err_msg ? s->err_msg : "fetch failed");
	}
	return 0;
}

/* ---- pre-check of one suite's Release ------------------------------------------------------------ */

static char *release_meta(const struct apt_suite *s)
{
	const struct sl_apt_release *rel = &s->rel;
	json_t *comps = json_array(), *archs = json_array();
	for (size_t i = 0; i < rel->ncomponents; i++)
		json_array_append_new(comps, json_string(rel->components[i]));
	for (size_t i = 0; i < rel->narchitectures; i++)
		json_array_append_new(archs, json_string(rel->architectures[i]));
	json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:I, s:I, s:b, s:s}",
			      "suite", s->name, "origin", rel->origin, "label", rel->label,
			      "suite_field", rel->suite, "codename", rel->codename, "version", rel->version,
			      "description", rel->description, "components", comps, "architectures", archs,
			      "date", (json_int_t)rel->date, "valid_until", (json_int_t)rel->valid_until,
			      "acquire_by_hash", rel->acquire_by_hash, "signer", s->signer);
	if (o == NULL)
		return NULL;
	char *txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return txt;
}

static int add_blob_entry(struct apt_run *r, const char *path, const void *data, size_t len, const char *role,
			  const char *url, const char *meta)
{
	char sha[SL_SHA256_HEX];
	int rc = sl_store_put(r->ctx->store, data, len, NULL, sha);
	if (rc < 0)
		return rc;
	return sl_sync_add_entry(r->ctx, path, sha, len, role, "text/plain", url, meta);
}

/* The verifier's own Release checks, silently (the verifier records them when it settles the snapshot).
 * The upstream bytes are kept as evidence whatever the outcome; *refused when a check failed. */
static int precheck_suite(struct apt_run *r, struct apt_suite *s, struct sl_gpg *gpg, bool *refused, char **cause)
{
	char subject[SL_MAX_PATH], url[APT_URL_CAP];
	snprintf(subject, sizeof subject, "dists/%s/%s", s->name, s->detached ? "Release" : "InRelease");
	url_of(r, s->name, s->detached ? "Release" : "InRelease", url, sizeof url);
	struct sl_apt_policy pol = {
		.suite = s->name, .now = time(NULL), .max_future_ms = r->src->max_future_ms,
	};
	int rc = sl_apt_chain_last_date(r->ctx->cat, r->ctx->source_id, s->name, &pol.last_date);
	if (rc < 0)
		return sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	int vr = sl_apt_chain_release(gpg, s->body, s->body_len, s->detached ? s->sig : NULL, s->sig_len, &pol, NULL,
				      NULL, &s->rel, s->signer);
	s->parsed = true;
	if (vr < 0)
		*refused = true;

	char *meta = NULL;
	if (vr == 0) {
		meta = release_meta(s);
		if (meta == NULL)
			return -ENOMEM;
	}
	rc = add_blob_entry(r, subject, s->body, s->body_len, "release", url, meta);
	free(meta);
	if (rc == 0 && s->detached) {
		char gpath[SL_MAX_PATH];
		snprintf(gpath, sizeof gpath, "dists/%s/Release.gpg", s->name);
		url_of(r, s->name, "Release.gpg", url, sizeof url);
		rc = add_blob_entry(r, gpath, s->sig, s->sig_len, "release", url, NULL);
	}
	if (rc < 0)
		return sl_cause(cause, rc, "%s: cannot store: %s", subject, sl_strerror(rc));
	return 0;
}

/* ---- phase 2: indices --------------------------------------------------------------------------- */

/* The indices the signed Release lists for the configured components and architectures; *refused (the
 * verifier records why) when one is not offered. */
static int plan_indices(struct apt_run *r, struct apt_suite *s, bool *refused, char **cause)
{
	const struct sl_source *src = r->src;
	for (size_t c = 0; c < src->components.n; c++) {
		for (size_t a = 0; a < src->architectures.n; a++) {
			if (r->nidx >= SL_APT_MAX_INDICES)
				return sl_cause(cause, -SL_E_TOOBIG, "too many indices (max %d)", SL_APT_MAX_INDICES);
			struct apt_index *ix = &r->idx[r->nidx];
			memset(ix, 0, sizeof *ix);
			ix->run = r;
			ix->suite = s;
			ix->comp = src->components.v[c];
			ix->arch = src->architectures.v[a];
			const char *why = NULL;
			int rc = sl_apt_chain_plan_index(&s->rel, ix->comp, ix->arch, ix->rel_path, sizeof ix->rel_path,
							 &ix->file, &why);
			if (rc == -SL_E_MISMATCH || rc == -SL_E_NOTFOUND) {
				*refused = true;
				return 0;
			}
			if (rc < 0)
				return sl_cause(cause, rc, "dists/%s: index path too long", s->name);
			r->nidx++;
		}
	}
	return 0;
}

static void index_done(void *arg, const struct sl_fetch_result *res);

static int index_add(struct apt_run *r, struct apt_index *ix, bool by_hash)
{
	char rel[SL_MAX_PATH], url[APT_URL_CAP];
	if (by_hash) {
		const char *slash = strrchr(ix->rel_path, '/');
		int n = snprintf(rel, sizeof rel, "%.*s/by-hash/SHA256/%s", (int)(slash - ix->rel_path), ix->rel_path,
				 ix->file->sha256);
		if (n < 0 || (size_t)n >= sizeof rel)
			return -SL_E_TOOBIG;
	} else {
		snprintf(rel, sizeof rel, "%s", ix->rel_path);
	}
	int rc = url_of(r, ix->suite->name, rel, url, sizeof url);
	if (rc < 0)
		return rc;
	struct sl_fetch_req req = {
		.url = url,
		.flags = SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE | (by_hash ? SL_FETCH_OPTIONAL : 0),
		.expect_sha256 = ix->file->sha256,
		.expect_size = (int64_t)ix->file->size,
		.max_size = SL_MAX_INDEX_COMPRESSED,
		.bandwidth_bps = r->src->bandwidth_bps,
		.done = index_done,
		.arg = ix,
	};
	ix->by_hash_tried_plain = !by_hash;
	return sl_fetch_add(r->ctx->fetch, &req);
}

static void index_done(void *arg, const struct sl_fetch_result *res)
{
	struct apt_index *ix = arg;
	if (res->err == 0) {
		memcpy(ix->sha256, res->sha256, SL_SHA256_HEX);
		return;
	}
	if (res->status == 404 && !ix->by_hash_tried_plain) {
		/* Mirrors lag behind by-hash; the plain name is verified the same way. */
		int rc = index_add(ix->run, ix, false);
		if (rc == 0)
			return;
	}
	set_err(&ix->err, &ix->err_msg, res->err, res->message ? res->message : sl_strerror(res->err));
}

/* ---- phase 4: pool files ---------------------------------------------------------------------------- */

static void pool_done(void *arg, const struct sl_fetch_result *res);
static int pool_fill(struct apt_run *r);

struct pool_req {
	struct apt_run *r;
	uint64_t size;
	char path[];   /* for the messages */
};

static void pool_progress(struct apt_run *r)
{
	struct sl_sync_ctx *ctx = r->ctx;
	if (ctx->progress != NULL)
		ctx->progress(ctx->progress_arg, "pool", r->pool_done, sl_apt_pool_count(r->pool),
			      r->pool_bytes_done, sl_apt_pool_bytes(r->pool));
}

static void pool_done(void *arg, const struct sl_fetch_result *res)
{
	struct pool_req *q = arg;
	struct apt_run *r = q->r;
	r->pool_done++;
	r->pool_bytes_done += q->size;
	if (res->err != 0) {
		/* Content that contradicts the signed index is a verification failure; an unreachable file is a
		 * fetch failure (the run fails either way, nothing is published). */
		if (res->err == -SL_E_DIGEST || res->err == -SL_E_SIZE || res->err == -SL_E_TOOBIG) {
			const char *why = res->message ? res->message : sl_strerror(res->err);
			if (r->cat.running)
				sl_apt_cat_defer_check(r, q->path, why);   /* the catalogue is on loan */
			else
				sl_sync_check(r->ctx, q->path, "pool-file", NULL, false, "%s", why);
		}
		set_err(&r->pool_err, &r->pool_err_msg, res->err, q->path);
	}
	free(q);
	pool_progress(r);
	if (r->pool_err == 0)
		pool_fill(r);
}

/* Keep at most APT_POOL_WINDOW requests queued; the engine's connection caps do the real pacing. */
static int pool_fill(struct apt_run *r)
{
	struct sl_apt_pool_item *it = &r->pool_it;
	while (!r->pool_end && r->pool_queued - r->pool_done < APT_POOL_WINDOW) {
		int rc = sl_apt_pool_next(r->pool, it);
		if (rc <= 0) {
			r->pool_end = true;
			if (rc < 0)
				set_err(&r->pool_err, &r->pool_err_msg, rc, "pool list");
			return rc;
		}
		r->pool_queued++;
		if (sl_store_may_skip(r->ctx->store, it->sha256, it->size)) {
			r->pool_done++;
			r->pool_bytes_done += it->size;
			continue;
		}
		/* Quoted as apt quotes a Filename: "x_1%3a2.0-1_all.deb" is a file name, not an escaped ':'. */
		char url[APT_URL_CAP];
		rc = sl_url_join(url, sizeof url, r->base, it->path);
		if (rc < 0) {
			set_err(&r->pool_err, &r->pool_err_msg, rc, it->path);
			return rc;
		}
		size_t plen = strlen(it->path) + 1;
		struct pool_req *q = malloc(sizeof *q + plen);
		if (q == NULL) {
			set_err(&r->pool_err, &r->pool_err_msg, -ENOMEM, it->path);
			return -ENOMEM;
		}
		q->r = r;
		q->size = it->size;
		memcpy(q->path, it->path, plen);
		struct sl_fetch_req req = {
			.url = url,
			.flags = SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE,
			.expect_sha256 = it->sha256,
			.expect_size = (int64_t)it->size,
			.max_size = SL_MAX_ARTIFACT_BYTES,
			.bandwidth_bps = r->src->bandwidth_bps,
			.done = pool_done,
			.arg = q,
		};
		rc = sl_fetch_add(r->ctx->fetch, &req);
		if (rc < 0) {
			set_err(&r->pool_err, &r->pool_err_msg, rc, q->path);
			free(q);
			return rc;
		}
	}
	return 0;
}

static int fetch_pool(struct apt_run *r, char **cause)
{
	int rc = sl_apt_pool_rewind(r->pool);
	if (rc < 0)
		return sl_cause(cause, rc, "pool list: %s", sl_strerror(rc));
	/* The entries go in while the files come (apt_catalog.c), and are removed again unless every file
	 * arrived; the compressed indices are made meanwhile too, at a lower priority than the downloads. */
	sl_apt_cat_start(r);
	rc = sl_apt_select_start_compressed(r, cause);
	if (rc < 0) {
		sl_apt_cat_finish(r, false, NULL);
		return rc;
	}
	/* Run the engine even when filling failed part way (the failure is in r->pool_err and stops further
	 * filling): what was queued before it must finish while r exists, its callbacks point into r, and
	 * sl_fetch_free() would otherwise call them after the run is gone. */
	pool_fill(r);
	rc = sl_fetch_run(r->ctx->fetch);
	bool ok = rc == 0 && r->pool_err == 0;
	phase_end(r, "downloads");
	int crc = sl_apt_cat_finish(r, ok, cause);
	if (rc == -SL_E_INTERRUPTED)
		return sl_cause(cause, rc, "interrupted while fetching pool files");
	if (r->pool_err != 0)
		return sl_cause(cause, r->pool_err, "%s: %s", r->pool_err_msg ? r->pool_err_msg : "pool",
			    sl_strerror(r->pool_err));
	if (rc < 0)
		return sl_cause(cause, rc, "pool: %s", sl_strerror(rc));
	return crc;
}

/* ---- the run ------------------------------------------------------------------------------------------ */

static void run_release(struct apt_run *r)
{
	for (size_t i = 0; i < r->nsuites; i++) {
		struct apt_suite *s = &r->suites[i];
		free(s->body);
		free(s->sig);
		free(s->err_msg);
		if (s->parsed)
			sl_apt_release_release(&s->rel);
	}
	char *ignored = NULL;
	for (size_t i = 0; i < r->nidx; i++) {   /* nothing more is made or recorded now */
		r->idx[i].reuse[0] = r->idx[i].reuse[1] = false;
		r->idx[i].make[0] = r->idx[i].make[1] = false;
	}
	sl_apt_select_finish_compressed(r, &ignored);   /* a run that failed early still waits for its jobs */
	free(ignored);
	for (size_t i = 0; i < r->nidx; i++)
		free(r->idx[i].err_msg);
	sl_apt_pool_free(r->pool);
	sl_apt_seen_free(r->seen);
	json_decref(r->also);
	free(r->pool_err_msg);
	sl_apt_solver_free(r->solver);
}

/* What the snapshot's content depends on besides the upstream: a run after a configuration change must
 * not be answered by "304 unchanged". */
static const char *config_fingerprint(struct apt_run *r)
{
	if (r->fingerprint[0] != '\0')
		return r->fingerprint;
	const struct sl_source *src = r->src;
	const struct sl_strlist *lists[] = { &src->suites, &src->components, &src->architectures, &src->packages,
					     &src->fingerprints };
	struct sl_hasher *h = sl_hasher_new(SL_HASH_SHA256);
	if (h == NULL)
		return "";
	sl_hasher_update(h, src->url, strlen(src->url) + 1);
	sl_hasher_update(h, src->keyring, strlen(src->keyring) + 1);
	const char *mode = src->publish == SL_PUBLISH_RESIGN ? "resign" : "verbatim";
	sl_hasher_update(h, mode, strlen(mode) + 1);
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
		for (size_t i = 0; i < lists[l]->n; i++)
			sl_hasher_update(h, lists[l]->v[i], strlen(lists[l]->v[i]) + 1);
		sl_hasher_update(h, "\n", 1);
	}
	sl_hasher_final(h, NULL, NULL, r->fingerprint, NULL);
	sl_hasher_free(h);
	return r->fingerprint;
}

static int set_clean(struct apt_run *r, bool clean)
{
	return sl_catalog_state_set(r->ctx->cat, r->ctx->source_id, "apt.clean", clean ? config_fingerprint(r) : "0");
}

/* Seal what the run has: the verifier decides (sync.c settles the snapshot). After a pre-check refused
 * something the snapshot holds the evidence up to that point, so the verifier records the refusal with
 * its reason; "apt.clean" stays unset, so the next run asks for everything again. */
static int seal(struct apt_run *r, char **cause)
{
	time_t newest = 0;
	for (size_t i = 0; i < r->nsuites; i++)
		if (r->suites[i].rel.date > newest)
			newest = r->suites[i].rel.date;
	char summary[256];
	snprintf(summary, sizeof summary, "{\"suites\":%zu,\"indices\":%zu,\"pool_files\":%zu}", r->nsuites, r->nidx,
		 r->pool != NULL ? sl_apt_pool_count(r->pool) : (size_t)0);
	/* Compressed indices still being made (a refusal after some indices were filtered) are entries too:
	 * recorded before the seal, which digests the entry list. */
	int rc = sl_apt_select_finish_compressed(r, cause);
	if (rc == 0)
		rc = sl_sync_snapshot(r->ctx, NULL);
	if (rc == 0)
		rc = sl_catalog_snapshot_seal(r->ctx->cat, r->ctx->snap_id, (int64_t)newest, summary);
	if (rc < 0)
		return sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	return 0;
}

/* Phase 1: the Release files, conditional after a clean run; SL_SYNC_UNCHANGED when every suite is. */
static int sync_releases(struct apt_run *r, char **cause)
{
	struct sl_sync_ctx *ctx = r->ctx;
	/* Conditional requests only after a clean run: a failed or killed run may have stored validators
	 * for a Release whose content never made it into a verified snapshot. */
	char *clean = NULL;
	bool was_clean = sl_catalog_state_get(ctx->cat, ctx->source_id, "apt.clean", &clean) == 0 &&
			 strcmp(clean, config_fingerprint(r)) == 0;
	free(clean);
	int rc = set_clean(r, false);
	if (rc < 0)
		return sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	for (size_t i = 0; i < r->nsuites; i++) {
		time_t last = 0;
		sl_apt_chain_last_date(ctx->cat, ctx->source_id, r->suites[i].name, &last);
		r->suites[i].conditional = was_clean && last != 0;
	}
	rc = fetch_releases(r, false, cause);
	if (rc < 0)
		return rc;
	size_t unchanged = 0;
	for (size_t i = 0; i < r->nsuites; i++)
		unchanged += r->suites[i].not_modified;
	if (unchanged == r->nsuites) {
		set_clean(r, true);
		return SL_SYNC_UNCHANGED;
	}
	/* A snapshot is complete: suites that did not change are fetched again in full. */
	if (unchanged > 0)
		return fetch_releases(r, true, cause);
	return 0;
}

/* Every suite's Release pre-checked and kept; *refused when one failed. */
static int precheck_releases(struct apt_run *r, bool *refused, char **cause)
{
	char home[SL_MAX_PATH];
	int rc = sl_verify_gpg_home(r->ctx->cfg, r->ctx->src, home, sizeof home);
	if (rc < 0)
		return sl_cause(cause, rc, "state_dir path too long");
	struct sl_gpg *gpg = sl_gpg_new(home, r->src->keyring, (const char *const *)r->src->fingerprints.v,
					r->src->fingerprints.n, cause);
	if (gpg == NULL)
		return -SL_E_SIGNATURE;
	for (size_t i = 0; i < r->nsuites && rc == 0; i++)
		rc = precheck_suite(r, &r->suites[i], gpg, refused, cause);
	sl_gpg_free(gpg);
	return rc;
}

/* Phase 2: the planned indices, each committed only if it matches the signed Release (fetch-time
 * refusals are recorded here: those bytes never reach the store, so no verifier could see them). */
static int fetch_indices(struct apt_run *r, char **cause)
{
	struct sl_sync_ctx *ctx = r->ctx;
	for (size_t i = 0; i < r->nidx; i++) {
		struct apt_index *ix = &r->idx[i];
		if (sl_store_has_size(ctx->store, ix->file->sha256, ix->file->size)) {
			memcpy(ix->sha256, ix->file->sha256, SL_SHA256_HEX);
			continue;
		}
		int rc = index_add(r, ix, ix->suite->rel.acquire_by_hash);
		if (rc < 0)
			return sl_cause(cause, rc, "index %s: %s", ix->rel_path, sl_strerror(rc));
	}
	int rc = sl_fetch_run(ctx->fetch);
	if (rc < 0)
		return sl_cause(cause, rc, "interrupted while fetching indices");
	for (size_t i = 0; i < r->nidx; i++) {
		struct apt_index *ix = &r->idx[i];
		char subject[SL_MAX_PATH];
		snprintf(subject, sizeof subject, "dists/%s/%s", ix->suite->name, ix->rel_path);
		if (ix->err != 0) {
			const char *why = ix->err_msg ? ix->err_msg : sl_strerror(ix->err);
			/* Bytes that contradict the signed Release are refused content, not a network failure. */
			if (ix->err == -SL_E_DIGEST || ix->err == -SL_E_SIZE || ix->err == -SL_E_TOOBIG)
				sl_sync_check(ctx, subject, "index-hash", ix->suite->signer, false, "%s", why);
			return sl_cause(cause, ix->err, "%s: %s", subject, why);
		}
	}
	/* The upstream indices as fetched are the evidence between Release and pool, in both publish modes. */
	for (size_t i = 0; i < r->nidx && rc == 0; i++) {
		struct apt_index *ix = &r->idx[i];
		char url[APT_URL_CAP], path[SL_MAX_PATH];
		url_of(r, ix->suite->name, ix->rel_path, url, sizeof url);
		rc = sl_apt_chain_index_path(r->src, ix->suite->name, ix->rel_path, path, sizeof path);
		if (rc == 0)
			rc = sl_sync_add_entry(ctx, path, ix->sha256, ix->file->size, "upstream-index",
					       "application/octet-stream", url, NULL);
		if (rc < 0)
			return sl_cause(cause, rc, "%s: catalogue: %s", ix->rel_path, sl_strerror(rc));
	}
	return 0;
}

/* Phase 3: the selection, and each index walked to list its pool files (and, resign, filtered).
 * *refused when an index's content was refused (the verifier records why). */
static int select_pool(struct apt_run *r, bool *refused, char **cause)
{
	struct sl_sync_ctx *ctx = r->ctx;
	/* Scratch files of this run (lean index copies, the pool list) go to the store's tmp/. */
	char tmp[SL_MAX_PATH];
	snprintf(tmp, sizeof tmp, "%s/tmp", sl_store_root(ctx->store));
	int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return sl_cause(cause, -errno, "%s: %s", tmp, strerror(errno));
	int rc = sl_apt_select_packages(r, tfd, cause);
	if (rc == 0) {
		r->pool = sl_apt_pool_new(tfd, cause);
		if (r->pool == NULL)
			rc = sl_cause(cause, -EIO, "cannot start the pool list in %s", tmp);
	}
	close(tfd);
	for (size_t i = 0; i < r->nidx && rc == 0; i++) {
		rc = sl_catalog_begin(ctx->cat);
		if (rc == 0)
			rc = sl_apt_select_filter_index(r, &r->idx[i], cause);
		if (rc == 0)
			rc = sl_catalog_commit(ctx->cat);
		else
			sl_catalog_rollback(ctx->cat);
		if (rc == -SL_E_VERIFY && r->idx[i].refused) {
			*refused = true;
			free(*cause);
			*cause = NULL;
			return 0;
		}
		if (rc < 0)
			return sl_cause(cause, rc, "index %s: %s", r->idx[i].rel_path, sl_strerror(rc));
	}
	return rc;
}

static int apt_sync(struct apt_run *r, char **cause)
{
	clock_gettime(CLOCK_MONOTONIC, &r->phase_at);
	int rc = sync_releases(r, cause);
	if (rc != 0)
		return rc;
	bool refused = false;
	rc = precheck_releases(r, &refused, cause);
	if (rc < 0 || refused)
		return rc < 0 ? rc : seal(r, cause);
	for (size_t i = 0; i < r->nsuites && rc == 0 && !refused; i++)
		rc = plan_indices(r, &r->suites[i], &refused, cause);
	if (rc < 0 || refused)
		return rc < 0 ? rc : seal(r, cause);
	phase_end(r, "release");
	rc = fetch_indices(r, cause);
	phase_end(r, "indices");
	if (rc == 0)
		rc = select_pool(r, &refused, cause);
	phase_end(r, "select");
	if (rc < 0 || refused)
		return rc < 0 ? rc : seal(r, cause);
	/* Every index is filtered: the set of queued paths has done its job. */
	sl_apt_seen_free(r->seen);
	r->seen = NULL;
	/* The selection is applied: the solver's pool, a run's largest allocation with `packages =`, goes
	 * before the downloads and the compression jobs add theirs (peak RSS is the larger, not the sum). */
	sl_apt_solver_free(r->solver);
	r->solver = NULL;
	rc = fetch_pool(r, cause);
	phase_end(r, "catalogue");
	if (rc == 0)
		rc = sl_apt_select_finish_compressed(r, cause);
	phase_end(r, "compressed indices");
	if (rc == 0)
		rc = seal(r, cause);
	phase_end(r, "seal");
	if (rc == 0)
		set_clean(r, true);
	return rc;
}

static int apt_run(struct sl_sync_ctx *ctx, char **cause)
{
	const struct sl_source *src = ctx->src;
	struct apt_run *r = calloc(1, sizeof *r);
	if (r == NULL)
		return -ENOMEM;
	r->ctx = ctx;
	r->src = src;
	r->seen = sl_apt_seen_new();
	if (r->seen == NULL) {
		free(r);
		return -ENOMEM;
	}
	int n = snprintf(r->base, sizeof r->base, "%s", src->url);
	if (n < 0 || (size_t)n >= sizeof r->base) {
		sl_apt_seen_free(r->seen);
		free(r);
		return sl_cause(cause, -SL_E_TOOBIG, "url too long");
	}
	while (n > 0 && r->base[n - 1] == '/')
		r->base[--n] = '\0';
	if (src->suites.n > SL_APT_MAX_SUITES) {
		sl_apt_seen_free(r->seen);
		free(r);
		return sl_cause(cause, -SL_E_TOOBIG, "too many suites (max %d)", SL_APT_MAX_SUITES);
	}
	for (size_t i = 0; i < src->suites.n; i++)
		r->suites[i].name = src->suites.v[i];
	r->nsuites = src->suites.n;
	int rc = apt_sync(r, cause);
	run_release(r);
	free(r);
	return rc;
}

static void apt_refused(struct sl_sync_ctx *ctx)
{
	sl_catalog_state_set(ctx->cat, ctx->source_id, "apt.clean", "0");
}

const struct sl_syncer sl_apt_syncer = {
	.run = apt_run,
	.refused = apt_refused,
};
