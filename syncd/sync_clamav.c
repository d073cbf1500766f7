/* sync_clamav: mirror ClamAV databases (CVD, CDIFF, .sign), probing versions the way freshclam does. */
#include "syncd/sync_clamav.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/cvd.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store.h"
#include "syncd/fetch.h"
#include "verify/clamav_db.h"
#include "verify/clamav_sig.h"
#include "verify/verifier.h"

#define DNS_MAX_AGE_S (3 * 3600)  /* s: freshclam distrusts a TXT record older than 3 hours */
#define DNS_ANSWER_MAX 4096       /* bytes of a DNS answer: the record is < 100 bytes */
#define STATE_CLEAN "clamav.clean"

struct prev_entry {
	char *path, *sha256, *role, *meta, *db;
	uint64_t size;
	int64_t version, build_time;
};

struct cl_db {
	const char *name;
	int64_t accepted;             /* last accepted version, 0 if none */
	int64_t remote;               /* upstream's current version */
	bool changed;
};

struct held {                     /* a check record held back, see "early reject" */
	char *subject, *check, *fpr, *reason;
	bool passed;
};

struct cl_run {
	struct sl_sync_ctx *ctx;
	const struct sl_source *src;
	struct sl_clamav_keys *keys;
	char base[SL_MAX_URL];
	bool conditional;
	struct cl_db *dbs;
	size_t ndbs;
	struct prev_entry *prev;
	size_t nprev, capprev;
	int64_t prev_snap;
	char dns_txt[256];            /* the TXT record, "" when not (yet) known */
	int dns_state;                /* 0 not asked, 1 usable, -1 unusable (probe over HTTP) */
	int64_t newest_stime;
	json_t *summary;
	struct held *held;
	size_t nheld, capheld;
	bool held_oom;
};


/* ---- one request at a time: ClamAV's CDN bans impatient clients ---- */

struct one {
	int err;
	long status;
	bool not_modified;
	char sha256[SL_SHA256_HEX];
	uint64_t size;
	uint8_t *body;
	size_t len;
	char msg[512];
};

static void one_done(void *arg, const struct sl_fetch_result *res)
{
	struct one *o = arg;
	o->err = res->err;
	o->status = res->status;
	o->not_modified = res->not_modified;
	o->size = res->size;
	snprintf(o->sha256, sizeof o->sha256, "%s", res->sha256);
	snprintf(o->msg, sizeof o->msg, "%s", res->message != NULL ? res->message : sl_strerror(res->err));
	if (res->err == 0 && res->body != NULL) {
		o->body = sl_fetch_body_dup(res, &o->len);
		if (o->body == NULL) {
			o->err = -ENOMEM;
			snprintf(o->msg, sizeof o->msg, "out of memory");
			return;
		}
	}
}

/* 0 when the request ran (its outcome is in *o), negative when it could not (interrupted). */
static int fetch_one(struct cl_run *r, const char *name, unsigned flags, const char *range, uint64_t max,
		     struct one *o, const char *const *headers)
{
	memset(o, 0, sizeof *o);
	char url[SL_MAX_URL + SL_MAX_REL_PATH];
	int n = snprintf(url, sizeof url, "%s/%s", r->base, name);
	if (n < 0 || (size_t)n >= sizeof url)
		return -SL_E_TOOBIG;
	struct sl_fetch_req req = {
		.url = url,
		.flags = flags | SL_FETCH_COOLDOWN_403,   /* a 403 from the CDN is a ban: back off for long */
		.expect_size = -1,
		.max_size = max,
		.range = range,
		.headers = headers,
		.bandwidth_bps = r->src->bandwidth_bps,
		.done = one_done,
		.arg = o,
	};
	int rc = sl_fetch_add(r->ctx->fetch, &req);
	if (rc < 0) {
		o->err = rc;
		snprintf(o->msg, sizeof o->msg, "%s", sl_strerror(rc));
		return 0;
	}
	return sl_fetch_run(r->ctx->fetch);
}

/* ---- the previous snapshot ---- */

static int collect_prev(void *arg, const struct sl_entry *e)
{
	struct cl_run *r = arg;
	if (r->nprev == r->capprev) {
		size_t cap = r->capprev ? r->capprev * 2 : 32;
		struct prev_entry *v = realloc(r->prev, cap * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		r->prev = v;
		r->capprev = cap;
	}
	struct prev_entry *p = &r->prev[r->nprev];
	memset(p, 0, sizeof *p);
	p->size = e->size;
	p->path = strdup(e->path);
	p->sha256 = strdup(e->sha256);
	p->role = strdup(e->role != NULL ? e->role : "");
	p->meta = e->meta_json != NULL ? strdup(e->meta_json) : NULL;
	r->nprev++;
	if (p->path == NULL || p->sha256 == NULL || p->role == NULL)
		return -ENOMEM;
	json_t *m = e->meta_json != NULL ? json_loads(e->meta_json, 0, NULL) : NULL;
	const char *db = json_string_value(json_object_get(m, "database"));
	p->db = db != NULL ? strdup(db) : NULL;
	p->version = json_integer_value(json_object_get(m, "version"));
	p->build_time = json_integer_value(json_object_get(m, "build_time"));
	json_decref(m);
	return 0;
}

struct newest {
	int64_t id;
};

static int pick_newest(void *arg, const struct sl_snapshot_info *s)
{
	struct newest *nw = arg;
	if (s->state == SL_SNAP_PENDING || s->state == SL_SNAP_PUBLISHED || s->state == SL_SNAP_SUPERSEDED) {
		nw->id = s->id;
		return 1;   /* newest first: the first accepted one is it */
	}
	return 0;
}

static int load_prev(struct cl_run *r)
{
	struct newest nw = { 0 };
	int rc = sl_catalog_snapshots(r->ctx->cat, r->ctx->source_id, -1, pick_newest, &nw);
	if (rc < 0)
		return rc;
	r->prev_snap = nw.id;
	if (nw.id == 0)
		return 0;
	return sl_catalog_snapshot_entries(r->ctx->cat, nw.id, collect_prev, r);
}

static const struct prev_entry *prev_find(const struct cl_run *r, const char *path)
{
	for (size_t i = 0; i < r->nprev; i++)
		if (strcmp(r->prev[i].path, path) == 0)
			return &r->prev[i];
	return NULL;
}

/* ---- failed objects leave the store, unless something else holds them ---- */

struct ref_scan {
	struct sl_catalog *cat;
	int64_t skip;
	const char *sha256;
	bool found;
};

static int ref_entry(void *arg, const struct sl_entry *e)
{
	struct ref_scan *rs = arg;
	if (strcmp(e->sha256, rs->sha256) == 0) {
		rs->found = true;
		return 1;
	}
	return 0;
}

static int ref_snap(void *arg, const struct sl_snapshot_info *s)
{
	struct ref_scan *rs = arg;
	if (s->id == rs->skip)
		return 0;
	sl_catalog_snapshot_entries(rs->cat, s->id, ref_entry, rs);
	return rs->found ? 1 : 0;
}

static void discard(struct cl_run *r, const char *sha256)
{
	struct ref_scan rs = { r->ctx->cat, r->ctx->snap_id, sha256, false };
	if (sl_catalog_snapshots(r->ctx->cat, 0, -1, ref_snap, &rs) < 0 || rs.found)
		return;   /* unknown or referenced: keep it, gc decides */
	int rc = sl_store_remove(r->ctx->store, sha256);
	if (rc < 0)
		sl_log_warn(r->src->name, "cannot remove refused object %s from the store: %s", sha256, sl_strerror(rc));
}

/* ---- version discovery ---- */

/* The first TXT string of the answer to `name`, or an error (the caller falls back to HTTP). */
static int dns_txt(const char *name, char *out, size_t cap)
{
	unsigned char ans[DNS_ANSWER_MAX];
	int n = res_query(name, C_IN, T_TXT, ans, sizeof ans);
	if (n < NS_HFIXEDSZ)
		return -SL_E_NETWORK;
	const unsigned char *p = ans + NS_HFIXEDSZ, *end = ans + n;
	unsigned qd = (unsigned)(ans[4] << 8 | ans[5]), an = (unsigned)(ans[6] << 8 | ans[7]);
	for (unsigned i = 0; i < qd; i++) {
		int k = dn_skipname(p, end);
		if (k < 0 || end - p < k + 4)
			return -SL_E_PARSE;
		p += k + 4;
	}
	for (unsigned i = 0; i < an; i++) {
		int k = dn_skipname(p, end);
		if (k < 0 || end - p < k + 10)
			return -SL_E_PARSE;
		p += k;
		unsigned type = (unsigned)(p[0] << 8 | p[1]), rdlen = (unsigned)(p[8] << 8 | p[9]);
		p += 10;
		if ((size_t)(end - p) < rdlen)
			return -SL_E_PARSE;
		if (type == T_TXT && rdlen > 0 && p[0] > 0 && (size_t)p[0] < rdlen && (size_t)p[0] < cap) {
			memcpy(out, p + 1, p[0]);
			out[p[0]] = '\0';
			return 0;
		}
		p += rdlen;
	}
	return -SL_E_NOTFOUND;
}

static bool probe_dns(struct cl_run *r, struct cl_db *d)
{
	if (r->src->dns == NULL || r->dns_state < 0)
		return false;
	if (r->dns_state == 0) {
		int rc = dns_txt(r->src->dns, r->dns_txt, sizeof r->dns_txt);
		r->dns_state = rc == 0 ? 1 : -1;
		if (rc < 0) {
			sl_log_warn(r->src->name, "dns %s: no usable TXT record (%s); probing over HTTP", r->src->dns,
				    sl_strerror(rc));
			return false;
		}
	}
	uint32_t v;
	int64_t at;
	int rc = sl_cvd_dns_version(r->dns_txt, strlen(r->dns_txt), d->name, &v, &at);
	if (rc == -SL_E_NOTFOUND)
		return false;   /* not announced there (test, custom databases): HTTP */
	if (rc < 0 || (int64_t)time(NULL) - at > DNS_MAX_AGE_S) {
		sl_log_warn(r->src->name, "dns %s: %s \"%s\"; probing over HTTP", r->src->dns,
			    rc < 0 ? "malformed record" : "record older than 3 hours", r->dns_txt);
		r->dns_state = -1;
		return false;
	}
	d->remote = v;
	sl_log_debug(r->src->name, "dns %s: %s version %u", r->src->dns, d->name, v);
	return true;
}

/* The CVD header only, with If-Modified-Since: what freshclam asks before anything else. */
static int probe_http(struct cl_run *r, struct cl_db *d, char **cause)
{
	char name[SL_CVD_DBNAME_MAX + 8];
	snprintf(name, sizeof name, "%s.cvd", d->name);
	/* The fetch engine leaves ranged requests unconditional (its ranges are resumes), so the header is
	 * sent here: the upstream's own Last-Modified from the last clean run, else, as freshclam does, the
	 * build time of the CVD accepted last. CONDITIONAL makes a 304 an answer, not an error. */
	char ims[96] = "";      /* "If-Modified-Since: " + an HTTP date (< 64 bytes, checked) */
	if (r->conditional && d->accepted > 0) {
		char url[SL_MAX_URL + SL_MAX_REL_PATH], *lm = NULL;
		snprintf(url, sizeof url, "%s/%s", r->base, name);
		const struct prev_entry *p = prev_find(r, name);
		if (sl_catalog_http_get(r->ctx->cat, url, NULL, &lm) == 0 && lm != NULL && strlen(lm) < 64) {
			snprintf(ims, sizeof ims, "If-Modified-Since: %s", lm);
		} else if (p != NULL && p->version == d->accepted && p->build_time > 0) {
			time_t t = (time_t)p->build_time;
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(ims, sizeof ims, "If-Modified-Since: %a, %d %b %Y %H:%M:%S GMT", &tm);
		}
		free(lm);
	}
	const char *const hdrs[] = { ims, NULL };
	struct one o;
	int rc = fetch_one(r, name, SL_FETCH_CONDITIONAL, "0-511", SL_MAX_CVD_HEADER, &o, ims[0] ? hdrs : NULL);
	if (rc < 0)
		return sl_cause(cause, rc, "%s/%s: %s", r->base, name, sl_strerror(rc));
	if (o.err != 0) {
		rc = sl_cause(cause, o.err, "%s/%s: %s%s", r->base, name, o.msg,
			  o.err == -SL_E_TOOBIG ? " (the upstream ignored Range: bytes=0-511)" : "");
	} else if (o.not_modified) {
		d->remote = d->accepted;
	} else {
		struct sl_cvd_header h;
		char why[256];
		rc = sl_cvd_parse_header(o.body, o.len, &h, why, sizeof why);
		if (rc < 0)
			rc = sl_cause(cause, rc, "%s/%s: header: %s", r->base, name, why);
		else
			d->remote = h.version;
	}
	free(o.body);
	return rc;
}

/* ---- early reject: every download is checked before it enters the snapshot ---- */

/* The verifier (verify/clamav_db) decides over the whole snapshot once the sync is done; the syncer runs
 * the same per-file checks on each download first, so a refused file never enters a snapshot and leaves the
 * store. Their records are held: when the run ends in a refusal (or any failure) they go on the snapshot,
 * which fails with them, as the syncer always recorded; when the run completes they are dropped, because
 * the verifier makes them again over the store. */
static void hold(void *arg, const struct sl_check *c)
{
	struct cl_run *r = arg;
	if (r->nheld == r->capheld) {
		size_t cap = r->capheld ? r->capheld * 2 : 32;
		struct held *v = realloc(r->held, cap * sizeof *v);
		if (v == NULL) {
			r->held_oom = true;
			return;
		}
		r->held = v;
		r->capheld = cap;
	}
	struct held *h = &r->held[r->nheld++];
	h->subject = strdup(c->subject);
	h->check = strdup(c->check);
	h->fpr = c->key_fpr != NULL ? strdup(c->key_fpr) : NULL;
	h->reason = strdup(c->reason);
	h->passed = c->passed;
	r->held_oom |= h->subject == NULL || h->check == NULL || h->reason == NULL ||
		       (c->key_fpr != NULL && h->fpr == NULL);
}

static void held_drop(struct cl_run *r)
{
	for (size_t i = 0; i < r->nheld; i++) {
		free(r->held[i].subject);
		free(r->held[i].check);
		free(r->held[i].fpr);
		free(r->held[i].reason);
	}
	r->nheld = 0;
}

/* The held records go on the snapshot (failures were logged when made). */
static int held_record(struct cl_run *r, char **cause)
{
	int rc = r->held_oom ? -ENOMEM : 0;
	if (rc == 0 && r->nheld > 0)
		rc = sl_sync_snapshot(r->ctx, NULL);
	for (size_t i = 0; i < r->nheld && rc == 0; i++) {
		const struct held *h = &r->held[i];
		rc = sl_catalog_verification_add(r->ctx->cat, r->ctx->snap_id, h->subject, h->check, h->fpr, h->passed,
						 h->reason);
	}
	held_drop(r);
	if (rc < 0)
		return sl_cause(cause, rc, "cannot record the verification records: %s", sl_strerror(rc));
	return 0;
}

static void precheck_init(struct cl_run *r, struct sl_verify_ctx *v)
{
	struct sl_sync_ctx *ctx = r->ctx;
	*v = (struct sl_verify_ctx){
		.cfg = ctx->cfg, .src = ctx->src, .cat = ctx->cat, .store = ctx->store, .source_id = ctx->source_id,
		.snap_id = ctx->snap_id, .mode = SL_VERIFY_ARRIVAL, .now = time(NULL), .record = hold, .record_arg = r,
	};
}

/* A refused file fails the run: its records, and those held before it, go on the snapshot now. */
static int precheck_end(struct cl_run *r, const struct sl_verify_ctx *v, char **cause)
{
	r->ctx->checks_failed += v->failed;
	return v->failed > 0 ? held_record(r, cause) : 0;
}

static int precheck_cvd(struct cl_run *r, const struct cl_db *d, const char *name, const struct one *o,
			struct sl_cvd_header *h, char **cause)
{
	int fd = -1;
	uint64_t size = 0;
	int rc = sl_store_open_object(r->ctx->store, o->sha256, &fd, &size);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: store: %s", name, sl_strerror(rc));
	struct sl_verify_ctx v;
	precheck_init(r, &v);
	bool ok = sl_clamav_db_check_cvd(&v, r->keys, d->name, name, fd, d->accepted, h);
	close(fd);
	rc = precheck_end(r, &v, cause);
	if (rc == 0 && !ok) {
		discard(r, o->sha256);
		rc = sl_cause(cause, -SL_E_VERIFY, "%s refused: see its verification records", name);
	}
	return rc;
}

static int precheck_cdiff(struct cl_run *r, const char *name, uint32_t want, const struct one *o, char **cause)
{
	struct sl_verify_ctx v;
	precheck_init(r, &v);
	bool ok = sl_clamav_db_check_cdiff(&v, r->keys, name, want, o->body, o->len);
	int rc = precheck_end(r, &v, cause);
	if (rc == 0 && !ok)
		rc = sl_cause(cause, -SL_E_VERIFY, "%s refused: see its verification records", name);
	return rc;
}

/* ---- entries ---- */

static char *meta_of(const char *db, int64_t version, const struct sl_cvd_header *h, const char *extra_key,
		     const char *extra)
{
	json_t *m = json_pack("{s:s, s:I}", "database", db, "version", (json_int_t)version);
	if (m != NULL && h != NULL) {
		char shown[SL_CVD_FIELD_MAX + 8];
		sl_cvd_display_time(h, shown, sizeof shown);
		json_object_set_new(m, "sigs", json_integer(h->sigs));
		json_object_set_new(m, "build_time", json_integer(h->stime));
		json_object_set_new(m, "flevel", json_integer(h->flevel));
		json_object_set_new(m, "builder", json_string(h->builder));
		json_object_set_new(m, "md5", json_string(h->md5));
		json_object_set_new(m, "time", json_string(shown));
	}
	if (m != NULL && extra_key != NULL)
		json_object_set_new(m, extra_key, json_string(extra));
	char *s = m != NULL ? json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(m);
	return s;
}

static int add_entry(struct cl_run *r, const char *path, const char *sha, uint64_t size, const char *role,
		     const char *meta, char **cause)
{
	char url[SL_MAX_URL + SL_MAX_REL_PATH];
	snprintf(url, sizeof url, "%s/%s", r->base, path);
	int rc = sl_sync_add_entry(r->ctx, path, sha, size, role, "application/octet-stream", url, meta);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: cannot record the entry: %s", path, sl_strerror(rc));
	return 0;
}

/* The upstream's .sign file for `file`, when it has one (absent is fine); one that is not text is refused
 * (see sl_clamav_db_check_sign) and the run fails. */
static int fetch_sign(struct cl_run *r, const struct cl_db *d, const char *sign_name, int64_t version,
		      const char *file, char **cause)
{
	struct one o;
	int rc = fetch_one(r, sign_name, SL_FETCH_OPTIONAL, NULL, SL_MAX_CVD_SIGN_BYTES, &o, NULL);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: %s", sign_name, sl_strerror(rc));
	if (o.status == 404 || (o.err != 0 && o.status == 404))
		return 0;
	if (o.err != 0) {
		free(o.body);
		return sl_cause(cause, o.err, "%s/%s: %s", r->base, sign_name, o.msg);
	}
	struct sl_verify_ctx v;
	precheck_init(r, &v);
	bool text = sl_clamav_db_check_sign(&v, sign_name, file, o.body, o.len);
	rc = precheck_end(r, &v, cause);
	if (rc < 0) {
		free(o.body);
		return rc;
	}
	char sha[SL_SHA256_HEX];
	if (text)
		rc = sl_store_put(r->ctx->store, o.body, o.len, NULL, sha);
	if (text && rc == 0) {
		char *meta = meta_of(d->name, version, NULL, "signs", file);
		rc = add_entry(r, sign_name, sha, o.len, "sign", meta, cause);
		free(meta);
	} else if (text) {
		rc = sl_cause(cause, rc, "%s: store: %s", sign_name, sl_strerror(rc));
	}
	free(o.body);
	return rc;
}

/* ---- one database ---- */

static int carry_over(struct cl_run *r, const struct cl_db *d, char **cause)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nprev; i++) {
		const struct prev_entry *p = &r->prev[i];
		if (p->db == NULL || strcmp(p->db, d->name) != 0)
			continue;
		if (!sl_store_has(r->ctx->store, p->sha256))
			return sl_cause(cause, -SL_E_NOTFOUND, "%s: store object %s of snapshot %lld is missing", p->path,
				    p->sha256, (long long)r->prev_snap);
		int rc = add_entry(r, p->path, p->sha256, p->size, p->role, p->meta, cause);
		if (rc < 0)
			return rc;
		n++;
	}
	char subject[SL_CVD_DBNAME_MAX + 8];
	snprintf(subject, sizeof subject, "%s.cvd", d->name);
	return sl_sync_check(r->ctx, subject, "carry-over", NULL, true,
			     "version %lld unchanged upstream: %zu file(s) from snapshot %lld, verified then",
			     (long long)d->accepted, n, (long long)r->prev_snap);
}

static int sync_cdiffs(struct cl_run *r, const struct cl_db *d, uint32_t top, char **cause)
{
	unsigned keep = r->src->cdiffs;
	uint32_t low = top > keep ? top - keep + 1 : 1;
	if (low < 2)
		low = 2;   /* version 1 is always a full CVD */
	uint32_t have_low = top + 1;
	for (uint32_t k = top; k >= low && keep > 0; k--) {
		char name[SL_CVD_DBNAME_MAX + 32], sign[SL_CVD_DBNAME_MAX + 40];
		snprintf(name, sizeof name, "%s-%u.cdiff", d->name, k);
		snprintf(sign, sizeof sign, "%s.sign", name);
		const struct prev_entry *p = prev_find(r, name);
		if (p != NULL && sl_store_has(r->ctx->store, p->sha256)) {
			int rc = add_entry(r, name, p->sha256, p->size, p->role, p->meta, cause);
			const struct prev_entry *ps = prev_find(r, sign);
			if (rc == 0 && ps != NULL && sl_store_has(r->ctx->store, ps->sha256))
				rc = add_entry(r, sign, ps->sha256, ps->size, ps->role, ps->meta, cause);
			if (rc < 0)
				return rc;
			have_low = k;
			continue;
		}
		struct one o;
		int rc = fetch_one(r, name, SL_FETCH_OPTIONAL, NULL, SL_MAX_CDIFF_BYTES, &o, NULL);
		if (rc < 0)
			return sl_cause(cause, rc, "%s: %s", name, sl_strerror(rc));
		if (o.status == 404) {
			free(o.body);
			break;   /* the upstream keeps no older ones: the chain starts above */
		}
		if (o.err != 0) {
			free(o.body);
			return sl_cause(cause, o.err, "%s/%s: %s", r->base, name, o.msg);
		}
		rc = precheck_cdiff(r, name, k, &o, cause);
		char sha[SL_SHA256_HEX];
		if (rc == 0) {
			rc = sl_store_put(r->ctx->store, o.body, o.len, NULL, sha);
			if (rc < 0)
				sl_cause(cause, rc, "%s: store: %s", name, sl_strerror(rc));
		}
		if (rc == 0) {
			char *meta = meta_of(d->name, k, NULL, NULL, NULL);
			rc = add_entry(r, name, sha, o.len, "cdiff", meta, cause);
			free(meta);
		}
		free(o.body);
		if (rc == 0)
			rc = fetch_sign(r, d, sign, k, name, cause);
		if (rc < 0)
			return rc;
		have_low = k;
	}
	/* The chain's contiguity up to `top` is the verifier's to judge, over what ended up in the snapshot. */
	sl_log_debug(r->src->name, "%s: %u cdiff(s) up to version %u", d->name, top + 1 - have_low, top);
	return 0;
}

static int sync_db(struct cl_run *r, struct cl_db *d, char **cause)
{
	char name[SL_CVD_DBNAME_MAX + 8];
	snprintf(name, sizeof name, "%s.cvd", d->name);
	struct one o;
	int rc = fetch_one(r, name, SL_FETCH_TO_STORE, NULL, SL_MAX_ARTIFACT_BYTES, &o, NULL);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: %s", name, sl_strerror(rc));
	if (o.err != 0)
		return sl_cause(cause, o.err, "%s/%s: %s", r->base, name, o.msg);
	struct sl_cvd_header h;
	rc = precheck_cvd(r, d, name, &o, &h, cause);
	if (rc < 0)
		return rc;
	char *meta = meta_of(d->name, h.version, &h, NULL, NULL);
	rc = add_entry(r, name, o.sha256, o.size, "cvd", meta, cause);
	free(meta);
	if (rc < 0)
		return rc;
	d->remote = h.version;
	if (h.stime > r->newest_stime)
		r->newest_stime = h.stime;
	json_t *s = json_pack("{s:I, s:I, s:I, s:I}", "version", (json_int_t)h.version, "sigs", (json_int_t)h.sigs,
			      "flevel", (json_int_t)h.flevel, "build_time", (json_int_t)h.stime);
	json_object_set_new(r->summary, d->name, s);
	char sign[SL_CVD_DBNAME_MAX + 40];
	snprintf(sign, sizeof sign, "%s-%u.cvd.sign", d->name, h.version);
	rc = fetch_sign(r, d, sign, h.version, name, cause);
	if (rc == 0)
		rc = sync_cdiffs(r, d, h.version, cause);
	return rc;
}

/* ---- the run ---- */

static bool prev_has_version(const struct cl_run *r, const struct cl_db *d)
{
	char path[SL_CVD_DBNAME_MAX + 8];
	snprintf(path, sizeof path, "%s.cvd", d->name);
	const struct prev_entry *p = prev_find(r, path);
	return p != NULL && p->version == d->remote;
}

/* A database the previous snapshot has but the configuration no longer names. */
static bool prev_has_dropped_db(const struct cl_run *r)
{
	for (size_t i = 0; i < r->nprev; i++) {
		bool known = false;
		for (size_t j = 0; j < r->ndbs && !known; j++)
			known = r->prev[i].db != NULL && strcmp(r->prev[i].db, r->dbs[j].name) == 0;
		if (!known)
			return true;
	}
	return false;
}

/* The versions become the last accepted ones when the verifier's `accept` runs (verify/clamav_db). */
static int seal(struct cl_run *r, char **cause)
{
	char *summary = json_dumps(r->summary, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = sl_catalog_snapshot_seal(r->ctx->cat, r->ctx->snap_id, r->newest_stime, summary);
	free(summary);
	if (rc < 0)
		return sl_cause(cause, rc, "snapshot %lld: seal: %s", (long long)r->ctx->snap_id, sl_strerror(rc));
	return 0;
}

static int run_dbs(struct cl_run *r, char **cause)
{
	bool any = prev_has_dropped_db(r);
	for (size_t i = 0; i < r->ndbs; i++) {
		struct cl_db *d = &r->dbs[i];
		int rc = sl_clamav_db_accepted(r->ctx->cat, r->ctx->source_id, d->name, &d->accepted);
		if (rc < 0)
			return sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
		if (!probe_dns(r, d)) {
			rc = probe_http(r, d, cause);
			if (rc < 0)
				return rc;
		}
		if (d->remote < d->accepted) {
			char subject[SL_CVD_DBNAME_MAX + 8];
			snprintf(subject, sizeof subject, "%s.cvd", d->name);
			sl_sync_check(r->ctx, subject, "version", NULL, false,
				      "upstream announces version %lld, lower than %lld, the last accepted",
				      (long long)d->remote, (long long)d->accepted);
			return sl_cause(cause, -SL_E_ROLLBACK, "%s: upstream version %lld is lower than %lld, the last "
				    "accepted", subject, (long long)d->remote, (long long)d->accepted);
		}
		d->changed = d->accepted == 0 || d->remote != d->accepted || !prev_has_version(r, d);
		any |= d->changed;
		sl_log_info(r->src->name, "%s: upstream version %lld, accepted %lld%s", d->name, (long long)d->remote,
			    (long long)d->accepted, d->changed ? "" : " (unchanged)");
	}
	if (!any)
		return SL_SYNC_UNCHANGED;
	for (size_t i = 0; i < r->ndbs; i++) {
		struct cl_db *d = &r->dbs[i];
		int rc = d->changed ? sync_db(r, d, cause) : carry_over(r, d, cause);
		if (rc < 0)
			return rc;
		if (!d->changed) {
			d->remote = d->accepted;
			for (size_t j = 0; j < r->nprev; j++) {
				const struct prev_entry *p = &r->prev[j];
				if (strcmp(p->role, "cvd") != 0 || p->db == NULL || strcmp(p->db, d->name) != 0)
					continue;
				json_t *m = p->meta != NULL ? json_loads(p->meta, 0, NULL) : NULL;
				json_int_t bt = json_integer_value(json_object_get(m, "build_time"));
				if (bt > r->newest_stime)
					r->newest_stime = bt;
				json_object_set_new(r->summary, d->name, m != NULL ? m : json_object());
			}
		}
	}
	if (r->ctx->checks_failed > 0)
		return sl_cause(cause, -SL_E_VERIFY, "%u check(s) failed", r->ctx->checks_failed);
	return seal(r, cause);
}

static int clamav_run(struct sl_sync_ctx *ctx, char **cause)
{
	const struct sl_source *src = ctx->src;
	struct cl_run r = { .ctx = ctx, .src = src };
	int rc = 0;
	size_t ul = strlen(src->url);
	while (ul > 0 && src->url[ul - 1] == '/')
		ul--;
	if (ul >= sizeof r.base)
		return sl_cause(cause, -SL_E_TOOBIG, "url too long");
	memcpy(r.base, src->url, ul);
	for (size_t i = 0; i < src->databases.n; i++)
		if (!sl_cvd_valid_dbname(src->databases.v[i]))
			return sl_cause(cause, -SL_E_CONFIG, "database name \"%s\" is not [a-z0-9][a-z0-9_-]*",
				    src->databases.v[i]);
	char *kc = NULL;
	r.keys = sl_clamav_keys_new(src->cvd_key, &kc);
	if (r.keys == NULL) {
		rc = sl_cause(cause, -SL_E_CONFIG, "cvd_key: %s", kc != NULL ? kc : "cannot load");
		free(kc);
		return rc;
	}
	r.ndbs = src->databases.n;
	r.dbs = calloc(r.ndbs ? r.ndbs : 1, sizeof *r.dbs);
	r.summary = json_object();
	if (r.dbs == NULL || r.summary == NULL)
		rc = sl_cause(cause, -ENOMEM, "out of memory");
	for (size_t i = 0; i < r.ndbs && rc == 0; i++)
		r.dbs[i].name = src->databases.v[i];

	/* Conditional requests only after a clean run: a failed run may have stored validators for a CVD
	 * that never made it into a verified snapshot. */
	char *clean = NULL;
	r.conditional = sl_catalog_state_get(ctx->cat, ctx->source_id, STATE_CLEAN, &clean) == 0 &&
			strcmp(clean, "1") == 0;
	free(clean);
	if (rc == 0)
		rc = sl_catalog_state_set(ctx->cat, ctx->source_id, STATE_CLEAN, "0");
	if (rc == 0) {
		rc = load_prev(&r);
		if (rc < 0)
			sl_cause(cause, rc, "catalogue: previous snapshot: %s", sl_strerror(rc));
	}
	if (rc == 0)
		rc = run_dbs(&r, cause);
	if (rc == 0 || rc == SL_SYNC_UNCHANGED) {
		int s = sl_catalog_state_set(ctx->cat, ctx->source_id, STATE_CLEAN, "1");
		if (s < 0)
			rc = sl_cause(cause, s, "catalogue: %s", sl_strerror(s));
	}
	/* A run that fails keeps the checks it made on its snapshot; a completed one leaves them to the
	 * verifier. */
	if (rc < 0) {
		char *hc = NULL;
		if (held_record(&r, &hc) < 0)
			sl_log_err(src->name, "%s", hc);
		free(hc);
	}
	held_drop(&r);
	free(r.held);
	for (size_t i = 0; i < r.nprev; i++) {
		free(r.prev[i].path);
		free(r.prev[i].sha256);
		free(r.prev[i].role);
		free(r.prev[i].meta);
		free(r.prev[i].db);
	}
	free(r.prev);
	free(r.dbs);
	json_decref(r.summary);
	sl_clamav_keys_free(r.keys);
	return rc;
}

static void clamav_refused(struct sl_sync_ctx *ctx)
{
	sl_catalog_state_set(ctx->cat, ctx->source_id, STATE_CLEAN, "0");
}

const struct sl_syncer sl_clamav_syncer = {
	.run = clamav_run,
	.refused = clamav_refused,
};
