/* cmd_bundle: `sluice export`, `sluice import`, `sluice ack` — the command lines of the air-gap crossing
 * (admin/bundle.h), progress on a terminal, and the small file helpers the import side shares. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "admin/bundle.h"
#include "admin/bundle_int.h"
#include "admin/cli.h"
#include "admin/keys.h"
#include "core/catalog.h"
#include "core/catalog_bundle.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/store.h"
#include "core/units.h"

/* ---- progress ---- */

void sl_bundle_progress_start(struct sl_bundle_progress *p, bool on, const char *what, uint64_t total)
{
	memset(p, 0, sizeof *p);
	p->on = on;
	p->what = what;
	p->total = total;
	p->started = time(NULL);
}

static void draw(struct sl_bundle_progress *p)
{
	double secs = difftime(time(NULL), p->started);
	double rate = secs > 0 ? (double)p->done / secs : 0;
	char done[32], total[32], rs[32], eta[32] = "-";
	sl_units_format_size(p->done, done, sizeof done);
	sl_units_format_size(p->total, total, sizeof total);
	sl_units_format_size((uint64_t)rate, rs, sizeof rs);
	if (rate > 0 && p->total > p->done)
		sl_units_format_duration((int64_t)((double)(p->total - p->done) / rate * 1000), eta, sizeof eta);
	fprintf(stderr, "\r%s: %s/%s, %s/s, ETA %s   ", p->what, done, total, rs, eta);
}

void sl_bundle_progress_add(struct sl_bundle_progress *p, uint64_t n)
{
	p->done += n;
	if (!p->on)
		return;
	time_t now = time(NULL);
	if (now == p->last)
		return;
	p->last = now;
	draw(p);
}

void sl_bundle_progress_end(struct sl_bundle_progress *p)
{
	if (!p->on || p->last == 0)
		return;
	draw(p);
	fputc('\n', stderr);
}

/* ---- files ---- */

static bool is_volume_name(const char *n)
{
	size_t len = strlen(n);
	return n[0] != '.' && len > 4 && strcmp(n + len - 4, ".tar") == 0;
}

int sl_bundle_list_dir(const char *dir, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return -errno;
	size_t cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		if (!is_volume_name(de->d_name))
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = reallocarray(*names, nc, sizeof *nv);
			if (nv == NULL) {
				rc = -ENOMEM;
				break;
			}
			*names = nv;
			cap = nc;
		}
		if (asprintf(&(*names)[*n], "%s/%s", dir, de->d_name) < 0) {
			rc = -ENOMEM;
			break;
		}
		(*n)++;
	}
	closedir(d);
	return rc;
}

uint64_t sl_bundle_path_bytes(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (uint64_t)st.st_size;
	char **names = NULL;
	size_t n = 0;
	uint64_t total = 0;
	sl_bundle_list_dir(path, &names, &n);
	for (size_t i = 0; i < n; i++) {
		if (stat(names[i], &st) == 0)
			total += (uint64_t)st.st_size;
		free(names[i]);
	}
	free(names);
	return total;
}

/* Positional arguments (options and their values skipped), NULL-terminated, heap array of borrowed strings. */
static char **positionals(int argc, char **argv)
{
	char **v = calloc((size_t)argc + 1, sizeof *v);
	if (v == NULL)
		return NULL;
	for (int i = 0, n = 0;; i++) {
		const char *p = sl_cli_positional(argc, argv, i);
		if (p == NULL)
			break;
		v[n++] = (char *)p;
	}
	return v;
}

/* The store and catalogue, opened here because `export --check` runs on transit hosts without either. */
static int open_state(struct sl_cli *cli)
{
	char path[SL_MAX_PATH], *cause = NULL;
	int m = sl_fs_mkdirs(cli->cfg->state_dir, 0750);
	if (m < 0) {
		fprintf(stderr, "sluice: cannot create state directory %s: %s\n", cli->cfg->state_dir, sl_strerror(m));
		return SL_EXIT_FAIL;
	}
	snprintf(path, sizeof path, "%s/catalog.db", cli->cfg->state_dir);
	cli->cat = sl_catalog_open(path, 0, &cause);
	if (cli->cat == NULL) {
		fprintf(stderr, "sluice: catalogue %s: %s\n", path, cause ? cause : "cannot open");
		free(cause);
		return SL_EXIT_FAIL;
	}
	cli->store = sl_store_open(cli->cfg->state_dir, &cause);
	if (cli->store == NULL) {
		fprintf(stderr, "sluice: store under %s: %s\n", cli->cfg->state_dir, cause ? cause : "cannot open");
		free(cause);
		return SL_EXIT_FAIL;
	}
	return SL_EXIT_OK;
}

/* `export` runs without a configuration for --check --keyring (a transit host has none): load it here. */
static int load_config(struct sl_cli *cli)
{
	if (cli->cfg != NULL)
		return SL_EXIT_OK;
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
	return SL_EXIT_OK;
}

/* ---- commands ---- */

int sl_cmd_export(struct sl_cli *cli, int argc, char **argv)
{
	const char *to = NULL, *ack = NULL, *since = NULL, *vsize = NULL, *keyring = NULL;
	if (sl_cli_opt(argc, argv, "--to", &to) < 0 || sl_cli_opt(argc, argv, "--ack", &ack) < 0 ||
	    sl_cli_opt(argc, argv, "--since", &since) < 0 || sl_cli_opt(argc, argv, "--volume-size", &vsize) < 0 ||
	    sl_cli_opt(argc, argv, "--keyring", &keyring) < 0) {
		fprintf(stderr, "sluice: export: an option lacks its value\n");
		return SL_EXIT_USAGE;
	}
	char **pos = positionals(argc, argv);
	if (pos == NULL)
		return SL_EXIT_FAIL;
	int code;
	if (sl_cli_flag(argc, argv, "--check")) {
		if (pos[0] == NULL) {
			fprintf(stderr, "usage: sluice export --check PATH... [--keyring FILE]\n");
			code = SL_EXIT_USAGE;
		} else {
			code = keyring != NULL ? SL_EXIT_OK : load_config(cli);
			if (code == SL_EXIT_OK)
				code = sl_bundle_check(cli, pos, keyring);
		}
		free(pos);
		return code;
	}
	struct sl_bundle_export_opts o = { .sources = pos, .to = to, .ack = ack,
					   .approved_only = sl_cli_flag(argc, argv, "--approved-only") };
	code = SL_EXIT_OK;
	if (to == NULL || *to == '\0') {
		fprintf(stderr, "usage: sluice export [SOURCE...] --to DIR [--ack FILE | --since SEQ] [--volume-size SIZE] "
				"[--approved-only]\n");
		code = SL_EXIT_USAGE;
	} else if (ack != NULL && since != NULL) {
		fprintf(stderr, "sluice: export: --ack and --since are alternatives (--ack when the inside can answer)\n");
		code = SL_EXIT_USAGE;
	} else if (since != NULL) {
		char *end = NULL;
		long long v = strtoll(since, &end, 10);
		if (end == since || *end != '\0' || v <= 0) {
			fprintf(stderr, "sluice: export: --since '%s' is not a bundle sequence number\n", since);
			code = SL_EXIT_USAGE;
		}
		o.since = v;
	}
	if (code == SL_EXIT_OK && vsize != NULL && (sl_units_parse_size(vsize, &o.volume_size) != 0 || o.volume_size == 0)) {
		fprintf(stderr, "sluice: export: --volume-size '%s' is not a size (examples: 4G, 700M)\n", vsize);
		code = SL_EXIT_USAGE;
	}
	if (code == SL_EXIT_OK)
		code = load_config(cli);
	if (code == SL_EXIT_OK)
		code = open_state(cli);
	if (code == SL_EXIT_OK)
		code = sl_bundle_export(cli, &o);
	free(pos);
	return code;
}

int sl_cmd_import(struct sl_cli *cli, int argc, char **argv)
{
	if (sl_cli_flag(argc, argv, "--status"))
		return sl_bundle_import_status(cli);
	char **pos = positionals(argc, argv);
	if (pos == NULL)
		return SL_EXIT_FAIL;
	int code;
	if (pos[0] == NULL) {
		fprintf(stderr, "usage: sluice import PATH... (bundle volumes, or directories of them) | --status\n");
		code = SL_EXIT_USAGE;
	} else {
		code = sl_bundle_import(cli, pos);
	}
	free(pos);
	return code;
}

/* ---- ack ---- */

struct ackbuf {
	char *text;
	size_t len, cap;
	int err;
};

static void ack_add(struct ackbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ack_add(struct ackbuf *b, const char *fmt, ...)
{
	if (b->err)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line || b->len + (size_t)n + 1 > SL_MAX_BUNDLE_ACK) {
		b->err = -SL_E_TOOBIG;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 4096;
		while (nc < b->len + (size_t)n + 1)
			nc *= 2;
		char *t = realloc(b->text, nc);
		if (t == NULL) {
			b->err = -ENOMEM;
			return;
		}
		b->text = t;
		b->cap = nc;
	}
	memcpy(b->text + b->len, line, (size_t)n + 1);
	b->len += (size_t)n;
}

static int ack_last(void *arg, const struct sl_bundle_import *i)
{
	if (i->landed)
		ack_add(arg, "imported\t%s\t%lld\n", i->exporter, (long long)i->seq);
	return 0;
}

static int ack_held(void *arg, const char *exporter, const char *source, int64_t remote, const char *digest)
{
	ack_add(arg, "held\t%s\t%s\t%lld\t%s\n", exporter, source, (long long)remote, digest);
	return 0;
}

int sl_cmd_ack(struct sl_cli *cli, int argc, char **argv)
{
	const char *to = NULL;
	if (sl_cli_opt(argc, argv, "--to", &to) < 0 || to == NULL || *to == '\0') {
		fprintf(stderr, "usage: sluice ack --to FILE\n");
		return SL_EXIT_USAGE;
	}
	char *cause = NULL;
	struct sl_keys *k = sl_keys_open(cli->cfg->gnupg_home, 0, &cause);
	char fprs[1][41];
	if (k == NULL || sl_keys_signers(k, fprs, 1) != 1) {
		fprintf(stderr, "sluice: sluice's signing key (%s): %s\n", cli->cfg->gnupg_home,
			cause ? cause : "no active key (sluice init)");
		free(cause);
		sl_keys_free(k);
		return SL_EXIT_FAIL;
	}
	struct ackbuf b = { 0 };
	ack_add(&b, "sluice-ack\t1\nimporter\t%s\ncreated\t%lld\n", fprs[0], (long long)time(NULL));
	int rc = sl_catalog_bundle_imports(cli->cat, ack_last, &b);
	if (rc == 0)
		rc = sl_catalog_bundle_held(cli->cat, ack_held, &b);
	ack_add(&b, "end\n");
	char *sig = NULL;
	size_t siglen = 0;
	if (rc == 0 && b.err == 0)
		rc = sl_keys_sign(k, SL_SIGN_CLEAR, b.text, b.len, &sig, &siglen);
	if (rc == 0 && b.err == 0)
		rc = sl_fs_write_atomic(to, sig, siglen, 0644);
	sl_keys_free(k);
	free(sig);
	free(b.text);
	if (rc < 0 || b.err < 0) {
		fprintf(stderr, "sluice: ack: %s\n", sl_strerror(rc < 0 ? rc : b.err));
		return SL_EXIT_FAIL;
	}
	struct sl_audit_entry e = { .actor = cli->actor, .action = "ack", .reason = to };
	sl_catalog_audit_append(cli->cat, &e);
	if (!cli->json)
		printf("%s: acknowledgement written; carry it to the exporting sluice: sluice export --ack %s --to DIR\n",
		       to, to);
	return SL_EXIT_OK;
}
