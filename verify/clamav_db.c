/* clamav_db: the ClamAV verifier: every CVD, CDIFF and .sign of a snapshot, checked from the store. */
#include "verify/clamav_db.h"

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
#include "core/store.h"

#define STATE_VERSION "clamav.%s.version"   /* the trust state key, as the syncer always wrote it */

static void state_key(char *buf, size_t cap, const char *db)
{
	snprintf(buf, cap, STATE_VERSION, db);
}

int sl_clamav_db_accepted(struct sl_catalog *cat, int64_t source_id, const char *db, int64_t *version)
{
	char key[SL_CVD_DBNAME_MAX + 32], *val = NULL;
	state_key(key, sizeof key, db);
	*version = 0;
	int rc = sl_catalog_state_get(cat, source_id, key, &val);
	if (rc == -SL_E_NOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	char *end;
	long long x = strtoll(val, &end, 10);
	if (*end == '\0' && end != val && x > 0)
		*version = x;
	free(val);
	return 0;
}

/* ClamAV's SHA-256 schemes take the raw digest. */
static void sha256_raw(const void *p, size_t len, uint8_t out[32])
{
	char hex[SL_SHA256_HEX];
	sl_digest_sha256(p, len, hex);
	for (int i = 0; i < 32; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

/* ---- one CVD, phase by phase: each phase needs the one before it to have held ---- */

static bool cvd_header(struct sl_verify_ctx *v, const char *path, int fd, struct sl_cvd_header *h)
{
	uint8_t head[SL_CVD_HEADER];
	char why[256] = "";
	int rc = -SL_E_PARSE;
	ssize_t got = pread(fd, head, sizeof head, 0);
	if (got < 0)
		snprintf(why, sizeof why, "read: %s", strerror(errno));
	else
		rc = sl_cvd_parse_header(head, (size_t)got, h, why, sizeof why);
	if (rc < 0) {
		memset(h, 0, sizeof *h);
		return sl_verify_check(v, path, "header", NULL, false, "%s", why);
	}
	return sl_verify_check(v, path, "header", NULL, true, "version %u, %u signatures, flevel %u, built %s by %s",
			       h->version, h->sigs, h->flevel, h->time, h->builder);
}

/* Rollback is a policy, not a precondition of the later phases: they run either way. */
static bool cvd_version(struct sl_verify_ctx *v, const char *path, const struct sl_cvd_header *h, int64_t accepted)
{
	if (accepted < 0)
		return true;
	bool ok = (int64_t)h->version >= accepted;
	return sl_verify_check(v, path, "version", NULL, ok,
			       ok ? "version %u, last accepted %lld" : "version %u is lower than %lld, the last accepted",
			       h->version, (long long)accepted);
}

/* One pass over the body yields its MD5 and its tar structure; the dsig is judged only over a body that has
 * the MD5 it signs, and the archive only once the body is ClamAV's. */
static bool cvd_body(struct sl_verify_ctx *v, const struct sl_clamav_keys *keys, const char *path, int fd,
		     const struct sl_cvd_header *h, struct sl_cvd_body *body)
{
	char *c = NULL;
	int rc = sl_cvd_check_body(fd, h, body, &c);
	bool ok = sl_verify_check(v, path, "md5", NULL, rc != -SL_E_DIGEST, "%s",
				  rc != -SL_E_DIGEST ? "body MD5 as in the header" : (c != NULL ? c : "MD5 mismatch"));
	if (ok) {
		bool s = sl_clamav_verify_md5(keys, h->md5, h->dsig, strlen(h->dsig)) == 0;
		ok = sl_verify_check(v, path, "signature", sl_clamav_keys_fpr(keys, SL_CLAMAV_KEY_CVD), s, "%s",
				     s ? "dsig signs the body's MD5" : "dsig does not verify with the ClamAV key");
	}
	if (ok) {
		if (rc == 0)
			ok = sl_verify_check(v, path, "archive", NULL, true, "tar.gz with %llu files, %llu bytes",
					     (unsigned long long)body->entries, (unsigned long long)body->bytes);
		else
			ok = sl_verify_check(v, path, "archive", NULL, false, "%s", c != NULL ? c : sl_strerror(rc));
	}
	free(c);
	return ok;
}

/* The .info of a database is "<db>.info": another name means the body is another database's content. */
static char *info_name_problem(const char *db, const struct sl_cvd_body *b)
{
	char want[SL_CVD_DBNAME_MAX + 8];
	snprintf(want, sizeof want, "%s.info", db);
	for (uint64_t i = 0; i < b->entries; i++) {
		const char *n = b->files[i].name;
		size_t len = strlen(n);
		if (len > 5 && strcmp(n + len - 5, ".info") == 0 && strcmp(n, want) != 0) {
			char *c = NULL;
			sl_cause(&c, -SL_E_MISMATCH, "the body's .info is %s, not %s: another database's content", n, want);
			return c;
		}
	}
	return NULL;
}

/* The signed .info binds the header's version, counts and dates to the files. */
static bool cvd_info(struct sl_verify_ctx *v, const struct sl_clamav_keys *keys, const char *db, const char *path,
		     const struct sl_cvd_header *h, struct sl_cvd_body *b)
{
	size_t signed_len = 0, dlen = 0;
	const char *dsig = NULL;
	char *c = info_name_problem(db, b);
	int rc = c != NULL ? -SL_E_MISMATCH : sl_cvd_check_info(h, b, &signed_len, &dsig, &dlen, &c);
	if (rc == 0) {
		uint8_t d[32];
		sha256_raw(b->info, signed_len, d);
		if (sl_clamav_verify_sha256(keys, SL_CLAMAV_KEY_INFO, d, dsig, dlen) != 0) {
			rc = -SL_E_SIGNATURE;
			c = strdup("the .info's DSIG does not verify with the ClamAV key");
		}
	}
	bool ok = sl_verify_check(v, path, "info", sl_clamav_keys_fpr(keys, SL_CLAMAV_KEY_INFO), rc == 0, "%s",
				  rc == 0 ? "signed .info matches the header and every file"
					  : (c != NULL ? c : sl_strerror(rc)));
	free(c);
	return ok;
}

bool sl_clamav_db_check_cvd(struct sl_verify_ctx *v, const struct sl_clamav_keys *keys, const char *db,
			    const char *path, int fd, int64_t accepted, struct sl_cvd_header *h)
{
	if (!cvd_header(v, path, fd, h))
		return false;
	bool ok = cvd_version(v, path, h, accepted);
	struct sl_cvd_body body = { 0 };
	bool content = cvd_body(v, keys, path, fd, h, &body) && cvd_info(v, keys, db, path, h, &body);
	sl_cvd_body_release(&body);
	return ok && content;
}

/* ---- one CDIFF, one .sign ---- */

bool sl_clamav_db_check_cdiff(struct sl_verify_ctx *v, const struct sl_clamav_keys *keys, const char *path,
			      uint32_t want, const uint8_t *p, size_t len)
{
	struct sl_cdiff c;
	char why[256];
	int rc = sl_cdiff_parse(p, len, &c, why, sizeof why);
	if (rc == 0 && c.version != want) {
		snprintf(why, sizeof why, "announces version %u, its name says %u", c.version, want);
		rc = -SL_E_MISMATCH;
	}
	if (rc < 0)
		return sl_verify_check(v, path, "format", NULL, false, "%s", why);
	sl_verify_check(v, path, "format", NULL, true, "update to version %u, script of %llu bytes", c.version,
			(unsigned long long)c.script_len);

	uint8_t h[32];
	sha256_raw(p, c.signed_len, h);
	bool ok = sl_clamav_verify_sha256(keys, SL_CLAMAV_KEY_CDIFF, h, c.dsig, c.dsig_len) == 0;
	if (!sl_verify_check(v, path, "signature", sl_clamav_keys_fpr(keys, SL_CLAMAV_KEY_CDIFF), ok, "%s",
			     ok ? "signed by the ClamAV key" : "signature does not verify with the ClamAV key"))
		return false;

	char *cs = NULL;
	rc = sl_cdiff_check_script(p, &c, &cs);
	ok = sl_verify_check(v, path, "script", NULL, rc == 0, "%s",
			     rc == 0 ? "gzip stream of the announced length" : (cs != NULL ? cs : sl_strerror(rc)));
	free(cs);
	return ok;
}

/* ClamAV >= 1.5 verifies .sign files with its certificate store; sluice only checks that one is a bounded
 * text file and passes it on. */
bool sl_clamav_db_check_sign(struct sl_verify_ctx *v, const char *path, const char *signs, const uint8_t *p,
			     size_t len)
{
	bool text = len > 0;
	for (size_t i = 0; i < len && text; i++)
		text = p[i] == '\n' || p[i] == '\r' || p[i] == '\t' || (p[i] >= 0x20 && p[i] < 0x7f);
	if (text)
		return sl_verify_check(v, path, "format", NULL, true, "text, %zu bytes, signs %s", len, signs);
	return sl_verify_check(v, path, "format", NULL, false, "not a text file (%zu bytes)", len);
}

/* ---- entries: which database, which kind ---- */

enum kind { K_OTHER, K_CVD, K_CDIFF, K_SIGN };

struct name {
	enum kind kind;
	char db[SL_CVD_DBNAME_MAX];
	uint32_t num;                         /* K of <db>-K.cdiff, V of <db>-V.cvd.sign */
	char signs[SL_CVD_DBNAME_MAX + 32];   /* K_SIGN: the file it signs */
};

static bool ends_with(const char *s, size_t n, const char *suffix, size_t *stem)
{
	size_t k = strlen(suffix);
	if (n <= k || memcmp(s + n - k, suffix, k) != 0)
		return false;
	*stem = n - k;
	return true;
}

/* s[0..n) is "<db>-K": split at the last '-' before decimal digits (names may contain '-'). */
static bool split_versioned(const char *s, size_t n, struct name *out)
{
	size_t dash = n;
	while (dash > 0 && s[dash - 1] >= '0' && s[dash - 1] <= '9')
		dash--;
	if (dash == n || dash < 2 || s[dash - 1] != '-' || n - dash > 9 || s[dash] == '0')
		return false;
	uint32_t k = 0;
	for (size_t i = dash; i < n; i++)
		k = k * 10 + (uint32_t)(s[i] - '0');
	if (dash - 1 >= sizeof out->db)
		return false;
	memcpy(out->db, s, dash - 1);
	out->db[dash - 1] = '\0';
	out->num = k;
	return sl_cvd_valid_dbname(out->db);
}

static void classify(const char *path, struct name *out)
{
	memset(out, 0, sizeof *out);
	size_t n = strlen(path), stem;
	if (ends_with(path, n, ".sign", &stem)) {
		size_t inner;
		if (ends_with(path, stem, ".cdiff", &inner) && split_versioned(path, inner, out) &&
		    (size_t)snprintf(out->signs, sizeof out->signs, "%.*s", (int)stem, path) < sizeof out->signs)
			out->kind = K_SIGN;
		else if (ends_with(path, stem, ".cvd", &inner) && split_versioned(path, inner, out)) {
			snprintf(out->signs, sizeof out->signs, "%s.cvd", out->db);
			out->kind = K_SIGN;
		}
	} else if (ends_with(path, n, ".cdiff", &stem)) {
		if (split_versioned(path, stem, out))
			out->kind = K_CDIFF;
	} else if (ends_with(path, n, ".cvd", &stem) && stem < sizeof out->db) {
		memcpy(out->db, path, stem);
		out->db[stem] = '\0';
		if (sl_cvd_valid_dbname(out->db))
			out->kind = K_CVD;
	}
	if (out->kind == K_OTHER)
		out->db[0] = '\0';
}

static const char *kind_role(enum kind k)
{
	return k == K_CVD ? "cvd" : k == K_CDIFF ? "cdiff" : k == K_SIGN ? "sign" : "";
}

/* ---- the snapshot ---- */

struct db_state {
	const char *name;             /* a configured database */
	bool cvd;                     /* its CVD entry was seen */
	uint32_t version;             /* from the CVD's header; 0 while unknown or unreadable */
	uint32_t *cdiffs;             /* versions of its cdiff entries */
	size_t n, cap;
	unsigned bad;                 /* cdiffs that failed a check */
};

struct vrun {
	struct sl_verify_ctx *v;
	struct sl_clamav_keys *keys;
	struct db_state *dbs;
	size_t ndbs, entries;
	char *cause;                  /* why the run stopped (not a failed check), heap */
};

static struct db_state *find_db(struct vrun *r, const char *db)
{
	for (size_t i = 0; i < r->ndbs; i++)
		if (strcmp(r->dbs[i].name, db) == 0)
			return &r->dbs[i];
	return NULL;
}

/* A missing or unreadable object is a failed check of its entry: the snapshot lacks its evidence. */
static void store_failed(struct sl_verify_ctx *v, const struct sl_entry *e, int rc)
{
	sl_verify_check(v, e->path, "store", NULL, false, "object %s: %s", e->sha256,
			rc == -SL_E_SIZE ? "its size differs from the entry's" : sl_strerror(rc));
}

/* RECHECK re-hashes every object, so an object altered on disk is named by its path. ARRIVAL relies on
 * the store having committed only bytes that hashed to their name. */
static bool object_intact(struct sl_verify_ctx *v, const struct sl_entry *e)
{
	if (v->mode != SL_VERIFY_RECHECK)
		return true;
	uint64_t size = 0;
	int rc = sl_store_check(v->store, e->sha256, &size);
	if (rc == 0 && size != e->size)
		rc = -SL_E_SIZE;
	if (rc == 0)
		return sl_verify_check(v, e->path, "sha256", NULL, true, "store object %s intact, %llu bytes", e->sha256,
				       (unsigned long long)size);
	return sl_verify_check(v, e->path, "sha256", NULL, false, "store object %s: %s", e->sha256,
			       rc == -SL_E_DIGEST ? "its bytes no longer hash to its name"
			       : rc == -SL_E_SIZE ? "its size differs from the entry's" : sl_strerror(rc));
}

/* The CVD's entry names a configured database, and its metadata (what diff and status show) is the
 * file's. */
static void cvd_database(struct sl_verify_ctx *v, const struct db_state *d, const struct sl_entry *e,
			 const struct sl_cvd_header *h)
{
	json_t *m = e->meta_json != NULL ? json_loads(e->meta_json, 0, NULL) : NULL;
	const char *mdb = json_string_value(json_object_get(m, "database"));
	json_t *mv = json_object_get(m, "version");
	if (mdb != NULL && strcmp(mdb, d->name) != 0)
		sl_verify_check(v, e->path, "database", NULL, false, "the entry's metadata names database \"%.64s\"", mdb);
	else if (h->version != 0 && json_is_integer(mv) && json_integer_value(mv) != (json_int_t)h->version)
		sl_verify_check(v, e->path, "database", NULL, false, "the entry's metadata says version %lld, the header %u",
				(long long)json_integer_value(mv), h->version);
	else
		sl_verify_check(v, e->path, "database", NULL, true,
				"%s is a database of this source; the entry's metadata agrees with the file", d->name);
	json_decref(m);
}

static int visit_cvd(struct vrun *r, struct db_state *d, const struct sl_entry *e)
{
	struct sl_verify_ctx *v = r->v;
	int fd = -1;
	uint64_t size = 0;
	int rc = sl_store_open_object(v->store, e->sha256, &fd, &size);
	if (rc == 0 && size != e->size)
		rc = -SL_E_SIZE;
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		store_failed(v, e, rc);
		return 0;
	}
	int64_t accepted = -1;   /* RECHECK: later snapshots moved the trust state on by design */
	if (v->mode == SL_VERIFY_ARRIVAL) {
		rc = sl_clamav_db_accepted(v->cat, v->source_id, d->name, &accepted);
		if (rc < 0) {
			close(fd);
			return sl_cause(&r->cause, rc, "catalogue: %s", sl_strerror(rc));
		}
	}
	struct sl_cvd_header h;
	sl_clamav_db_check_cvd(v, r->keys, d->name, e->path, fd, accepted, &h);
	close(fd);
	d->cvd = true;
	d->version = h.version;
	cvd_database(v, d, e, &h);
	return 0;
}

static int chain_add(struct vrun *r, struct db_state *d, uint32_t version);

static int visit_small(struct vrun *r, struct db_state *d, const struct sl_entry *e, const struct name *nm)
{
	struct sl_verify_ctx *v = r->v;
	uint8_t *p = NULL;
	size_t len = 0;
	int rc = sl_store_read(v->store, e->sha256, nm->kind == K_CDIFF ? SL_MAX_CDIFF_BYTES : SL_MAX_CVD_SIGN_BYTES,
			       &p, &len);
	if (rc == 0 && len != e->size)
		rc = -SL_E_SIZE;
	if (rc < 0) {
		store_failed(v, e, rc);
		if (nm->kind == K_CDIFF)
			d->bad++;
	} else if (nm->kind == K_SIGN) {
		sl_clamav_db_check_sign(v, e->path, nm->signs, p, len);
	} else if (!sl_clamav_db_check_cdiff(v, r->keys, e->path, nm->num, p, len)) {
		d->bad++;
	}
	free(p);
	return nm->kind == K_CDIFF ? chain_add(r, d, nm->num) : 0;
}

static int chain_add(struct vrun *r, struct db_state *d, uint32_t version)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		uint32_t *x = realloc(d->cdiffs, cap * sizeof *x);
		if (x == NULL)
			return sl_cause(&r->cause, -ENOMEM, "out of memory");
		d->cdiffs = x;
		d->cap = cap;
	}
	d->cdiffs[d->n++] = version;
	return 0;
}

static int visit(void *arg, const struct sl_entry *e)
{
	struct vrun *r = arg;
	struct sl_verify_ctx *v = r->v;
	if (++r->entries > SL_MAX_CLAMAV_ENTRIES)
		return sl_cause(&r->cause, -SL_E_TOOBIG, "snapshot %lld has more than %u entries",
				(long long)v->snap_id, (unsigned)SL_MAX_CLAMAV_ENTRIES);
	struct name nm;
	classify(e->path, &nm);
	const char *role = e->role != NULL ? e->role : "";
	if (nm.kind == K_OTHER) {
		sl_verify_check(v, e->path, "entry", NULL, false,
				"not a file of a ClamAV database (<db>.cvd, <db>-K.cdiff or their .sign)");
		return 0;
	}
	if (strcmp(role, kind_role(nm.kind)) != 0) {
		sl_verify_check(v, e->path, "entry", NULL, false, "role \"%.32s\", but the file is a %s file", role,
				kind_role(nm.kind));
		return 0;
	}
	struct db_state *d = find_db(r, nm.db);
	if (d == NULL) {
		sl_verify_check(v, e->path, "database", NULL, false,
				"database \"%s\" is not one this source is configured for", nm.db);
		return 0;
	}
	if (!object_intact(v, e)) {
		/* Recorded; the CVD's version stays unknown, an altered cdiff counts as one that did not verify. */
		d->cvd |= nm.kind == K_CVD;
		d->bad += nm.kind == K_CDIFF;
		return nm.kind == K_CDIFF ? chain_add(r, d, nm.num) : 0;
	}
	return nm.kind == K_CVD ? visit_cvd(r, d, e) : visit_small(r, d, e, &nm);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The cdiffs of a database must lead, one version at a time, to its CVD's version: a client at any of
 * them can follow the chain to the version this snapshot serves. */
static void chain_check(struct sl_verify_ctx *v, struct db_state *d)
{
	char subject[SL_CVD_DBNAME_MAX + 8];
	snprintf(subject, sizeof subject, "%s.cvd", d->name);
	if (!d->cvd) {
		sl_verify_check(v, subject, "database", NULL, false,
				"the snapshot has no %s, though the source is configured for database %s", subject, d->name);
		return;
	}
	if (d->version == 0)
		return;   /* the CVD's header failed (recorded): there is no version to chain to */
	if (d->n == 0) {
		sl_verify_check(v, subject, "cdiff chain", NULL, true,
				"no incremental updates kept: clients download version %u whole", d->version);
		return;
	}
	qsort(d->cdiffs, d->n, sizeof *d->cdiffs, cmp_u32);
	uint32_t low = d->cdiffs[0], top = d->cdiffs[d->n - 1];
	for (size_t i = 1; i < d->n; i++) {
		if (d->cdiffs[i] != d->cdiffs[i - 1] + 1) {
			sl_verify_check(v, subject, "cdiff chain", NULL, false,
					"%s-%u.cdiff is missing: the chain %s-%u.cdiff .. %s-%u.cdiff has a gap", d->name,
					d->cdiffs[i - 1] + 1, d->name, low, d->name, top);
			return;
		}
	}
	if (top != d->version)
		sl_verify_check(v, subject, "cdiff chain", NULL, false,
				"the newest update is %s-%u.cdiff, but the CVD is version %u", d->name, top, d->version);
	else if (d->bad > 0)
		sl_verify_check(v, subject, "cdiff chain", NULL, false,
				"%s-%u.cdiff .. %s-%u.cdiff: contiguous, but %u of them did not verify", d->name, low,
				d->name, top, d->bad);
	else
		sl_verify_check(v, subject, "cdiff chain", NULL, true,
				"%s-%u.cdiff .. %s-%u.cdiff: contiguous up to the CVD's version, each signed", d->name, low,
				d->name, top);
}

static int run_new(struct vrun *r, struct sl_verify_ctx *v, bool keys, char **cause)
{
	memset(r, 0, sizeof *r);
	r->v = v;
	r->ndbs = v->src->databases.n;
	r->dbs = calloc(r->ndbs ? r->ndbs : 1, sizeof *r->dbs);
	if (r->dbs == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	for (size_t i = 0; i < r->ndbs; i++)
		r->dbs[i].name = v->src->databases.v[i];
	if (!keys)
		return 0;
	char *kc = NULL;
	r->keys = sl_clamav_keys_new(v->src->cvd_key, &kc);
	if (r->keys == NULL) {
		int rc = sl_cause(cause, -SL_E_CONFIG, "cvd_key: %s", kc != NULL ? kc : "cannot load");
		free(kc);
		return rc;
	}
	return 0;
}

static void run_release(struct vrun *r)
{
	for (size_t i = 0; i < r->ndbs && r->dbs != NULL; i++)
		free(r->dbs[i].cdiffs);
	free(r->dbs);
	free(r->cause);
	sl_clamav_keys_free(r->keys);
}

/* The catalogue's error, or the cause a callback left. */
static int entries_failed(struct vrun *r, int rc, char **cause)
{
	if (r->cause != NULL) {
		*cause = r->cause;
		r->cause = NULL;
		return rc;
	}
	return sl_cause(cause, rc, "catalogue: snapshot %lld: %s", (long long)r->v->snap_id, sl_strerror(rc));
}

static int clamav_verify(struct sl_verify_ctx *v, char **cause)
{
	struct vrun r;
	int rc = run_new(&r, v, true, cause);
	if (rc == 0) {
		rc = sl_catalog_snapshot_entries(v->cat, v->snap_id, visit, &r);
		if (rc < 0)
			rc = entries_failed(&r, rc, cause);
	}
	for (size_t i = 0; i < r.ndbs && rc == 0; i++)
		chain_check(v, &r.dbs[i]);
	run_release(&r);
	return rc < 0 ? rc : sl_verify_verdict(v, cause);
}

/* ---- accept: the versions this snapshot serves become the last accepted ones ---- */

static int accept_cvd(void *arg, const struct sl_entry *e)
{
	struct vrun *r = arg;
	struct name nm;
	classify(e->path, &nm);
	struct db_state *d = nm.kind == K_CVD ? find_db(r, nm.db) : NULL;
	if (d == NULL)
		return 0;
	/* From the verified bytes, not from the entry's metadata. */
	int fd = -1;
	uint64_t size = 0;
	uint8_t head[SL_CVD_HEADER];
	struct sl_cvd_header h;
	int rc = sl_store_open_object(r->v->store, e->sha256, &fd, &size);
	ssize_t got = rc == 0 ? pread(fd, head, sizeof head, 0) : -1;
	if (rc == 0 && got < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = sl_cvd_parse_header(head, (size_t)got, &h, NULL, 0);
	if (rc < 0)
		return sl_cause(&r->cause, rc, "%s: cannot read the accepted header: %s", e->path, sl_strerror(rc));
	d->version = h.version;
	return 0;
}

static int clamav_accept(struct sl_verify_ctx *v, char **cause)
{
	struct vrun r;
	int rc = run_new(&r, v, false, cause);
	if (rc == 0) {
		rc = sl_catalog_snapshot_entries(v->cat, v->snap_id, accept_cvd, &r);
		if (rc < 0)
			rc = entries_failed(&r, rc, cause);
	}
	for (size_t i = 0; i < r.ndbs && rc == 0; i++) {
		if (r.dbs[i].version == 0)
			continue;
		char key[SL_CVD_DBNAME_MAX + 32], val[16];
		state_key(key, sizeof key, r.dbs[i].name);
		snprintf(val, sizeof val, "%u", r.dbs[i].version);
		rc = sl_catalog_state_set(v->cat, v->source_id, key, val);
		if (rc < 0)
			sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	}
	run_release(&r);
	return rc;
}

const struct sl_verifier sl_clamav_verifier = {
	.verify = clamav_verify,
	.accept = clamav_accept,
};
