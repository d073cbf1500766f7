/* catalog_alerts: the alert queue (schema 004) — alerts, one delivery row per channel, retries and their
 * outcome. Statements are prepared per call: alerts are rare. */
#include "core/catalog.h"

#include <errno.h>
#include <stdlib.h>

#include "core/catalog_int.h"
#include "core/error.h"
#include "core/limits.h"

static int done(struct sl_catalog *c, sqlite3_stmt *s, int bind, const char *op, int *changes)
{
	int ret = bind != SQLITE_OK ? sl_cat_fail(c, op) : sqlite3_step(s) == SQLITE_DONE ? 0 : sl_cat_fail(c, op);
	if (ret == 0 && changes != NULL)
		*changes = sqlite3_changes(c->db);
	sqlite3_finalize(s);
	return ret;
}

int sl_catalog_alert_add(struct sl_catalog *c, const struct sl_alert *a, const char *const *channels, size_t n,
			 int64_t now, bool *queued)
{
	*queued = false;
	if (a->event == NULL || a->text == NULL || a->body == NULL)
		return -EINVAL;
	if (sl_cat_too_long(a->text, SL_MAX_ALERT_BYTES) || sl_cat_too_long(a->body, SL_MAX_ALERT_BYTES))
		return -SL_E_TOOBIG;
	bool nested;
	int ret = sl_cat_tx_open(c, &nested, "alert add");
	if (ret != 0)
		return ret;
	sqlite3_stmt *s = sl_cat_prep(c, "INSERT OR IGNORE INTO alerts(event, source, snapshot_id, text, body, created_at, dedup) "
				  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", "alert add");
	int changes = 0;
	if (s == NULL)
		ret = -SL_E_CATALOG;
	else
		ret = done(c, s,
			   sl_cat_bind_text(s, 1, a->event) | sl_cat_bind_text(s, 2, a->source) |
				   (a->snapshot_id ? sl_cat_bind_i64(s, 3, a->snapshot_id) : sqlite3_bind_null(s, 3)) |
				   sl_cat_bind_text(s, 4, a->text) | sl_cat_bind_text(s, 5, a->body) |
				   sl_cat_bind_i64(s, 6, now) | sl_cat_bind_text(s, 7, a->dedup),
			   "alert add", &changes);
	int64_t id = sqlite3_last_insert_rowid(c->db);
	for (size_t i = 0; ret == 0 && changes == 1 && i < n; i++) {
		s = sl_cat_prep(c, "INSERT INTO alert_deliveries(alert_id, channel, next_at) VALUES (?1, ?2, ?3)", "alert add");
		ret = s == NULL ? -SL_E_CATALOG
				: done(c, s, sl_cat_bind_i64(s, 1, id) | sl_cat_bind_text(s, 2, channels[i]) |
						     sl_cat_bind_i64(s, 3, now),
				       "alert add", NULL);
	}
	ret = sl_cat_tx_close(c, nested, ret, "alert add");
	if (ret == 0)
		*queued = changes == 1;
	return ret;
}

int sl_catalog_alerts_due(struct sl_catalog *c, int64_t now, unsigned max_attempts, unsigned limit,
			  int (*cb)(void *arg, const struct sl_alert_due *d), void *arg)
{
	sqlite3_stmt *s = sl_cat_prep(c, "SELECT d.alert_id, d.channel, d.attempts, a.event, a.source, a.text, a.body "
				  "FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.delivered_at IS NULL "
				  "AND d.next_at <= ?1 AND d.attempts < ?2 ORDER BY d.next_at, d.alert_id LIMIT ?3",
			       "alerts due");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_i64(s, 1, now) | sl_cat_bind_i64(s, 2, max_attempts) | sl_cat_bind_i64(s, 3, limit)) !=
	    SQLITE_OK) {
		sqlite3_finalize(s);
		return sl_cat_fail(c, "alerts due");
	}
	/* Copied out first: the callback updates the rows it is handed. */
	struct sl_alert_due *v = calloc(limit ? limit : 1, sizeof *v);
	unsigned n = 0;
	int ret = v == NULL ? -ENOMEM : 0, rc = SQLITE_DONE;
	bool oom = false;
	while (ret == 0 && n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sl_alert_due *d = &v[n++];
		d->alert_id = sqlite3_column_int64(s, 0);
		d->channel = sl_cat_col_strdup(s, 1, &oom);
		d->attempts = (unsigned)sqlite3_column_int64(s, 2);
		d->event = sl_cat_col_strdup(s, 3, &oom);
		d->source = sl_cat_col_strdup(s, 4, &oom);
		d->text = sl_cat_col_strdup(s, 5, &oom);
		d->body = sl_cat_col_strdup(s, 6, &oom);
		if (oom)
			ret = -ENOMEM;
	}
	if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = sl_cat_fail(c, "alerts due");
	sqlite3_finalize(s);
	for (unsigned i = 0; ret == 0 && i < n; i++)
		ret = cb(arg, &v[i]);
	for (unsigned i = 0; i < n; i++) {
		free((char *)v[i].channel);
		free((char *)v[i].event);
		free((char *)v[i].source);
		free((char *)v[i].text);
		free((char *)v[i].body);
	}
	free(v);
	return ret;
}

int sl_catalog_alert_result(struct sl_catalog *c, int64_t alert_id, const char *channel, int64_t now,
			    const char *error, int64_t next_at)
{
	if (sl_cat_too_long(error, SL_MAX_REASON))
		return -SL_E_TOOBIG;
	sqlite3_stmt *s = error == NULL
				  ? sl_cat_prep(c, "UPDATE alert_deliveries SET attempts = attempts + 1, delivered_at = ?3, "
					    "last_error = NULL WHERE alert_id = ?1 AND channel = ?2", "alert result")
				  : sl_cat_prep(c, "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = ?4, "
					    "next_at = ?5 WHERE alert_id = ?1 AND channel = ?2", "alert result");
	if (s == NULL)
		return -SL_E_CATALOG;
	int b = sl_cat_bind_i64(s, 1, alert_id) | sl_cat_bind_text(s, 2, channel);
	if (error == NULL)
		b |= sl_cat_bind_i64(s, 3, now);
	else
		b |= sl_cat_bind_text(s, 4, error) | sl_cat_bind_i64(s, 5, next_at);
	return done(c, s, b, "alert result", NULL);
}

int sl_catalog_alert_status(struct sl_catalog *c, const char *source, struct sl_alert_status *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = sl_cat_prep(c, "SELECT count(*) FILTER (WHERE d.delivered_at IS NULL), "
				  "count(*) FILTER (WHERE d.delivered_at IS NOT NULL), max(d.delivered_at), "
				  "(SELECT d2.last_error FROM alert_deliveries d2 JOIN alerts a2 ON a2.id = d2.alert_id "
				  " WHERE d2.last_error IS NOT NULL AND (?1 IS NULL OR a2.source = ?1) "
				  " ORDER BY d2.next_at DESC LIMIT 1) "
				  "FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id WHERE ?1 IS NULL OR a.source = ?1",
			       "alert status");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0;
	if (sl_cat_bind_text(s, 1, source) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		ret = sl_cat_fail(c, "alert status");
	} else {
		bool oom = false;
		out->queued = (uint64_t)sqlite3_column_int64(s, 0);
		out->delivered = (uint64_t)sqlite3_column_int64(s, 1);
		out->last_delivered_at = sqlite3_column_int64(s, 2);
		out->last_error = sl_cat_col_strdup(s, 3, &oom);
		ret = oom ? -ENOMEM : 0;
	}
	sqlite3_finalize(s);
	return ret;
}

void sl_alert_status_release(struct sl_alert_status *st)
{
	if (st == NULL)
		return;
	free(st->last_error);
	st->last_error = NULL;
}
