/* cmd_snapshot: the decisions — list, show, approve, reject, roll back — and publication. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/cli.h"
#include "admin/keys.h"
#include "admin/publish.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/units.h"
#include "verify/findings.h"

/* ---- listing ---------------------------------------------------------------------------------------- */

static json_t *snapshot_json(const struct sl_snapshot_info *s)
{
	return json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:s?, s:s, s:I, s:I, s:I}", "id", (json_int_t)s->id,
			 "source", s->source_name ? s->source_name : "", "state", sl_snap_state_name(s->state),
			 "created_at", (json_int_t)s->created_at, "state_changed_at", (json_int_t)s->state_changed_at,
			 "upstream_date", (json_int_t)s->upstream_date, "reason", s->reason, "content_digest",
			 s->content_digest, "entries", (json_int_t)s->n_entries, "bytes", (json_int_t)s->total_bytes,
			 "run_id", (json_int_t)s->run_id);
}

struct list_arg {
	struct sl_cli *cli;
	json_t *arr;
	unsigned count;
};

/* A pending snapshot waiting longer than its source's approve_within: stale security updates are a risk. */
static bool overdue(struct sl_cli *cli, const struct sl_snapshot_info *s)
{
	const struct sl_source *src = s->source_name ? sl_config_source(cli->cfg, s->source_name) : NULL;
	return s->state == SL_SNAP_PENDING && src != NULL && src->approve_within_ms > 0 &&
	       ((int64_t)time(NULL) - s->state_changed_at) * 1000 > src->approve_within_ms;
}

/* A pending snapshot made before the published one can no longer be approved (see sl_cli_publish). */
static bool behind_published(struct sl_cli *cli, const struct sl_snapshot_info *s)
{
	int64_t pub = 0, gen = 0, at = 0;
	return s->state == SL_SNAP_PENDING && sl_catalog_published_get(cli->cat, s->source_id, &pub, &gen, &at) == 0 &&
	       pub > s->id;
}

/* A pending snapshot whose malware scan has not run to its end: approval waits for it. */
static bool scan_queued(struct sl_cli *cli, const struct sl_snapshot_info *s)
{
	const struct sl_source *src = s->source_name ? sl_config_source(cli->cfg, s->source_name) : NULL;
	return s->state == SL_SNAP_PENDING && src != NULL && sl_findings_waiting(cli->cfg, src, cli->cat, s->id) == 1;
}

static int list_cb(void *arg, const struct sl_snapshot_info *s)
{
	struct list_arg *la = arg;
	bool late = overdue(la->cli, s), behind = behind_published(la->cli, s), queued = scan_queued(la->cli, s);
	la->count++;
	if (la->arr != NULL) {
		json_t *o = snapshot_json(s);
		json_object_set_new(o, "approval_overdue", json_boolean(late));
		json_object_set_new(o, "older_than_published", json_boolean(behind));
		json_object_set_new(o, "scan_queued", json_boolean(queued));
		json_array_append_new(la->arr, o);
		return 0;
	}
	char created[32], size[32];
	sl_cli_time(s->created_at, created, sizeof created);
	sl_units_format_size(s->total_bytes, size, sizeof size);
	printf("%-6lld %-16s %-11s %-16s %7llu %10s  %s%s%s%s\n", (long long)s->id, s->source_name ? s->source_name : "-",
	       sl_snap_state_name(s->state), created, (unsigned long long)s->n_entries, size,
	       behind ? "OLDER THAN PUBLISHED: cannot be approved (reject it)  " : "",
	       queued ? "MALWARE SCAN QUEUED: approval waits for it  " : "",
	       late && !behind ? "WAITING LONGER THAN approve_within  " : "", s->reason ? s->reason : "");
	return 0;
}

static int list(struct sl_cli *cli, const char *source, int state)
{
	int64_t sid = 0;
	if (source != NULL) {
		if (sl_cli_source(cli, source) == NULL)
			return SL_EXIT_USAGE;
		if (sl_catalog_source_id(cli->cat, source, &sid) < 0) {
			if (cli->json)
				sl_cli_json_out(json_array());
			else
				printf("no snapshots of %s yet (run: sluice sync %s)\n", source, source);
			return SL_EXIT_OK;
		}
	}
	struct list_arg la = { cli, cli->json ? json_array() : NULL, 0 };
	if (!cli->json)
		printf("%-6s %-16s %-11s %-16s %7s %10s  %s\n", "ID", "SOURCE", "STATE", "CREATED", "ENTRIES", "SIZE",
		       "REASON");
	int rc = sl_catalog_snapshots(cli->cat, sid, state, list_cb, &la);
	if (rc < 0) {
		fprintf(stderr, "sluice: cannot list snapshots: %s\n", sl_strerror(rc));
		json_decref(la.arr);
		return SL_EXIT_FAIL;
	}
	if (cli->json)
		sl_cli_json_out(la.arr);
	else if (la.count == 0)
		printf("(none)\n");
	return SL_EXIT_OK;
}

int sl_cmd_snapshots(struct sl_cli *cli, int argc, char **argv)
{
	return list(cli, sl_cli_positional(argc, argv, 0), -1);
}

int sl_cmd_pending(struct sl_cli *cli, int argc, char **argv)
{
	return list(cli, sl_cli_positional(argc, argv, 0), SL_SNAP_PENDING);
}

/* ---- show ------------------------------------------------------------------------------------------- */

struct role_count {
	char role[32];
	uint64_t n, bytes;
};

struct show_arg {
	struct role_count roles[16];
	unsigned nroles;
	json_t *entries;      /* --entries */
	bool print_entries;
};

static int show_entry(void *arg, const struct sl_entry *e)
{
	struct show_arg *sa = arg;
	unsigned i = 0;
	while (i < sa->nroles && strcmp(sa->roles[i].role, e->role) != 0)
		i++;
	if (i == sa->nroles && sa->nroles < 16) {
		snprintf(sa->roles[i].role, sizeof sa->roles[i].role, "%s", e->role);
		sa->nroles++;
	}
	if (i < sa->nroles) {
		sa->roles[i].n++;
		sa->roles[i].bytes += e->size;
	}
	if (sa->entries != NULL)
		json_array_append_new(sa->entries, json_pack("{s:s, s:s, s:I, s:s}", "path", e->path, "sha256", e->sha256,
							     "size", (json_int_t)e->size, "role", e->role));
	else if (sa->print_entries)
		printf("  %-10s %s  %s\n", e->role, e->sha256, e->path);
	return 0;
}

struct verif_arg {
	json_t *arr;
	unsigned failed;
};

static int show_verif(void *arg, const struct sl_verification *v)
{
	struct verif_arg *va = arg;
	if (!v->passed)
		va->failed++;
	if (va->arr != NULL) {
		json_array_append_new(va->arr, json_pack("{s:s, s:s, s:s?, s:b, s:s?, s:I}", "subject", v->subject, "check",
							 v->check, "key_fingerprint", v->key_fpr, "passed", v->passed,
							 "reason", v->reason, "at", (json_int_t)v->at));
		return 0;
	}
	printf("  %-4s %-18s %s\n", v->passed ? "ok" : "FAIL", v->check, v->subject);
	if (v->key_fpr != NULL && *v->key_fpr)
		printf("       key %s\n", v->key_fpr);
	if (v->reason != NULL && *v->reason)
		printf("       %s\n", v->reason);
	return 0;
}

int sl_cmd_show(struct sl_cli *cli, int argc, char **argv)
{
	int64_t id = sl_cli_snapshot_id(sl_cli_positional(argc, argv, 0));
	if (id == 0)
		return SL_EXIT_USAGE;
	struct sl_snapshot_info s;
	int rc = sl_catalog_snapshot_get(cli->cat, id, &s);
	if (rc < 0) {
		fprintf(stderr, "sluice: snapshot %lld: %s (see sluice snapshots)\n", (long long)id, sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	struct show_arg sa = { .print_entries = sl_cli_flag(argc, argv, "--entries") };
	struct verif_arg va = { 0 };
	json_t *out = NULL;
	if (cli->json) {
		out = snapshot_json(&s);
		sa.entries = json_array();
		va.arr = json_array();
	} else {
		char created[32], changed[32], up[32], size[32];
		sl_cli_time(s.created_at, created, sizeof created);
		sl_cli_time(s.state_changed_at, changed, sizeof changed);
		sl_cli_time(s.upstream_date, up, sizeof up);
		sl_units_format_size(s.total_bytes, size, sizeof size);
		printf("snapshot %lld of %s: %s since %s\n", (long long)s.id, s.source_name, sl_snap_state_name(s.state),
		       changed);
		printf("  created %s (sync run %lld), upstream dated %s\n", created, (long long)s.run_id, up);
		if (s.reason != NULL)
			printf("  reason: %s\n", s.reason);
		printf("  %llu entries, %s, content digest %s\n", (unsigned long long)s.n_entries, size,
		       *s.content_digest ? s.content_digest : "(not sealed)");
		if (sa.print_entries)
			printf("entries:\n");
	}
	rc = sl_catalog_snapshot_entries(cli->cat, id, show_entry, &sa);
	if (rc == 0 && !cli->json) {
		for (unsigned i = 0; i < sa.nroles; i++) {
			char size[32];
			sl_units_format_size(sa.roles[i].bytes, size, sizeof size);
			printf("  %-16s %6llu file(s) %10s\n", sa.roles[i].role, (unsigned long long)sa.roles[i].n, size);
		}
		printf("verification:\n");
	}
	if (rc == 0)
		rc = sl_catalog_verifications(cli->cat, id, show_verif, &va);
	if (cli->json) {
		json_object_set_new(out, "entries", sa.entries);
		json_object_set_new(out, "verifications", va.arr);
		sl_cli_json_out(out);
	}
	sl_snapshot_info_release(&s);
	if (rc < 0) {
		fprintf(stderr, "sluice: snapshot %lld: %s\n", (long long)id, sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	return SL_EXIT_OK;
}

/* ---- decisions ---------------------------------------------------------------------------------------- */

static const char *require_reason(int argc, char **argv, const char *verb)
{
	const char *reason = NULL;
	if (sl_cli_opt(argc, argv, "--reason", &reason) < 0 || reason == NULL) {
		fprintf(stderr, "sluice: %s needs --reason TEXT: the audit log records why\n", verb);
		return NULL;
	}
	const char *p = reason;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0') {
		fprintf(stderr, "sluice: %s: the reason must not be empty\n", verb);
		return NULL;
	}
	if (strlen(reason) >= SL_MAX_REASON) {
		fprintf(stderr, "sluice: %s: the reason is longer than %d bytes\n", verb, SL_MAX_REASON - 1);
		return NULL;
	}
	return reason;
}

/* Snapshot id -> its configured source; prints errors. */
static const struct sl_source *snapshot_source(struct sl_cli *cli, int64_t id, struct sl_snapshot_info *s)
{
	int rc = sl_catalog_snapshot_get(cli->cat, id, s);
	if (rc < 0) {
		fprintf(stderr, "sluice: snapshot %lld: %s (see sluice snapshots)\n", (long long)id, sl_strerror(rc));
		return NULL;
	}
	const struct sl_source *src = sl_config_source(cli->cfg, s->source_name);
	if (src == NULL) {
		fprintf(stderr, "sluice: snapshot %lld belongs to source '%s', which is no longer configured\n",
			(long long)id, s->source_name);
		sl_snapshot_info_release(s);
	}
	return src;
}

struct prune_arg {
	unsigned keep;
	unsigned superseded, refused;   /* seen so far, newest first */
	int64_t victims[256];
	unsigned nvictims;
};

static int prune_cb(void *arg, const struct sl_snapshot_info *s)
{
	struct prune_arg *pa = arg;
	unsigned *seen;
	if (s->state == SL_SNAP_SUPERSEDED)
		seen = &pa->superseded;
	else if (s->state == SL_SNAP_FAILED || s->state == SL_SNAP_REJECTED)
		seen = &pa->refused;
	else
		return 0;
	if (++*seen > pa->keep && pa->nvictims < 256)
		pa->victims[pa->nvictims++] = s->id;
	return 0;
}

/* keep = N: the newest N superseded snapshots stay as rollback targets, and separately the newest N
 * failed or rejected ones as evidence (a burst of refused syncs must not push rollback targets out).
 * Older ones go; their objects are reclaimed by `sluice gc`. */
static void prune(struct sl_cli *cli, const struct sl_source *src, int64_t source_id)
{
	struct prune_arg pa = { .keep = src->keep };
	if (sl_catalog_snapshots(cli->cat, source_id, -1, prune_cb, &pa) < 0)
		return;
	for (unsigned i = 0; i < pa.nvictims; i++) {
		int rc = sl_catalog_snapshot_delete(cli->cat, pa.victims[i]);
		if (rc < 0)
			sl_log_warn(src->name, "keep = %u: cannot drop snapshot %lld: %s", src->keep,
				    (long long)pa.victims[i], sl_strerror(rc));
	}
}

/* A pending snapshot made before the one published holds an older package set: approving it would go
 * back silently. Publishing supersedes the older pending ones of the source; going back is a rollback,
 * which says so in the audit log and re-signs with a fresh date. SL_EXIT_STATE (printed) or SL_EXIT_OK. */
static int older_than_published(struct sl_cli *cli, const struct sl_source *src, int64_t snap_id,
				int expect_state)
{
	int64_t sid = 0, pub = 0, gen = 0, at = 0;
	if (expect_state != SL_SNAP_PENDING || sl_catalog_source_id(cli->cat, src->name, &sid) < 0 ||
	    sl_catalog_published_get(cli->cat, sid, &pub, &gen, &at) < 0 || pub == 0 || snap_id >= pub)
		return SL_EXIT_OK;
	fprintf(stderr, "sluice: snapshot %lld of %s was made before snapshot %lld, which is published: approving "
			"it would silently go back to older content, so it can no longer be approved.\n"
			"sluice: to go back, use sluice rollback %s [--to SNAPSHOT] --reason TEXT (an earlier "
			"approved snapshot); to clear it from the pending list, sluice reject %lld --reason TEXT\n",
		(long long)snap_id, src->name, (long long)pub, src->name, (long long)snap_id);
	return SL_EXIT_STATE;
}

int sl_cli_publish(struct sl_cli *cli, const struct sl_source *src, int64_t snap_id, int expect_state,
		   const char *action, const char *reason)
{
	char *cause = NULL;
	struct sl_keys *keys = NULL;
	/* A pending snapshot publishes only when no blocking finding of it is undecided (a rollback returns
	 * to content that was decided when it was first approved). */
	if (expect_state == SL_SNAP_PENDING) {
		int g = sl_cli_findings_gate(cli, snap_id);
		if (g != SL_EXIT_OK)
			return g;
	}
	/* A crash between an earlier catalogue commit and its symlink switch left a source showing its old
	 * tree: repair that first, so this publication starts from what the catalogue says is live. */
	int rr = sl_publish_reconcile(cli->cfg, cli->cat, cli->public_dir);
	if (rr < 0)
		sl_log_warn(src->name, "reconciling %s before publishing: %s (continuing)", cli->public_dir,
			    sl_strerror(rr));
	/* Only what sluice re-signs needs the key; the rest publishes upstream-signed bytes. */
	const struct sl_publisher *pub = src->format->publish;
	if (pub != NULL && pub->needs_key != NULL && pub->needs_key(src)) {
		keys = sl_keys_open(cli->cfg->gnupg_home, 0, &cause);
		if (keys == NULL) {
			fprintf(stderr, "sluice: signing key in %s: %s (run sluice init)\n", cli->cfg->gnupg_home,
				cause ? cause : "unavailable");
			free(cause);
			return SL_EXIT_FAIL;
		}
	}
	struct sl_publish_ctx pctx = {
		.cfg = cli->cfg, .src = src, .cat = cli->cat, .store = cli->store, .keys = keys,
		.public_dir = cli->public_dir,
	};
	int rc = older_than_published(cli, src, snap_id, expect_state);
	if (rc != SL_EXIT_OK) {
		sl_keys_free(keys);
		return rc;
	}
	rc = sl_publish_snapshot(&pctx, snap_id, expect_state, action, cli->actor, reason, &cause);
	sl_keys_free(keys);
	if (rc == -SL_E_STATE) {
		char who[SL_MAX_REASON + 128];
		sl_cli_last_decision(cli, src->name, snap_id, who, sizeof who);
		fprintf(stderr, "sluice: snapshot %lld of %s is not %s any more: %s%s%s\n"
				"sluice: nothing was changed by this command; see sluice history %s\n",
			(long long)snap_id, src->name, sl_snap_state_name((enum sl_snap_state)expect_state),
			*who ? "it was " : "", *who ? who : (cause ? cause : "another administrator decided first"),
			*who ? " (someone decided first)" : "", src->name);
		free(cause);
		return SL_EXIT_CONFLICT;
	}
	if (rc < 0) {
		fprintf(stderr, "sluice: cannot publish snapshot %lld of %s: %s\n", (long long)snap_id, src->name,
			cause ? cause : sl_strerror(rc));
		if (rc == -EPERM)
			fprintf(stderr, "sluice: run sluice as the account that owns %s/store (the one sluice-syncd "
					"runs as), e.g. sudo -u sluice sluice ...; see sluice(1) DEPLOYMENT\n",
				cli->cfg->state_dir);
		else
			fprintf(stderr, "sluice: nothing was published; clients still get the previous snapshot\n");
		free(cause);
		return SL_EXIT_FAIL;
	}
	free(cause);
	int64_t sid = 0;
	if (sl_catalog_source_id(cli->cat, src->name, &sid) == 0)
		prune(cli, src, sid);
	return SL_EXIT_OK;
}

static int print_published(struct sl_cli *cli, const struct sl_source *src, int64_t snap_id, const char *note)
{
	int64_t sid = 0, pub = 0, gen = 0, at = 0;
	if (sl_catalog_source_id(cli->cat, src->name, &sid) == 0)
		sl_catalog_published_get(cli->cat, sid, &pub, &gen, &at);
	if (cli->json)
		sl_cli_json_out(json_pack("{s:s, s:s, s:I, s:I, s:s?}", "result", "published", "source", src->name,
					  "snapshot", (json_int_t)snap_id, "generation", (json_int_t)gen, "note", note));
	else
		printf("snapshot %lld of %s published (generation %lld): served at /%s/%s/\n", (long long)snap_id,
		       src->name, (long long)gen, src->format->name, src->name);
	return SL_EXIT_OK;
}

/* Why a snapshot that is not pending cannot be decided, and the exit code that says so: 5 when it was
 * already decided when this command looked (not pending), 3 when it failed verification, 1 otherwise
 * (still syncing). Exit 4 (conflict) is for a decision someone made while this command ran: the
 * callers' state transitions tell that apart. */
static int not_pending(struct sl_cli *cli, const struct sl_snapshot_info *s, const char *verb)
{
	char who[SL_MAX_REASON + 128];
	switch (s->state) {
	case SL_SNAP_PUBLISHED:
	case SL_SNAP_REJECTED:
	case SL_SNAP_SUPERSEDED:
		sl_cli_last_decision(cli, s->source_name, s->id, who, sizeof who);
		fprintf(stderr, "sluice: snapshot %lld of %s is %s%s%s; only pending snapshots can be %s "
				"(see sluice history %s)\n",
			(long long)s->id, s->source_name, sl_snap_state_name(s->state), *who ? ": it was " : "", who,
			verb, s->source_name);
		return SL_EXIT_STATE;
	case SL_SNAP_FAILED:
		fprintf(stderr, "sluice: snapshot %lld of %s failed verification (%s) and can never be %s; "
				"see sluice show %lld\n",
			(long long)s->id, s->source_name, s->reason ? s->reason : "see its records", verb,
			(long long)s->id);
		return SL_EXIT_VERIFY;
	default:
		fprintf(stderr, "sluice: snapshot %lld of %s is still %s; wait for its sync to finish "
				"(sluice sources)\n",
			(long long)s->id, s->source_name, sl_snap_state_name(s->state));
		return SL_EXIT_FAIL;
	}
}

int sl_cmd_approve(struct sl_cli *cli, int argc, char **argv)
{
	int64_t id = sl_cli_snapshot_id(sl_cli_positional(argc, argv, 0));
	const char *reason = require_reason(argc, argv, "approve");
	if (id == 0 || reason == NULL)
		return SL_EXIT_USAGE;
	struct sl_snapshot_info s;
	const struct sl_source *src = snapshot_source(cli, id, &s);
	if (src == NULL)
		return SL_EXIT_FAIL;
	int rc = s.state == SL_SNAP_PENDING ? SL_EXIT_OK : not_pending(cli, &s, "approved");
	sl_snapshot_info_release(&s);
	if (rc != SL_EXIT_OK)
		return rc;
	rc = sl_cli_publish(cli, src, id, SL_SNAP_PENDING, "approve", reason);
	return rc == SL_EXIT_OK ? print_published(cli, src, id, NULL) : rc;
}

int sl_cmd_reject(struct sl_cli *cli, int argc, char **argv)
{
	int64_t id = sl_cli_snapshot_id(sl_cli_positional(argc, argv, 0));
	const char *reason = require_reason(argc, argv, "reject");
	if (id == 0 || reason == NULL)
		return SL_EXIT_USAGE;
	struct sl_snapshot_info s;
	const struct sl_source *src = snapshot_source(cli, id, &s);
	if (src == NULL)
		return SL_EXIT_FAIL;
	if (s.state != SL_SNAP_PENDING) {
		int code = not_pending(cli, &s, "rejected");
		sl_snapshot_info_release(&s);
		return code;
	}
	int rc = sl_catalog_begin(cli->cat);
	if (rc == 0)
		rc = sl_catalog_snapshot_transition(cli->cat, id, SL_SNAP_PENDING, SL_SNAP_REJECTED, reason);
	if (rc == 0) {
		struct sl_audit_entry e = {
			.actor = cli->actor, .action = "reject", .source = src->name, .snapshot_id = id,
			.content_digest = s.content_digest, .reason = reason,
		};
		rc = sl_catalog_audit_append(cli->cat, &e);
	}
	if (rc == 0)
		rc = sl_catalog_commit(cli->cat);
	else
		sl_catalog_rollback(cli->cat);
	if (rc == -SL_E_STATE) {
		/* It was pending at the first look: someone decided meanwhile (a concurrent decision). */
		struct sl_snapshot_info now;
		if (sl_catalog_snapshot_get(cli->cat, id, &now) == 0) {
			if (now.state != SL_SNAP_PENDING)
				(void)not_pending(cli, &now, "rejected");
			sl_snapshot_info_release(&now);
		}
		int code = SL_EXIT_CONFLICT;
		sl_snapshot_info_release(&s);
		return code;
	}
	sl_snapshot_info_release(&s);
	if (rc < 0) {
		fprintf(stderr, "sluice: cannot reject snapshot %lld: %s\n", (long long)id, sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	int64_t sid = 0;
	if (sl_catalog_source_id(cli->cat, src->name, &sid) == 0)
		prune(cli, src, sid);
	if (cli->json)
		sl_cli_json_out(json_pack("{s:s, s:s, s:I}", "result", "rejected", "source", src->name, "snapshot",
					  (json_int_t)id));
	else
		printf("snapshot %lld of %s rejected; it will never be served\n", (long long)id, src->name);
	return SL_EXIT_OK;
}

struct newest_arg {
	int64_t id;
};

static int newest_cb(void *arg, const struct sl_snapshot_info *s)
{
	struct newest_arg *na = arg;
	na->id = s->id;
	return 1; /* newest first: the first one is it */
}

int sl_cmd_rollback(struct sl_cli *cli, int argc, char **argv)
{
	const char *name = sl_cli_positional(argc, argv, 0);
	const char *to = NULL;
	const char *reason = require_reason(argc, argv, "rollback");
	if (name == NULL || reason == NULL || sl_cli_opt(argc, argv, "--to", &to) < 0) {
		if (name == NULL)
			fprintf(stderr, "usage: sluice rollback SOURCE [--to SNAPSHOT] --reason TEXT\n");
		return SL_EXIT_USAGE;
	}
	const struct sl_source *src = sl_cli_source(cli, name);
	if (src == NULL)
		return SL_EXIT_USAGE;
	int64_t sid = 0, target = 0;
	if (sl_catalog_source_id(cli->cat, name, &sid) < 0) {
		fprintf(stderr, "sluice: nothing was ever published for %s, so there is nothing to roll back\n", name);
		return SL_EXIT_FAIL;
	}
	if (to != NULL) {
		target = sl_cli_snapshot_id(to);
		if (target == 0)
			return SL_EXIT_USAGE;
		struct sl_snapshot_info s;
		if (snapshot_source(cli, target, &s) == NULL)
			return SL_EXIT_FAIL;
		bool ok = s.source_id == sid && s.state == SL_SNAP_SUPERSEDED;
		if (!ok && s.source_id == sid && s.state == SL_SNAP_PUBLISHED)
			fprintf(stderr, "sluice: snapshot %lld is what %s publishes now; nothing to roll back\n",
				(long long)target, name);
		else if (!ok)
			fprintf(stderr, "sluice: snapshot %lld is a %s snapshot of %s; rollback needs an earlier approved "
					"(superseded) snapshot of %s (see sluice snapshots %s)\n",
				(long long)target, sl_snap_state_name(s.state), s.source_name, name, name);
		sl_snapshot_info_release(&s);
		if (!ok)
			return SL_EXIT_FAIL;
	} else {
		struct newest_arg na = { 0 };
		sl_catalog_snapshots(cli->cat, sid, SL_SNAP_SUPERSEDED, newest_cb, &na);
		target = na.id;
		if (target == 0) {
			fprintf(stderr, "sluice: %s has no earlier approved snapshot to roll back to (keep = %u; see "
					"sluice snapshots %s)\n", name, src->keep, name);
			return SL_EXIT_FAIL;
		}
	}
	/* Said before publishing, so it is read even when the publication fails. */
	if (src->format->rollback_note != NULL && !cli->json)
		printf("note: %s\n", src->format->rollback_note);
	int rc = sl_cli_publish(cli, src, target, SL_SNAP_SUPERSEDED, "rollback", reason);
	return rc == SL_EXIT_OK ? print_published(cli, src, target, src->format->rollback_note) : rc;
}

/* Called by sluice-syncd for sources with `approve = auto`: the policy, not a person, approves; the audit
 * log says so. Refused for sources that require a manual decision. */
int sl_cmd_auto_approve(struct sl_cli *cli, int argc, char **argv)
{
	int64_t id = sl_cli_snapshot_id(sl_cli_positional(argc, argv, 0));
	if (id == 0)
		return SL_EXIT_USAGE;
	struct sl_snapshot_info s;
	const struct sl_source *src = snapshot_source(cli, id, &s);
	if (src == NULL)
		return SL_EXIT_FAIL;
	sl_snapshot_info_release(&s);
	if (!src->auto_approve) {
		fprintf(stderr, "sluice: source %s has approve = manual: snapshot %lld needs sluice approve\n", src->name,
			(long long)id);
		return SL_EXIT_FAIL;
	}
	int rc = sl_cli_publish(cli, src, id, SL_SNAP_PENDING, "auto-approve", "source policy approve = auto");
	return rc == SL_EXIT_OK ? print_published(cli, src, id, NULL) : rc;
}
