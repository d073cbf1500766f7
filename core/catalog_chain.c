/* catalog_chain: re-checks of stored snapshots' upstream chain, newest per source for display. */
#include "core/catalog.h"

#include <errno.h>
#include <stdlib.h>

#include "core/catalog_int.h"
#include "core/error.h"
#include "core/limits.h"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_CHAIN_ADD] = "INSERT INTO chain_checks(snapshot_id, source_id, at, passed, checks, failed, reason) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_CHAIN_LAST] = "SELECT snapshot_id, at, passed, checks, failed, reason FROM chain_checks "
		"WHERE source_id = ?1 ORDER BY id DESC LIMIT 1",
};

#define GET(id, op) sl_cat_get(c, (id), stmt_sql[id], (op))

int sl_catalog_chain_add(struct sl_catalog *c, int64_t source_id, const struct sl_chain_check *cc)
{
	if (cc == NULL)
		return -EINVAL;
	if (sl_cat_too_long(cc->reason, SL_MAX_REASON))
		return -SL_E_TOOBIG;
	sqlite3_stmt *s = GET(ST_CHAIN_ADD, "chain check add");
	if (s == NULL)
		return -SL_E_CATALOG;
	int b = sl_cat_bind_i64(s, 1, cc->snapshot_id) | sl_cat_bind_i64(s, 2, source_id) |
		sl_cat_bind_i64(s, 3, cc->at ? cc->at : sl_cat_now()) | sl_cat_bind_i64(s, 4, cc->passed ? 1 : 0) |
		sl_cat_bind_i64(s, 5, cc->checks) | sl_cat_bind_i64(s, 6, cc->failed) |
		sl_cat_bind_text(s, 7, cc->reason);
	if (b != SQLITE_OK) {
		sl_cat_put(c, ST_CHAIN_ADD, s);
		return sl_cat_fail(c, "chain check add");
	}
	return sl_cat_run(c, ST_CHAIN_ADD, s, "chain check add", NULL);
}

int sl_catalog_chain_last(struct sl_catalog *c, int64_t source_id, struct sl_chain_check *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = GET(ST_CHAIN_LAST, "chain check last");
	if (s == NULL)
		return -SL_E_CATALOG;
	if (sl_cat_bind_i64(s, 1, source_id) != SQLITE_OK) {
		sl_cat_put(c, ST_CHAIN_LAST, s);
		return sl_cat_fail(c, "chain check last");
	}
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW) {
		bool oom = false;
		out->snapshot_id = sqlite3_column_int64(s, 0);
		out->at = sqlite3_column_int64(s, 1);
		out->passed = sqlite3_column_int64(s, 2) != 0;
		out->checks = (unsigned)sqlite3_column_int64(s, 3);
		out->failed = (unsigned)sqlite3_column_int64(s, 4);
		out->reason = sl_cat_col_strdup(s, 5, &oom);
		ret = oom ? -ENOMEM : 0;
	} else {
		ret = rc == SQLITE_DONE ? -SL_E_NOTFOUND : sl_cat_fail(c, "chain check last");
	}
	sl_cat_put(c, ST_CHAIN_LAST, s);
	return ret;
}

void sl_chain_check_release(struct sl_chain_check *cc)
{
	if (cc == NULL)
		return;
	free(cc->reason);
	cc->reason = NULL;
}
