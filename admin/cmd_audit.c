/* cmd_audit: the audit log — decisions per source (`history`) and the whole chained log (`audit`). */
#include <stdio.h>
#include <string.h>

#include "admin/cli.h"
#include "core/catalog.h"
#include "core/error.h"

struct audit_arg {
	struct sl_cli *cli;
	json_t *arr;
	bool decisions_only;
	unsigned count;
};

/* Decisions about snapshots, with the past tense used in messages. */
static const char *const decisions[][2] = {
	{ "approve", "approved" }, { "auto-approve", "auto-approved" }, { "reject", "rejected" },
	{ "rollback", "rolled back to" },
};

static const char *decision_past(const char *action)
{
	for (size_t i = 0; i < sizeof decisions / sizeof decisions[0]; i++)
		if (strcmp(action, decisions[i][0]) == 0)
			return decisions[i][1];
	return NULL;
}

/* `history` shows what changed what clients get or trust: decisions and key changes. */
static bool is_decision(const char *action)
{
	return decision_past(action) != NULL || strncmp(action, "key-", 4) == 0;
}

struct last_arg {
	int64_t snap_id;
	char *buf;
	size_t cap;
};

static int last_cb(void *arg, const struct sl_audit_entry *e)
{
	struct last_arg *la = arg;
	const char *past = decision_past(e->action);
	if (past == NULL || e->snapshot_id != la->snap_id)
		return 0;
	char when[32];
	sl_cli_time(e->at, when, sizeof when);
	snprintf(la->buf, la->cap, "%s by %s at %s: %s", past, e->actor, when, e->reason ? e->reason : "");
	return 0;   /* oldest first: keep going, the last one wins */
}

void sl_cli_last_decision(struct sl_cli *cli, const char *source, int64_t snap_id, char *buf, size_t cap)
{
	struct last_arg la = { snap_id, buf, cap };
	if (cap > 0)
		buf[0] = '\0';
	if (sl_catalog_audit_foreach(cli->cat, source, last_cb, &la) < 0 && cap > 0)
		buf[0] = '\0';
}

static int audit_cb(void *arg, const struct sl_audit_entry *e)
{
	struct audit_arg *aa = arg;
	if (aa->decisions_only && !is_decision(e->action))
		return 0;
	aa->count++;
	if (aa->arr != NULL) {
		json_array_append_new(aa->arr, json_pack("{s:I, s:I, s:s, s:s, s:s?, s:I, s:s?, s:s?, s:s, s:s}", "seq",
							 (json_int_t)e->seq, "at", (json_int_t)e->at, "actor", e->actor,
							 "action", e->action, "source", e->source, "snapshot",
							 (json_int_t)e->snapshot_id, "content_digest", e->content_digest,
							 "reason", e->reason, "prev_hash", e->prev_hash, "hash", e->hash));
		return 0;
	}
	char when[32];
	sl_cli_time(e->at, when, sizeof when);
	printf("%-5lld %s %-13s %-12s %-14s", (long long)e->seq, when, e->action, e->source ? e->source : "-",
	       e->actor);
	if (e->snapshot_id)
		printf(" snapshot %lld", (long long)e->snapshot_id);
	printf("\n");
	if (e->reason != NULL && *e->reason)
		printf("      reason: %s\n", e->reason);
	if (e->content_digest != NULL && *e->content_digest)
		printf("      content %s\n", e->content_digest);
	return 0;
}

static int run(struct sl_cli *cli, const char *source, bool decisions_only)
{
	struct audit_arg aa = { cli, cli->json ? json_array() : NULL, decisions_only, 0 };
	int rc = sl_catalog_audit_foreach(cli->cat, source, audit_cb, &aa);
	if (rc < 0) {
		json_decref(aa.arr);
		fprintf(stderr, "sluice: cannot read the audit log: %s\n", sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	if (aa.arr != NULL)
		sl_cli_json_out(aa.arr);
	else if (aa.count == 0)
		printf("(no entries)\n");
	return SL_EXIT_OK;
}

int sl_cmd_history(struct sl_cli *cli, int argc, char **argv)
{
	const char *source = sl_cli_positional(argc, argv, 0);
	if (source != NULL && sl_cli_source(cli, source) == NULL)
		return SL_EXIT_USAGE;
	return run(cli, source, true);
}

int sl_cmd_audit(struct sl_cli *cli, int argc, char **argv)
{
	if (!sl_cli_flag(argc, argv, "--verify"))
		return run(cli, NULL, false);
	int64_t bad = 0, head_seq = 0;
	char head[SL_SHA256_HEX] = "";
	int rc = sl_catalog_audit_verify(cli->cat, &bad);
	if (sl_catalog_audit_head(cli->cat, &head_seq, head) < 0)
		head_seq = 0;
	if (cli->json && (rc == 0 || rc == -SL_E_VERIFY))
		sl_cli_json_out(json_pack("{s:b, s:I, s:I, s:s}", "intact", rc == 0, "first_bad_seq", (json_int_t)bad,
					  "head_seq", (json_int_t)head_seq, "head_hash", head));
	if (rc == -SL_E_VERIFY) {
		if (!cli->json)
			fprintf(stderr, "sluice: audit log BROKEN at entry %lld: it was edited, deleted or reordered after "
					"the fact; treat the log from that entry on as untrustworthy and investigate\n",
				(long long)bad);
		return SL_EXIT_VERIFY;
	}
	if (rc < 0) {
		fprintf(stderr, "sluice: cannot verify the audit log: %s\n", sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	if (!cli->json)
		printf("audit log intact: %lld entries, every entry's hash chains to the one before\n"
		       "head: entry %lld, hash %s (compare with the head recorded elsewhere to detect a cut-off tail)\n",
		       (long long)head_seq, (long long)head_seq, head_seq ? head : "-");
	return SL_EXIT_OK;
}
