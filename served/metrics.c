/* metrics: Prometheus text for /metrics. */
#include "served/metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "served/mapcache.h"
#include "served/request.h"
#include "served/srcstate.h"
#include "served/text.h"

static void metric_head(struct sl_text *t, const char *name, const char *type, const char *help)
{
	sl_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{source="..."} value — the common shape of the per-source series. */
static void source_value(struct sl_text *t, const char *metric, const char *source, int64_t v)
{
	sl_text_printf(t, "%s{source=\"", metric);
	sl_text_label(t, source);
	sl_text_printf(t, "\"} %" PRId64 "\n", v);
}

static void http_series(struct sl_text *t, const struct sl_served_stats *stats, struct sl_mapcache *maps)
{
	metric_head(t, "sluice_http_requests_total", "counter", "HTTP requests answered, by route and status.");
	for (unsigned rt = 0; rt < sl_route_count(); rt++) {
		for (unsigned c = 0; c < SL_CODE_SLOTS; c++) {
			uint64_t v = atomic_load_explicit(&stats->requests[rt][c], memory_order_relaxed);
			if (v == 0)
				continue;
			char code[12];
			if (c < SL_CODE_SLOTS - 1)
				snprintf(code, sizeof code, "%u", sl_request_codes[c]);
			else
				snprintf(code, sizeof code, "other");
			sl_text_printf(t, "sluice_http_requests_total{route=\"%s\",code=\"%s\"} %" PRIu64 "\n",
				       sl_route_label(rt), code, v);
		}
	}
	metric_head(t, "sluice_http_response_bytes_total", "counter", "Response body bytes sent, by route.");
	for (unsigned rt = 0; rt < sl_route_count(); rt++)
		sl_text_printf(t, "sluice_http_response_bytes_total{route=\"%s\"} %" PRIu64 "\n", sl_route_label(rt),
			       (uint64_t)atomic_load_explicit(&stats->bytes[rt], memory_order_relaxed));
	metric_head(t, "sluice_http_in_flight", "gauge", "Requests being answered now.");
	sl_text_printf(t, "sluice_http_in_flight %" PRId64 "\n",
		       (int64_t)atomic_load_explicit(&stats->in_flight, memory_order_relaxed));
	metric_head(t, "sluice_served_mapped_bytes", "gauge",
		    "Bytes of large files mapped for the downloads in progress (capped; the rest use sendfile).");
	sl_text_printf(t, "sluice_served_mapped_bytes %" PRIu64 "\n", sl_mapcache_mapped(maps));
}

static void source_series(struct sl_text *t, const struct sl_config *cfg, const struct sl_srcstate *st, int64_t now)
{
	size_t n = cfg->nsources;
	metric_head(t, "sluice_published_snapshot", "gauge", "Snapshot id published per source.");
	for (size_t i = 0; i < n; i++)
		if (st[i].published)
			source_value(t, "sluice_published_snapshot", cfg->sources[i].name, st[i].snap_id);
	metric_head(t, "sluice_published_timestamp", "gauge", "Unix time the published snapshot was switched in.");
	for (size_t i = 0; i < n; i++)
		if (st[i].published)
			source_value(t, "sluice_published_timestamp", cfg->sources[i].name, st[i].published_at);
	metric_head(t, "sluice_published_age_seconds", "gauge", "Seconds since the published snapshot was switched in.");
	for (size_t i = 0; i < n; i++)
		if (st[i].published)
			source_value(t, "sluice_published_age_seconds", cfg->sources[i].name, now - st[i].published_at);

	metric_head(t, "sluice_last_sync_outcome", "gauge", "1 for the outcome of the last sync run.");
	for (size_t i = 0; i < n; i++) {
		if (!st[i].has_run)
			continue;
		for (int o = SL_RUN_RUNNING; o <= SL_RUN_INTERRUPTED; o++) {
			sl_text_printf(t, "sluice_last_sync_outcome{source=\"");
			sl_text_label(t, cfg->sources[i].name);
			sl_text_printf(t, "\",outcome=\"%s\"} %d\n", sl_run_outcome_name((enum sl_run_outcome)o),
				       (int)st[i].last_outcome == o);
		}
	}
	metric_head(t, "sluice_last_sync_timestamp", "gauge", "Unix time the last sync run ended (started, while running).");
	for (size_t i = 0; i < n; i++)
		if (st[i].has_run)
			source_value(t, "sluice_last_sync_timestamp", cfg->sources[i].name,
				     st[i].last_ended_at ? st[i].last_ended_at : st[i].last_started_at);
	metric_head(t, "sluice_last_sync_bytes", "gauge", "Bytes downloaded by the last sync run.");
	for (size_t i = 0; i < n; i++)
		if (st[i].has_run)
			source_value(t, "sluice_last_sync_bytes", cfg->sources[i].name, (int64_t)st[i].last_bytes);
	metric_head(t, "sluice_last_sync_requests", "gauge", "HTTP requests made by the last sync run.");
	for (size_t i = 0; i < n; i++)
		if (st[i].has_run)
			source_value(t, "sluice_last_sync_requests", cfg->sources[i].name, (int64_t)st[i].last_requests);
	metric_head(t, "sluice_last_sync_success_timestamp", "gauge", "Unix time of the last successful sync.");
	for (size_t i = 0; i < n; i++)
		if (st[i].has_success)
			source_value(t, "sluice_last_sync_success_timestamp", cfg->sources[i].name, st[i].last_success_at);
	metric_head(t, "sluice_next_sync_timestamp", "gauge", "Unix time of the next scheduled sync run.");
	for (size_t i = 0; i < n; i++)
		if (st[i].next_run_at > 0)
			source_value(t, "sluice_next_sync_timestamp", cfg->sources[i].name, st[i].next_run_at);
	metric_head(t, "sluice_upstream_cooldown_until_timestamp", "gauge",
		    "Unix time until which syncd leaves the source's upstream host alone (0: not cooling down).");
	for (size_t i = 0; i < n; i++) {
		if (st[i].host[0] == '\0')
			continue;
		sl_text_printf(t, "sluice_upstream_cooldown_until_timestamp{source=\"");
		sl_text_label(t, cfg->sources[i].name);
		sl_text_printf(t, "\",host=\"");
		sl_text_label(t, st[i].host);
		sl_text_printf(t, "\"} %" PRId64 "\n", st[i].cooldown_until);
	}

	metric_head(t, "sluice_chain_verify_ok", "gauge",
		    "1 when the newest re-check of a stored snapshot's upstream chain passed, 0 when it failed.");
	for (size_t i = 0; i < n; i++)
		if (st[i].has_chain)
			source_value(t, "sluice_chain_verify_ok", cfg->sources[i].name, st[i].chain_passed);
	metric_head(t, "sluice_chain_verify_timestamp", "gauge", "Unix time of the newest chain re-check.");
	for (size_t i = 0; i < n; i++)
		if (st[i].has_chain)
			source_value(t, "sluice_chain_verify_timestamp", cfg->sources[i].name, st[i].chain_at);

	metric_head(t, "sluice_pending_snapshots", "gauge", "Snapshots waiting for approval.");
	for (size_t i = 0; i < n; i++)
		source_value(t, "sluice_pending_snapshots", cfg->sources[i].name, (int64_t)st[i].pending);
	metric_head(t, "sluice_pending_oldest_age_seconds", "gauge", "Seconds the oldest pending snapshot has waited.");
	for (size_t i = 0; i < n; i++)
		if (st[i].pending > 0)
			source_value(t, "sluice_pending_oldest_age_seconds", cfg->sources[i].name, now - st[i].pending_since);
	metric_head(t, "sluice_approval_overdue", "gauge",
		    "1 when a pending snapshot has waited longer than the source's approve_within.");
	for (size_t i = 0; i < n; i++)
		source_value(t, "sluice_approval_overdue", cfg->sources[i].name, st[i].approval_overdue);
	metric_head(t, "sluice_approve_within_seconds", "gauge", "The source's approve_within (0: no deadline).");
	for (size_t i = 0; i < n; i++)
		source_value(t, "sluice_approve_within_seconds", cfg->sources[i].name,
			     cfg->sources[i].approve_within_ms / 1000);
}

enum MHD_Result sl_metrics_serve(struct sl_request *r, const char *rest)
{
	struct sl_text t;
	sl_text_init(&t);
	http_series(&t, r->stats, r->maps);
	int64_t now = (int64_t)time(NULL);
	struct sl_srcstate *st = sl_srcstate_read(r->catalog_path, r->cfg, now);
	metric_head(&t, "sluice_catalog_up", "gauge", "1 when the catalogue opens read-only.");
	sl_text_printf(&t, "sluice_catalog_up %d\n", st != NULL);
	if (st != NULL)
		source_series(&t, r->cfg, st, now);
	sl_srcstate_free(st);
	char *body;
	size_t len;
	int rc = sl_text_take(&t, &body, &len);
	if (rc < 0) {
		sl_log_err(NULL, "/metrics: cannot build the response: %s", sl_strerror(rc));
		return sl_request_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR);
	}
	return sl_request_take(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len, "no-store");
}
