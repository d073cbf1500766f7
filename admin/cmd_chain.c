/* cmd_chain: `sluice verify --chain` — each stored snapshot's whole upstream chain verified again from the
 * store alone (verify/recheck.h), reported per snapshot with every failed check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/cli.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/limits.h"
#include "verify/recheck.h"

struct chain_ids {
	int64_t v[SL_MAX_CHAIN_SNAPSHOTS];
	unsigned n;
	bool all;
};

static int collect(void *arg, const struct sl_snapshot_info *s)
{
	struct chain_ids *ids = arg;
	bool kept = s->state == SL_SNAP_PENDING || s->state == SL_SNAP_PUBLISHED || s->state == SL_SNAP_SUPERSEDED;
	if ((ids->all ? kept : s->state == SL_SNAP_PUBLISHED) && ids->n < SL_MAX_CHAIN_SNAPSHOTS)
		ids->v[ids->n++] = s->id;
	return 0;
}

struct failures {
	json_t *list;          /* --json: failed checks */
	int64_t snap;
};

static void on_check(void *arg, const struct sl_check *c)
{
	struct failures *f = arg;
	if (c->passed)
		return;
	if (f->list != NULL)
		json_array_append_new(f->list, json_pack("{s:s, s:s, s:s}", "subject", c->subject, "check", c->check,
							 "reason", c->reason ? c->reason : ""));
	else
		printf("  FAILED %s: %s: %s\n", c->subject, c->check, c->reason ? c->reason : "");
}

/* One snapshot: 1 when its chain failed, 0 when it passed, negative when it could not be re-checked. */
static int check_one(struct sl_cli *cli, int64_t id, json_t *out)
{
	struct sl_snapshot_info s;
	int rc = sl_catalog_snapshot_get(cli->cat, id, &s);
	if (rc < 0) {
		fprintf(stderr, "sluice: verify --chain: no snapshot %lld (see sluice snapshots)\n", (long long)id);
		return rc;
	}
	const struct sl_source *src = sl_config_source(cli->cfg, s.source_name);
	if (src == NULL) {
		fprintf(stderr, "sluice: verify --chain: snapshot %lld is of %s, which the configuration no longer "
				"has: its keyring and policies are unknown\n", (long long)id, s.source_name);
		sl_snapshot_info_release(&s);
		return 1;
	}
	struct failures f = { .list = out != NULL ? json_array() : NULL, .snap = id };
	if (out == NULL)
		printf("snapshot %lld (%s, %s):\n", (long long)id, s.source_name, sl_snap_state_name(s.state));
	struct sl_recheck_result r;
	char *cause = NULL;
	rc = sl_recheck_snapshot(cli->cfg, src, cli->cat, cli->store, &s, on_check, &f, &r, &cause);
	if (rc < 0) {
		fprintf(stderr, "sluice: verify --chain: %s\n", cause ? cause : sl_strerror(rc));
		free(cause);
		json_decref(f.list);
		sl_snapshot_info_release(&s);
		return rc;
	}
	if (out != NULL)
		json_array_append_new(out, json_pack("{s:I, s:s, s:s, s:b, s:I, s:I, s:s, s:o}", "snapshot", (json_int_t)id,
						     "source", s.source_name, "state", sl_snap_state_name(s.state),
						     "passed", r.passed, "checks", (json_int_t)r.checks, "failed",
						     (json_int_t)r.failed, "reason", r.reason, "failures", f.list));
	else if (r.passed)
		printf("  chain verified: %u check(s) passed\n", r.checks);
	else
		printf("  CHAIN FAILED: %s\n", r.reason);
	sl_snapshot_info_release(&s);
	return r.passed ? 0 : 1;
}

int sl_cmd_verify_chain(struct sl_cli *cli, int argc, char **argv)
{
	const char *arg = sl_cli_positional(argc, argv, 0);
	struct chain_ids *ids = calloc(1, sizeof *ids);
	if (ids == NULL)
		return SL_EXIT_FAIL;
	ids->all = sl_cli_flag(argc, argv, "--all");
	int rc = 0;
	if (arg != NULL && ids->all) {
		fprintf(stderr, "sluice verify --chain: give --all or a SNAPSHOT, not both\n");
		free(ids);
		return SL_EXIT_USAGE;
	}
	if (arg != NULL) {
		ids->v[0] = sl_cli_snapshot_id(arg);
		if (ids->v[0] == 0) {
			free(ids);
			return SL_EXIT_USAGE;
		}
		ids->n = 1;
	} else {
		rc = sl_catalog_snapshots(cli->cat, 0, -1, collect, ids);
	}
	json_t *out = cli->json ? json_array() : NULL;
	unsigned failed = 0;
	for (unsigned i = 0; rc >= 0 && i < ids->n; i++) {
		int one = check_one(cli, ids->v[i], out);
		if (one < 0)
			rc = one;
		else
			failed += (unsigned)one;
	}
	unsigned n = ids->n;
	free(ids);
	if (rc < 0) {
		json_decref(out);
		return SL_EXIT_FAIL;
	}
	if (out != NULL)
		sl_cli_json_out(out);
	else
		printf("%u snapshot(s) re-checked from the store: %u passed, %u FAILED\n", n, n - failed, failed);
	return failed ? SL_EXIT_VERIFY : SL_EXIT_OK;
}
