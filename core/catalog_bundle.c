/* catalog_bundle: transfer bundle bookkeeping in the catalogue (see catalog_bundle.h). Statements here are
 * prepared per call: bundle operations run a handful of times per import or export, not per object, except
 * the one object query, which streams. */
#include "core/catalog_bundle.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/catalog_int.h"
#include "core/error.h"

static sqlite3_stmt *prep(struct sl_catalog *c, const char *sql, const char *op)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sl_cat_fail(c, op);
		return NULL;
	}
	return s;
}

/* Bind text/int64 parameters described by fmt ('t' text, 'i' int64), step once; 0, or 1 when a row
 * came back (left for the caller to read), or -SL_E_CATALOG. */
static int bind_step(struct sl_catalog *c, sqlite3_stmt *s, const char *op, const char *fmt, va_list ap)
{
	int b = SQLITE_OK;
	for (int i = 0; fmt[i] && b == SQLITE_OK; i++) {
		if (fmt[i] == 't')
			b = sl_cat_bind_text(s, i + 1, va_arg(ap, const char *));
		else
			b = sl_cat_bind_i64(s, i + 1, va_arg(ap, int64_t));
	}
	if (b != SQLITE_OK)
		return sl_cat_fail(c, op);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return sl_cat_fail(c, op);
	return 0;
}

/* A statement returning no row. */
static int exec_args(struct sl_catalog *c, const char *op, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = prep(c, sql, op);
	if (s == NULL)
		return -SL_E_CATALOG;
	va_list ap;
	va_start(ap, fmt);
	int rc = bind_step(c, s, op, fmt, ap);
	va_end(ap);
	sqlite3_finalize(s);
	return rc < 0 ? rc : 0;
}

/* A statement returning at most one integer; *out 0 when no row. */
static int one_i64(struct sl_catalog *c, const char *op, const char *sql, int64_t *out, const char *fmt, ...)
{
	sqlite3_stmt *s = prep(c, sql, op);
	if (s == NULL)
		return -SL_E_CATALOG;
	va_list ap;
	va_start(ap, fmt);
	int rc = bind_step(c, s, op, fmt, ap);
	va_end(ap);
	*out = rc == 1 ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc < 0 ? rc : rc == 1 ? 0 : -SL_E_NOTFOUND;
}

/* ---- export ---- */

int sl_catalog_bundle_export_begin(struct sl_catalog *c, const char *exporter, const char *base, int64_t *seq)
{
	int rc = exec_args(c, "bundle export begin",
			   "INSERT INTO bundle_exports(exporter, created_at, base) VALUES (?1, ?2, ?3)", "tit",
			   exporter, (int64_t)sl_cat_now(), base);
	if (rc == 0)
		*seq = (int64_t)sqlite3_last_insert_rowid(c->db);
	return rc;
}

int sl_catalog_bundle_export_snapshot(struct sl_catalog *c, int64_t seq, int64_t snap_id, bool held)
{
	return exec_args(c, "bundle export snapshot",
			 "INSERT OR IGNORE INTO bundle_export_snapshots(seq, role, snapshot_id) VALUES (?1, ?2, ?3)",
			 "iti", seq, held ? "held" : "carried", snap_id);
}

int sl_catalog_bundle_export_since(struct sl_catalog *c, int64_t seq, int64_t since)
{
	return exec_args(c, "bundle export since",
			 "INSERT OR IGNORE INTO bundle_export_snapshots(seq, role, snapshot_id) "
			 "SELECT ?1, 'held', s.snapshot_id FROM bundle_export_snapshots s JOIN bundle_exports b "
			 "ON b.seq = s.seq WHERE b.state = 'written' AND s.role = 'carried' AND s.seq <= ?2",
			 "ii", seq, since);
}

int sl_catalog_bundle_export_known(struct sl_catalog *c, int64_t since, bool *known)
{
	int64_t v = 0;
	int rc = one_i64(c, "bundle export known", "SELECT seq FROM bundle_exports WHERE seq = ?1 AND state = 'written'",
			 &v, "i", since);
	*known = rc == 0;
	return rc == -SL_E_NOTFOUND ? 0 : rc;
}

int sl_catalog_bundle_export_objects(struct sl_catalog *c, int64_t seq,
				     int (*cb)(void *arg, const char *sha256, uint64_t size), void *arg)
{
	/* SQLite sorts through its own temp files past its cache: memory stays bounded however many objects. */
	static const char *const sql =
		"SELECT digest, max(size) FROM snapshot_entries WHERE snapshot_id IN "
		"(SELECT snapshot_id FROM bundle_export_snapshots WHERE seq = ?1 AND role = 'carried') "
		"AND digest NOT IN (SELECT e.digest FROM snapshot_entries e WHERE e.snapshot_id IN "
		"(SELECT snapshot_id FROM bundle_export_snapshots WHERE seq = ?1 AND role = 'held')) "
		"GROUP BY digest ORDER BY digest";
	sqlite3_stmt *s = prep(c, sql, "bundle export objects");
	if (s == NULL)
		return -SL_E_CATALOG;
	if (sl_cat_bind_i64(s, 1, seq) != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "bundle export objects");
	}
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 0);
		ret = cb(arg, d != NULL ? d : "", (uint64_t)sqlite3_column_int64(s, 1));
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sl_cat_fail(c, "bundle export objects");
	sqlite3_finalize(s);
	return ret;
}

int sl_catalog_bundle_export_done(struct sl_catalog *c, int64_t seq, const char *manifest_digest, uint64_t n_objects,
				  uint64_t bytes, unsigned volumes)
{
	return exec_args(c, "bundle export done",
			 "UPDATE bundle_exports SET state = 'written', manifest_digest = ?2, n_objects = ?3, "
			 "object_bytes = ?4, volumes = ?5 WHERE seq = ?1",
			 "itiii", seq, manifest_digest, (int64_t)n_objects, (int64_t)bytes, (int64_t)volumes);
}

int sl_catalog_bundle_export_base(struct sl_catalog *c, int64_t seq, int64_t source_id, int64_t *snap_id)
{
	int rc = one_i64(c, "bundle export base",
			 "SELECT max(s.id) FROM bundle_export_snapshots b JOIN snapshots s ON s.id = b.snapshot_id "
			 "WHERE b.seq = ?1 AND b.role = 'held' AND s.source_id = ?2 AND s.state <> 'syncing'",
			 snap_id, "ii", seq, source_id);
	return rc == -SL_E_NOTFOUND ? 0 : rc;
}

/* Added or changed entries (with the base's digest at the path), then dropped paths, merged by path. */
#define CHANGES_SQL \
	"SELECT n.path, n.digest, n.size, n.role, n.meta_json, b.digest FROM snapshot_entries n " \
	"LEFT JOIN snapshot_entries b ON b.snapshot_id = ?2 AND b.path = n.path WHERE n.snapshot_id = ?1 AND " \
	"(b.path IS NULL OR b.digest <> n.digest OR b.size <> n.size OR b.role <> n.role OR " \
	"b.meta_json IS NOT n.meta_json) " \
	"UNION ALL SELECT o.path, NULL, 0, NULL, NULL, o.digest FROM snapshot_entries o WHERE o.snapshot_id = ?2 " \
	"AND NOT EXISTS (SELECT 1 FROM snapshot_entries k WHERE k.snapshot_id = ?1 AND k.path = o.path)"

int sl_catalog_bundle_export_changes(struct sl_catalog *c, int64_t snap_id, int64_t base_id, uint64_t *n_out,
				     int (*cb)(void *arg, const struct sl_entry *e, const char *base_sha256),
				     void *arg)
{
	if (n_out != NULL) {
		int64_t n = 0;
		int rc = one_i64(c, "bundle export changes", "SELECT count(*) FROM (" CHANGES_SQL ")", &n, "ii", snap_id,
				 base_id);
		if (rc < 0)
			return rc;
		*n_out = (uint64_t)n;
	}
	if (cb == NULL)
		return 0;
	sqlite3_stmt *s = prep(c, CHANGES_SQL " ORDER BY 1", "bundle export changes");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_i64(s, 1, snap_id) | sl_cat_bind_i64(s, 2, base_id)) != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "bundle export changes");
	}
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sl_entry e = {
			.path = (const char *)sqlite3_column_text(s, 0),
			.sha256 = (const char *)sqlite3_column_text(s, 1),
			.size = (uint64_t)sqlite3_column_int64(s, 2),
			.role = (const char *)sqlite3_column_text(s, 3),
			.meta_json = (const char *)sqlite3_column_text(s, 4),
		};
		const char *base = (const char *)sqlite3_column_text(s, 5);
		if (e.path == NULL) {
			ret = -SL_E_CATALOG;
			break;
		}
		ret = cb(arg, &e, base);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sl_cat_fail(c, "bundle export changes");
	sqlite3_finalize(s);
	return ret;
}

int sl_catalog_bundle_snapshot_by_digest(struct sl_catalog *c, const char *source, int64_t snap_id,
					 const char *digest, bool *exists)
{
	int64_t v = 0;
	int rc = one_i64(c, "bundle snapshot by digest",
			 "SELECT s.id FROM snapshots s JOIN sources o ON o.id = s.source_id WHERE s.id = ?1 AND "
			 "o.name = ?2 AND s.content_digest = ?3",
			 &v, "itt", snap_id, source, digest);
	*exists = rc == 0;
	return rc == -SL_E_NOTFOUND ? 0 : rc;
}

/* ---- import ---- */

int sl_catalog_bundle_find_base(struct sl_catalog *c, int64_t source_id, const char *digest, int64_t *snap_id)
{
	return one_i64(c, "bundle find base",
		       "SELECT id FROM snapshots WHERE source_id = ?1 AND content_digest = ?2 AND state NOT IN "
		       "('syncing', 'failed') ORDER BY state IN ('pending', 'published', 'superseded') DESC, id DESC "
		       "LIMIT 1", snap_id, "it", source_id, digest);
}

int sl_catalog_bundle_copy_entries(struct sl_catalog *c, int64_t from_snap, int64_t to_snap)
{
	return exec_args(c, "bundle copy entries",
			 "INSERT INTO snapshot_entries(snapshot_id, path, digest, size, role, meta_json) "
			 "SELECT ?2, path, digest, size, role, meta_json FROM snapshot_entries WHERE snapshot_id = ?1",
			 "ii", from_snap, to_snap);
}

int sl_catalog_bundle_drop_entry(struct sl_catalog *c, int64_t snap_id, const char *path)
{
	int rc = exec_args(c, "bundle drop entry", "DELETE FROM snapshot_entries WHERE snapshot_id = ?1 AND path = ?2",
			   "it", snap_id, path);
	if (rc == 0 && sqlite3_changes(c->db) != 1)
		rc = -SL_E_NOTFOUND;
	return rc;
}

int sl_catalog_bundle_gc_keep(struct sl_catalog *c, const char *sha256)
{
	int rc = exec_args(c, "gc keep", "CREATE TEMP TABLE IF NOT EXISTS gc_keep(digest TEXT PRIMARY KEY) WITHOUT ROWID",
			   "");
	if (rc == 0)
		rc = exec_args(c, "gc keep", "INSERT OR IGNORE INTO gc_keep(digest) VALUES (?1)", "t", sha256);
	return rc;
}

int sl_catalog_bundle_gc_kept(struct sl_catalog *c, const char *sha256, bool *kept)
{
	*kept = false;
	int64_t v = 0;
	/* No table: nothing was kept (sqlite_temp_master is always there). */
	int rc = one_i64(c, "gc kept", "SELECT 1 FROM sqlite_temp_master WHERE type = 'table' AND name = 'gc_keep'", &v,
			 "");
	if (rc == -SL_E_NOTFOUND)
		return 0;
	if (rc == 0)
		rc = one_i64(c, "gc kept", "SELECT 1 FROM gc_keep WHERE digest = ?1", &v, "t", sha256);
	*kept = rc == 0;
	return rc == -SL_E_NOTFOUND ? 0 : rc;
}

static void import_row(sqlite3_stmt *s, struct sl_bundle_import *b)
{
	memset(b, 0, sizeof *b);
	snprintf(b->exporter, sizeof b->exporter, "%s", (const char *)sqlite3_column_text(s, 0));
	b->seq = sqlite3_column_int64(s, 1);
	snprintf(b->manifest_digest, sizeof b->manifest_digest, "%s", (const char *)sqlite3_column_text(s, 2));
	b->created_at = sqlite3_column_int64(s, 3);
	b->valid_until = sqlite3_column_int64(s, 4);
	b->volumes = (unsigned)sqlite3_column_int64(s, 5);
	b->first_seen = sqlite3_column_int64(s, 6);
	const char *st = (const char *)sqlite3_column_text(s, 7);
	b->landed = st != NULL && strcmp(st, "landed") == 0;
	b->landed_at = sqlite3_column_int64(s, 8);
}

#define IMPORT_COLS "exporter, seq, manifest_digest, created_at, valid_until, volumes, first_seen, state, landed_at"

int sl_catalog_bundle_import_get(struct sl_catalog *c, const char *exporter, int64_t seq, struct sl_bundle_import *out)
{
	sqlite3_stmt *s = prep(c, "SELECT " IMPORT_COLS " FROM bundle_imports WHERE exporter = ?1 AND seq = ?2",
			       "bundle import get");
	if (s == NULL)
		return -SL_E_CATALOG;
	int rc = sl_cat_bind_text(s, 1, exporter) | sl_cat_bind_i64(s, 2, seq);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "bundle import get");
	}
	rc = sqlite3_step(s);
	int ret = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -SL_E_NOTFOUND : sl_cat_fail(c, "bundle import get");
	if (ret == 0)
		import_row(s, out);
	sqlite3_finalize(s);
	return ret;
}

int sl_catalog_bundle_import_add(struct sl_catalog *c, const struct sl_bundle_import *b)
{
	return exec_args(c, "bundle import add",
			 "INSERT OR IGNORE INTO bundle_imports(exporter, seq, manifest_digest, created_at, valid_until, "
			 "volumes, first_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			 "titiiii", b->exporter, b->seq, b->manifest_digest, b->created_at, b->valid_until,
			 (int64_t)b->volumes, (int64_t)sl_cat_now());
}

int sl_catalog_bundle_import_last(struct sl_catalog *c, const char *exporter, int64_t *seq)
{
	int rc = one_i64(c, "bundle import last",
			 "SELECT coalesce(max(seq), 0) FROM bundle_imports WHERE exporter = ?1 AND state = 'landed'", seq,
			 "t", exporter);
	return rc == -SL_E_NOTFOUND ? 0 : rc;
}

int sl_catalog_bundle_import_volume(struct sl_catalog *c, const char *exporter, int64_t seq, unsigned volume)
{
	return exec_args(c, "bundle import volume",
			 "INSERT OR IGNORE INTO bundle_import_volumes(exporter, seq, volume, at) VALUES (?1, ?2, ?3, ?4)",
			 "tiii", exporter, seq, (int64_t)volume, (int64_t)sl_cat_now());
}

int sl_catalog_bundle_import_has_volume(struct sl_catalog *c, const char *exporter, int64_t seq, unsigned volume,
					bool *has)
{
	int64_t v;
	int rc = one_i64(c, "bundle import has volume",
			 "SELECT volume FROM bundle_import_volumes WHERE exporter = ?1 AND seq = ?2 AND volume = ?3", &v,
			 "tii", exporter, seq, (int64_t)volume);
	*has = rc == 0;
	return rc == -SL_E_NOTFOUND ? 0 : rc;
}

int sl_catalog_bundle_import_landed(struct sl_catalog *c, const char *exporter, int64_t seq)
{
	return exec_args(c, "bundle import landed",
			 "UPDATE bundle_imports SET state = 'landed', landed_at = ?3 WHERE exporter = ?1 AND seq = ?2",
			 "tii", exporter, seq, (int64_t)sl_cat_now());
}

int sl_catalog_bundle_source_get(struct sl_catalog *c, const char *exporter, int64_t seq, const char *source,
				 int64_t *snap_id, char *verdict, size_t cap)
{
	*snap_id = 0;
	verdict[0] = '\0';
	sqlite3_stmt *s = prep(c, "SELECT coalesce(snapshot_id, 0), coalesce(verdict, '') FROM bundle_import_sources "
				  "WHERE exporter = ?1 AND seq = ?2 AND source = ?3", "bundle source get");
	if (s == NULL)
		return -SL_E_CATALOG;
	int rc = sl_cat_bind_text(s, 1, exporter) | sl_cat_bind_i64(s, 2, seq) | sl_cat_bind_text(s, 3, source);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "bundle source get");
	}
	rc = sqlite3_step(s);
	int ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sl_cat_fail(c, "bundle source get");
	if (rc == SQLITE_ROW) {
		*snap_id = sqlite3_column_int64(s, 0);
		snprintf(verdict, cap, "%s", (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	return ret;
}

int sl_catalog_bundle_source_set(struct sl_catalog *c, const char *exporter, int64_t seq, const char *source,
				 int64_t remote_snapshot, const char *content_digest, int64_t snap_id,
				 const char *verdict)
{
	return exec_args(c, "bundle source set",
			 "INSERT INTO bundle_import_sources(exporter, seq, source, remote_snapshot, content_digest, "
			 "snapshot_id, verdict) VALUES (?1, ?2, ?3, ?4, ?5, nullif(?6, 0), ?7) "
			 "ON CONFLICT(exporter, seq, source) DO UPDATE SET snapshot_id = excluded.snapshot_id, "
			 "verdict = excluded.verdict",
			 "tititit", exporter, seq, source, remote_snapshot, content_digest, snap_id, verdict);
}

int sl_catalog_bundle_imports(struct sl_catalog *c, int (*cb)(void *arg, const struct sl_bundle_import *b),
			      void *arg)
{
	sqlite3_stmt *s = prep(c, "SELECT " IMPORT_COLS " FROM bundle_imports ORDER BY exporter, seq", "bundle imports");
	if (s == NULL)
		return -SL_E_CATALOG;
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sl_bundle_import b;
		import_row(s, &b);
		ret = cb(arg, &b);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sl_cat_fail(c, "bundle imports");
	sqlite3_finalize(s);
	return ret;
}

int sl_catalog_bundle_held(struct sl_catalog *c,
			   int (*cb)(void *arg, const char *exporter, const char *source, int64_t remote_snapshot,
				     const char *content_digest),
			   void *arg)
{
	sqlite3_stmt *s = prep(c, "SELECT DISTINCT b.exporter, b.source, b.remote_snapshot, b.content_digest "
				  "FROM bundle_import_sources b JOIN snapshots s ON s.id = b.snapshot_id "
				  "WHERE s.state IN ('pending', 'published', 'superseded') "
				  "ORDER BY b.exporter, b.source, b.remote_snapshot", "bundle held");
	if (s == NULL)
		return -SL_E_CATALOG;
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = cb(arg, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
			 sqlite3_column_int64(s, 2), (const char *)sqlite3_column_text(s, 3));
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sl_cat_fail(c, "bundle held");
	sqlite3_finalize(s);
	return ret;
}
