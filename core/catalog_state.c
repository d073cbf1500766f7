/* catalog_state: the catalogue's small key-value tables: per-source state (what a syncer remembers
 * between runs), HTTP validators (ETag / Last-Modified per URL) and upstream hosts' cool-downs. */
#include "core/catalog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalog_int.h"
#include "core/error.h"
#include "core/limits.h"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_STATE_GET] = "SELECT value FROM source_state WHERE source_id = ?1 AND key = ?2",
	[ST_STATE_SET] = "INSERT INTO source_state(source_id, key, value) VALUES (?1, ?2, ?3) "
		"ON CONFLICT(source_id, key) DO UPDATE SET value = excluded.value",
	[ST_STATE_DEL] = "DELETE FROM source_state WHERE source_id = ?1 AND key = ?2",
	[ST_HTTP_GET] = "SELECT etag, last_modified FROM http_state WHERE url = ?1",
	[ST_HTTP_PUT] = "INSERT INTO http_state(url, etag, last_modified, updated_at) VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
		"last_modified = excluded.last_modified, updated_at = excluded.updated_at",
	[ST_COOL_GET] = "SELECT cooldown_until, reason FROM upstream_hosts WHERE host = ?1",
	[ST_COOL_SET] = "INSERT INTO upstream_hosts(host, cooldown_until, reason, updated_at) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT(host) DO UPDATE SET "
		"cooldown_until = excluded.cooldown_until, reason = excluded.reason, "
		"updated_at = excluded.updated_at",
};

#define GET(id, op) sl_cat_get(c, (id), stmt_sql[id], (op))

/* ---- per-source state ---- */

int sl_catalog_state_get(struct sl_catalog *c, int64_t source_id, const char *key, char **value)
{
	*value = NULL;
	sqlite3_stmt *s = GET(ST_STATE_GET, "state get");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sl_cat_bind_i64(s, 1, source_id) | sl_cat_bind_text(s, 2, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		bool oom = false;
		*value = sl_cat_col_strdup(s, 0, &oom);
		ret = oom ? -ENOMEM : 0;
	} else if (rc == SQLITE_DONE) {
		ret = -SL_E_NOTFOUND;
	} else {
		ret = sl_cat_fail(c, "state get");
	}
	sl_cat_put(c, ST_STATE_GET, s);
	return ret;
}

int sl_catalog_state_set(struct sl_catalog *c, int64_t source_id, const char *key, const char *value)
{
	if (key == NULL || key[0] == '\0' || sl_cat_too_long(key, SL_MAX_NAME))
		return -SL_E_BADNAME;
	if (sl_cat_too_long(value, SL_MAX_REASON))
		return -SL_E_TOOBIG;
	enum sl_cat_st id = value != NULL ? ST_STATE_SET : ST_STATE_DEL;
	sqlite3_stmt *s = GET(id, "state set");
	if (s == NULL)
		return -SL_E_CATALOG;
	int rc = sl_cat_bind_i64(s, 1, source_id) | sl_cat_bind_text(s, 2, key);
	if (value != NULL)
		rc |= sl_cat_bind_text(s, 3, value);
	if (rc != SQLITE_OK) {
		sl_cat_put(c, id, s);
		return sl_cat_fail(c, "state set");
	}
	return sl_cat_run(c, id, s, "state set", NULL);
}

/* ---- HTTP validators, cool-downs ---- */

int sl_catalog_http_get(struct sl_catalog *c, const char *url, char **etag, char **last_modified)
{
	if (etag != NULL)
		*etag = NULL;
	if (last_modified != NULL)
		*last_modified = NULL;
	sqlite3_stmt *s = GET(ST_HTTP_GET, "http get");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sl_cat_bind_text(s, 1, url);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		bool oom = false;
		if (etag != NULL)
			*etag = sl_cat_col_strdup(s, 0, &oom);
		if (last_modified != NULL)
			*last_modified = sl_cat_col_strdup(s, 1, &oom);
		ret = oom ? -ENOMEM : 0;
	} else if (rc == SQLITE_DONE) {
		ret = -SL_E_NOTFOUND;
	} else {
		ret = sl_cat_fail(c, "http get");
	}
	sl_cat_put(c, ST_HTTP_GET, s);
	if (ret != 0 && etag != NULL) {
		free(*etag);
		*etag = NULL;
	}
	if (ret != 0 && last_modified != NULL) {
		free(*last_modified);
		*last_modified = NULL;
	}
	return ret;
}

int sl_catalog_http_put(struct sl_catalog *c, const char *url, const char *etag, const char *last_modified)
{
	if (url == NULL || url[0] == '\0' || sl_cat_too_long(url, SL_MAX_URL))
		return -SL_E_BADNAME;
	if (sl_cat_too_long(etag, SL_MAX_HEADER_VALUE) || sl_cat_too_long(last_modified, SL_MAX_HEADER_VALUE))
		return -SL_E_TOOBIG;
	sqlite3_stmt *s = GET(ST_HTTP_PUT, "http put");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_text(s, 1, url) | sl_cat_bind_text(s, 2, etag) | sl_cat_bind_text(s, 3, last_modified) |
	     sl_cat_bind_i64(s, 4, sl_cat_now())) != SQLITE_OK) {
		sl_cat_put(c, ST_HTTP_PUT, s);
		return sl_cat_fail(c, "http put");
	}
	return sl_cat_run(c, ST_HTTP_PUT, s, "http put", NULL);
}

int sl_catalog_cooldown_get(struct sl_catalog *c, const char *host, int64_t *until, char **reason)
{
	*until = 0;
	if (reason != NULL)
		*reason = NULL;
	sqlite3_stmt *s = GET(ST_COOL_GET, "cooldown get");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sl_cat_bind_text(s, 1, host);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		bool oom = false;
		/* A cool-down that has run out is no cool-down. */
		int64_t t = sqlite3_column_int64(s, 0);
		*until = t > sl_cat_now() ? t : 0;
		if (reason != NULL && *until != 0)
			*reason = sl_cat_col_strdup(s, 1, &oom);
		ret = oom ? -ENOMEM : 0;
	} else if (rc != SQLITE_DONE) {
		ret = sl_cat_fail(c, "cooldown get");
	}
	sl_cat_put(c, ST_COOL_GET, s);
	return ret;
}

int sl_catalog_cooldown_set(struct sl_catalog *c, const char *host, int64_t until, const char *reason)
{
	if (host == NULL || host[0] == '\0' || sl_cat_too_long(host, SL_MAX_URL))
		return -SL_E_BADNAME;
	if (sl_cat_too_long(reason, SL_MAX_REASON))
		return -SL_E_TOOBIG;
	sqlite3_stmt *s = GET(ST_COOL_SET, "cooldown set");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_text(s, 1, host) | sl_cat_bind_i64(s, 2, until < 0 ? 0 : until) |
	     sl_cat_bind_text(s, 3, until > 0 ? reason : NULL) | sl_cat_bind_i64(s, 4, sl_cat_now())) !=
	    SQLITE_OK) {
		sl_cat_put(c, ST_COOL_SET, s);
		return sl_cat_fail(c, "cooldown set");
	}
	return sl_cat_run(c, ST_COOL_SET, s, "cooldown set", NULL);
}
