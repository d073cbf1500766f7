/* sync_rpm: fetch an RPM repository's chain repomd.xml(.asc) -> metadata files -> packages into the store
 * (see sync_rpm.h). Primary is streamed once; packages are fetched in windows as it goes, so memory stays
 * bounded by the window, not the repository. */
#include "syncd/sync_rpm.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/rpm_depsolve.h"
#include "core/rpm_primary.h"
#include "core/rpm_repomd.h"
#include "core/rpm_updateinfo.h"
#include "core/strset.h"
#include "core/store.h"
#include "syncd/fetch.h"
#include "verify/rpm_chain.h"

#define RPM_WINDOW 128          /* package downloads queued before draining: enough to fill every connection */
#define RPM_URL_CAP SL_MAX_URL

struct ready {                  /* a package in the store, waiting for its catalogue entry */
	char *href, *meta;
	char sha256[SL_SHA256_HEX];
	uint64_t size;
};

struct rpm_run {
	struct sl_sync_ctx *ctx;
	const struct sl_source *src;
	char base[RPM_URL_CAP];
	uint8_t *repomd, *asc;
	size_t repomd_len, asc_len;
	bool asc_absent;
	int err;
	char *err_msg;
	struct sl_rpm_repomd md;
	bool md_ok;
	struct ready ready[2 * RPM_WINDOW];
	size_t nready, queued;
	uint64_t pkgs, pkg_bytes, skipped;
	struct sl_rpm_solver *solver;  /* `packages =`: the closure; NULL: every package */
	struct sl_strset *mirrored;    /* "name-epoch:version-release.arch" of every package taken, for updateinfo */
	json_t *advisories;            /* updateinfo's advisories about mirrored packages (sluice diff) */
};

struct pkg_req {
	struct rpm_run *r;
	struct ready item;
};

static void set_err(struct rpm_run *r, int rc, const char *what)
{
	if (r->err != 0)
		return;
	r->err = rc;
	r->err_msg = strdup(what);
}

static int url_of(const struct rpm_run *r, const char *rel, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/%s", r->base, rel);
	return (n < 0 || (size_t)n >= cap) ? -SL_E_TOOBIG : 0;
}

/* ---- phase 1: repomd.xml and its signature ------------------------------------------------------------- */

struct root_req {
	struct rpm_run *r;
	bool sig;
};

static void root_done(void *arg, const struct sl_fetch_result *res)
{
	struct root_req *q = arg;
	struct rpm_run *r = q->r;
	if (q->sig && res->status == 404) {
		r->asc_absent = true;   /* the verifier decides whether that is allowed (repo_signed) */
	} else if (res->err != 0) {
		set_err(r, res->err, res->message ? res->message : sl_strerror(res->err));
	} else {
		uint8_t **dst = q->sig ? &r->asc : &r->repomd;
		size_t *len = q->sig ? &r->asc_len : &r->repomd_len;
		*dst = sl_fetch_body_dup(res, len);
		if (*dst == NULL)
			set_err(r, -ENOMEM, "out of memory");
	}
	free(q);
}

static int root_add(struct rpm_run *r, bool sig)
{
	char url[RPM_URL_CAP];
	int rc = url_of(r, sig ? "repodata/repomd.xml.asc" : "repodata/repomd.xml", url, sizeof url);
	if (rc < 0)
		return rc;
	struct root_req *q = malloc(sizeof *q);
	if (q == NULL)
		return -ENOMEM;
	*q = (struct root_req){ r, sig };
	struct sl_fetch_req req = {
		.url = url,
		.flags = sig ? SL_FETCH_OPTIONAL : 0,
		.expect_size = -1,
		.max_size = sig ? SL_MAX_RPM_SIG_BYTES : SL_MAX_RPM_REPOMD_BYTES,
		.bandwidth_bps = r->src->bandwidth_bps,
		.done = root_done,
		.arg = q,
	};
	rc = sl_fetch_add(r->ctx->fetch, &req);
	if (rc < 0)
		free(q);
	return rc;
}

static int add_blob(struct rpm_run *r, const char *path, const void *data, size_t len, const char *role)
{
	char sha[SL_SHA256_HEX], url[RPM_URL_CAP];
	int rc = sl_store_put(r->ctx->store, data, len, NULL, sha);
	if (rc == 0)
		rc = url_of(r, path, url, sizeof url);
	if (rc == 0)
		rc = sl_sync_add_entry(r->ctx, path, sha, len, role, "application/xml", url, NULL);
	return rc;
}

static int fetch_root(struct rpm_run *r, char **cause)
{
	int rc = root_add(r, false);
	if (rc == 0)
		rc = root_add(r, true);
	if (rc < 0)
		return sl_cause(cause, rc, "repodata/repomd.xml: %s", sl_strerror(rc));
	rc = sl_fetch_run(r->ctx->fetch);
	if (rc < 0)
		return sl_cause(cause, rc, "interrupted while fetching repomd.xml");
	if (r->err != 0)
		return sl_cause(cause, r->err, "repodata/repomd.xml: %s", r->err_msg ? r->err_msg : "fetch failed");
	/* The same signed root as the last accepted snapshot, under the same configuration: nothing to do. */
	char root[SL_SHA256_HEX], *last = NULL;
	sl_rpm_chain_root_digest(r->repomd, r->repomd_len, r->asc_absent ? NULL : r->asc, r->asc_len, r->src, root);
	bool same = sl_catalog_state_get(r->ctx->cat, r->ctx->source_id, SL_RPM_STATE_ACCEPTED, &last) == 0 &&
		    strcmp(last, root) == 0;
	free(last);
	if (same)
		return SL_SYNC_UNCHANGED;
	rc = add_blob(r, "repodata/repomd.xml", r->repomd, r->repomd_len, "repomd");
	if (rc == 0 && !r->asc_absent)
		rc = add_blob(r, "repodata/repomd.xml.asc", r->asc, r->asc_len, "repomd-sig");
	if (rc < 0)
		return sl_cause(cause, rc, "repomd.xml: cannot store: %s", sl_strerror(rc));
	/* Parsed here only to know what to fetch; the verifier parses the stored bytes again and judges. */
	char *pcause = NULL;
	r->md_ok = sl_rpm_repomd_parse(r->repomd, r->repomd_len, &r->md, &pcause) == 0;
	free(pcause);
	return 0;
}

/* ---- phase 2: metadata files ---------------------------------------------------------------------------- */

/* What can be fetched with an early reject: a SHA-256 record with a size at a safe href. Anything else is
 * left out of the snapshot, and the verifier refuses the record with the reason. Every record is mirrored,
 * the sqlite (yum) and zchunk (dnf with zchunk) variants too: a verbatim repomd.xml lists them, and a client
 * that picks one must find it. */
static bool fetchable(const struct sl_rpm_record *rec)
{
	char why[256];
	return strcmp(rec->sum_type, "sha256") == 0 && strlen(rec->sum) == 64 && rec->size >= 0 &&
	       sl_rpm_href_check(rec->href, rec->has_base, why, sizeof why) == 0;
}

struct meta_req {
	struct rpm_run *r;
	const struct sl_rpm_record *rec;
};

static void meta_done(void *arg, const struct sl_fetch_result *res)
{
	struct meta_req *q = arg;
	if (res->err != 0) {
		/* Bytes that contradict the signed record are refused content, not a network failure. */
		if (res->err == -SL_E_DIGEST || res->err == -SL_E_SIZE || res->err == -SL_E_TOOBIG)
			sl_sync_check(q->r->ctx, q->rec->href, "metadata-hash", NULL, false, "%s",
				      res->message ? res->message : sl_strerror(res->err));
		set_err(q->r, res->err, q->rec->href);
	}
	free(q);
}

static int fetch_metadata(struct rpm_run *r, char **cause)
{
	struct sl_sync_ctx *ctx = r->ctx;
	for (size_t i = 0; i < r->md.n; i++) {
		const struct sl_rpm_record *rec = &r->md.rec[i];
		if (!fetchable(rec) || sl_store_has_size(ctx->store, rec->sum, (uint64_t)rec->size))
			continue;
		char url[RPM_URL_CAP];
		int rc = url_of(r, rec->href, url, sizeof url);
		struct meta_req *q = rc == 0 ? malloc(sizeof *q) : NULL;
		if (q == NULL)
			return sl_cause(cause, rc < 0 ? rc : -ENOMEM, "%s: %s", rec->href, sl_strerror(rc < 0 ? rc : -ENOMEM));
		*q = (struct meta_req){ r, rec };
		struct sl_fetch_req req = {
			.url = url,
			.flags = SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE,
			.expect_sha256 = rec->sum,
			.expect_size = rec->size,
			.max_size = SL_MAX_RPM_META_COMPRESSED,
			.bandwidth_bps = r->src->bandwidth_bps,
			.done = meta_done,
			.arg = q,
		};
		rc = sl_fetch_add(ctx->fetch, &req);
		if (rc < 0) {
			free(q);
			return sl_cause(cause, rc, "%s: %s", rec->href, sl_strerror(rc));
		}
	}
	int rc = sl_fetch_run(ctx->fetch);
	if (rc < 0)
		return sl_cause(cause, rc, "interrupted while fetching metadata");
	if (r->err != 0)
		return sl_cause(cause, r->err, "%s: %s", r->err_msg ? r->err_msg : "metadata", sl_strerror(r->err));
	for (size_t i = 0; i < r->md.n && rc == 0; i++) {
		const struct sl_rpm_record *rec = &r->md.rec[i];
		if (!fetchable(rec))
			continue;
		char url[RPM_URL_CAP], meta[128];
		rc = url_of(r, rec->href, url, sizeof url);
		if (rc < 0)
			break;
		snprintf(meta, sizeof meta, "{\"type\":\"%.64s\"}", rec->type);
		rc = sl_sync_add_entry(ctx, rec->href, rec->sum, (uint64_t)rec->size, "metadata", "application/octet-stream",
				       url, meta);
	}
	if (rc < 0)
		return sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	return 0;
}

/* ---- phase 3: packages, in windows while primary streams ---------------------------------------------------- */

static int flush_ready(struct rpm_run *r)
{
	if (r->nready == 0)
		return 0;
	int rc = sl_catalog_begin(r->ctx->cat);
	for (size_t i = 0; i < r->nready && rc == 0; i++) {
		struct ready *it = &r->ready[i];
		char url[RPM_URL_CAP];
		rc = url_of(r, it->href, url, sizeof url);
		if (rc < 0)
			break;
		rc = sl_sync_add_entry(r->ctx, it->href, it->sha256, it->size, "package", "application/x-rpm", url,
				       it->meta);
	}
	if (rc == 0)
		rc = sl_catalog_commit(r->ctx->cat);
	else
		sl_catalog_rollback(r->ctx->cat);
	for (size_t i = 0; i < r->nready; i++) {
		free(r->ready[i].href);
		free(r->ready[i].meta);
	}
	r->nready = 0;
	return rc;
}

static void pkg_done(void *arg, const struct sl_fetch_result *res)
{
	struct pkg_req *q = arg;
	struct rpm_run *r = q->r;
	if (res->err != 0) {
		if (res->err == -SL_E_DIGEST || res->err == -SL_E_SIZE || res->err == -SL_E_TOOBIG)
			sl_sync_check(r->ctx, q->item.href, "package-file", NULL, false, "%s",
				      res->message ? res->message : sl_strerror(res->err));
		set_err(r, res->err, q->item.href);
		free(q->item.href);
		free(q->item.meta);
	} else {
		r->ready[r->nready++] = q->item;   /* room: at most RPM_WINDOW in flight, flushed after each drain */
	}
	free(q);
	if (r->ctx->progress != NULL)
		r->ctx->progress(r->ctx->progress_arg, "packages", r->pkgs, 0, r->pkg_bytes, 0);
}

static int drain(struct rpm_run *r)
{
	int rc = sl_fetch_run(r->ctx->fetch);
	r->queued = 0;
	if (rc == 0 && r->err != 0)
		rc = r->err;
	if (rc == 0)
		rc = flush_ready(r);
	return rc;
}

static char *pkg_meta(const struct sl_rpm_pkg *p)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", p->name, "epoch", p->epoch[0] ? p->epoch : "0",
			      "version", p->ver, "release", p->rel, "arch", p->arch);
	char *txt = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return txt;
}

static bool arch_selected(const struct sl_source *src, const char *arch)
{
	for (size_t i = 0; i < src->architectures.n; i++)
		if (strcmp(src->architectures.v[i], arch) == 0)
			return true;
	return false;
}

static int on_pkg(void *arg, const struct sl_rpm_pkg *p)
{
	struct rpm_run *r = arg;
	char why[256];
	if (!arch_selected(r->src, p->arch))
		return 0;
	if (r->solver != NULL && !sl_rpm_solver_selected(r->solver, p->name, p->epoch, p->ver, p->rel, p->arch))
		return 0;
	if (strcmp(p->sum_type, "sha256") != 0 || strlen(p->sum) != 64 || p->size < 0 ||
	    sl_rpm_href_check(p->href, p->has_base, why, sizeof why) < 0) {
		r->skipped++;   /* the verifier names it */
		return 0;
	}
	struct ready it = { .size = (uint64_t)p->size };
	memcpy(it.sha256, p->sum, SL_SHA256_HEX);
	it.href = strdup(p->href);
	it.meta = pkg_meta(p);
	if (it.href == NULL || it.meta == NULL) {
		free(it.href);
		free(it.meta);
		return -ENOMEM;
	}
	r->pkgs++;
	r->pkg_bytes += it.size;
	char key[1024];
	snprintf(key, sizeof key, "%s-%s:%s-%s.%s", p->name, p->epoch[0] ? p->epoch : "0", p->ver, p->rel, p->arch);
	if (sl_strset_add(r->mirrored, key) < 0) {
		free(it.href);
		free(it.meta);
		return -ENOMEM;
	}
	if (sl_store_has_size(r->ctx->store, it.sha256, it.size)) {
		r->ready[r->nready++] = it;
		return r->nready >= RPM_WINDOW ? drain(r) : 0;
	}
	char url[RPM_URL_CAP];
	int rc = url_of(r, it.href, url, sizeof url);
	struct pkg_req *q = rc == 0 ? malloc(sizeof *q) : NULL;
	if (q == NULL) {
		free(it.href);
		free(it.meta);
		return rc < 0 ? rc : -ENOMEM;
	}
	*q = (struct pkg_req){ r, it };
	struct sl_fetch_req req = {
		.url = url,
		.flags = SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE,
		.expect_sha256 = it.sha256,
		.expect_size = (int64_t)it.size,
		.max_size = SL_MAX_ARTIFACT_BYTES,
		.bandwidth_bps = r->src->bandwidth_bps,
		.done = pkg_done,
		.arg = q,
	};
	rc = sl_fetch_add(r->ctx->fetch, &req);
	if (rc < 0) {
		free(it.href);
		free(it.meta);
		free(q);
		return rc;
	}
	if (++r->queued + r->nready >= RPM_WINDOW)
		return drain(r);
	return 0;
}

static uint64_t open_cap(const struct sl_rpm_record *rec)
{
	return rec->open_size >= 0 && (uint64_t)rec->open_size < SL_MAX_RPM_META_BYTES ? (uint64_t)rec->open_size
										   : SL_MAX_RPM_META_BYTES;
}

static int no_pkg(void *arg, const struct sl_rpm_pkg *p)
{
	(void)arg;
	(void)p;
	return 0;
}

/* `packages =`: the dependency closure, from a primary our own parser accepted first (libsolv's XML reader
 * is not the defensive one). A primary that does not parse leaves the selection empty: the verifier says why. */
static int select_packages(struct rpm_run *r, const struct sl_rpm_record *rec, char **cause)
{
	int fd = -1;
	int rc = sl_store_open_object(r->ctx->store, rec->sum, &fd, NULL);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: %s", rec->href, sl_strerror(rc));
	struct sl_rpm_open o = { .max_out = open_cap(rec) };
	char *pcause = NULL;
	rc = sl_rpm_primary_parse_fd(fd, &o, no_pkg, NULL, NULL, &pcause);
	free(pcause);
	pcause = NULL;
	const struct sl_source *src = r->src;
	if (rc == 0) {
		r->solver = sl_rpm_solver_new((const char *const *)src->architectures.v, src->architectures.n, cause);
		rc = r->solver == NULL ? -ENOMEM : 0;
	}
	if (rc == 0 && lseek(fd, 0, SEEK_SET) == 0)
		rc = sl_rpm_solver_add_primary(r->solver, fd, o.max_out, cause);
	close(fd);
	if (rc == 0)
		rc = sl_rpm_solver_closure(r->solver, (const char *const *)src->packages.v, src->packages.n, cause);
	if (rc < 0 && r->solver == NULL)
		return 0;   /* the verifier refuses this primary */
	if (rc < 0)
		return sl_cause(cause, rc, "packages: %s", sl_strerror(rc));
	return 0;
}

static int fetch_packages(struct rpm_run *r, char **cause)
{
	const struct sl_rpm_record *rec = sl_rpm_repomd_find(&r->md, "primary");
	if (rec == NULL || !fetchable(rec))
		return 0;   /* nothing to list from: the verifier says why */
	int rc = r->src->packages.n > 0 ? select_packages(r, rec, cause) : 0;
	if (rc < 0)
		return rc;
	if (r->src->packages.n > 0 && r->solver == NULL)
		return 0;
	int fd = -1;
	rc = sl_store_open_object(r->ctx->store, rec->sum, &fd, NULL);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: %s", rec->href, sl_strerror(rc));
	struct sl_rpm_open o = { .max_out = open_cap(rec) };
	char *pcause = NULL;
	rc = sl_rpm_primary_parse_fd(fd, &o, on_pkg, r, NULL, &pcause);
	close(fd);
	if (rc == 0)
		rc = drain(r);
	else
		drain(r);
	if (rc < 0 && r->err != 0) {
		free(pcause);
		return sl_cause(cause, r->err, "%s: %s", r->err_msg ? r->err_msg : "package", sl_strerror(r->err));
	}
	if (rc == -SL_E_INTERRUPTED || rc == -ENOMEM || rc == -SL_E_CATALOG) {
		sl_cause(cause, rc, "%s: %s", rec->href, pcause ? pcause : sl_strerror(rc));
		free(pcause);
		return rc;
	}
	/* A primary that does not parse or decompress is the verifier's finding, not a sync failure. */
	free(pcause);
	return 0;
}

/* ---- phase 4: what updateinfo says about the mirrored packages, for `sluice diff` ---------------------------- */

static int on_advisory(void *arg, const struct sl_rpm_advisory *a)
{
	struct rpm_run *r = arg;
	json_t *pk = json_array(), *cves = json_array();
	for (size_t i = 0; i < a->npkgs; i++)
		if (sl_strset_has(r->mirrored, a->pkgs[i]))
			json_array_append_new(pk, json_string(a->pkgs[i]));
	for (size_t i = 0; i < a->ncves; i++)
		json_array_append_new(cves, json_string(a->cves[i]));
	if (json_array_size(pk) == 0) {
		json_decref(pk);
		json_decref(cves);
		return 0;
	}
	json_object_set_new(r->advisories, a->id, json_pack("{s:s, s:s, s:o, s:o}", "type", a->type, "severity",
							      a->severity, "cves", cves, "packages", pk));
	return 0;
}

static int parse_advisories(ssize_t (*read)(void *arg, void *buf, size_t cap), void *read_arg, void *arg, char **cause)
{
	return sl_rpm_updateinfo_parse(read, read_arg, on_advisory, arg, cause);
}

/* The updateinfo entry's meta carries the advisories that concern mirrored packages (id, type, severity,
 * CVEs, which packages): the differ reads the catalogue only. An updateinfo that does not parse is the
 * verifier's finding. */
static int annotate_updateinfo(struct rpm_run *r, char **cause)
{
	const struct sl_rpm_record *rec = sl_rpm_repomd_find(&r->md, "updateinfo");
	if (rec == NULL || !fetchable(rec))
		return 0;
	int fd = -1;
	int rc = sl_store_open_object(r->ctx->store, rec->sum, &fd, NULL);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: %s", rec->href, sl_strerror(rc));
	r->advisories = json_object();
	struct sl_rpm_open o = { .max_out = open_cap(rec) };
	char *pcause = NULL;
	rc = sl_rpm_parse_fd(fd, &o, parse_advisories, r, &pcause);
	close(fd);
	free(pcause);
	if (rc < 0)
		return 0;
	json_t *meta = json_pack("{s:s, s:O}", "type", "updateinfo", "advisories", r->advisories);
	char *txt = meta != NULL ? json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(meta);
	char url[RPM_URL_CAP];
	rc = url_of(r, rec->href, url, sizeof url);
	if (rc == 0)
		rc = txt != NULL ? sl_sync_add_entry(r->ctx, rec->href, rec->sum, (uint64_t)rec->size, "metadata",
						     "application/octet-stream", url, txt) : -ENOMEM;
	free(txt);
	return rc < 0 ? sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc)) : 0;
}

/* ---- the run -------------------------------------------------------------------------------------------------- */

static int rpm_sync(struct rpm_run *r, char **cause)
{
	int rc = fetch_root(r, cause);
	if (rc == SL_SYNC_UNCHANGED)
		return rc;
	if (rc == 0 && r->md_ok)
		rc = fetch_metadata(r, cause);
	if (rc == 0 && r->md_ok)
		rc = fetch_packages(r, cause);
	if (rc == 0 && r->md_ok)
		rc = annotate_updateinfo(r, cause);
	if (rc < 0)
		return rc;
	rc = sl_store_sync(r->ctx->store);
	if (rc < 0)
		return sl_cause(cause, rc, "store: %s", sl_strerror(rc));
	char summary[512];
	snprintf(summary, sizeof summary, "{\"revision\":\"%.100s\",\"records\":%zu,\"packages\":%llu,\"bytes\":%llu}",
		 r->md_ok ? r->md.revision : "", r->md.n, (unsigned long long)r->pkgs,
		 (unsigned long long)r->pkg_bytes);
	for (char *c = summary; *c; c++)
		if (*c == '\\' || (unsigned char)*c < 0x20)
			*c = '_';
	rc = sl_catalog_snapshot_seal(r->ctx->cat, r->ctx->snap_id, r->md_ok ? r->md.newest_timestamp : 0, summary);
	if (rc < 0)
		return sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	return 0;
}

static int rpm_run(struct sl_sync_ctx *ctx, char **cause)
{
	struct rpm_run *r = calloc(1, sizeof *r);
	if (r == NULL)
		return -ENOMEM;
	r->ctx = ctx;
	r->src = ctx->src;
	r->mirrored = sl_strset_new();
	if (r->mirrored == NULL) {
		free(r);
		return -ENOMEM;
	}
	int n = snprintf(r->base, sizeof r->base, "%s", ctx->src->url);
	int rc;
	if (n < 0 || (size_t)n >= sizeof r->base) {
		rc = sl_cause(cause, -SL_E_TOOBIG, "url too long");
	} else {
		while (n > 0 && r->base[n - 1] == '/')
			r->base[--n] = '\0';
		rc = rpm_sync(r, cause);
	}
	for (size_t i = 0; i < r->nready; i++) {
		free(r->ready[i].href);
		free(r->ready[i].meta);
	}
	free(r->repomd);
	free(r->asc);
	free(r->err_msg);
	sl_rpm_solver_free(r->solver);
	sl_strset_free(r->mirrored);
	json_decref(r->advisories);
	sl_rpm_repomd_release(&r->md);
	free(r);
	return rc;
}

const struct sl_syncer sl_rpm_syncer = {
	.run = rpm_run,
};
