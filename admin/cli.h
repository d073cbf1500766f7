/* cli: what every `sluice` command shares — the loaded configuration, catalogue and store, output mode
 * (human or --json), the acting Unix user for the audit log, exit codes and small output helpers.
 * Each command is an entry in the one table in main.c; commands live in cmd_<job>.c files.
 *
 * Ownership: main() builds the context and releases it; commands borrow it. Commands print their own
 * result and errors (once) and return an exit code. */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/limits.h"

struct sl_config;
struct sl_catalog;
struct sl_store;
struct sl_source;

enum sl_exit {
	SL_EXIT_OK = 0,
	SL_EXIT_FAIL = 1,         /* the operation failed (see message) */
	SL_EXIT_USAGE = 2,        /* bad command line */
	SL_EXIT_VERIFY = 3,       /* verification failed: content refused or store corrupt */
	SL_EXIT_CONFLICT = 4,     /* someone else decided it while this command ran (concurrent approval) */
	SL_EXIT_STATE = 5,        /* not pending: decided before (published, rejected, superseded), or made
				   * before the published snapshot (approving it would silently go back) */
	SL_EXIT_FINDINGS = 6,     /* blocking findings of the snapshot are undecided (sluice findings, accept) */
};

enum sl_cli_needs {
	SL_NEED_CONFIG = 1u << 0,
	SL_NEED_CATALOG = 1u << 1,
	SL_NEED_STORE = 1u << 2,
};

struct sl_cli {
	const char *config_path;
	bool config_given;        /* named with -c/--config (not $SLUICE_CONFIG or the default) */
	struct sl_config *cfg;
	struct sl_catalog *cat;
	struct sl_store *store;
	bool json;
	bool tty;                 /* stdout is a terminal */
	char actor[192];          /* Unix user name for the audit log, "alice (via sudo as sluice)" */
	char public_dir[SL_MAX_PATH];
};

struct sl_cli_cmd {
	const char *name;
	const char *args;         /* usage after the name */
	const char *summary;      /* one line for `sluice --help` */
	const char *help;         /* `sluice COMMAND --help`: what it does, options, what to do next */
	const char *opts;         /* accepted options, space separated; "--to=" takes a value */
	int maxpos;               /* most positional arguments accepted; -1: any number */
	unsigned needs;           /* SL_NEED_* */
	int (*run)(struct sl_cli *cli, int argc, char **argv);
};

/* Check a command's arguments (argv[0] is the command name) against its table entry: unknown options,
 * a valued option without its value and surplus positional arguments are refused with a message on
 * stderr naming the argument; --json and --help are accepted everywhere. Returns SL_EXIT_OK or
 * SL_EXIT_USAGE. A mistyped `gc --dryrun` must never run a real gc. */
int sl_cli_check_args(const struct sl_cli_cmd *cmd, int argc, char **argv);
/* Print `sluice COMMAND --help`. */
void sl_cli_help(const struct sl_cli_cmd *cmd, FILE *f);

/* Look up a configured source by name; prints the error and returns NULL when unknown. */
const struct sl_source *sl_cli_source(struct sl_cli *cli, const char *name);
/* Parse a snapshot id ("12" or "#12"); prints the error and returns 0 when invalid. */
int64_t sl_cli_snapshot_id(const char *arg);
/* "sluice" as the user runs it next: with -c and the configuration's absolute path (shell-quoted) when
 * this run was given one with -c, so a printed hint works when pasted. */
void sl_cli_self(const struct sl_cli *cli, char *buf, size_t cap);
/* Print a JSON value to stdout (indented) and free it. */
void sl_cli_json_out(json_t *v);
/* Format a Unix time as local "YYYY-MM-DD HH:MM" ("-" for 0). */
void sl_cli_time(int64_t t, char *buf, size_t cap);
/* Parse --reason TEXT / --reason=TEXT style options; returns the index of the first non-option arg. */
int sl_cli_opt(int argc, char **argv, const char *name, const char **value);
bool sl_cli_flag(int argc, char **argv, const char *name);
/* The n-th (0-based) positional argument, skipping options and the values of --reason, --to, --against. */
const char *sl_cli_positional(int argc, char **argv, int n);

/* The latest decision (approve, auto-approve, reject, rollback) the audit log records for a snapshot, as
 * "approved by alice at 2026-11-21 09:12: CHG-4711" into buf; "" when none. For conflict messages. */
void sl_cli_last_decision(struct sl_cli *cli, const char *source, int64_t snap_id, char *buf, size_t cap);

/* Commands (cmd_*.c). */
int sl_cmd_init(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_keys(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_sources(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_sync(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_clients(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_snapshots(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_pending(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_show(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_diff(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_approve(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_auto_approve(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_reject(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_rollback(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_history(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_audit(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_verify(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_verify_chain(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_findings(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_accept(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_scan(struct sl_cli *cli, int argc, char **argv);
/* The approval gate: SL_EXIT_OK when no blocking finding of the snapshot is undecided, else the list on
 * stderr and SL_EXIT_FINDINGS. */
int sl_cli_findings_gate(struct sl_cli *cli, int64_t snap_id);
int sl_cmd_gc(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_export(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_import(struct sl_cli *cli, int argc, char **argv);
int sl_cmd_ack(struct sl_cli *cli, int argc, char **argv);

/* Publish snapshot `snap_id` of `src` (approve, auto-approval and rollback share this): first repairs a
 * publication a crash left half-switched (sl_publish_reconcile), then builds, records and switches.
 * Prints its errors; returns SL_EXIT_OK, SL_EXIT_CONFLICT when another administrator decided first,
 * SL_EXIT_STATE when a pending snapshot was made before the published one (rollback is the way back), or
 * SL_EXIT_FAIL. */
int sl_cli_publish(struct sl_cli *cli, const struct sl_source *src, int64_t snap_id, int expect_state,
		   const char *action, const char *reason);

#endif
