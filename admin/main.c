/* sluice: the administrator's command line — see what changed, approve or reject with a reason, roll back,
 * and prove it later from the audit log. */
#include <pwd.h>
#include <stdbool.h>
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

#define NEED_CC (SL_NEED_CONFIG | SL_NEED_CATALOG)
#define NEED_ALL (SL_NEED_CONFIG | SL_NEED_CATALOG | SL_NEED_STORE)

/* The one table of commands: name, usage, summary, --help text, options, positional cap, needs. */
static const struct sl_cli_cmd commands[] = {
	{ "init", "", "create the state directory, catalogue and sluice's signing key",
	  "Creates the state directory, the catalogue (applying migrations), the content store and, on first\n"
	  "run, sluice's own ed25519 signing key in the GnuPG home ([publish] gnupg_home, mode 0700). Prints the\n"
	  "fingerprint and where clients fetch the public key (/keys/sluice.asc). Safe to run again.",
	  "", 0, NEED_ALL, sl_cmd_init },
	{ "keys", "[show|export|rotate|retire FINGERPRINT]", "show, export, rotate or retire sluice's signing keys",
	  "show     active signing keys, newest first (default)\n"
	  "export   the ASCII-armored public keys on stdout\n"
	  "rotate   create a new key; old and new both sign until the old one is retired (the overlap)\n"
	  "retire   stop signing with FINGERPRINT once every client has the new key\n"
	  "Key changes are recorded in the audit log.",
	  "", 2, NEED_CC, sl_cmd_keys },
	{ "sources", "", "each source: type, schedule, last sync, cool-down, published, pending",
	  "One block per configured source; a pending snapshot waiting longer than approve_within is flagged.",
	  "", 0, NEED_CC, sl_cmd_sources },
	{ "sync", "SOURCE... [--queue-scan]", "sync sources now, in the foreground",
	  "Runs a sync of each SOURCE now, with progress on a terminal. A sync that verifies makes a pending\n"
	  "snapshot (auto-approved for approve = auto), after the malware scan of its new files when [scan] is\n"
	  "set. --queue-scan ends each sync when its snapshot is pending and leaves the scan to sluice-syncd's\n"
	  "scanner (or sluice scan --queued); approval waits for it. Exit 3 when verification refused the content.",
	  "--queue-scan", -1, NEED_ALL, sl_cmd_sync },
	{ "clients", "[SOURCE] [--url URL]", "what client hosts configure to use a source (apt, freshclam)",
	  "Prints, for each source (or SOURCE), what a client host puts in its configuration: apt's key\n"
	  "download and sources.list lines, freshclam.conf's lines. The same text as the status page's.\n"
	  "--url is sluice-served's address as clients reach it (default: from [served] listen).",
	  "--url=", 1, SL_NEED_CONFIG, sl_cmd_clients },
	{ "snapshots", "[SOURCE]", "list snapshots, newest first", "", "", 1, NEED_CC, sl_cmd_snapshots },
	{ "pending", "[SOURCE]", "list snapshots waiting for a decision",
	  "Snapshots that verified and wait for sluice approve or sluice reject, with how long they have waited\n"
	  "(flagged when longer than the source's approve_within).",
	  "", 1, NEED_CC, sl_cmd_pending },
	{ "show", "SNAPSHOT [--entries]", "a snapshot's content and every verification record",
	  "State, dates, content digest, files per role, and every verification record with the key\n"
	  "fingerprint that signed. --entries lists every file with its SHA-256.",
	  "--entries", 1, NEED_CC, sl_cmd_show },
	{ "diff", "SNAPSHOT [--against SNAPSHOT]", "what changed against the published (or given) snapshot",
	  "APT: packages added, removed, upgraded and downgraded (old -> new, dpkg version order), for each\n"
	  "package and architecture the version clients would install; changes whose new version comes from a\n"
	  "security suite are marked SECURITY. Other formats: their own differ, else files by path and digest.\n"
	  "--against compares with another snapshot of the same source instead of the published one.",
	  "--against=", 1, NEED_CC, sl_cmd_diff },
	{ "approve", "SNAPSHOT --reason TEXT", "publish a pending snapshot",
	  "Publishes a pending snapshot atomically and supersedes the previous one. The reason (a change\n"
	  "ticket, what was reviewed) goes to the audit log with your Unix user. Exit 4 when the snapshot was\n"
	  "decided meanwhile (another administrator approved or rejected it first); exit 5 when it is not\n"
	  "pending (decided before), or was made before the published snapshot (going back is rollback).",
	  "--reason=", 1, NEED_ALL, sl_cmd_approve },
	{ "findings", "SNAPSHOT", "what the scan gate found in a snapshot, and the decisions",
	  "Each finding: id, kind (malware, limit, unreadable, scan-error, no-database), the artifact and\n"
	  "member, the signature or detail, and its decision. An undecided blocking finding keeps the snapshot\n"
	  "from being approved (exit 6 from approve).",
	  "", 1, NEED_CC, sl_cmd_findings },
	{ "accept", "FINDING --reason TEXT [--expires DURATION]", "accept a finding as a conscious exception",
	  "Records who, when, why and until when (--expires 30d; default: no expiry) in the finding and the\n"
	  "audit log. A later snapshot carrying the same artifact with the same finding inherits an unexpired\n"
	  "acceptance; an expired one blocks again.",
	  "--reason= --expires=", 1, NEED_CC, sl_cmd_accept },
	{ "scan", "SNAPSHOT | --queued", "scan a snapshot again with the current ClamAV databases",
	  "Undecided findings are replaced by what today's databases find; decisions stay. Exit 6 when blocking\n"
	  "findings are undecided.\n"
	  "--queued scans every pending snapshot still waiting for its first scan (what sluice-syncd's scanner\n"
	  "does after its syncs, or after sluice sync --queue-scan), then publishes those of approve = auto\n"
	  "sources that have no undecided finding.",
	  "--queued", 1, NEED_ALL, sl_cmd_scan },
	{ "auto-approve", "SNAPSHOT", "publish a pending snapshot of an approve = auto source (used by sluice-syncd)",
	  "Refused for sources with approve = manual. Recorded in the audit log as an auto-approval.",
	  "", 1, NEED_ALL, sl_cmd_auto_approve },
	{ "reject", "SNAPSHOT --reason TEXT", "refuse a pending snapshot",
	  "A rejected snapshot is never served. The reason goes to the audit log. Exit 4 when the snapshot was\n"
	  "decided meanwhile; exit 5 when it was not pending (decided before).",
	  "--reason=", 1, NEED_CC, sl_cmd_reject },
	{ "rollback", "SOURCE [--to SNAPSHOT] --reason TEXT", "republish an earlier approved snapshot",
	  "Publishes the newest superseded snapshot of SOURCE again (or the one given with --to). APT metadata\n"
	  "gets a fresh Date and signature, since apt refuses a Release older than one it has seen; the files\n"
	  "are the earlier snapshot's, byte for byte. How many snapshots stay available is keep = N.",
	  "--to= --reason=", 1, NEED_ALL, sl_cmd_rollback },
	{ "history", "[SOURCE]", "decisions (approvals, rejections, rollbacks, key changes) from the audit log",
	  "", "", 1, NEED_CC, sl_cmd_history },
	{ "audit", "[--verify]", "the whole audit log; --verify checks its hash chain",
	  "--verify recomputes the hash chain: exit 3 and the first broken entry when any entry was edited,\n"
	  "deleted or reordered. It also prints the chain's head (entry and hash): record it elsewhere, since a\n"
	  "chain cannot show by itself that its newest entries were cut off.",
	  "--verify", 0, NEED_CC, sl_cmd_audit },
	{ "verify", "[--chain] [--all|SNAPSHOT]", "re-hash store objects; --chain: re-verify upstream chains",
	  "Re-hashes every object the published snapshots (--all: every kept snapshot; or one SNAPSHOT)\n"
	  "reference, trusting no file name. Exit 3 when any object is missing or corrupt, each one named.\n"
	  "--chain re-runs the whole upstream chain verification of those snapshots from the store alone:\n"
	  "signatures with the source's current keyring, every hash, every policy as of when the snapshot was\n"
	  "made. Each snapshot is reported with every failed check (exit 3 when any fails); the outcome is\n"
	  "recorded for `sluice sources`, /metrics and the status page ([syncd] verify_every runs it on a\n"
	  "schedule).",
	  "--all --chain", 1, NEED_ALL, sl_cmd_verify },
	{ "export", "[SOURCE...] --to DIR [--ack FILE|--since SEQ] [--volume-size SIZE] [--approved-only]",
	  "write a signed transfer bundle for an air-gapped sluice",
	  "Writes each SOURCE's (default: every source's) newest verified snapshot — with --approved-only the\n"
	  "published one — as a bundle into DIR: pax tar volumes holding the manifest, its signature by sluice's\n"
	  "key and every object named by SHA-256, including the upstream's own signed metadata, so the inside\n"
	  "verifies the content from the upstream's signatures, not from this side's word. Prints the volumes.\n"
	  "--ack FILE     carry only what the inside lacks (FILE: its `sluice ack`, checked with\n"
	  "               [export] ack_keyring)\n"
	  "--since SEQ    carry everything added after bundle SEQ (cumulative: a lost medium is covered)\n"
	  "--volume-size  split at object boundaries (4G, 700M); every volume carries the signed manifest\n"
	  "--check PATH...  on a transit host: check a bundle's signature (--keyring FILE, else [import]\n"
	  "               keyring) and every object's hash, without importing.",
	  "--to= --ack= --since= --volume-size= --approved-only --check --keyring=", -1, 0, sl_cmd_export },
	{ "import", "PATH...|--status", "import transfer bundles (volumes or directories of them)",
	  "Checks each volume's signature against [import] keyring before reading any object, refuses expired,\n"
	  "replayed and hostile bundles, streams every object through SHA-256 into the store, and once all\n"
	  "volumes of a bundle are here builds each source's snapshot and verifies it exactly as a sync would,\n"
	  "with this side's configuration and keyrings. Verified snapshots wait for approval (approve = auto:\n"
	  "published). Sources must say from = bundle. Volumes may come in any order and more than once.\n"
	  "--status: bundles seen, and which volumes are still missing. Exit 3 when content was refused.",
	  "--status", -1, NEED_ALL, sl_cmd_import },
	{ "ack", "--to FILE", "acknowledge imported bundles, so the next export carries only what is new",
	  "Writes FILE, clear-signed by sluice's key: per exporter the bundles imported and the snapshots held.\n"
	  "Carry it back to the exporting sluice: sluice export --ack FILE --to DIR.",
	  "--to=", 0, NEED_CC, sl_cmd_ack },
	{ "gc", "[--dry-run]", "remove store objects no kept snapshot references",
	  "Removes old published generations past [publish] grace, then every store object no remaining\n"
	  "snapshot references, and reports the bytes freed. --dry-run reports and removes nothing.",
	  "--dry-run", 0, NEED_ALL, sl_cmd_gc },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sluice [-c CONFIG] [--json] COMMAND [ARGS]\n"
		   "       sluice -n [-c CONFIG]     check the configuration and exit\n"
		   "       sluice help COMMAND       (or COMMAND --help) what a command does and its options\n\n"
		   "CONFIG defaults to $SLUICE_CONFIG, then " DEFAULT_CONFIG ".\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		char head[64];
		snprintf(head, sizeof head, "%s %s", commands[i].name, commands[i].args);
		fprintf(f, "  %-42s %s\n", head, commands[i].summary);
	}
	fprintf(f, "\nexit status: 0 ok, 1 failure, 2 usage, 3 verification failed, 4 conflict "
		   "(someone else decided while this ran), 5 not pending (decided before)\n");
}

static void actor_name(char *buf, size_t cap)
{
	/* The real uid, not $USER: the audit log must name who ran the command. Through sudo (to root, or to
	 * the service user that owns the store, see sluice(1) DEPLOYMENT) the person is SUDO_USER; whoever
	 * can set that variable already runs as the account that owns the catalogue. */
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	char me[64];
	if (pw != NULL)
		snprintf(me, sizeof me, "%s", pw->pw_name);
	else
		snprintf(me, sizeof me, "uid %u", (unsigned)getuid());
	if (sudo != NULL && *sudo && strcmp(sudo, me) != 0)
		snprintf(buf, cap, "%s (via sudo as %s)", sudo, me);
	else
		snprintf(buf, cap, "%s", me);
}

/* Where the configuration's path came from, for the message when it cannot be opened. */
static const char *config_origin = "the default";

/* When the file itself cannot be read, say how to name another one: the usual cause is a command
 * copied from a session that used -c, run without it. */
static void config_hint(const char *path)
{
	if (access(path, R_OK) == 0)
		return;
	fprintf(stderr, "sluice: %s is %s; name the configuration with -c FILE (sluice -c FILE COMMAND) or "
			"$SLUICE_CONFIG\n", path, config_origin);
}

static int open_context(struct sl_cli *cli, unsigned needs)
{
	char *cause = NULL;
	cli->cfg = sl_config_load(cli->config_path, &cause);
	if (cli->cfg == NULL) {
		fprintf(stderr, "sluice: %s\n", cause ? cause : "cannot load configuration");
		free(cause);
		config_hint(cli->config_path);
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
	else
		config_origin = "from $SLUICE_CONFIG";
	cli.tty = isatty(STDOUT_FILENO);
	bool check_only = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
			cli.config_path = argv[++i];
			config_origin = "from -c";
			cli.config_given = true;
		} else if (strncmp(a, "--config=", 9) == 0) {
			cli.config_path = a + 9;
			config_origin = "from --config";
			cli.config_given = true;
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
			config_hint(cli.config_path);
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
	bool help = strcmp(argv[i], "help") == 0;
	if (help && i + 1 == argc) {
		usage(stdout);
		return SL_EXIT_OK;
	}
	const char *name = help ? argv[i + 1] : argv[i];
	const struct sl_cli_cmd *cmd = NULL;
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (strcmp(commands[k].name, name) == 0)
			cmd = &commands[k];
	if (cmd == NULL) {
		fprintf(stderr, "sluice: unknown command '%s' (see sluice --help)\n", name);
		return SL_EXIT_USAGE;
	}
	if (help || sl_cli_flag(argc - i, argv + i, "--help") || sl_cli_flag(argc - i, argv + i, "-h")) {
		sl_cli_help(cmd, stdout);
		return SL_EXIT_OK;
	}
	int rc = sl_cli_check_args(cmd, argc - i, argv + i);
	if (rc != SL_EXIT_OK)
		return rc;
	if (sl_cli_flag(argc - i, argv + i, "--json"))
		cli.json = true;   /* `sluice pending --json` reads naturally too */
	actor_name(cli.actor, sizeof cli.actor);
	/* needs 0: the command loads what it needs itself (export --check runs on hosts without sluice). */
	rc = cmd->needs != 0 ? open_context(&cli, cmd->needs) : SL_EXIT_OK;
	if (rc == SL_EXIT_OK)
		rc = cmd->run(&cli, argc - i, argv + i);
	sl_store_free(cli.store);
	sl_catalog_free(cli.cat);
	sl_config_free(cli.cfg);
	sl_log_close();
	return rc;
}
