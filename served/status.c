/* status: /healthz and the status page, from the catalogue (read-only) and the published key. */
#include "served/status.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/clients.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/syncdpid.h"
#include "served/pgpkey.h"
#include "served/request.h"
#include "served/srcstate.h"
#include "served/text.h"

#define SL_STATUS_KEY_MAX (1u << 20)   /* bytes of public/keys/sluice.asc read for fingerprints: a few KiB */
#define SL_STATUS_KEYS 4               /* fingerprints shown: the signing key, plus one rotation overlap */

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

/* ---- client snippets ---- */

/* The text is core/clients.c's, shared with `sluice clients` and contrib/run.sh, escaped for the page. */
static void snippet(struct sl_text *out, const char *base_url, const struct sl_source *src)
{
	bool unsupported = false;
	char *text = sl_clients_snippet(src, base_url, &unsupported);
	if (text == NULL) {
		sl_text_printf(out, "%s", unsupported ? "" : "(out of memory)\n");
		return;
	}
	sl_text_html(out, text);
	free(text);
}

void sl_status_snippet_apt(struct sl_text *out, const char *base_url, const struct sl_source *src)
{
	snippet(out, base_url, src);
}

void sl_status_snippet_clamav(struct sl_text *out, const char *base_url, const struct sl_source *src)
{
	snippet(out, base_url, src);
}

/* ---- the page ---- */

static void format_when(int64_t at, char *buf, size_t cap)
{
	time_t tt = (time_t)at;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

/* "45 s", "12 min", "5 h", "3 d 4 h": what an operator reads at a glance. */
static void format_span(int64_t s, char *buf, size_t cap)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, cap, "%" PRId64 " s", s);
	else if (s < 7200)
		snprintf(buf, cap, "%" PRId64 " min", s / 60);
	else if (s < 2 * 86400)
		snprintf(buf, cap, "%" PRId64 " h", s / 3600);
	else
		snprintf(buf, cap, "%" PRId64 " d %" PRId64 " h", s / 86400, (s % 86400) / 3600);
}

static void format_bytes(uint64_t b, char *buf, size_t cap)
{
	if (b < 1024)
		snprintf(buf, cap, "%" PRIu64 " B", b);
	else if (b < (1u << 20))
		snprintf(buf, cap, "%.1f KiB", (double)b / 1024);
	else if (b < (1ull << 30))
		snprintf(buf, cap, "%.1f MiB", (double)b / (1 << 20));
	else
		snprintf(buf, cap, "%.2f GiB", (double)b / (1ull << 30));
}

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	"<title>sluice mirror</title><style>"
	":root{--ok:#1a7f37;--bad:#c62828;--warn:#b35c00;--info:#0b5cad;--line:#e3e6ea;--muted:#667}"
	"*{box-sizing:border-box}"
	"body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1f2328;"
	"background:#f6f8fa}"
	"header{background:#24292f;color:#fff;padding:1.1em 2em}"
	"header h1{margin:0;font-size:1.35em;font-weight:600}header p{margin:.2em 0 0;color:#c9d1d9;font-size:.9em}"
	"main{max-width:78em;margin:0 auto;padding:1.2em 2em 3em}"
	"h2{font-size:1.1em;margin:2em 0 .6em}h3{font-size:1em;margin:1.2em 0 .4em}"
	".chips{display:flex;flex-wrap:wrap;gap:.6em;margin:.4em 0 1.2em}"
	".chip{background:#fff;border:1px solid var(--line);border-radius:2em;padding:.25em .9em;font-size:.9em}"
	".chip b{font-size:1.05em}.chip.bad{border-color:var(--bad);color:var(--bad)}"
	".chip.warn{border-color:var(--warn);color:var(--warn)}"
	"table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:6px}"
	"th,td{text-align:left;padding:.6em .8em;border-bottom:1px solid var(--line);vertical-align:top}"
	"th{background:#f0f3f6;font-size:.85em;text-transform:uppercase;letter-spacing:.03em;color:#444}"
	"tr:last-child td{border-bottom:0}"
	".sub{display:block;color:var(--muted);font-size:.85em}"
	".badge{display:inline-block;border-radius:3px;padding:0 .45em;font-size:.85em;font-weight:600;color:#fff}"
	".b-ok{background:var(--ok)}.b-bad{background:var(--bad)}.b-warn{background:var(--warn)}"
	".b-info{background:var(--info)}.b-none{background:#8c959f}"
	".bad{color:var(--bad)}.warn{color:var(--warn)}.muted{color:var(--muted)}"
	"pre{background:#fff;border:1px solid var(--line);border-left:3px solid var(--info);padding:.7em 1em;"
	"overflow-x:auto;border-radius:4px;font-size:.88em;margin:.3em 0}"
	"code,.fpr{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}"
	".fpr{font-size:.95em;letter-spacing:.02em}"
	"footer{color:var(--muted);font-size:.85em;margin-top:2.5em}a{color:var(--info)}"
	"</style></head><body>\n";

static void chip(struct sl_text *t, const char *cls, uint64_t n, const char *what)
{
	sl_text_printf(t, "<span class=\"chip %s\"><b>%" PRIu64 "</b> %s</span>", cls, n, what);
}

static void summary(struct sl_text *t, const struct sl_config *cfg, const struct sl_srcstate *st)
{
	uint64_t published = 0, pending = 0, overdue = 0, failed = 0, cooling = 0;
	for (size_t i = 0; st != NULL && i < cfg->nsources; i++) {
		published += st[i].published;
		pending += st[i].pending;
		overdue += st[i].approval_overdue;
		failed += st[i].has_run && (st[i].last_outcome == SL_RUN_FAILED || st[i].last_outcome == SL_RUN_INTERRUPTED);
		cooling += st[i].cooldown_until > 0;
	}
	sl_text_printf(t, "<div class=\"chips\">");
	chip(t, "", cfg->nsources, cfg->nsources == 1 ? "source" : "sources");
	chip(t, "", published, "published");
	chip(t, pending > 0 ? "warn" : "", pending, pending == 1 ? "pending approval" : "pending approvals");
	if (overdue > 0)
		chip(t, "bad", overdue, "approval overdue");
	if (failed > 0)
		chip(t, "bad", failed, "last sync failed");
	if (cooling > 0)
		chip(t, "warn", cooling, "upstream cooling down");
	sl_text_printf(t, "</div>\n");
}

static void cell_published(struct sl_text *t, const struct sl_srcstate *s, int64_t now)
{
	char when[40], span[40];
	if (s == NULL) {
		sl_text_printf(t, "<td class=\"muted\">unknown</td>");
		return;
	}
	if (!s->published) {
		sl_text_printf(t, "<td class=\"muted\">nothing yet</td>");
		return;
	}
	format_when(s->published_at, when, sizeof when);
	format_span(now - s->published_at, span, sizeof span);
	sl_text_printf(t, "<td>snapshot <b>#%" PRId64 "</b><span class=\"sub\">since %s (%s ago)</span>", s->snap_id,
		       when, span);
	if (s->has_chain && s->chain_passed) {
		format_span(now - s->chain_at, span, sizeof span);
		sl_text_printf(t, "<span class=\"sub\">chain of #%" PRId64 " re-verified %s ago</span>", s->chain_snap, span);
	} else if (s->has_chain) {
		sl_text_printf(t, "<span class=\"sub bad\">chain re-check of #%" PRId64 " FAILED: ", s->chain_snap);
		sl_text_html(t, s->chain_reason);
		sl_text_printf(t, "</span>");
	}
	sl_text_printf(t, "</td>");
}

static void cell_pending(struct sl_text *t, const struct sl_source *src, const struct sl_srcstate *s, int64_t now)
{
	char span[40], within[40];
	if (s == NULL) {
		sl_text_printf(t, "<td class=\"muted\">?</td>");
		return;
	}
	if (s->pending == 0) {
		sl_text_printf(t, "<td>0</td>");
		return;
	}
	format_span(now - s->pending_since, span, sizeof span);
	sl_text_printf(t, "<td><b>%" PRIu64 "</b>", s->pending);
	if (s->approval_overdue) {
		format_span(src->approve_within_ms / 1000, within, sizeof within);
		sl_text_printf(t, " <span class=\"badge b-bad\">overdue</span><span class=\"sub bad\">oldest waits %s "
				  "(approve within %s)</span>", span, within);
	} else {
		sl_text_printf(t, "<span class=\"sub\">oldest waits %s</span>", span);
	}
	sl_text_printf(t, "</td>");
}

static void cell_last_sync(struct sl_text *t, const struct sl_srcstate *s, int64_t now)
{
	char span[40], size[40], when[40];
	if (s == NULL || !s->has_run) {
		sl_text_printf(t, "<td class=\"muted\">%s</td>", s == NULL ? "unknown" : "never");
		return;
	}
	static const char *const cls[] = {
		[SL_RUN_RUNNING] = "b-info", [SL_RUN_OK] = "b-ok", [SL_RUN_UNCHANGED] = "b-ok",
		[SL_RUN_FAILED] = "b-bad", [SL_RUN_INTERRUPTED] = "b-warn",
	};
	int64_t at = s->last_ended_at ? s->last_ended_at : s->last_started_at;
	format_span(now - at, span, sizeof span);
	format_when(at, when, sizeof when);
	sl_text_printf(t, "<td><span class=\"badge %s\">%s</span> <span title=\"%s\">%s%s ago</span>",
		       cls[s->last_outcome], sl_run_outcome_name(s->last_outcome), when,
		       s->last_outcome == SL_RUN_RUNNING ? "started " : "", span);
	format_bytes(s->last_bytes, size, sizeof size);
	sl_text_printf(t, "<span class=\"sub\">%s in %" PRIu64 " request%s</span>", size, s->last_requests,
		       s->last_requests == 1 ? "" : "s");
	if (s->last_message[0] != '\0' && s->last_outcome != SL_RUN_OK && s->last_outcome != SL_RUN_UNCHANGED) {
		sl_text_printf(t, "<span class=\"sub bad\">");
		sl_text_html(t, s->last_message);
		sl_text_printf(t, "</span>");
	}
	if (s->has_success && s->last_outcome != SL_RUN_OK && s->last_outcome != SL_RUN_UNCHANGED) {
		format_span(now - s->last_success_at, span, sizeof span);
		sl_text_printf(t, "<span class=\"sub\">last success %s ago</span>", span);
	}
	sl_text_printf(t, "</td>");
}

static void cell_next(struct sl_text *t, const struct sl_srcstate *s, int64_t now, bool no_syncd)
{
	char span[40], when[40];
	/* Without the daemon nothing runs on schedule: say so rather than show a time that will pass. */
	if (no_syncd) {
		sl_text_printf(t, "<td class=\"warn\">not scheduled<span class=\"sub\">no sluice-syncd running</span>"
				  "</td>");
		return;
	}
	if (s == NULL || s->next_run_at == 0) {
		sl_text_printf(t, "<td class=\"muted\">not scheduled</td>");
		return;
	}
	format_when(s->next_run_at, when, sizeof when);
	if (s->next_run_at <= now) {
		sl_text_printf(t, "<td>due now<span class=\"sub\">%s</span></td>", when);
		return;
	}
	format_span(s->next_run_at - now, span, sizeof span);
	sl_text_printf(t, "<td>in %s<span class=\"sub\">%s</span></td>", span, when);
}

static void cell_upstream(struct sl_text *t, const struct sl_srcstate *s)
{
	char when[40];
	sl_text_printf(t, "<td>");
	if (s != NULL && s->host[0] != '\0')
		sl_text_html(t, s->host);
	if (s != NULL && s->cooldown_until > 0) {
		format_when(s->cooldown_until, when, sizeof when);
		sl_text_printf(t, "<span class=\"sub warn\">cooling down until %s", when);
		if (s->cooldown_reason[0] != '\0') {
			sl_text_printf(t, ": ");
			sl_text_html(t, s->cooldown_reason);
		}
		sl_text_printf(t, "</span>");
	}
	sl_text_printf(t, "</td>");
}

static void sources_table(struct sl_text *t, const struct sl_config *cfg, const struct sl_srcstate *st, int64_t now)
{
	bool no_syncd = sl_syncdpid_check(cfg->state_dir, NULL) == SL_SYNCD_NOT_RUNNING;
	sl_text_printf(t, "<table><tr><th>Source</th><th>Published</th><th>Pending approval</th><th>Last sync</th>"
			  "<th>Next sync</th><th>Upstream</th></tr>\n");
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct sl_source *src = &cfg->sources[i];
		const struct sl_srcstate *s = st != NULL ? &st[i] : NULL;
		sl_text_printf(t, "<tr><td><b>");
		sl_text_html(t, src->name);
		sl_text_printf(t, "</b><span class=\"sub\">");
		sl_text_html(t, src->format->name);
		sl_text_printf(t, " &middot; %s approval</span></td>", src->auto_approve ? "automatic" : "manual");
		cell_published(t, s, now);
		cell_pending(t, src, s, now);
		cell_last_sync(t, s, now);
		cell_next(t, s, now, no_syncd);
		cell_upstream(t, s);
		sl_text_printf(t, "</tr>\n");
	}
	if (cfg->nsources == 0)
		sl_text_printf(t, "<tr><td colspan=\"6\" class=\"muted\">No source is configured.</td></tr>\n");
	sl_text_printf(t, "</table>\n");
}

static void key_section(struct sl_text *t, const struct sl_request *r, const char *base)
{
	sl_text_printf(t, "<h2>sluice signing key</h2>\n<p>APT metadata that sluice regenerates is signed with "
			  "this key. Download: <a href=\"");
	sl_text_html(t, base);
	sl_text_printf(t, "/keys/sluice.asc\">");
	sl_text_html(t, base);
	sl_text_printf(t, "/keys/sluice.asc</a></p>\n");
	char path[SL_MAX_PATH + sizeof "/keys/sluice.asc"], *data = NULL;
	size_t len = 0;
	char fprs[SL_STATUS_KEYS][SL_PGPKEY_FPR_MAX];
	int n = 0;
	if (snprintf(path, sizeof path, "%s/keys/sluice.asc", r->public_dir) < (int)sizeof path &&
	    sl_fs_read_file(path, SL_STATUS_KEY_MAX, &data, &len) == 0)
		n = sl_pgpkey_fingerprints(data, len, fprs, SL_STATUS_KEYS);
	free(data);
	if (n <= 0) {
		sl_text_printf(t, "<p class=\"muted\">No readable public key is published yet (<code>sluice init</code> "
				  "creates it).</p>\n");
		return;
	}
	sl_text_printf(t, "<p>Compare before trusting it (<code>gpg --show-keys sluice.asc</code>):</p>\n");
	for (int i = 0; i < n; i++) {
		sl_text_printf(t, "<pre class=\"fpr\">");
		for (size_t k = 0; fprs[i][k] != '\0'; k += 4)
			sl_text_printf(t, "%s%.4s", k == 0 ? "" : k == 20 ? "  " : " ", fprs[i] + k);
		sl_text_printf(t, "</pre>\n");
	}
}

enum MHD_Result sl_status_page(struct sl_request *r, const char *rest)
{
	const struct sl_config *cfg = r->cfg;
	char base[400], when[40];
	sl_request_base_url(r, base, sizeof base);
	int64_t now = (int64_t)time(NULL);
	struct sl_srcstate *st = sl_srcstate_read(r->catalog_path, cfg, now);
	struct sl_text t;
	sl_text_init(&t);
	sl_text_append(&t, page_head, sizeof page_head - 1);
	sl_text_printf(&t, "<header><h1>sluice mirror</h1><p>");
	sl_text_html(&t, base);
	sl_text_printf(&t, " &middot; approved content only, read-only</p></header>\n<main>\n");
	if (st == NULL)
		sl_text_printf(&t, "<p class=\"bad\"><b>The catalogue cannot be read:</b> the state below is unknown "
				   "(is <code>sluice init</code> done, and is the state directory readable?).</p>\n");
	summary(&t, cfg, st);
	sources_table(&t, cfg, st, now);

	sl_text_printf(&t, "<h2>Client set-up</h2>\n");
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct sl_source *src = &cfg->sources[i];
		const struct sl_route *rt = src->format->serve;
		if (rt == NULL || rt->snippet == NULL)
			continue;
		sl_text_printf(&t, "<h3>");
		sl_text_html(&t, src->name);
		sl_text_printf(&t, " <span class=\"muted\">&middot; ");
		sl_text_html(&t, src->format->description != NULL ? src->format->description : src->format->name);
		sl_text_printf(&t, "</span></h3>\n<pre>");
		rt->snippet(&t, base, src);
		sl_text_printf(&t, "</pre>\n");
	}
	key_section(&t, r, base);
	format_when(now, when, sizeof when);
	sl_text_printf(&t, "<footer>Generated %s &middot; <a href=\"/metrics\">metrics</a> &middot; "
			   "<a href=\"/healthz\">health</a></footer>\n</main></body></html>\n", when);
	sl_srcstate_free(st);

	char *body;
	size_t len;
	int rc = sl_text_take(&t, &body, &len);
	if (rc < 0) {
		sl_log_err(NULL, "/: cannot build the status page: %s", sl_strerror(rc));
		return sl_request_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR);
	}
	return sl_request_take(r, MHD_HTTP_OK, "text/html; charset=utf-8", body, len, "no-store");
}
