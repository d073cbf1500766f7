/* status: /healthz, /metrics and the status page, from the counters and the catalogue (read-only). */
#include "served/status.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "served/request.h"
#include "served/text.h"

/* What the catalogue says about one configured source. */
struct src_state {
	bool known;                   /* the source has a row in the catalogue */
	bool published;
	int64_t snap_id, generation, published_at;
	bool has_run, has_success;
	enum sl_run_outcome last_outcome;
	int64_t last_run_at, last_success_at;
	uint64_t pending;
};

static int count_cb(void *arg, const struct sl_snapshot_info *si)
{
	(*(uint64_t *)arg)++;
	return 0;
}

static void read_source(struct sl_catalog *cat, const char *name, struct src_state *st)
{
	memset(st, 0, sizeof *st);
	int64_t id;
	if (sl_catalog_source_id(cat, name, &id) < 0)
		return;
	st->known = true;
	st->published = sl_catalog_published_get(cat, id, &st->snap_id, &st->generation, &st->published_at) == 0;
	struct sl_run_info run;
	if (sl_catalog_run_last(cat, id, &run) == 0) {
		st->has_run = true;
		st->last_outcome = run.outcome;
		st->last_run_at = run.ended_at ? run.ended_at : run.started_at;
		sl_run_info_release(&run);
	}
	if (sl_catalog_run_last_success(cat, id, &run) == 0) {
		st->has_success = true;
		st->last_success_at = run.ended_at ? run.ended_at : run.started_at;
		sl_run_info_release(&run);
	}
	if (sl_catalog_snapshots(cat, id, SL_SNAP_PENDING, count_cb, &st->pending) < 0)
		st->pending = 0;
}

/* States for every configured source; NULL when the catalogue cannot be opened (logged at debug: a
 * monitoring system polling a broken mirror should not fill the log). Caller frees. */
static struct src_state *read_sources(const struct sl_request *r)
{
	char *cause = NULL;
	struct sl_catalog *cat = sl_catalog_open(r->catalog_path, SL_CATALOG_READONLY, &cause);
	if (cat == NULL) {
		sl_log_debug(NULL, "%s: %s", r->catalog_path, cause != NULL ? cause : "cannot open");
		free(cause);
		return NULL;
	}
	struct src_state *st = calloc(r->cfg->nsources ? r->cfg->nsources : 1, sizeof *st);
	if (st != NULL)
		for (size_t i = 0; i < r->cfg->nsources; i++)
			read_source(cat, r->cfg->sources[i].name, &st[i]);
	sl_catalog_free(cat);
	return st;
}

static enum MHD_Result send_text(struct sl_request *r, struct sl_text *t, const char *type)
{
	char *body;
	size_t len;
	int rc = sl_text_take(t, &body, &len);
	if (rc < 0) {
		sl_log_err(NULL, "%s: cannot build the response: %s", r->uri, sl_strerror(rc));
		return sl_request_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR);
	}
	return sl_request_take(r, MHD_HTTP_OK, type, body, len, "no-store");
}

enum MHD_Result sl_status_healthz(struct sl_request *r, const char *rest)
{
	char *cause = NULL;
	struct sl_catalog *cat = sl_catalog_open(r->catalog_path, SL_CATALOG_READONLY, &cause);
	if (cat == NULL) {
		sl_log_debug(NULL, "healthz: %s: %s", r->catalog_path, cause != NULL ? cause : "cannot open");
		free(cause);
		static const char msg[] = "unavailable: catalogue cannot be opened\n";
		return sl_request_text(r, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", msg,
				       sizeof msg - 1);
	}
	sl_catalog_free(cat);
	int fd = open(r->public_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		static const char msg[] = "unavailable: published tree is not readable\n";
		return sl_request_text(r, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", msg,
				       sizeof msg - 1);
	}
	close(fd);
	return sl_request_text(r, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3);
}

static void metric_head(struct sl_text *t, const char *name, const char *type, const char *help)
{
	sl_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void source_label(struct sl_text *t, const char *metric, const char *source)
{
	sl_text_printf(t, "%s{source=\"", metric);
	sl_text_label(t, source);
	sl_text_append(t, "\"}", 2);
}

enum MHD_Result sl_status_metrics(struct sl_request *r, const char *rest)
{
	struct sl_text t;
	sl_text_init(&t);
	const struct sl_served_stats *stats = r->stats;
	metric_head(&t, "sluice_http_requests_total", "counter", "HTTP requests answered, by route and status.");
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
			sl_text_printf(&t, "sluice_http_requests_total{route=\"%s\",code=\"%s\"} %" PRIu64 "\n",
				       sl_route_label(rt), code, v);
		}
	}
	metric_head(&t, "sluice_http_response_bytes_total", "counter", "Response body bytes sent, by route.");
	for (unsigned rt = 0; rt < sl_route_count(); rt++)
		sl_text_printf(&t, "sluice_http_response_bytes_total{route=\"%s\"} %" PRIu64 "\n", sl_route_label(rt),
			       (uint64_t)atomic_load_explicit(&stats->bytes[rt], memory_order_relaxed));
	metric_head(&t, "sluice_http_in_flight", "gauge", "Requests being answered now.");
	sl_text_printf(&t, "sluice_http_in_flight %" PRId64 "\n",
		       (int64_t)atomic_load_explicit(&stats->in_flight, memory_order_relaxed));

	const struct sl_config *cfg = r->cfg;
	struct src_state *st = read_sources(r);
	metric_head(&t, "sluice_catalog_up", "gauge", "1 when the catalogue opens read-only.");
	sl_text_printf(&t, "sluice_catalog_up %d\n", st != NULL);
	if (st != NULL) {
		int64_t now = (int64_t)time(NULL);
		metric_head(&t, "sluice_published_snapshot", "gauge", "Snapshot id published per source.");
		for (size_t i = 0; i < cfg->nsources; i++) {
			if (!st[i].published)
				continue;
			source_label(&t, "sluice_published_snapshot", cfg->sources[i].name);
			sl_text_printf(&t, " %" PRId64 "\n", st[i].snap_id);
		}
		metric_head(&t, "sluice_published_age_seconds", "gauge", "Seconds since the published snapshot was switched in.");
		for (size_t i = 0; i < cfg->nsources; i++) {
			if (!st[i].published)
				continue;
			source_label(&t, "sluice_published_age_seconds", cfg->sources[i].name);
			sl_text_printf(&t, " %" PRId64 "\n", now - st[i].published_at);
		}
		metric_head(&t, "sluice_last_sync_success_timestamp", "gauge", "Unix time of the last successful sync.");
		for (size_t i = 0; i < cfg->nsources; i++) {
			if (!st[i].has_success)
				continue;
			source_label(&t, "sluice_last_sync_success_timestamp", cfg->sources[i].name);
			sl_text_printf(&t, " %" PRId64 "\n", st[i].last_success_at);
		}
		metric_head(&t, "sluice_last_sync_outcome", "gauge", "1 for the outcome of the last sync run.");
		for (size_t i = 0; i < cfg->nsources; i++) {
			if (!st[i].has_run)
				continue;
			for (int o = SL_RUN_RUNNING; o <= SL_RUN_INTERRUPTED; o++) {
				sl_text_printf(&t, "sluice_last_sync_outcome{source=\"");
				sl_text_label(&t, cfg->sources[i].name);
				sl_text_printf(&t, "\",outcome=\"%s\"} %d\n", sl_run_outcome_name((enum sl_run_outcome)o),
					       (int)st[i].last_outcome == o);
			}
		}
		metric_head(&t, "sluice_pending_snapshots", "gauge", "Snapshots waiting for approval.");
		for (size_t i = 0; i < cfg->nsources; i++) {
			source_label(&t, "sluice_pending_snapshots", cfg->sources[i].name);
			sl_text_printf(&t, " %" PRIu64 "\n", st[i].pending);
		}
	}
	free(st);
	return send_text(r, &t, "text/plain; version=0.0.4; charset=utf-8");
}

static void format_when(int64_t at, char *buf, size_t cap)
{
	time_t tt = (time_t)at;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

void sl_status_snippet_apt(struct sl_text *out, const char *base_url, const struct sl_source *src)
{
	/* Verbatim sources keep the upstream's signatures, so clients keep the upstream's key. */
	bool verbatim = src->publish == SL_PUBLISH_VERBATIM;
	const char *keyring = "/etc/apt/keyrings/sluice.asc";
	if (!verbatim) {
		sl_text_printf(out, "curl -fsSo %s ", keyring);
		sl_text_html(out, base_url);
		sl_text_printf(out, "/keys/sluice.asc\n");
	} else {
		keyring = src->keyring != NULL ? src->keyring : "/usr/share/keyrings/UPSTREAM.gpg";
	}
	for (size_t i = 0; i < src->suites.n || i == 0; i++) {
		sl_text_printf(out, "deb [signed-by=");
		sl_text_html(out, keyring);
		sl_text_printf(out, "] ");
		sl_text_html(out, base_url);
		sl_text_printf(out, "/apt/");
		sl_text_html(out, src->name);
		sl_text_printf(out, " ");
		sl_text_html(out, src->suites.n > 0 ? src->suites.v[i] : "SUITE");
		if (src->components.n == 0)
			sl_text_printf(out, " main");
		for (size_t c = 0; c < src->components.n; c++) {
			sl_text_printf(out, " ");
			sl_text_html(out, src->components.v[c]);
		}
		sl_text_printf(out, "\n");
		if (src->suites.n == 0)
			break;
	}
}

void sl_status_snippet_clamav(struct sl_text *out, const char *base_url, const struct sl_source *src)
{
	sl_text_printf(out, "# /etc/clamav/freshclam.conf\nPrivateMirror ");
	sl_text_html(out, base_url);
	sl_text_printf(out, "/clamav/");
	sl_text_html(out, src->name);
	sl_text_printf(out, "\nScriptedUpdates yes\n");
}

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	"<title>sluice mirror</title><style>"
	"body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}"
	"table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35em .7em;"
	"border-bottom:1px solid #ddd}th{background:#f4f4f4}"
	"pre{background:#f6f6f6;padding:.7em;overflow-x:auto;border-radius:4px}"
	".ok{color:#16692b}.bad{color:#a61b1b}.muted{color:#777}"
	"</style></head><body>\n<h1>sluice mirror</h1>\n";

enum MHD_Result sl_status_page(struct sl_request *r, const char *rest)
{
	const struct sl_config *cfg = r->cfg;
	char base[400], when[40];
	sl_request_base_url(r, base, sizeof base);
	struct sl_text t;
	sl_text_init(&t);
	sl_text_append(&t, page_head, sizeof page_head - 1);
	struct src_state *st = read_sources(r);
	if (st == NULL)
		sl_text_printf(&t, "<p class=\"bad\">The catalogue cannot be read: status below is unknown.</p>\n");
	sl_text_printf(&t, "<table><tr><th>Source</th><th>Type</th><th>Published snapshot</th><th>Since</th>"
			   "<th>Pending</th><th>Last sync</th></tr>\n");
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct sl_source *src = &cfg->sources[i];
		const struct src_state *s = st != NULL ? &st[i] : NULL;
		sl_text_printf(&t, "<tr><td>");
		sl_text_html(&t, src->name);
		sl_text_printf(&t, "</td><td>");
		sl_text_html(&t, src->format->name);
		sl_text_printf(&t, "</td>");
		if (s != NULL && s->published) {
			format_when(s->published_at, when, sizeof when);
			sl_text_printf(&t, "<td>#%" PRId64 "</td><td>%s <span class=\"muted\">(%" PRId64 " h ago)</span></td>",
				       s->snap_id, when, (now - s->published_at) / 3600);
		} else {
			sl_text_printf(&t, "<td class=\"muted\">none</td><td class=\"muted\">-</td>");
		}
		if (s != NULL)
			sl_text_printf(&t, "<td>%" PRIu64 "</td>", s->pending);
		else
			sl_text_printf(&t, "<td class=\"muted\">?</td>");
		if (s != NULL && s->has_run) {
			format_when(s->last_run_at, when, sizeof when);
			bool good = s->last_outcome == SL_RUN_OK || s->last_outcome == SL_RUN_UNCHANGED ||
				    s->last_outcome == SL_RUN_RUNNING;
			sl_text_printf(&t, "<td class=\"%s\">%s <span class=\"muted\">%s</span></td>",
				       good ? "ok" : "bad", sl_run_outcome_name(s->last_outcome), when);
		} else {
			sl_text_printf(&t, "<td class=\"muted\">never</td>");
		}
		sl_text_printf(&t, "</tr>\n");
	}
	sl_text_printf(&t, "</table>\n<h2>Client set-up</h2>\n");
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct sl_source *src = &cfg->sources[i];
		const struct sl_route *rt = sl_route_for_format(src->format->name);
		if (rt == NULL || rt->snippet == NULL)
			continue;
		sl_text_printf(&t, "<h3>");
		sl_text_html(&t, src->name);
		sl_text_printf(&t, "</h3>\n<pre>");
		rt->snippet(&t, base, src);
		sl_text_printf(&t, "</pre>\n");
	}
	sl_text_printf(&t, "<p>Signing key: <a href=\"");
	sl_text_html(&t, base);
	sl_text_printf(&t, "/keys/sluice.asc\">");
	sl_text_html(&t, base);
	sl_text_printf(&t, "/keys/sluice.asc</a> &middot; <a href=\"/metrics\">metrics</a> &middot; "
			   "<a href=\"/healthz\">health</a></p>\n</body></html>\n");
	free(st);
	return send_text(r, &t, "text/html; charset=utf-8");
}
