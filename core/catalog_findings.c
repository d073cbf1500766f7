/* catalog_findings: findings on arrival and the decisions about them, the scan verdict cache, and scan
 * runs (schema 003). Statements are prepared per call: these run once per artifact or per decision,
 * never in a hot loop of the catalogue's own. */
#include "core/catalog.h"

#include <errno.h>
#include <stdlib.h>

#include "core/catalog_int.h"
#include "core/error.h"
#include "core/limits.h"

/* Step a statement that returns no row, finalize it. */
static int run(struct sl_catalog *c, sqlite3_stmt *s, const char *op, int *changes)
{
	int rc = sqlite3_step(s);
	int ret = rc == SQLITE_DONE ? 0 : sl_cat_fail(c, op);
	if (ret == 0 && changes != NULL)
		*changes = sqlite3_changes(c->db);
	sqlite3_finalize(s);
	return ret;
}

static bool too_long(const struct sl_finding *f)
{
	return sl_cat_too_long(f->kind, SL_MAX_NAME) || sl_cat_too_long(f->artifact, SL_MAX_REL_PATH) ||
	       sl_cat_too_long(f->member, SL_MAX_REL_PATH) || sl_cat_too_long(f->detail, SL_MAX_REASON) ||
	       sl_cat_too_long(f->reason, SL_MAX_REASON) || sl_cat_too_long(f->decided_by, SL_MAX_REASON);
}

#define COLS "id, snapshot_id, kind, blocking, artifact, digest, member, detail, created_at, decision, " \
	     "decided_by, decided_at, reason, expires_at, carried_from"

static void row_to(sqlite3_stmt *s, struct sl_finding *f)
{
	f->id = sqlite3_column_int64(s, 0);
	f->snapshot_id = sqlite3_column_int64(s, 1);
	f->kind = (const char *)sqlite3_column_text(s, 2);
	f->blocking = sqlite3_column_int64(s, 3) != 0;
	f->artifact = (const char *)sqlite3_column_text(s, 4);
	f->digest = (const char *)sqlite3_column_text(s, 5);
	f->member = (const char *)sqlite3_column_text(s, 6);
	f->detail = (const char *)sqlite3_column_text(s, 7);
	f->created_at = sqlite3_column_int64(s, 8);
	f->decision = (const char *)sqlite3_column_text(s, 9);
	f->decided_by = (const char *)sqlite3_column_text(s, 10);
	f->decided_at = sqlite3_column_int64(s, 11);
	f->reason = (const char *)sqlite3_column_text(s, 12);
	f->expires_at = sqlite3_column_int64(s, 13);
	f->carried_from = sqlite3_column_int64(s, 14);
}

int sl_catalog_finding_add(struct sl_catalog *c, const struct sl_finding *f, int64_t now, int64_t *id_out)
{
	if (f->kind == NULL || f->artifact == NULL || f->detail == NULL)
		return -EINVAL;
	if (too_long(f))
		return -SL_E_TOOBIG;
	/* The newest acceptance of the same finding on the same bytes, if it has not expired: a decision
	 * stays with the artifact, not with the snapshot it was first seen in. A finding the snapshot already
	 * holds (decided, kept through a rescan) is not added twice. */
	sqlite3_stmt *s = sl_cat_prep(c,
		"INSERT INTO findings(snapshot_id, kind, blocking, artifact, digest, member, detail, created_at, "
		"decision, decided_by, decided_at, reason, expires_at, carried_from) "
		"SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, p.decision, p.decided_by, p.decided_at, p.reason, "
		"p.expires_at, p.id FROM (SELECT 1) LEFT JOIN (SELECT * FROM findings WHERE digest IS ?5 AND "
		"kind = ?2 AND member IS ?6 AND detail = ?7 AND decision = 'accepted' AND (expires_at IS NULL OR "
		"expires_at > ?8) ORDER BY id DESC LIMIT 1) AS p WHERE NOT EXISTS (SELECT 1 FROM findings WHERE "
		"snapshot_id = ?1 AND artifact = ?4 AND digest IS ?5 AND kind = ?2 AND member IS ?6 AND detail = ?7)",
		"finding add");
	if (s == NULL)
		return -SL_E_CATALOG;
	int b = sl_cat_bind_i64(s, 1, f->snapshot_id) | sl_cat_bind_text(s, 2, f->kind) |
		sl_cat_bind_i64(s, 3, f->blocking ? 1 : 0) | sl_cat_bind_text(s, 4, f->artifact) |
		sl_cat_bind_text(s, 5, f->digest) | sl_cat_bind_text(s, 6, f->member) | sl_cat_bind_text(s, 7, f->detail) |
		sl_cat_bind_i64(s, 8, now);
	if (b != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "finding add");
	}
	int changes = 0;
	int rc = run(c, s, "finding add", &changes);
	if (rc == 0 && changes == 1 && id_out != NULL)
		*id_out = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static int each(struct sl_catalog *c, sqlite3_stmt *s, const char *op,
		int (*cb)(void *arg, const struct sl_finding *f), void *arg, unsigned *count)
{
	int ret = 0, rc;
	unsigned n = 0;
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sl_finding f;
		row_to(s, &f);
		n++;
		ret = cb != NULL ? cb(arg, &f) : 0;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sl_cat_fail(c, op);
	sqlite3_finalize(s);
	if (count != NULL)
		*count = n;
	return ret;
}

int sl_catalog_findings(struct sl_catalog *c, int64_t snap_id, int (*cb)(void *arg, const struct sl_finding *f),
			void *arg)
{
	sqlite3_stmt *s = sl_cat_prep(c, "SELECT " COLS " FROM findings WHERE snapshot_id = ?1 ORDER BY id", "findings");
	if (s == NULL)
		return -SL_E_CATALOG;
	if (sl_cat_bind_i64(s, 1, snap_id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "findings");
	}
	return each(c, s, "findings", cb, arg, NULL);
}

int sl_catalog_finding(struct sl_catalog *c, int64_t id, int (*cb)(void *arg, const struct sl_finding *f), void *arg)
{
	sqlite3_stmt *s = sl_cat_prep(c, "SELECT " COLS " FROM findings WHERE id = ?1", "finding");
	if (s == NULL)
		return -SL_E_CATALOG;
	if (sl_cat_bind_i64(s, 1, id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "finding");
	}
	unsigned n = 0;
	int rc = each(c, s, "finding", cb, arg, &n);
	return rc == 0 && n == 0 ? -SL_E_NOTFOUND : rc;
}

int sl_catalog_finding_accept(struct sl_catalog *c, int64_t id, const char *actor, const char *reason,
			      int64_t expires_at, int64_t now)
{
	if (actor == NULL || reason == NULL || reason[0] == '\0')
		return -EINVAL;
	if (sl_cat_too_long(reason, SL_MAX_REASON) || sl_cat_too_long(actor, SL_MAX_REASON))
		return -SL_E_TOOBIG;
	sqlite3_stmt *s = sl_cat_prep(c, "UPDATE findings SET decision = 'accepted', decided_by = ?2, decided_at = ?3, "
				  "reason = ?4, expires_at = ?5, carried_from = NULL WHERE id = ?1 AND decision IS NULL",
			       "finding accept");
	if (s == NULL)
		return -SL_E_CATALOG;
	int b = sl_cat_bind_i64(s, 1, id) | sl_cat_bind_text(s, 2, actor) | sl_cat_bind_i64(s, 3, now) |
		sl_cat_bind_text(s, 4, reason) |
		(expires_at > 0 ? sl_cat_bind_i64(s, 5, expires_at) : sqlite3_bind_null(s, 5));
	if (b != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "finding accept");
	}
	int changes = 0;
	int rc = run(c, s, "finding accept", &changes);
	if (rc < 0 || changes == 1)
		return rc;
	/* Nothing changed: decided already, or no such finding. */
	rc = sl_catalog_finding(c, id, NULL, NULL);
	return rc == 0 ? -SL_E_STATE : rc;
}

int sl_catalog_findings_undecided(struct sl_catalog *c, int64_t snap_id, unsigned *n)
{
	sqlite3_stmt *s = sl_cat_prep(c, "SELECT count(*) FROM findings WHERE snapshot_id = ?1 AND blocking = 1 AND "
				  "decision IS NULL", "findings undecided");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = sl_cat_bind_i64(s, 1, snap_id) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW
			  ? 0 : sl_cat_fail(c, "findings undecided");
	if (ret == 0)
		*n = (unsigned)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return ret;
}

int sl_catalog_findings_clear_undecided(struct sl_catalog *c, int64_t snap_id, bool blocking)
{
	sqlite3_stmt *s = sl_cat_prep(c, "DELETE FROM findings WHERE snapshot_id = ?1 AND blocking = ?2 AND decision IS NULL",
			       "findings clear");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_i64(s, 1, snap_id) | sl_cat_bind_i64(s, 2, blocking ? 1 : 0)) != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "findings clear");
	}
	return run(c, s, "findings clear", NULL);
}

int sl_catalog_scan_verdict_get(struct sl_catalog *c, const char *digest, const char *engine, const char *db,
				char **findings_json)
{
	*findings_json = NULL;
	sqlite3_stmt *s = sl_cat_prep(c, "SELECT findings FROM scan_verdicts WHERE digest = ?1 AND engine = ?2 AND db = ?3",
			       "scan verdict get");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret;
	if ((sl_cat_bind_text(s, 1, digest) | sl_cat_bind_text(s, 2, engine) | sl_cat_bind_text(s, 3, db)) != SQLITE_OK) {
		ret = sl_cat_fail(c, "scan verdict get");
	} else {
		int rc = sqlite3_step(s);
		bool oom = false;
		if (rc == SQLITE_ROW) {
			*findings_json = sl_cat_col_strdup(s, 0, &oom);
			ret = oom ? -ENOMEM : 0;
		} else {
			ret = rc == SQLITE_DONE ? -SL_E_NOTFOUND : sl_cat_fail(c, "scan verdict get");
		}
	}
	sqlite3_finalize(s);
	return ret;
}

int sl_catalog_scan_verdict_put(struct sl_catalog *c, const char *digest, const char *engine, const char *db,
				const char *findings_json, int64_t now)
{
	sqlite3_stmt *s = sl_cat_prep(c, "INSERT OR REPLACE INTO scan_verdicts(digest, engine, db, findings, at) "
				  "VALUES (?1, ?2, ?3, ?4, ?5)", "scan verdict put");
	if (s == NULL)
		return -SL_E_CATALOG;
	int b = sl_cat_bind_text(s, 1, digest) | sl_cat_bind_text(s, 2, engine) | sl_cat_bind_text(s, 3, db) |
		sl_cat_bind_text(s, 4, findings_json) | sl_cat_bind_i64(s, 5, now);
	if (b != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "scan verdict put");
	}
	return run(c, s, "scan verdict put", NULL);
}

int sl_catalog_scan_run_add(struct sl_catalog *c, const struct sl_scan_run *r)
{
	sqlite3_stmt *s = sl_cat_prep(c, "INSERT INTO scan_runs(snapshot_id, at, engine, db, scanned, cached, findings) "
				  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", "scan run add");
	if (s == NULL)
		return -SL_E_CATALOG;
	int b = sl_cat_bind_i64(s, 1, r->snapshot_id) | sl_cat_bind_i64(s, 2, r->at) | sl_cat_bind_text(s, 3, r->engine) |
		sl_cat_bind_text(s, 4, r->db) | sl_cat_bind_u64(s, 5, r->scanned) | sl_cat_bind_u64(s, 6, r->cached) |
		sl_cat_bind_u64(s, 7, r->findings);
	if (b != SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "scan run add");
	}
	return run(c, s, "scan run add", NULL);
}

int sl_catalog_scan_run_last(struct sl_catalog *c, int64_t snap_id, struct sl_scan_run *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = sl_cat_prep(c, "SELECT at, scanned, cached, findings FROM scan_runs WHERE snapshot_id = ?1 "
				  "ORDER BY id DESC LIMIT 1", "scan run last");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret;
	if (sl_cat_bind_i64(s, 1, snap_id) != SQLITE_OK) {
		ret = sl_cat_fail(c, "scan run last");
	} else {
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			out->snapshot_id = snap_id;
			out->at = sqlite3_column_int64(s, 0);
			out->scanned = (uint64_t)sqlite3_column_int64(s, 1);
			out->cached = (uint64_t)sqlite3_column_int64(s, 2);
			out->findings = (uint64_t)sqlite3_column_int64(s, 3);
			ret = 0;
		} else {
			ret = rc == SQLITE_DONE ? -SL_E_NOTFOUND : sl_cat_fail(c, "scan run last");
		}
	}
	sqlite3_finalize(s);
	return ret;
}
