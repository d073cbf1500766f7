/* sluice: the administrator's command line — see what changed, approve or reject with a reason, roll back,
 * and prove it later from the audit log. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/cli.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/store.h"

#define DEFAULT_CONFIG "/etc/sluice/sluice.conf"

static const struct sl_cli_cmd commands[] = {
	{ "init", "", "create the state directory, catalogue and sluice's signing key",
	  SL_NEED_CONFIG | SL_NEED_CATALOG | SL_NEED_STORE, sl_cmd_init },
	{ "keys", "[show|export|rotate|retire FPR]", "show, export or rotate sluice's signing keys",
	  SL_NEED_CONFIG | SL_NEED_CATALOG, sl_cmd_keys },
	{ "sources", "", "each source: type, schedule, last sync, cool-down, published, pending",
	  SL_NEED_CONFIG | SL_NEED_CATALOG, sl_cmd_sources },
	{ "sync", "SOURCE...", "sync sources now, in the foreground",
	  SL_NEED_CONFIG | SL_NEED_CATALOG | SL_NEED_STORE, sl_cmd_sync },
	{ "snapshots", "[SOURCE]", "list snapshots, newest first", SL_NEED_CONFIG | SL_NEED_CATALOG,
	  sl_cmd_snapshots },
	{ "pending", "", "list snapshots waiting for a decision", SL_NEED_CONFIG | SL_NEED_CATALOG, sl_cmd_pending },
	{ "show", "SNAPSHOT", "a snapshot's content and every verification record",
	  SL_NEED_CONFIG | SL_NEED_CATALOG, sl_cmd_show },
	{ "diff", "SNAPSHOT [--against SNAPSHOT]", "what changed against the published (or given) snapshot",
	  SL_NEED_CONFIG | SL_NEED_CATALOG, sl_cmd_diff },
	{ "approve", "SNAPSHOT --reason TEXT", "publish a pending snapshot",
	  SL_NEED_CONFIG | SL_NEED_CATALOG | SL_NEED_STORE, sl_cmd_approve },
	{ "auto-approve", "SNAPSHOT", "publish a pending snapshot of an approve = auto source (used by sluice-syncd)",
	  SL_NEED_CONFIG | SL_NEED_CATALOG | SL_NEED_STORE, sl_cmd_auto_approve },
	{ "reject", "SNAPSHOT --reason TEXT", "refuse a pending snapshot", SL_NEED_CONFIG | SL_NEED_CATALOG,
	  sl_cmd_reject },
	{ "rollback", "SOURCE [--to SNAPSHOT] --reason TEXT", "republish an earlier approved snapshot",
	  SL_NEED_CONFIG | SL_NEED_CATALOG | SL_NEED_STORE, sl_cmd_rollback },
	{ "history", "[SOURCE]", "decisions (approvals, rejections, rollbacks) from the audit log",
	  SL_NEED_CONFIG | SL_NEED_CATALOG, sl_cmd_history },
	{ "audit", "[--verify]", "the whole audit log; --verify checks its hash chain",
	  SL_NEED_CONFIG | SL_NEED_CATALOG, sl_cmd_audit },
	{ "verify", "[--all|SNAPSHOT]", "re-hash store objects against the catalogue",
	  SL_NEED_CONFIG | SL_NEED_CATALOG | SL_NEED_STORE, sl_cmd_verify },
	{ "gc", "[--dry-run]", "remove store objects no kept snapshot references",
	  SL_NEED_CONFIG | SL_NEED_CATALOG | SL_NEED_STORE, sl_cmd_gc },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sluice [-c CONFIG] [--json] COMMAND [ARGS]\n"
		   "       sluice -n [-c CONFIG]     check the configuration and exit\n\n"
		   "CONFIG defaults to $SLUICE_CONFIG, then " DEFAULT_CONFIG ".\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		char head[64];
		snprintf(head, sizeof head, "%s %s", commands[i].name, commands[i].args);
		fprintf(f, "  %-42s %s\n", head, commands[i].summary);
	}
	fprintf(f, "\nexit status: 0 ok, 1 failure, 2 usage, 3 verification failed, 4 conflict "
		   "(someone else decided first)\n");
}

static void actor_name(char *buf, size_t cap)
{
	/* The real uid, not $USER: the audit log must name who ran the command, even under sudo. */
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	if (pw != NULL && getuid() == 0 && sudo != NULL && *sudo)
		snprintf(buf, cap, "%s (via sudo, uid 0)", sudo);
	else if (pw != NULL)
		snprintf(buf, cap, "%s", pw->pw_name);
	else
		snprintf(buf, cap, "uid %u", (unsigned)getuid());
}

static int open_context(struct sl_cli *cli, unsigned needs)
{
	char *cause = NULL;
	cli->cfg = sl_config_load(cli->config_path, &cause);
	if (cli->cfg == NULL) {
		fprintf(stderr, "sluice: %s\n", cause ? cause : "cannot load configuration");
		free(cause);
		return SL_EXIT_FAIL;
	}
	enum sl_log_level lvl = SL_LOG_INFO;
	if (cli->cfg->log_level != NULL)
		sl_log_parse_level(cli->cfg->log_level, &lvl);
	sl_log_set_level(lvl);
	snprintf(cli->public_dir, sizeof cli->public_dir, "%s/public", cli->cfg->state_dir);
	if (needs & (SL_NEED_CATALOG | SL_NEED_STORE)) {
		int m = sl_fs_mkdirs(cli->cfg->state_dir, 0750);
		if (m < 0) {
			fprintf(stderr, "sluice: cannot create state directory %s: %s\n", cli->cfg->state_dir,
				sl_strerror(m));
			return SL_EXIT_FAIL;
		}
	}
	if (needs & SL_NEED_CATALOG) {
		char path[SL_MAX_PATH];
		snprintf(path, sizeof path, "%s/catalog.db", cli->cfg->state_dir);
		cli->cat = sl_catalog_open(path, 0, &cause);
		if (cli->cat == NULL) {
			fprintf(stderr, "sluice: catalogue %s: %s\n", path, cause ? cause : "cannot open");
			free(cause);
			return SL_EXIT_FAIL;
		}
	}
	if (needs & SL_NEED_STORE) {
		cli->store = sl_store_open(cli->cfg->state_dir, &cause);
		if (cli->store == NULL) {
			fprintf(stderr, "sluice: store under %s: %s\n", cli->cfg->state_dir, cause ? cause : "cannot open");
			free(cause);
			return SL_EXIT_FAIL;
		}
	}
	return SL_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct sl_cli cli = { 0 };
	cli.config_path = getenv("SLUICE_CONFIG");
	if (cli.config_path == NULL || *cli.config_path == '\0')
		cli.config_path = DEFAULT_CONFIG;
	cli.tty = isatty(STDOUT_FILENO);
	bool check_only = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
			cli.config_path = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			cli.config_path = a + 9;
		} else if (strcmp(a, "--json") == 0) {
			cli.json = true;
		} else if (strcmp(a, "-n") == 0 || strcmp(a, "--check-config") == 0) {
			check_only = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return SL_EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("sluice %s\n", SLUICE_VERSION);
			return SL_EXIT_OK;
		} else {
			fprintf(stderr, "sluice: unknown option %s\n", a);
			usage(stderr);
			return SL_EXIT_USAGE;
		}
	}
	sl_log_open("sluice", true, SL_LOG_INFO);
	if (check_only) {
		char *cause = NULL;
		struct sl_config *cfg = sl_config_load(cli.config_path, &cause);
		if (cfg == NULL) {
			fprintf(stderr, "%s\n", cause ? cause : "invalid configuration");
			free(cause);
			return SL_EXIT_FAIL;
		}
		printf("%s: configuration ok (%zu source(s))\n", cli.config_path, cfg->nsources);
		sl_config_free(cfg);
		return SL_EXIT_OK;
	}
	if (i >= argc) {
		usage(stderr);
		return SL_EXIT_USAGE;
	}
	const struct sl_cli_cmd *cmd = NULL;
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (strcmp(commands[k].name, argv[i]) == 0)
			cmd = &commands[k];
	if (cmd == NULL) {
		fprintf(stderr, "sluice: unknown command '%s' (see sluice --help)\n", argv[i]);
		return SL_EXIT_USAGE;
	}
	if (sl_cli_flag(argc - i, argv + i, "--help") || sl_cli_flag(argc - i, argv + i, "-h")) {
		printf("usage: sluice %s %s\n  %s\n", cmd->name, cmd->args, cmd->summary);
		return SL_EXIT_OK;
	}
	actor_name(cli.actor, sizeof cli.actor);
	int rc = open_context(&cli, cmd->needs);
	if (rc == SL_EXIT_OK)
		rc = cmd->run(&cli, argc - i, argv + i);
	sl_store_free(cli.store);
	sl_catalog_free(cli.cat);
	sl_config_free(cli.cfg);
	sl_log_close();
	return rc;
}
