/* catalog_query: snapshot entries projected onto fields of their meta_json and ordered by them, for
 * consumers that stream (a differ merge-joining two snapshots of 60,000 packages) instead of loading a
 * snapshot into memory. SQLite sorts; its sorter spills to temporary files past its cache, so memory stays
 * flat whatever the snapshot's size. */
#include "core/catalog.h"

#include <errno.h>
#include <stdio.h>

#include "core/catalog_int.h"
#include "core/error.h"
#include "core/limits.h"

#define FIELD_NAME_MAX 64     /* bytes of one field name */

static bool field_name_ok(const char *f)
{
	size_t n = strlen(f);
	if (n == 0 || n > FIELD_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((f[i] >= 'a' && f[i] <= 'z') || (f[i] >= '0' && f[i] <= '9') || f[i] == '_'))
			return false;
	return true;
}

int sl_catalog_snapshot_fields(struct sl_catalog *c, int64_t snap_id, const char *role, const char *const *fields,
			       size_t n, int (*cb)(void *arg, const char *path, const char *const *values), void *arg)
{
	if (n == 0 || n > SL_MAX_QUERY_FIELDS || role == NULL)
		return -EINVAL;
	char sql[1024], paths[SL_MAX_QUERY_FIELDS][FIELD_NAME_MAX + 3];
	size_t used = (size_t)snprintf(sql, sizeof sql, "SELECT path");
	for (size_t i = 0; i < n; i++) {
		if (!field_name_ok(fields[i]))
			return -EINVAL;
		snprintf(paths[i], sizeof paths[i], "$.%s", fields[i]);
		used += (size_t)snprintf(sql + used, sizeof sql - used, ", json_extract(meta_json, ?%zu)", i + 3);
	}
	used += (size_t)snprintf(sql + used, sizeof sql - used,
				 " FROM snapshot_entries WHERE snapshot_id = ?1 AND role = ?2 ORDER BY");
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(sql + used, sizeof sql - used, " %zu,", i + 2);
	snprintf(sql + used, sizeof sql - used, " 1");
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sl_cat_fail(c, "snapshot fields");
	int b = sl_cat_bind_i64(s, 1, snap_id) | sl_cat_bind_text(s, 2, role);
	for (size_t i = 0; i < n; i++)
		b |= sl_cat_bind_text(s, (int)i + 3, paths[i]);
	int ret = 0, rc = SQLITE_DONE;
	if (b != SQLITE_OK)
		ret = sl_cat_fail(c, "snapshot fields");
	else
		rc = sqlite3_step(s);
	while (ret == 0 && rc == SQLITE_ROW) {
		const char *values[SL_MAX_QUERY_FIELDS];
		for (size_t i = 0; i < n; i++)
			values[i] = sqlite3_column_type(s, (int)i + 1) == SQLITE_TEXT
					    ? (const char *)sqlite3_column_text(s, (int)i + 1)
					    : NULL;
		ret = cb(arg, (const char *)sqlite3_column_text(s, 0), values);
		if (ret == 0)
			rc = sqlite3_step(s);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sl_cat_fail(c, "snapshot fields");
	sqlite3_finalize(s);
	return ret;
}
