/* cli: helpers shared by the `sluice` commands. */
#include "admin/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"

const struct sl_source *sl_cli_source(struct sl_cli *cli, const char *name)
{
	const struct sl_source *src = name ? sl_config_source(cli->cfg, name) : NULL;
	if (src == NULL)
		fprintf(stderr, "sluice: no source '%s' in %s (see sluice sources)\n", name ? name : "", cli->cfg->path);
	return src;
}

int64_t sl_cli_snapshot_id(const char *arg)
{
	if (arg == NULL) {
		fprintf(stderr, "sluice: a snapshot id is required (see sluice snapshots)\n");
		return 0;
	}
	const char *p = arg[0] == '#' ? arg + 1 : arg;
	char *end = NULL;
	long long v = strtoll(p, &end, 10);
	if (*p == '\0' || end == NULL || *end != '\0' || v <= 0) {
		fprintf(stderr, "sluice: '%s' is not a snapshot id (a positive number, see sluice snapshots)\n", arg);
		return 0;
	}
	return (int64_t)v;
}

void sl_cli_self(const struct sl_cli *cli, char *buf, size_t cap)
{
	const char *path = cli->cfg != NULL && cli->cfg->path != NULL ? cli->cfg->path : cli->config_path;
	if (!cli->config_given || path == NULL) {
		snprintf(buf, cap, "sluice");
		return;
	}
	/* Single quotes, each ' as '\'': safe for any path in a POSIX shell. */
	size_t n = (size_t)snprintf(buf, cap, "sluice -c '");
	for (const char *c = path; *c != '\0' && n + 6 < cap; c++) {
		if (*c == '\'') {
			memcpy(buf + n, "'\\''", 4);
			n += 4;
		} else {
			buf[n++] = *c;
		}
	}
	if (n + 2 <= cap) {
		buf[n++] = '\'';
		buf[n] = '\0';
	} else if (cap > 0) {
		buf[cap - 1] = '\0';
	}
}

void sl_cli_json_out(json_t *v)
{
	if (v == NULL)
		return;
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(v);
}

void sl_cli_time(int64_t t, char *buf, size_t cap)
{
	if (t <= 0) {
		snprintf(buf, cap, "-");
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

/* Options that take a value, so positional scanning can skip them. */
static const char *const valued[] = { "--reason", "--to", "--against", "--url", "--expires", "--ack", "--since",
				      "--volume-size", "--keyring", NULL };

static bool takes_value(const char *a)
{
	for (unsigned i = 0; valued[i]; i++)
		if (strcmp(a, valued[i]) == 0)
			return true;
	return false;
}

int sl_cli_opt(int argc, char **argv, const char *name, const char **value)
{
	size_t n = strlen(name);
	*value = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], name) == 0) {
			if (i + 1 >= argc)
				return -1;
			*value = argv[i + 1];
			return 0;
		}
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') {
			*value = argv[i] + n + 1;
			return 0;
		}
	}
	return 0;
}

bool sl_cli_flag(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++) {
		if (takes_value(argv[i])) {
			i++;
			continue;
		}
		if (strcmp(argv[i], name) == 0)
			return true;
	}
	return false;
}

const char *sl_cli_positional(int argc, char **argv, int n)
{
	for (int i = 1; i < argc; i++) {
		if (takes_value(argv[i])) {
			i++;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			continue;
		if (n-- == 0)
			return argv[i];
	}
	return NULL;
}

/* Is `arg` (an option, possibly "--opt=value") among the space-separated `opts`? *valued set when the
 * option takes a value ("--to=" in the list). */
static bool opt_known(const char *opts, const char *arg, bool *valued_out)
{
	size_t alen = strcspn(arg, "=");
	const char *p = opts != NULL ? opts : "";
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		bool v = p[n - 1] == '=';
		size_t name_len = v ? n - 1 : n;
		if (name_len == alen && strncmp(p, arg, alen) == 0) {
			*valued_out = v;
			return true;
		}
		p += n;
	}
	return false;
}

int sl_cli_check_args(const struct sl_cli_cmd *cmd, int argc, char **argv)
{
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || a[1] == '\0') {
			npos++;
			continue;
		}
		if (strcmp(a, "--json") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			continue;
		bool has_value = false;
		if (!opt_known(cmd->opts, a, &has_value)) {
			fprintf(stderr, "sluice %s: unknown option '%s' (see sluice %s --help)\n", cmd->name, a, cmd->name);
			return SL_EXIT_USAGE;
		}
		if (!has_value && strchr(a, '=') != NULL) {
			fprintf(stderr, "sluice %s: option '%.*s' takes no value\n", cmd->name, (int)strcspn(a, "="), a);
			return SL_EXIT_USAGE;
		}
		if (has_value && strchr(a, '=') == NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "sluice %s: option %s needs a value (see sluice %s --help)\n", cmd->name, a,
					cmd->name);
				return SL_EXIT_USAGE;
			}
			i++;
		}
	}
	if (cmd->maxpos >= 0 && npos > cmd->maxpos) {
		fprintf(stderr, "sluice %s: too many arguments; usage: sluice %s %s\n", cmd->name, cmd->name, cmd->args);
		return SL_EXIT_USAGE;
	}
	return SL_EXIT_OK;
}

void sl_cli_help(const struct sl_cli_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: sluice [-c CONFIG] [--json] %s %s\n\n%s.\n", cmd->name, cmd->args, cmd->summary);
	if (cmd->help != NULL && *cmd->help)
		fprintf(f, "\n%s\n", cmd->help);
	fprintf(f, "\nexit status: 0 ok, 1 failure, 2 usage, 3 verification failed, 4 conflict, 5 not pending.\n"
		   "See sluice(1).\n");
}
