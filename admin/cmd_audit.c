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

static bool is_decision(const char *action)
{
	static const char *const decisions[] = { "approve", "auto-approve", "reject", "rollback", NULL };
	for (unsigned i = 0; decisions[i]; i++)
		if (strcmp(action, decisions[i]) == 0)
			return true;
	return false;
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
	int64_t bad = 0;
	int rc = sl_catalog_audit_verify(cli->cat, &bad);
	if (cli->json)
		sl_cli_json_out(json_pack("{s:b, s:I}", "intact", rc == 0, "first_bad_seq", (json_int_t)bad));
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
		printf("audit log intact: every entry's hash chains to the one before\n");
	return SL_EXIT_OK;
}
