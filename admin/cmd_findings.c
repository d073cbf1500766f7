/* cmd_findings: what the scan gate found in a snapshot and the decisions about it — `findings`, `accept`,
 * `scan` (rescan with the current databases) — and the approval gate that refuses a snapshot while a
 * blocking finding of it is undecided. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/cli.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/units.h"
#include "syncd/sync.h"
#include "verify/findings.h"

static json_t *finding_json(const struct sl_finding *f)
{
	return json_pack("{s:I, s:I, s:s, s:b, s:s, s:s?, s:s?, s:s, s:s?, s:s?, s:s?, s:I, s:I, s:I}", "id",
			 (json_int_t)f->id, "snapshot", (json_int_t)f->snapshot_id, "kind", f->kind, "blocking",
			 f->blocking, "artifact", f->artifact, "member", f->member, "digest", f->digest, "detail", f->detail,
			 "decision", f->decision, "decided_by", f->decided_by, "reason", f->reason, "decided_at",
			 (json_int_t)f->decided_at, "expires_at", (json_int_t)f->expires_at, "carried_from",
			 (json_int_t)f->carried_from);
}

static void finding_line(const struct sl_finding *f, FILE *out)
{
	fprintf(out, "  #%-5lld %-11s %s%s%s: %s", (long long)f->id, f->kind, f->artifact, f->member ? " -> " : "",
		f->member ? f->member : "", f->detail);
	if (f->decision != NULL) {
		char until[32] = "";
		if (f->expires_at > 0)
			sl_cli_time(f->expires_at, until, sizeof until);
		fprintf(out, "\n          %s by %s: %s", f->decision, f->decided_by ? f->decided_by : "?",
			f->reason ? f->reason : "");
		if (f->carried_from)
			fprintf(out, " [inherited from finding #%lld]", (long long)f->carried_from);
		if (f->expires_at > 0)
			fprintf(out, " [until %s]", until);
	} else if (f->blocking) {
		fprintf(out, "\n          UNDECIDED: blocks approval (sluice accept %lld --reason TEXT)", (long long)f->id);
	}
	fputc('\n', out);
}

struct list_arg {
	json_t *arr;
	FILE *out;
	bool undecided_only;
	unsigned n;
};

static int list_cb(void *arg, const struct sl_finding *f)
{
	struct list_arg *la = arg;
	if (la->undecided_only && (f->decision != NULL || !f->blocking))
		return 0;
	la->n++;
	if (la->arr != NULL)
		json_array_append_new(la->arr, finding_json(f));
	else
		finding_line(f, la->out);
	return 0;
}

/* Whether a gated source's snapshot has no scan that ran to its end; printed when so. */
static int scan_waiting(struct sl_cli *cli, int64_t snap_id, FILE *out)
{
	struct sl_snapshot_info s;
	if (sl_catalog_snapshot_get(cli->cat, snap_id, &s) < 0)
		return 0;
	const struct sl_source *src = sl_config_source(cli->cfg, s.source_name);
	bool pending = s.state == SL_SNAP_PENDING;
	sl_snapshot_info_release(&s);
	int w = src != NULL ? sl_findings_waiting(cli->cfg, src, cli->cat, snap_id) : 0;
	if (w < 0)
		fprintf(out, "sluice: whether snapshot %lld was scanned: %s\n", (long long)snap_id, sl_strerror(w));
	else if (w > 0 && pending)
		fprintf(out, "sluice: snapshot %lld has not been scanned for malware yet: it is queued for sluice-syncd's "
			     "scanner (or run sluice scan --queued); approval waits for its verdicts\n",
			(long long)snap_id);
	else if (w > 0)
		fprintf(out, "never scanned for malware (decided before the scan gate was on; sluice scan %lld)\n",
			(long long)snap_id);
	return w;
}

int sl_cli_findings_gate(struct sl_cli *cli, int64_t snap_id)
{
	unsigned n = 0;
	/* Fail closed: a snapshot whose scan never ran to its end (queued, killed, the catalogue failed) has
	 * no findings to show and is not clean either. */
	int w = scan_waiting(cli, snap_id, stderr);
	if (w != 0)
		return w < 0 ? SL_EXIT_FAIL : SL_EXIT_FINDINGS;
	int rc = sl_catalog_findings_undecided(cli->cat, snap_id, &n);
	if (rc < 0) {
		fprintf(stderr, "sluice: findings of snapshot %lld: %s\n", (long long)snap_id, sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	if (n == 0)
		return SL_EXIT_OK;
	fprintf(stderr, "sluice: snapshot %lld has %u undecided finding(s) that block approval:\n", (long long)snap_id, n);
	struct list_arg la = { .out = stderr, .undecided_only = true };
	sl_catalog_findings(cli->cat, snap_id, list_cb, &la);
	fprintf(stderr, "decide each with sluice accept FINDING --reason TEXT [--expires DURATION], or reject the "
			"snapshot (sluice reject %lld --reason TEXT)\n", (long long)snap_id);
	return SL_EXIT_FINDINGS;
}

static int print_scan_run(struct sl_cli *cli, int64_t id)
{
	struct sl_scan_run r;
	if (scan_waiting(cli, id, stdout) != 0)
		return 0;
	if (sl_catalog_scan_run_last(cli->cat, id, &r) == 0)
		printf("scanned %llu artifact(s), %llu from the verdict cache\n", (unsigned long long)r.scanned,
		       (unsigned long long)r.cached);
	else
		printf("not scanned (no [scan] clamav_source, or a format without payloads)\n");
	return 0;
}

int sl_cmd_findings(struct sl_cli *cli, int argc, char **argv)
{
	int64_t id = sl_cli_snapshot_id(sl_cli_positional(argc, argv, 0));
	if (id == 0)
		return SL_EXIT_USAGE;
	struct sl_snapshot_info s;
	if (sl_catalog_snapshot_get(cli->cat, id, &s) < 0) {
		fprintf(stderr, "sluice: no snapshot %lld (see sluice snapshots)\n", (long long)id);
		return SL_EXIT_FAIL;
	}
	struct list_arg la = { .arr = cli->json ? json_array() : NULL, .out = stdout };
	if (!cli->json)
		printf("snapshot %lld (%s, %s):\n", (long long)id, s.source_name, sl_snap_state_name(s.state));
	int rc = sl_catalog_findings(cli->cat, id, list_cb, &la);
	sl_snapshot_info_release(&s);
	if (rc < 0) {
		json_decref(la.arr);
		fprintf(stderr, "sluice: findings of snapshot %lld: %s\n", (long long)id, sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	if (cli->json) {
		sl_cli_json_out(la.arr);
		return SL_EXIT_OK;
	}
	if (la.n == 0)
		printf("  no findings\n");
	print_scan_run(cli, id);
	return SL_EXIT_OK;
}

struct one {
	int64_t snap;
	char kind[64];
	bool found;
};

static int one_cb(void *arg, const struct sl_finding *f)
{
	struct one *o = arg;
	o->snap = f->snapshot_id;
	snprintf(o->kind, sizeof o->kind, "%s", f->kind);
	o->found = true;
	return 0;
}

int sl_cmd_accept(struct sl_cli *cli, int argc, char **argv)
{
	const char *arg = sl_cli_positional(argc, argv, 0), *reason = NULL, *expires = NULL;
	char *end = NULL;
	long long id = arg != NULL ? strtoll(arg[0] == '#' ? arg + 1 : arg, &end, 10) : 0;
	if (arg == NULL || id <= 0 || *end != '\0') {
		fprintf(stderr, "sluice accept: give a finding id (see sluice findings SNAPSHOT)\n");
		return SL_EXIT_USAGE;
	}
	if (sl_cli_opt(argc, argv, "--reason", &reason) < 0 || sl_cli_opt(argc, argv, "--expires", &expires) < 0)
		return SL_EXIT_USAGE;
	if (reason == NULL || reason[strspn(reason, " \t")] == '\0') {
		fprintf(stderr, "sluice accept: --reason TEXT is required and must not be empty: say why this is a "
				"conscious exception\n");
		return SL_EXIT_USAGE;
	}
	int64_t until = 0, ms = 0;
	if (expires != NULL) {
		if (sl_units_parse_duration(expires, &ms) < 0 || ms <= 0) {
			fprintf(stderr, "sluice accept: --expires %s: not a duration (e.g. 30d, 12h)\n", expires);
			return SL_EXIT_USAGE;
		}
		until = (int64_t)time(NULL) + ms / 1000;
	}
	struct one o = { 0 };
	int rc = sl_catalog_finding(cli->cat, id, one_cb, &o);
	if (rc == -SL_E_NOTFOUND) {
		fprintf(stderr, "sluice accept: no finding %lld (see sluice findings SNAPSHOT)\n", id);
		return SL_EXIT_FAIL;
	}
	rc = rc < 0 ? rc : sl_catalog_begin(cli->cat);
	if (rc == 0)
		rc = sl_catalog_finding_accept(cli->cat, id, cli->actor, reason, until, (int64_t)time(NULL));
	if (rc == 0) {
		char why[SL_MAX_REASON];
		char when[32] = "never";
		if (until > 0)
			sl_cli_time(until, when, sizeof when);
		snprintf(why, sizeof why, "finding %lld (%s): %s [expires %s]", id, o.kind, reason, when);
		struct sl_snapshot_info s;
		bool have = sl_catalog_snapshot_get(cli->cat, o.snap, &s) == 0;
		struct sl_audit_entry e = {
			.actor = cli->actor, .action = "accept-finding", .source = have ? s.source_name : NULL,
			.snapshot_id = o.snap, .content_digest = have ? s.content_digest : NULL, .reason = why,
		};
		rc = sl_catalog_audit_append(cli->cat, &e);
		if (have)
			sl_snapshot_info_release(&s);
	}
	if (rc == 0)
		rc = sl_catalog_commit(cli->cat);
	else
		sl_catalog_rollback(cli->cat);
	if (rc == -SL_E_STATE) {
		fprintf(stderr, "sluice accept: finding %lld is decided already (sluice findings %lld)\n", id,
			(long long)o.snap);
		return SL_EXIT_CONFLICT;
	}
	if (rc < 0) {
		fprintf(stderr, "sluice accept: finding %lld: %s\n", id, sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	unsigned left = 0;
	sl_catalog_findings_undecided(cli->cat, o.snap, &left);
	if (cli->json)
		sl_cli_json_out(json_pack("{s:s, s:I, s:I, s:I}", "result", "accepted", "finding", (json_int_t)id,
					  "snapshot", (json_int_t)o.snap, "undecided", (json_int_t)left));
	else
		printf("finding %lld accepted; snapshot %lld has %u undecided blocking finding(s) left\n", id,
		       (long long)o.snap, left);
	return SL_EXIT_OK;
}

/* `sluice scan --queued`: what sluice-syncd's scanner child does (syncd/jobs.h), for an admin or an inside
 * without the daemon — the arrival scan of every pending snapshot waiting for it, then approve = auto. */
struct queued_arg {
	struct sl_cli *cli;
	json_t *arr;
	int worst;
};

static void queued_done(void *arg, const struct sl_source *src, const struct sl_sync_report *rep, int rc)
{
	struct queued_arg *qa = arg;
	int code = rc < 0 ? SL_EXIT_FAIL : rep->findings_undecided ? SL_EXIT_FINDINGS : SL_EXIT_OK;
	if (qa->arr != NULL)
		json_array_append_new(qa->arr, json_pack("{s:s, s:I, s:s?, s:I}", "source", src->name, "snapshot",
							 (json_int_t)rep->snap_id, "message", rep->message, "undecided",
							 (json_int_t)rep->findings_undecided));
	else
		printf("%s: %s\n", src->name, rep->message ? rep->message : "");
	if (code == SL_EXIT_OK && src->auto_approve) {
		code = sl_cli_publish(qa->cli, src, rep->snap_id, SL_SNAP_PENDING, "auto-approve",
				      "source policy approve = auto");
		if (code == SL_EXIT_OK && qa->arr == NULL)
			printf("%s: snapshot %lld auto-approved (approve = auto) and published\n", src->name,
			       (long long)rep->snap_id);
	}
	if (code > qa->worst)
		qa->worst = code;
}

static int scan_queued(struct sl_cli *cli)
{
	struct queued_arg qa = { .cli = cli, .arr = cli->json ? json_array() : NULL, .worst = SL_EXIT_OK };
	int n = sl_sync_scan_queue(cli->cfg, cli->cat, cli->store, queued_done, &qa);
	if (n < 0) {
		fprintf(stderr, "sluice scan: the queue of snapshots waiting for their scan: %s\n", sl_strerror(n));
		qa.worst = SL_EXIT_FAIL;
	}
	if (qa.arr != NULL)
		sl_cli_json_out(qa.arr);
	else if (n == 0)
		printf("no snapshot is waiting for its scan\n");
	return qa.worst;
}

int sl_cmd_scan(struct sl_cli *cli, int argc, char **argv)
{
	if (sl_cli_flag(argc, argv, "--queued")) {
		if (sl_cli_positional(argc, argv, 0) != NULL) {
			fprintf(stderr, "usage: sluice scan SNAPSHOT | sluice scan --queued\n");
			return SL_EXIT_USAGE;
		}
		return scan_queued(cli);
	}
	int64_t id = sl_cli_snapshot_id(sl_cli_positional(argc, argv, 0));
	if (id == 0)
		return SL_EXIT_USAGE;
	struct sl_snapshot_info s;
	if (sl_catalog_snapshot_get(cli->cat, id, &s) < 0) {
		fprintf(stderr, "sluice: no snapshot %lld (see sluice snapshots)\n", (long long)id);
		return SL_EXIT_FAIL;
	}
	const struct sl_source *src = sl_config_source(cli->cfg, s.source_name);
	sl_snapshot_info_release(&s);
	if (src == NULL || cli->cfg->scan_source == NULL) {
		fprintf(stderr, "sluice scan: %s\n", src == NULL ? "the snapshot's source is no longer configured"
								  : "no [scan] clamav_source is configured");
		return SL_EXIT_FAIL;
	}
	/* Undecided scan findings are found again (or not) with today's databases; decisions stay. */
	int rc = sl_catalog_findings_clear_undecided(cli->cat, id, true);
	struct sl_findings_result r;
	char *cause = NULL;
	if (rc == 0)
		rc = sl_findings_scan(cli->cfg, src, cli->cat, cli->store, id, &r, &cause);
	if (rc < 0) {
		fprintf(stderr, "sluice scan: %s\n", cause ? cause : sl_strerror(rc));
		free(cause);
		return SL_EXIT_FAIL;
	}
	if (cli->json)
		sl_cli_json_out(json_pack("{s:I, s:I, s:I, s:I, s:I}", "snapshot", (json_int_t)id, "scanned",
					  (json_int_t)r.scanned, "cached", (json_int_t)r.cached, "findings",
					  (json_int_t)r.findings, "undecided", (json_int_t)r.undecided));
	else
		printf("snapshot %lld: scanned %llu artifact(s) (%llu from the verdict cache): %llu finding(s), %u "
		       "undecided and blocking\n", (long long)id, (unsigned long long)r.scanned,
		       (unsigned long long)r.cached, (unsigned long long)r.findings, r.undecided);
	return r.undecided ? SL_EXIT_FINDINGS : SL_EXIT_OK;
}
