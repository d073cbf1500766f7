/* cmd_source: `sluice sources` (state of every source) and `sluice sync` (run now, in the foreground). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/cli.h"
#include "core/catalog.h"
#include "core/clients.h"
#include "core/config.h"
#include "core/error.h"
#include "core/syncdpid.h"
#include "core/units.h"
#include "core/url.h"
#include "syncd/alert_send.h"
#include "syncd/fetch.h"
#include "syncd/sync.h"

static volatile int stop_flag;   /* set by SIGINT/SIGTERM during `sluice sync` */

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct pending_count {
	unsigned n;
	int64_t oldest;
};

static int count_cb(void *arg, const struct sl_snapshot_info *s)
{
	struct pending_count *pc = arg;
	pc->n++;
	if (pc->oldest == 0 || s->state_changed_at < pc->oldest)
		pc->oldest = s->state_changed_at;
	return 0;
}

/* The newest re-check of a stored snapshot's chain (`sluice verify --chain`, [syncd] verify_every). */
static void print_chain(struct sl_cli *cli, int64_t sid, bool known)
{
	struct sl_chain_check cc;
	if (!known || sl_catalog_chain_last(cli->cat, sid, &cc) < 0) {
		printf("  chain       never re-verified from the store (sluice verify --chain)\n");
		return;
	}
	char when[32];
	sl_cli_time(cc.at, when, sizeof when);
	printf("  chain       %s snapshot %lld %s%s%s\n", when, (long long)cc.snapshot_id,
	       cc.passed ? "re-verified" : "FAILED", cc.passed ? "" : ": ", cc.passed ? "" : (cc.reason ? cc.reason : "?"));
	sl_chain_check_release(&cc);
}

/* What the source's alerts did ([alert]), when any are configured. */
static void print_alerts(struct sl_cli *cli, const struct sl_source *src)
{
	struct sl_alert_status st;
	if ((cli->cfg->alert_webhook == NULL && cli->cfg->alert_smtp == NULL) ||
	    sl_catalog_alert_status(cli->cat, src->name, &st) < 0)
		return;
	char when[32];
	sl_cli_time(st.last_delivered_at, when, sizeof when);
	printf("  alerts      %llu delivered (last %s), %llu waiting%s%s\n", (unsigned long long)st.delivered, when,
	       (unsigned long long)st.queued, st.last_error ? "; last error: " : "", st.last_error ? st.last_error : "");
	sl_alert_status_release(&st);
}

/* The same, for --json: {"at", "snapshot", "passed", "reason"} or null. */
static json_t *chain_json(struct sl_cli *cli, int64_t sid, bool known)
{
	struct sl_chain_check cc;
	if (!known || sl_catalog_chain_last(cli->cat, sid, &cc) < 0)
		return json_null();
	json_t *o = json_pack("{s:I, s:I, s:b, s:s?}", "at", (json_int_t)cc.at, "snapshot", (json_int_t)cc.snapshot_id,
			      "passed", cc.passed, "reason", cc.reason);
	sl_chain_check_release(&cc);
	return o;
}

int sl_cmd_sources(struct sl_cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	json_t *arr = cli->json ? json_array() : NULL;
	time_t now = time(NULL);
	/* Without the daemon nothing syncs on schedule: "next sync" must say why it is empty or stale. */
	pid_t syncd_pid = 0;
	enum sl_syncdpid_state syncd = sl_syncdpid_check(cli->cfg->state_dir, &syncd_pid);
	static const char *const syncd_names[] = { "unknown", "not running", "running" };
	const char *syncd_name = syncd_names[syncd + 1];
	if (arr == NULL && syncd == SL_SYNCD_RUNNING)
		printf("sluice-syncd running (pid %d)\n\n", (int)syncd_pid);
	else if (arr == NULL && syncd == SL_SYNCD_NOT_RUNNING)
		printf("no sluice-syncd running for %s: nothing syncs on schedule (start sluice-syncd, or run "
		       "sluice sync SOURCE)\n\n", cli->cfg->state_dir);
	for (size_t i = 0; i < cli->cfg->nsources; i++) {
		const struct sl_source *src = &cli->cfg->sources[i];
		int64_t sid = 0, next = 0, pub = 0, gen = 0, pub_at = 0, cool = 0;
		struct sl_run_info last = { 0 }, ok = { 0 };
		struct pending_count pc = { 0 };
		char *failures = NULL;
		bool known = sl_catalog_source_id(cli->cat, src->name, &sid) == 0;
		bool has_run = known && sl_catalog_run_last(cli->cat, sid, &last) == 0;
		bool has_ok = known && sl_catalog_run_last_success(cli->cat, sid, &ok) == 0;
		if (known)
			sl_catalog_state_get(cli->cat, sid, "syncd.failures", &failures);   /* kept by sluice-syncd */
		bool has_pub = known && sl_catalog_published_get(cli->cat, sid, &pub, &gen, &pub_at) == 0;
		if (known) {
			sl_catalog_source_next_run(cli->cat, sid, &next);
			sl_catalog_snapshots(cli->cat, sid, SL_SNAP_PENDING, count_cb, &pc);
		}
		char host[256] = "", *cool_reason = NULL;
		sl_url_source_host(src, host, sizeof host);
		if (host[0] != '\0')
			sl_catalog_cooldown_get(cli->cat, host, &cool, &cool_reason);
		if (cool <= now)
			cool = 0;
		bool stale = pc.n > 0 && src->approve_within_ms > 0 &&
			     (now - pc.oldest) * 1000 > src->approve_within_ms;
		char every[32];
		sl_units_format_duration(src->every_ms, every, sizeof every);
		if (arr != NULL) {
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s?, s:I, s:I, s:I, s:s?, s:I, s:I, s:I, s:I, "
					       "s:I, s:I, s:s?, s:s?, s:b, s:s}",
					       "name", src->name, "type", src->format->name, "every", every, "approve",
					       src->auto_approve ? "auto" : "manual", "last_run_at",
					       (json_int_t)(has_run ? last.started_at : 0), "last_run_ended_at",
					       (json_int_t)(has_run ? last.ended_at : 0), "last_outcome",
					       has_run ? sl_run_outcome_name(last.outcome) : NULL, "last_bytes",
					       (json_int_t)(has_run ? last.bytes : 0), "last_requests",
					       (json_int_t)(has_run ? last.requests : 0), "last_success_at",
					       (json_int_t)(has_ok ? ok.ended_at : 0), "last_message",
					       has_run ? last.message : NULL, "failures_in_a_row",
					       (json_int_t)(failures ? strtoll(failures, NULL, 10) : 0), "next_run_at",
					       (json_int_t)next, "published_snapshot", (json_int_t)pub, "published_at",
					       (json_int_t)pub_at, "pending", (json_int_t)pc.n, "cooldown_until", (json_int_t)cool,
					       "cooldown_host", cool ? host : NULL, "cooldown_reason", cool ? cool_reason : NULL,
					       "approval_overdue", stale, "syncd", syncd_name));
			json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "chain_check",
					    chain_json(cli, sid, known));
		} else {
			char t_last[32], t_next[32], t_pub[32], t_cool[32], t_ok[32], size[32];
			sl_cli_time(has_run ? last.started_at : 0, t_last, sizeof t_last);
			sl_cli_time(has_ok ? ok.ended_at : 0, t_ok, sizeof t_ok);
			sl_units_format_size(has_run ? last.bytes : 0, size, sizeof size);
			sl_cli_time(next, t_next, sizeof t_next);
			sl_cli_time(pub_at, t_pub, sizeof t_pub);
			sl_cli_time(cool, t_cool, sizeof t_cool);
			printf("%s (%s, every %s, approve %s)\n", src->name, src->format->name, every,
			       src->auto_approve ? "auto" : "manual");
			printf("  last sync   %s %s%s%s\n", t_last, has_run ? sl_run_outcome_name(last.outcome) : "never",
			       has_run && last.message ? ": " : "", has_run && last.message ? last.message : "");
			if (has_run && last.outcome != SL_RUN_RUNNING)
				printf("              %s, %llu requests\n", size, (unsigned long long)last.requests);
			printf("  last ok     %s\n", t_ok);
			if (failures != NULL)
				printf("  failing     %s run(s) in a row; retried sooner than every %s\n", failures, every);
			if (syncd == SL_SYNCD_NOT_RUNNING)
				printf("  next sync   %s (no sluice-syncd running)\n", next ? t_next : "none");
			else
				printf("  next sync   %s\n", t_next);
			if (has_pub)
				printf("  published   snapshot %lld since %s (generation %lld)\n", (long long)pub, t_pub,
				       (long long)gen);
			else
				printf("  published   nothing yet\n");
			printf("  pending     %u%s\n", pc.n, stale ? "  (WAITING LONGER THAN approve_within)" : "");
			if (cool)
				printf("  cool-down   %s until %s: %s\n", host, t_cool, cool_reason ? cool_reason : "");
			print_chain(cli, sid, known);
			print_alerts(cli, src);
		}
		free(cool_reason);
		free(failures);
		sl_run_info_release(&last);
		sl_run_info_release(&ok);
	}
	if (arr != NULL)
		sl_cli_json_out(arr);
	return SL_EXIT_OK;
}

int sl_cmd_clients(struct sl_cli *cli, int argc, char **argv)
{
	const char *name = sl_cli_positional(argc, argv, 0), *url = NULL;
	sl_cli_opt(argc, argv, "--url", &url);
	char base[512];
	if (url != NULL) {
		size_t n = strlen(url);
		while (n > 0 && url[n - 1] == '/')
			n--;
		snprintf(base, sizeof base, "%.*s", (int)n, url);
	} else {
		sl_clients_base_url(cli->cfg, base, sizeof base);
	}
	const struct sl_source *only = name != NULL ? sl_cli_source(cli, name) : NULL;
	if (name != NULL && only == NULL)
		return SL_EXIT_USAGE;
	for (size_t i = 0; i < cli->cfg->nsources; i++) {
		const struct sl_source *src = &cli->cfg->sources[i];
		if (only != NULL && src != only)
			continue;
		bool unsupported = false;
		char *text = sl_clients_snippet(src, base, &unsupported);
		if (text == NULL && !unsupported) {
			fprintf(stderr, "sluice: out of memory\n");
			return SL_EXIT_FAIL;
		}
		printf("%s== %s (%s)\n", i > 0 && only == NULL ? "\n" : "", src->name, src->format->name);
		if (text != NULL)
			fputs(text, stdout);
		else
			printf("# see the status page %s/ and contrib/clients/ for this type's client set-up\n", base);
		free(text);
	}
	return SL_EXIT_OK;
}

/* A one-line progress display, redrawn in place on a terminal. Two feeds: the syncer says what the
 * snapshot needs (files and bytes, counting what the store already holds), the fetch engine what is
 * actually transferred, as it arrives. The line shows the transfers: files fetched, failed, bytes
 * received and their rate, the largest download in flight, and an ETA for what is left to fetch. */
struct progress {
	int64_t started_ms, last_draw_ms;
	bool open;                     /* a line is drawn and not ended */
	char what[32];                 /* the syncer's phase ("pool", "blobs"); "" until it reports */
	uint64_t files_total, bytes_total, bytes_done;
	struct sl_fetch_progress x;    /* the engine's last report (x.url not kept) */
	char name[64];                 /* x.url's last path segment */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void progress_draw(struct progress *p, bool force)
{
	int64_t now = mono_ms();
	if (!force && p->open && now - p->last_draw_ms < 250)
		return;
	p->last_draw_ms = now;
	double secs = (double)(now - p->started_ms) / 1000;
	double rate = secs > 0.5 ? (double)p->x.bytes / secs : 0;
	char got[32], rs[32], line[512];
	sl_units_format_size(p->x.bytes, got, sizeof got);
	sl_units_format_size((uint64_t)rate, rs, sizeof rs);
	int n = 0;
	if (p->what[0])
		n = snprintf(line, sizeof line, "%s: %llu files needed; ", p->what, (unsigned long long)p->files_total);
	n += snprintf(line + n, sizeof line - (size_t)n, "fetched %llu file%s, %s, %s/s",
		      (unsigned long long)p->x.files_ok, p->x.files_ok == 1 ? "" : "s", got, rs);
	if (p->x.files_failed > 0)
		n += snprintf(line + n, sizeof line - (size_t)n, ", %llu failed", (unsigned long long)p->x.files_failed);
	if (p->x.files_aborted > 0)
		n += snprintf(line + n, sizeof line - (size_t)n, ", %llu aborted", (unsigned long long)p->x.files_aborted);
	/* Left to fetch: what the snapshot needs, less what is in the store or settled, less what is in
	 * flight already. */
	uint64_t settled = p->bytes_done + p->x.active_bytes;
	if (p->what[0] && rate > 0 && p->bytes_total > settled) {
		char eta[32];
		sl_units_format_duration((int64_t)((double)(p->bytes_total - settled) / rate * 1000), eta, sizeof eta);
		n += snprintf(line + n, sizeof line - (size_t)n, ", ETA %s", eta);
	}
	if (p->x.active > 0 && p->name[0] != '\0' && n > 0 && (size_t)n < sizeof line) {
		char a[32], b[32] = "?", eta[32];
		sl_units_format_size(p->x.url_done, a, sizeof a);
		if (p->x.url_size > 0)
			sl_units_format_size(p->x.url_size, b, sizeof b);
		n += snprintf(line + n, sizeof line - (size_t)n, "; %s %s/%s", p->name, a, b);
		/* Before the syncer's first report (it comes when a file completes), the file's own ETA. */
		if (!p->what[0] && rate > 0 && p->x.url_size > p->x.url_done && n > 0 && (size_t)n < sizeof line) {
			sl_units_format_duration((int64_t)((double)(p->x.url_size - p->x.url_done) / rate * 1000), eta,
						 sizeof eta);
			snprintf(line + n, sizeof line - (size_t)n, ", ETA %s", eta);
		}
	}
	/* \033[K clears what a longer line left; the cursor goes back to the start, so a log line written
	 * meanwhile replaces the progress instead of running on after it. */
	fprintf(stderr, "\r\033[K%s\r", line);
	p->open = true;
}

static void progress_cb(void *arg, const char *what, uint64_t files_done, uint64_t files_total,
			uint64_t bytes_done, uint64_t bytes_total)
{
	struct progress *p = arg;
	(void)files_done;   /* counts files found in the store too: not what was transferred */
	snprintf(p->what, sizeof p->what, "%s", what);
	p->files_total = files_total;
	p->bytes_total = bytes_total;
	p->bytes_done = bytes_done;
	progress_draw(p, false);
}

static void transfer_cb(void *arg, const struct sl_fetch_progress *x)
{
	struct progress *p = arg;
	p->x = *x;
	p->x.url = NULL;
	p->name[0] = '\0';
	if (x->url != NULL) {
		const char *slash = strrchr(x->url, '/');
		snprintf(p->name, sizeof p->name, "%s", slash != NULL ? slash + 1 : x->url);
	}
	progress_draw(p, false);
}

/* Ends the line with the final counts, before the run's report is printed. */
static void progress_end(struct progress *p)
{
	if (!p->open)
		return;
	p->x.active = 0;
	progress_draw(p, true);
	fputc('\n', stderr);
	p->open = false;
}

int sl_cmd_sync(struct sl_cli *cli, int argc, char **argv)
{
	if (sl_cli_positional(argc, argv, 0) == NULL) {
		fprintf(stderr, "usage: sluice sync SOURCE... (sources: see sluice sources)\n");
		return SL_EXIT_USAGE;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int worst = SL_EXIT_OK, k = 0;
	json_t *arr = cli->json ? json_array() : NULL;
	for (; !stop_flag; k++) {
		const char *name = sl_cli_positional(argc, argv, k);
		if (name == NULL)
			break;
		const struct sl_source *src = sl_cli_source(cli, name);
		if (src == NULL) {
			worst = SL_EXIT_USAGE;
			continue;
		}
		struct progress pr = { .started_ms = mono_ms() };
		struct sl_sync_opts opts = { .stop = &stop_flag, .defer_scan = sl_cli_flag(argc, argv, "--queue-scan") };
		if (cli->tty && !cli->json) {
			opts.progress = progress_cb;
			opts.transfer = transfer_cb;
			opts.progress_arg = &pr;
		}
		struct sl_sync_report rep;
		int rc = sl_sync_run(cli->cfg, src, cli->cat, cli->store, &opts, &rep);
		progress_end(&pr);
		int code = SL_EXIT_OK;
		if (rc == -SL_E_LOCKED) {
			fprintf(stderr, "sluice: %s: a sync of this source is already running (sluice-syncd or another "
				"sluice sync); see sluice sources\n", name);
			code = SL_EXIT_CONFLICT;
		} else if (rc < 0) {
			fprintf(stderr, "sluice: %s: cannot sync: %s\n", name, sl_strerror(rc));
			code = SL_EXIT_FAIL;
		} else if (rep.outcome == SL_RUN_FAILED || rep.outcome == SL_RUN_INTERRUPTED) {
			code = rep.checks_failed > 0 ? SL_EXIT_VERIFY : SL_EXIT_FAIL;
		}
		if (rc == 0 && !cli->json) {
			char size[32];
			sl_units_format_size(rep.bytes, size, sizeof size);
			printf("%s: %s: %s (%s, %llu requests)\n", name, sl_run_outcome_name(rep.outcome),
			       rep.message ? rep.message : "", size, (unsigned long long)rep.requests);
			if (rep.snap_id && rep.snap_state == SL_SNAP_FAILED)
				printf("%s: see sluice show %lld for every check\n", name, (long long)rep.snap_id);
		}
		if (rc == 0 && arr != NULL)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s?, s:I, s:s?, s:I, s:I, s:I}", "source", name,
							     "outcome", sl_run_outcome_name(rep.outcome), "message",
							     rep.message, "snapshot", (json_int_t)rep.snap_id, "snapshot_state",
							     rep.snap_state >= 0 ? sl_snap_state_name(rep.snap_state) : NULL,
							     "bytes", (json_int_t)rep.bytes, "requests",
							     (json_int_t)rep.requests, "checks_failed",
							     (json_int_t)rep.checks_failed));
		/* Policy approve = auto: publish as soon as it verified, recorded as an auto-approval. */
		if (rc == 0 && rep.snap_state == SL_SNAP_PENDING && rep.scan_queued) {
			if (!cli->json)
				printf("%s: scan queued: sluice-syncd scans snapshot %lld, or run sluice scan --queued\n", name,
				       (long long)rep.snap_id);
		} else if (rc == 0 && rep.snap_state == SL_SNAP_PENDING) {
			if (src->auto_approve) {
				int p = sl_cli_publish(cli, src, rep.snap_id, SL_SNAP_PENDING, "auto-approve",
						       "source policy approve = auto");
				if (p != SL_EXIT_OK)
					code = p;
				else if (!cli->json)
					printf("%s: snapshot %lld auto-approved (approve = auto) and published\n", name,
					       (long long)rep.snap_id);
			} else if (!cli->json) {
				char self[SL_MAX_PATH + 32];
				sl_cli_self(cli, self, sizeof self);
				printf("%s: review with: %s diff %lld; then %s approve %lld --reason '...'\n", name, self,
				       (long long)rep.snap_id, self, (long long)rep.snap_id);
			}
		}
		if (code > worst)
			worst = code;
		sl_sync_report_release(&rep);
	}
	if (arr != NULL)
		sl_cli_json_out(arr);
	/* The exit status says what was reported: a stop that lands after the last sync ended changes nothing
	 * (an interrupted sync already reported itself as such); sources it kept from starting are named. */
	if (stop_flag && sl_cli_positional(argc, argv, k) != NULL) {
		fprintf(stderr, "sluice: interrupted; not synced:");
		for (; sl_cli_positional(argc, argv, k) != NULL; k++)
			fprintf(stderr, " %s", sl_cli_positional(argc, argv, k));
		fputc('\n', stderr);
		worst = worst > SL_EXIT_FAIL ? worst : SL_EXIT_FAIL;
	}
	/* The runs are reported; now tell people what they raised (what fails is retried by sluice-syncd). */
	unsigned sent = 0, failed = 0;
	if (sl_alert_deliver(cli->cfg, cli->cat, &sent, &failed) == 0 && failed > 0 && !cli->json)
		fprintf(stderr, "sluice: %u alert(s) delivered, %u not (retried later by sluice-syncd; see sluice "
				"sources)\n", sent, failed);
	return worst;
}
