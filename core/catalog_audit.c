/* catalog_audit: the append-only, hash-chained audit log. Each entry's hash covers the previous hash and
 * every field in a length-prefixed encoding (schemas/README.md gives it, with a script to recompute it),
 * so editing, deleting or reordering entries breaks the chain at the first entry touched. */
#include "core/catalog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/catalog_int.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_AUDIT_LAST] = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
	[ST_AUDIT_ADD] = "INSERT INTO audit_log(seq, at, actor, action, source, snapshot_id, content_digest, "
		"reason, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_AUDIT_LIST] = "SELECT seq, at, actor, action, source, snapshot_id, content_digest, reason, "
		"prev_hash, hash FROM audit_log WHERE ?1 IS NULL OR source = ?1 ORDER BY seq",
};

#define GET(id, op) sl_cat_get(c, (id), stmt_sql[id], (op))

#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

enum { F_PREV, F_SEQ, F_AT, F_ACTOR, F_ACTION, F_SOURCE, F_SNAP, F_DIGEST, F_REASON, F_COUNT };

/* One field as hashed: p == NULL is SQL NULL, distinct from "". */
struct field {
	const char *p;
	size_t len;
};

/* hash = SHA-256( enc(prev_hash) enc(seq) enc(at) enc(actor) enc(action) enc(source) enc(snapshot_id)
 *                 enc(content_digest) enc(reason) )
 * enc(NULL) = "-,"   enc(v) = decimal byte length ":" v ","   integers as decimal text.
 * Every field is self-delimiting, so no two different entries encode alike. */
static int audit_hash(const struct field f[F_COUNT], char hex[SL_SHA256_HEX])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	for (int i = 0; ok && i < F_COUNT; i++) {
		if (f[i].p == NULL) {
			ok = EVP_DigestUpdate(md, "-,", 2) == 1;
			continue;
		}
		char len[24];
		int n = snprintf(len, sizeof len, "%zu:", f[i].len);
		ok = EVP_DigestUpdate(md, len, (size_t)n) == 1 && EVP_DigestUpdate(md, f[i].p, f[i].len) == 1 &&
		     EVP_DigestUpdate(md, ",", 1) == 1;
	}
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int outlen = 0;
	ok = ok && EVP_DigestFinal_ex(md, out, &outlen) == 1 && outlen == 32;
	EVP_MD_CTX_free(md);
	if (!ok)
		return -ENOMEM;
	sl_cat_hex(out, outlen, hex);
	return 0;
}

static struct field fstr(const char *s)
{
	return (struct field){ s, s != NULL ? strlen(s) : 0 };
}

static int entry_hash(const struct sl_audit_entry *e, const char *prev, char hex[SL_SHA256_HEX])
{
	char seq[24], at[24], snap[24];
	snprintf(seq, sizeof seq, "%" PRId64, e->seq);
	snprintf(at, sizeof at, "%" PRId64, e->at);
	snprintf(snap, sizeof snap, "%" PRId64, e->snapshot_id);
	struct field f[F_COUNT] = {
		[F_PREV] = fstr(prev),      [F_SEQ] = fstr(seq),       [F_AT] = fstr(at),
		[F_ACTOR] = fstr(e->actor), [F_ACTION] = fstr(e->action), [F_SOURCE] = fstr(e->source),
		[F_SNAP] = fstr(snap),      [F_DIGEST] = fstr(e->content_digest), [F_REASON] = fstr(e->reason),
	};
	return audit_hash(f, hex);
}

static int audit_check(const struct sl_audit_entry *e)
{
	if (e->actor == NULL || e->action == NULL || e->actor[0] == '\0' || e->action[0] == '\0' ||
	    sl_cat_too_long(e->actor, SL_MAX_NAME) || sl_cat_too_long(e->action, SL_MAX_NAME) ||
	    sl_cat_too_long(e->source, SL_MAX_NAME) || e->snapshot_id < 0)
		return -SL_E_BADNAME;
	if (e->content_digest != NULL && e->content_digest[0] != '\0' && !sl_digest_valid_sha256(e->content_digest))
		return -SL_E_BADNAME;
	if (sl_cat_too_long(e->reason, SL_MAX_REASON))
		return -SL_E_TOOBIG;
	return 0;
}

/* Newest seq and hash; seq 0 and the genesis hash when the log is empty. */
static int audit_last(struct sl_catalog *c, int64_t *seq, char hash[SL_SHA256_HEX])
{
	sqlite3_stmt *s = GET(ST_AUDIT_LAST, "audit last");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sqlite3_step(s);
	*seq = 0;
	memcpy(hash, AUDIT_GENESIS, SL_SHA256_HEX);
	if (rc == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(s, 1);
		*seq = sqlite3_column_int64(s, 0);
		if (h != NULL && sqlite3_column_bytes(s, 1) == SL_SHA256_HEX - 1)
			memcpy(hash, h, SL_SHA256_HEX);
		else
			ret = -SL_E_VERIFY; /* the CHECK constraint makes this unreachable */
	} else if (rc != SQLITE_DONE) {
		ret = sl_cat_fail(c, "audit last");
	}
	sl_cat_put(c, ST_AUDIT_LAST, s);
	return ret;
}

int sl_catalog_audit_append(struct sl_catalog *c, struct sl_audit_entry *e)
{
	int ret = audit_check(e);
	if (ret != 0)
		return ret;
	bool nested;
	/* The write lock is taken before the last hash is read: concurrent appenders form one chain. */
	ret = sl_cat_tx_open(c, &nested, "audit append");
	if (ret != 0)
		return ret;
	struct sl_audit_entry n = *e;
	char prev[SL_SHA256_HEX], hash[SL_SHA256_HEX];
	ret = audit_last(c, &n.seq, prev);
	n.seq += 1;
	if (n.at == 0)
		n.at = sl_cat_now();
	if (ret == 0)
		ret = entry_hash(&n, prev, hash);
	sqlite3_stmt *s = ret == 0 ? GET(ST_AUDIT_ADD, "audit append") : NULL;
	if (ret == 0 && s == NULL)
		ret = -SL_E_CATALOG;
	if (ret == 0 && (sl_cat_bind_i64(s, 1, n.seq) | sl_cat_bind_i64(s, 2, n.at) | sl_cat_bind_text(s, 3, n.actor) |
			 sl_cat_bind_text(s, 4, n.action) | sl_cat_bind_text(s, 5, n.source) |
			 sl_cat_bind_i64(s, 6, n.snapshot_id) | sl_cat_bind_text(s, 7, n.content_digest) |
			 sl_cat_bind_text(s, 8, n.reason) | sl_cat_bind_text(s, 9, prev) |
			 sl_cat_bind_text(s, 10, hash)) != SQLITE_OK) {
		sl_cat_put(c, ST_AUDIT_ADD, s);
		ret = sl_cat_fail(c, "audit append");
	} else if (ret == 0) {
		ret = sl_cat_run(c, ST_AUDIT_ADD, s, "audit append", NULL);
	}
	ret = sl_cat_tx_close(c, nested, ret, "audit append");
	if (ret != 0)
		return ret;
	e->seq = n.seq;
	e->at = n.at;
	memcpy(e->prev_hash, prev, SL_SHA256_HEX);
	memcpy(e->hash, hash, SL_SHA256_HEX);
	/* Syslog keeps the chain's head outside the catalogue: the anchor that shows a truncated tail. */
	sl_log_info(e->source, "audit #%" PRId64 " %s by %s (snapshot %" PRId64 ") hash %s", e->seq, e->action,
		    e->actor, e->snapshot_id, e->hash);
	return 0;
}

static void audit_view(sqlite3_stmt *s, struct sl_audit_entry *e)
{
	memset(e, 0, sizeof *e);
	e->seq = sqlite3_column_int64(s, 0);
	e->at = sqlite3_column_int64(s, 1);
	e->actor = (const char *)sqlite3_column_text(s, 2);
	e->action = (const char *)sqlite3_column_text(s, 3);
	e->source = (const char *)sqlite3_column_text(s, 4);
	e->snapshot_id = sqlite3_column_int64(s, 5);
	e->content_digest = (const char *)sqlite3_column_text(s, 6);
	e->reason = (const char *)sqlite3_column_text(s, 7);
	const unsigned char *p = sqlite3_column_text(s, 8), *h = sqlite3_column_text(s, 9);
	if (p != NULL && sqlite3_column_bytes(s, 8) == SL_SHA256_HEX - 1)
		memcpy(e->prev_hash, p, SL_SHA256_HEX);
	if (h != NULL && sqlite3_column_bytes(s, 9) == SL_SHA256_HEX - 1)
		memcpy(e->hash, h, SL_SHA256_HEX);
}

/* Walk the log (oldest first), handing each entry to `row`; it returns non-zero to stop. */
static int audit_walk(struct sl_catalog *c, const char *source, const char *op,
		      int (*row)(void *arg, sqlite3_stmt *s), void *arg)
{
	sqlite3_stmt *s = GET(ST_AUDIT_LIST, op);
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sl_cat_bind_text(s, 1, source);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	while (rc == SQLITE_ROW && ret == 0) {
		ret = row(arg, s);
		if (ret == 0)
			rc = sqlite3_step(s);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sl_cat_fail(c, op);
	sl_cat_put(c, ST_AUDIT_LIST, s);
	return ret;
}

struct foreach_ctx {
	int (*cb)(void *arg, const struct sl_audit_entry *e);
	void *arg;
};

static int foreach_row(void *arg, sqlite3_stmt *s)
{
	struct foreach_ctx *f = arg;
	struct sl_audit_entry e;
	audit_view(s, &e);
	return f->cb(f->arg, &e);
}

int sl_catalog_audit_foreach(struct sl_catalog *c, const char *source,
			     int (*cb)(void *arg, const struct sl_audit_entry *e), void *arg)
{
	struct foreach_ctx f = { cb, arg };
	return audit_walk(c, source, "audit list", foreach_row, &f);
}

struct verify_ctx {
	int64_t expect_seq;
	char prev[SL_SHA256_HEX];
	int64_t bad_seq;
	int err;
};

/* Recomputed from the stored columns with their stored lengths, so an embedded NUL or a changed type
 * counts as an edit. */
static int verify_row(void *arg, sqlite3_stmt *s)
{
	struct verify_ctx *v = arg;
	int64_t seq = sqlite3_column_int64(s, 0);
	struct field f[F_COUNT];
	char seqs[24], at[24], snap[24], hash[SL_SHA256_HEX];
	snprintf(seqs, sizeof seqs, "%" PRId64, seq);
	snprintf(at, sizeof at, "%" PRId64, (int64_t)sqlite3_column_int64(s, 1));
	snprintf(snap, sizeof snap, "%" PRId64, (int64_t)sqlite3_column_int64(s, 5));
	f[F_PREV] = fstr(v->prev);
	f[F_SEQ] = fstr(seqs);
	f[F_AT] = fstr(at);
	f[F_SNAP] = fstr(snap);
	static const int text_cols[][2] = { { F_ACTOR, 2 }, { F_ACTION, 3 }, { F_SOURCE, 4 },
					    { F_DIGEST, 6 }, { F_REASON, 7 } };
	for (size_t i = 0; i < sizeof text_cols / sizeof text_cols[0]; i++) {
		int col = text_cols[i][1];
		const char *p = (const char *)sqlite3_column_text(s, col);
		f[text_cols[i][0]] = (struct field){ p, p != NULL ? (size_t)sqlite3_column_bytes(s, col) : 0 };
	}
	const unsigned char *stored_prev = sqlite3_column_text(s, 8), *stored = sqlite3_column_text(s, 9);
	bool ok = seq == v->expect_seq && stored_prev != NULL && stored != NULL &&
		  sqlite3_column_bytes(s, 8) == SL_SHA256_HEX - 1 && sqlite3_column_bytes(s, 9) == SL_SHA256_HEX - 1 &&
		  memcmp(stored_prev, v->prev, SL_SHA256_HEX) == 0;
	if (ok) {
		v->err = audit_hash(f, hash);
		if (v->err != 0)
			return 1;
		ok = memcmp(stored, hash, SL_SHA256_HEX) == 0;
	}
	if (!ok) {
		v->bad_seq = seq;
		return 1;
	}
	memcpy(v->prev, hash, SL_SHA256_HEX);
	v->expect_seq++;
	return 0;
}

int sl_catalog_audit_verify(struct sl_catalog *c, int64_t *bad_seq)
{
	struct verify_ctx v = { .expect_seq = 1, .prev = AUDIT_GENESIS };
	if (bad_seq != NULL)
		*bad_seq = 0;
	/* One SELECT is one read snapshot: appends running meanwhile are simply not seen. */
	int ret = audit_walk(c, NULL, "audit verify", verify_row, &v);
	if (ret < 0)
		return ret;
	if (v.err != 0)
		return v.err;
	if (v.bad_seq == 0)
		return 0;
	if (bad_seq != NULL)
		*bad_seq = v.bad_seq;
	return -SL_E_VERIFY;
}

int sl_catalog_audit_head(struct sl_catalog *c, int64_t *seq, char hash[SL_SHA256_HEX])
{
	int ret = audit_last(c, seq, hash);
	if (ret == 0 && *seq == 0)
		return -SL_E_NOTFOUND;
	return ret;
}
