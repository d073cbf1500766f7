/* catalog_snapshot: artifacts, snapshots and their entries, the seal (content_digest), the state
 * machine, verification records and the published pointer. See schemas/README.md for the model. */
#include "core/catalog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/catalog_int.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"

#define SNAP_COLS "s.id, s.source_id, coalesce(s.run_id, 0), src.name, s.state, s.created_at, " \
	"s.state_changed_at, s.upstream_date, s.reason, s.summary_json, s.content_digest, s.n_entries, " \
	"s.total_bytes FROM snapshots s JOIN sources src ON src.id = s.source_id"
#define ENTRY_COLS "path, digest, size, role, meta_json FROM snapshot_entries"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_ARTIFACT_ADD] = "INSERT INTO artifacts(digest, size, media_type, origin_url, first_seen) "
		"VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(digest) DO NOTHING",
	[ST_ARTIFACT_SIZE] = "SELECT size FROM artifacts WHERE digest = ?1",
	[ST_SNAP_NEW] = "INSERT INTO snapshots(source_id, run_id, created_at, state_changed_at) "
		"VALUES (?1, ?2, ?3, ?3)",
	[ST_SNAP_ADD_ENTRY] = "INSERT INTO snapshot_entries(snapshot_id, path, digest, size, role, meta_json) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(snapshot_id, path) DO UPDATE SET "
		"digest = excluded.digest, size = excluded.size, role = excluded.role, "
		"meta_json = excluded.meta_json",
	[ST_SNAP_OWNER] = "SELECT source_id, state FROM snapshots WHERE id = ?1",
	/* The primary key (snapshot_id, path) gives path order with BINARY collation: bytewise. */
	[ST_SNAP_ENTRIES] = "SELECT " ENTRY_COLS " WHERE snapshot_id = ?1 ORDER BY path",
	[ST_SNAP_ENTRY] = "SELECT " ENTRY_COLS " WHERE snapshot_id = ?1 AND path = ?2",
	[ST_SNAP_SEAL] = "UPDATE snapshots SET content_digest = ?2, n_entries = ?3, total_bytes = ?4, "
		"upstream_date = ?5, summary_json = ?6 WHERE id = ?1 AND state = 'syncing'",
	[ST_SNAP_TRANSITION] = "UPDATE snapshots SET state = ?3, state_changed_at = ?4, "
		"reason = coalesce(?5, reason) WHERE id = ?1 AND state = ?2",
	[ST_SNAP_GET] = "SELECT " SNAP_COLS " WHERE s.id = ?1",
	[ST_SNAP_LIST] = "SELECT " SNAP_COLS " WHERE (?1 = 0 OR s.source_id = ?1) "
		"AND (?2 IS NULL OR s.state = ?2) ORDER BY s.id DESC",
	[ST_SNAP_DELETE] = "DELETE FROM snapshots WHERE id = ?1 AND state IN ('failed', 'rejected', "
		"'superseded') AND id NOT IN (SELECT snapshot_id FROM published)",
	[ST_DIGEST_REF] = "SELECT EXISTS (SELECT 1 FROM snapshot_entries WHERE digest = ?1)",
	[ST_VERIF_ADD] = "INSERT INTO verifications(snapshot_id, subject, check_name, key_fpr, passed, "
		"reason, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_VERIF_LIST] = "SELECT subject, check_name, key_fpr, passed, reason, at FROM verifications "
		"WHERE snapshot_id = ?1 ORDER BY id",
	[ST_PUB_GET] = "SELECT snapshot_id, generation, published_at FROM published WHERE source_id = ?1",
	[ST_PUB_SET] = "INSERT INTO published(source_id, snapshot_id, generation, published_at) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT(source_id) DO UPDATE SET "
		"snapshot_id = excluded.snapshot_id, generation = excluded.generation, "
		"published_at = excluded.published_at WHERE excluded.generation > published.generation",
};

#define GET(id, op) sl_cat_get(c, (id), stmt_sql[id], (op))

static const char *const snap_state_names[] = {
	[SL_SNAP_SYNCING] = "syncing",     [SL_SNAP_VERIFIED] = "verified", [SL_SNAP_FAILED] = "failed",
	[SL_SNAP_PENDING] = "pending",     [SL_SNAP_PUBLISHED] = "published",
	[SL_SNAP_REJECTED] = "rejected",   [SL_SNAP_SUPERSEDED] = "superseded",
};
#define N_SNAP_STATES (sizeof snap_state_names / sizeof snap_state_names[0])

/* The legal transitions of catalog.h; the schema's snapshots_state_machine trigger repeats them. */
static const struct {
	enum sl_snap_state from, to;
} snap_transitions[] = {
	{ SL_SNAP_SYNCING, SL_SNAP_VERIFIED },     { SL_SNAP_SYNCING, SL_SNAP_FAILED },
	{ SL_SNAP_VERIFIED, SL_SNAP_PENDING },     { SL_SNAP_VERIFIED, SL_SNAP_FAILED },
	{ SL_SNAP_PENDING, SL_SNAP_PUBLISHED },    { SL_SNAP_PENDING, SL_SNAP_REJECTED },
	{ SL_SNAP_PUBLISHED, SL_SNAP_SUPERSEDED }, { SL_SNAP_SUPERSEDED, SL_SNAP_PUBLISHED },
};

const char *sl_snap_state_name(enum sl_snap_state s)
{
	return (unsigned)s < N_SNAP_STATES ? snap_state_names[s] : "unknown";
}

int sl_snap_state_parse(const char *name, enum sl_snap_state *out)
{
	for (unsigned i = 0; name != NULL && i < N_SNAP_STATES; i++) {
		if (strcmp(name, snap_state_names[i]) == 0) {
			*out = (enum sl_snap_state)i;
			return 0;
		}
	}
	return -SL_E_PARSE;
}

/* ---- artifacts ---- */

int sl_catalog_artifact_add(struct sl_catalog *c, const char *sha256, uint64_t size, const char *media_type,
			    const char *origin_url)
{
	if (sha256 == NULL || !sl_digest_valid_sha256(sha256))
		return -SL_E_BADNAME;
	if (size > SL_MAX_ARTIFACT_BYTES || sl_cat_too_long(media_type, SL_MAX_NAME * 4) ||
	    sl_cat_too_long(origin_url, SL_MAX_URL))
		return -SL_E_TOOBIG;
	sqlite3_stmt *s = GET(ST_ARTIFACT_ADD, "artifact add");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_text(s, 1, sha256) | sl_cat_bind_u64(s, 2, size) | sl_cat_bind_text(s, 3, media_type) |
	     sl_cat_bind_text(s, 4, origin_url) | sl_cat_bind_i64(s, 5, sl_cat_now())) != SQLITE_OK) {
		sl_cat_put(c, ST_ARTIFACT_ADD, s);
		return sl_cat_fail(c, "artifact add");
	}
	int n = 0;
	int ret = sl_cat_run(c, ST_ARTIFACT_ADD, s, "artifact add", &n);
	if (ret != 0 || n == 1)
		return ret;
	/* Seen before: the same digest with another size means the caller's metadata is wrong. */
	s = GET(ST_ARTIFACT_SIZE, "artifact size");
	if (s == NULL)
		return -SL_E_CATALOG;
	if (sl_cat_bind_text(s, 1, sha256) != SQLITE_OK) {
		sl_cat_put(c, ST_ARTIFACT_SIZE, s);
		return sl_cat_fail(c, "artifact size");
	}
	int64_t known = 0;
	ret = sl_cat_one_i64(c, ST_ARTIFACT_SIZE, s, "artifact size", &known);
	if (ret == 0 && (uint64_t)known != size) {
		sl_log_err(NULL, "catalogue %s: artifact %s recorded with size %lld, now claimed %llu", c->path,
			   sha256, (long long)known, (unsigned long long)size);
		return -SL_E_SIZE;
	}
	return ret;
}

/* ---- snapshots ---- */

int sl_catalog_snapshot_new(struct sl_catalog *c, int64_t source_id, int64_t run_id, int64_t *snap_id_out)
{
	sqlite3_stmt *s = GET(ST_SNAP_NEW, "snapshot new");
	if (s == NULL)
		return -SL_E_CATALOG;
	int rc = sl_cat_bind_i64(s, 1, source_id) | sl_cat_bind_i64(s, 3, sl_cat_now());
	rc |= run_id > 0 ? sl_cat_bind_i64(s, 2, run_id) : sqlite3_bind_null(s, 2);
	if (rc != SQLITE_OK) {
		sl_cat_put(c, ST_SNAP_NEW, s);
		return sl_cat_fail(c, "snapshot new");
	}
	int ret = sl_cat_run(c, ST_SNAP_NEW, s, "snapshot new", NULL);
	if (ret == 0 && snap_id_out != NULL)
		*snap_id_out = (int64_t)sqlite3_last_insert_rowid(c->db);
	return ret;
}

int sl_catalog_snapshot_add_entry(struct sl_catalog *c, int64_t snap_id, const struct sl_entry *e)
{
	if (e->path == NULL || e->path[0] == '\0' || e->sha256 == NULL || e->role == NULL)
		return -SL_E_BADNAME;
	if (sl_cat_too_long(e->path, SL_MAX_REL_PATH) || e->size > SL_MAX_ARTIFACT_BYTES)
		return -SL_E_TOOBIG;
	sqlite3_stmt *s = GET(ST_SNAP_ADD_ENTRY, "snapshot add entry");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_i64(s, 1, snap_id) | sl_cat_bind_text(s, 2, e->path) | sl_cat_bind_text(s, 3, e->sha256) |
	     sl_cat_bind_u64(s, 4, e->size) | sl_cat_bind_text(s, 5, e->role) |
	     sl_cat_bind_text(s, 6, e->meta_json)) != SQLITE_OK) {
		sl_cat_put(c, ST_SNAP_ADD_ENTRY, s);
		return sl_cat_fail(c, "snapshot add entry");
	}
	return sl_cat_run(c, ST_SNAP_ADD_ENTRY, s, "snapshot add entry", NULL);
}

int sl_catalog_snapshot_drop_role(struct sl_catalog *c, int64_t snap_id, const char *role)
{
	sqlite3_stmt *s = NULL;
	/* The frozen-entries trigger refuses this once the snapshot has left 'syncing'. */
	if (sqlite3_prepare_v2(c->db, "DELETE FROM snapshot_entries WHERE snapshot_id = ?1 AND role = ?2", -1, &s,
			       NULL) != SQLITE_OK ||
	    (sl_cat_bind_i64(s, 1, snap_id) | sl_cat_bind_text(s, 2, role)) != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "snapshot drop entries");
	}
	int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : sl_cat_fail(c, "snapshot drop entries");
	sqlite3_finalize(s);
	return rc;
}

/* Source and state of a snapshot: 0, -SL_E_NOTFOUND or -SL_E_CATALOG. */
static int snap_owner(struct sl_catalog *c, int64_t snap_id, int64_t *source_id, enum sl_snap_state *state)
{
	sqlite3_stmt *s = GET(ST_SNAP_OWNER, "snapshot state");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sl_cat_bind_i64(s, 1, snap_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*source_id = sqlite3_column_int64(s, 0);
		if (sl_snap_state_parse((const char *)sqlite3_column_text(s, 1), state) != 0)
			ret = -SL_E_CATALOG; /* the CHECK constraint makes this unreachable */
	} else if (rc == SQLITE_DONE) {
		ret = -SL_E_NOTFOUND;
	} else {
		ret = sl_cat_fail(c, "snapshot state");
	}
	sl_cat_put(c, ST_SNAP_OWNER, s);
	return ret;
}

/* After a conditional UPDATE or DELETE of one snapshot (ret, n from sl_cat_run): 0 when it changed the row;
 * otherwise -SL_E_STATE when the snapshot exists in another state, -SL_E_NOTFOUND when it does not. */
static int one_row_or_state(struct sl_catalog *c, int64_t snap_id, int ret, int n)
{
	if (ret != 0 || n == 1)
		return ret;
	int64_t source_id;
	enum sl_snap_state now;
	ret = snap_owner(c, snap_id, &source_id, &now);
	return ret == 0 ? -SL_E_STATE : ret;
}

/* content_digest = SHA-256 over "path\0sha256\n" for every entry in bytewise path order. A path never
 * holds NUL and the digest is fixed-length hex, so two different entry lists never encode alike. */
static int seal_digest(struct sl_catalog *c, int64_t snap_id, char hex[SL_SHA256_HEX], uint64_t *n,
		       uint64_t *total)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	sqlite3_stmt *s = GET(ST_SNAP_ENTRIES, "snapshot seal");
	int ret = 0, rc = SQLITE_DONE;
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		ret = -ENOMEM;
	else if (s == NULL)
		ret = -SL_E_CATALOG;
	else if (sl_cat_bind_i64(s, 1, snap_id) != SQLITE_OK)
		ret = sl_cat_fail(c, "snapshot seal");
	*n = *total = 0;
	if (ret == 0)
		rc = sqlite3_step(s);
	while (ret == 0 && rc == SQLITE_ROW) {
		const unsigned char *path = sqlite3_column_text(s, 0), *digest = sqlite3_column_text(s, 1);
		int plen = sqlite3_column_bytes(s, 0), dlen = sqlite3_column_bytes(s, 1);
		if (path == NULL || digest == NULL || EVP_DigestUpdate(md, path, (size_t)plen) != 1 ||
		    EVP_DigestUpdate(md, "", 1) != 1 || EVP_DigestUpdate(md, digest, (size_t)dlen) != 1 ||
		    EVP_DigestUpdate(md, "\n", 1) != 1)
			ret = -ENOMEM;
		*n += 1;
		*total += (uint64_t)sqlite3_column_int64(s, 2);
		if (ret == 0)
			rc = sqlite3_step(s);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sl_cat_fail(c, "snapshot seal");
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int outlen = 0;
	if (ret == 0 && EVP_DigestFinal_ex(md, out, &outlen) != 1)
		ret = -ENOMEM;
	if (ret == 0)
		sl_cat_hex(out, outlen, hex);
	sl_cat_put(c, ST_SNAP_ENTRIES, s);
	EVP_MD_CTX_free(md);
	return ret;
}

int sl_catalog_snapshot_seal(struct sl_catalog *c, int64_t snap_id, int64_t upstream_date,
			     const char *summary_json)
{
	bool nested;
	int64_t source_id;
	enum sl_snap_state state;
	int ret = sl_cat_tx_open(c, &nested, "snapshot seal");
	if (ret != 0)
		return ret;
	ret = snap_owner(c, snap_id, &source_id, &state);
	if (ret == 0 && state != SL_SNAP_SYNCING)
		ret = -SL_E_STATE;
	char hex[SL_SHA256_HEX];
	uint64_t n = 0, total = 0;
	if (ret == 0)
		ret = seal_digest(c, snap_id, hex, &n, &total);
	sqlite3_stmt *s = ret == 0 ? GET(ST_SNAP_SEAL, "snapshot seal") : NULL;
	if (ret == 0 && s == NULL)
		ret = -SL_E_CATALOG;
	if (ret == 0 && (sl_cat_bind_i64(s, 1, snap_id) | sl_cat_bind_text(s, 2, hex) | sl_cat_bind_u64(s, 3, n) |
			 sl_cat_bind_u64(s, 4, total) | sl_cat_bind_i64(s, 5, upstream_date) |
			 sl_cat_bind_text(s, 6, summary_json)) != SQLITE_OK) {
		sl_cat_put(c, ST_SNAP_SEAL, s);
		ret = sl_cat_fail(c, "snapshot seal");
	} else if (ret == 0) {
		ret = sl_cat_run(c, ST_SNAP_SEAL, s, "snapshot seal", NULL);
	}
	return sl_cat_tx_close(c, nested, ret, "snapshot seal");
}

static bool transition_legal(enum sl_snap_state from, enum sl_snap_state to)
{
	for (size_t i = 0; i < sizeof snap_transitions / sizeof snap_transitions[0]; i++)
		if (snap_transitions[i].from == from && snap_transitions[i].to == to)
			return true;
	return false;
}

int sl_catalog_snapshot_transition(struct sl_catalog *c, int64_t snap_id, enum sl_snap_state from,
				   enum sl_snap_state to, const char *reason)
{
	if (!transition_legal(from, to))
		return -SL_E_STATE;
	if (sl_cat_too_long(reason, SL_MAX_REASON))
		return -SL_E_TOOBIG;
	sqlite3_stmt *s = GET(ST_SNAP_TRANSITION, "snapshot transition");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_i64(s, 1, snap_id) | sl_cat_bind_text(s, 2, snap_state_names[from]) |
	     sl_cat_bind_text(s, 3, snap_state_names[to]) | sl_cat_bind_i64(s, 4, sl_cat_now()) |
	     sl_cat_bind_text(s, 5, reason)) != SQLITE_OK) {
		sl_cat_put(c, ST_SNAP_TRANSITION, s);
		return sl_cat_fail(c, "snapshot transition");
	}
	/* One statement, WHERE state = from: of two processes racing the same move, exactly one changes
	 * the row; the other finds the new state and gets -SL_E_STATE. */
	int n = 0;
	int ret = sl_cat_run(c, ST_SNAP_TRANSITION, s, "snapshot transition", &n);
	return one_row_or_state(c, snap_id, ret, n);
}

static int snap_fill(sqlite3_stmt *s, struct sl_snapshot_info *out)
{
	bool oom = false;
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(s, 0);
	out->source_id = sqlite3_column_int64(s, 1);
	out->run_id = sqlite3_column_int64(s, 2);
	out->source_name = sl_cat_col_strdup(s, 3, &oom);
	if (sl_snap_state_parse((const char *)sqlite3_column_text(s, 4), &out->state) != 0)
		out->state = SL_SNAP_FAILED; /* the CHECK constraint makes this unreachable */
	out->created_at = sqlite3_column_int64(s, 5);
	out->state_changed_at = sqlite3_column_int64(s, 6);
	out->upstream_date = sqlite3_column_int64(s, 7);
	out->reason = sl_cat_col_strdup(s, 8, &oom);
	out->summary_json = sl_cat_col_strdup(s, 9, &oom);
	const unsigned char *cd = sqlite3_column_text(s, 10);
	if (cd != NULL && sqlite3_column_bytes(s, 10) == SL_SHA256_HEX - 1)
		memcpy(out->content_digest, cd, SL_SHA256_HEX);
	out->n_entries = (uint64_t)sqlite3_column_int64(s, 11);
	out->total_bytes = (uint64_t)sqlite3_column_int64(s, 12);
	if (oom) {
		sl_snapshot_info_release(out);
		return -ENOMEM;
	}
	return 0;
}

void sl_snapshot_info_release(struct sl_snapshot_info *s)
{
	if (s == NULL)
		return;
	free(s->source_name);
	free(s->reason);
	free(s->summary_json);
	s->source_name = s->reason = s->summary_json = NULL;
}

int sl_catalog_snapshot_get(struct sl_catalog *c, int64_t snap_id, struct sl_snapshot_info *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = GET(ST_SNAP_GET, "snapshot get");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret, rc = sl_cat_bind_i64(s, 1, snap_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ret = snap_fill(s, out);
	else if (rc == SQLITE_DONE)
		ret = -SL_E_NOTFOUND;
	else
		ret = sl_cat_fail(c, "snapshot get");
	sl_cat_put(c, ST_SNAP_GET, s);
	return ret;
}

int sl_catalog_snapshots(struct sl_catalog *c, int64_t source_id, int state_filter,
			 int (*cb)(void *arg, const struct sl_snapshot_info *s), void *arg)
{
	if (state_filter >= (int)N_SNAP_STATES)
		return -EINVAL;
	sqlite3_stmt *s = GET(ST_SNAP_LIST, "snapshot list");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sl_cat_bind_i64(s, 1, source_id) |
			  sl_cat_bind_text(s, 2, state_filter < 0 ? NULL : snap_state_names[state_filter]);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	while (rc == SQLITE_ROW && ret == 0) {
		struct sl_snapshot_info info;
		ret = snap_fill(s, &info);
		if (ret == 0)
			ret = cb(arg, &info);
		sl_snapshot_info_release(&info);
		if (ret == 0)
			rc = sqlite3_step(s);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sl_cat_fail(c, "snapshot list");
	sl_cat_put(c, ST_SNAP_LIST, s);
	return ret;
}

static void entry_view(sqlite3_stmt *s, struct sl_entry *e)
{
	e->path = (const char *)sqlite3_column_text(s, 0);
	e->sha256 = (const char *)sqlite3_column_text(s, 1);
	e->size = (uint64_t)sqlite3_column_int64(s, 2);
	e->role = (const char *)sqlite3_column_text(s, 3);
	e->meta_json = (const char *)sqlite3_column_text(s, 4);
}

int sl_catalog_snapshot_entries(struct sl_catalog *c, int64_t snap_id,
				int (*cb)(void *arg, const struct sl_entry *e), void *arg)
{
	sqlite3_stmt *s = GET(ST_SNAP_ENTRIES, "snapshot entries");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sl_cat_bind_i64(s, 1, snap_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	while (rc == SQLITE_ROW && ret == 0) {
		struct sl_entry e;
		entry_view(s, &e);
		ret = cb(arg, &e);
		if (ret == 0)
			rc = sqlite3_step(s);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sl_cat_fail(c, "snapshot entries");
	sl_cat_put(c, ST_SNAP_ENTRIES, s);
	return ret;
}

int sl_catalog_snapshot_entry(struct sl_catalog *c, int64_t snap_id, const char *path, struct sl_entry *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = GET(ST_SNAP_ENTRY, "snapshot entry");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sl_cat_bind_i64(s, 1, snap_id) | sl_cat_bind_text(s, 2, path);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct sl_entry v;
		entry_view(s, &v);
		out->size = v.size;
		out->path = strdup(v.path);
		out->sha256 = strdup(v.sha256);
		out->role = strdup(v.role);
		out->meta_json = v.meta_json != NULL ? strdup(v.meta_json) : NULL;
		if (out->path == NULL || out->sha256 == NULL || out->role == NULL ||
		    (v.meta_json != NULL && out->meta_json == NULL)) {
			sl_entry_release(out);
			ret = -ENOMEM;
		}
	} else if (rc == SQLITE_DONE) {
		ret = -SL_E_NOTFOUND;
	} else {
		ret = sl_cat_fail(c, "snapshot entry");
	}
	sl_cat_put(c, ST_SNAP_ENTRY, s);
	return ret;
}

void sl_entry_release(struct sl_entry *e)
{
	if (e == NULL)
		return;
	/* Filled by sl_catalog_snapshot_entry() from heap copies; const only for callers. */
	free((char *)e->path);
	free((char *)e->sha256);
	free((char *)e->role);
	free((char *)e->meta_json);
	memset(e, 0, sizeof *e);
}

int sl_catalog_snapshot_delete(struct sl_catalog *c, int64_t snap_id)
{
	sqlite3_stmt *s = GET(ST_SNAP_DELETE, "snapshot delete");
	if (s == NULL)
		return -SL_E_CATALOG;
	if (sl_cat_bind_i64(s, 1, snap_id) != SQLITE_OK) {
		sl_cat_put(c, ST_SNAP_DELETE, s);
		return sl_cat_fail(c, "snapshot delete");
	}
	int n = 0;
	int ret = sl_cat_run(c, ST_SNAP_DELETE, s, "snapshot delete", &n);
	return one_row_or_state(c, snap_id, ret, n);
}

int sl_catalog_digest_referenced(struct sl_catalog *c, const char *sha256, bool *out)
{
	sqlite3_stmt *s = GET(ST_DIGEST_REF, "digest referenced");
	if (s == NULL)
		return -SL_E_CATALOG;
	if (sl_cat_bind_text(s, 1, sha256) != SQLITE_OK) {
		sl_cat_put(c, ST_DIGEST_REF, s);
		return sl_cat_fail(c, "digest referenced");
	}
	int64_t v = 0;
	int ret = sl_cat_one_i64(c, ST_DIGEST_REF, s, "digest referenced", &v);
	if (ret == 0)
		*out = v != 0;
	return ret == -SL_E_NOTFOUND ? -SL_E_CATALOG : ret;
}

/* ---- verification records ---- */

int sl_catalog_verification_add(struct sl_catalog *c, int64_t snap_id, const char *subject,
				const char *check, const char *key_fpr, bool passed, const char *reason)
{
	if (subject == NULL || check == NULL)
		return -EINVAL;
	if (sl_cat_too_long(subject, SL_MAX_REL_PATH) || sl_cat_too_long(check, SL_MAX_NAME) ||
	    sl_cat_too_long(key_fpr, SL_MAX_NAME * 2) || sl_cat_too_long(reason, SL_MAX_REASON))
		return -SL_E_TOOBIG;
	sqlite3_stmt *s = GET(ST_VERIF_ADD, "verification add");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_i64(s, 1, snap_id) | sl_cat_bind_text(s, 2, subject) | sl_cat_bind_text(s, 3, check) |
	     sl_cat_bind_text(s, 4, key_fpr) | sl_cat_bind_i64(s, 5, passed ? 1 : 0) |
	     sl_cat_bind_text(s, 6, reason) | sl_cat_bind_i64(s, 7, sl_cat_now())) != SQLITE_OK) {
		sl_cat_put(c, ST_VERIF_ADD, s);
		return sl_cat_fail(c, "verification add");
	}
	return sl_cat_run(c, ST_VERIF_ADD, s, "verification add", NULL);
}

int sl_catalog_verifications(struct sl_catalog *c, int64_t snap_id,
			     int (*cb)(void *arg, const struct sl_verification *v), void *arg)
{
	sqlite3_stmt *s = GET(ST_VERIF_LIST, "verifications");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sl_cat_bind_i64(s, 1, snap_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	while (rc == SQLITE_ROW && ret == 0) {
		struct sl_verification v = {
			.subject = (const char *)sqlite3_column_text(s, 0),
			.check = (const char *)sqlite3_column_text(s, 1),
			.key_fpr = (const char *)sqlite3_column_text(s, 2),
			.passed = sqlite3_column_int(s, 3) != 0,
			.reason = (const char *)sqlite3_column_text(s, 4),
			.at = sqlite3_column_int64(s, 5),
		};
		ret = cb(arg, &v);
		if (ret == 0)
			rc = sqlite3_step(s);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sl_cat_fail(c, "verifications");
	sl_cat_put(c, ST_VERIF_LIST, s);
	return ret;
}

/* ---- published pointer ---- */

int sl_catalog_published_get(struct sl_catalog *c, int64_t source_id, int64_t *snap_id,
			     int64_t *generation, int64_t *published_at)
{
	sqlite3_stmt *s = GET(ST_PUB_GET, "published get");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sl_cat_bind_i64(s, 1, source_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (snap_id != NULL)
			*snap_id = sqlite3_column_int64(s, 0);
		if (generation != NULL)
			*generation = sqlite3_column_int64(s, 1);
		if (published_at != NULL)
			*published_at = sqlite3_column_int64(s, 2);
	} else if (rc == SQLITE_DONE) {
		ret = -SL_E_NOTFOUND;
	} else {
		ret = sl_cat_fail(c, "published get");
	}
	sl_cat_put(c, ST_PUB_GET, s);
	return ret;
}

int sl_catalog_published_set(struct sl_catalog *c, int64_t source_id, int64_t snap_id, int64_t generation)
{
	if (generation <= 0)
		return -EINVAL;
	bool nested;
	int ret = sl_cat_tx_open(c, &nested, "published set");
	if (ret != 0)
		return ret;
	int64_t owner = 0;
	enum sl_snap_state state;
	ret = snap_owner(c, snap_id, &owner, &state);
	if (ret == 0 && owner != source_id)
		ret = -SL_E_MISMATCH;
	/* served shows only what an admin (or auto-approve) moved to published. */
	if (ret == 0 && state != SL_SNAP_PUBLISHED)
		ret = -SL_E_STATE;
	sqlite3_stmt *s = ret == 0 ? GET(ST_PUB_SET, "published set") : NULL;
	if (ret == 0 && s == NULL)
		ret = -SL_E_CATALOG;
	if (ret == 0 && (sl_cat_bind_i64(s, 1, source_id) | sl_cat_bind_i64(s, 2, snap_id) |
			 sl_cat_bind_i64(s, 3, generation) | sl_cat_bind_i64(s, 4, sl_cat_now())) != SQLITE_OK) {
		sl_cat_put(c, ST_PUB_SET, s);
		ret = sl_cat_fail(c, "published set");
	} else if (ret == 0) {
		int n = 0;
		ret = sl_cat_run(c, ST_PUB_SET, s, "published set", &n);
		if (ret == 0 && n == 0)
			ret = -SL_E_STATE; /* generation did not increase: another publisher got there first */
	}
	return sl_cat_tx_close(c, nested, ret, "published set");
}
