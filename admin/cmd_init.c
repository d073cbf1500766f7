/* cmd_init: `sluice init` (state directory, catalogue, store, signing key) and `sluice keys`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/cli.h"
#include "admin/keys.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"

#define KEY_UID_FMT "sluice repository signing key <sluice@%s>"

/* Write the active signers' public keys where sluice-served shows them (/keys/sluice.asc). */
static int export_public(struct sl_cli *cli, struct sl_keys *keys)
{
	char dir[SL_MAX_PATH + 8], path[SL_MAX_PATH + 32];
	snprintf(dir, sizeof dir, "%s/keys", cli->public_dir);
	snprintf(path, sizeof path, "%s/sluice.asc", dir);
	char *armor = NULL;
	size_t len = 0;
	int rc = sl_keys_export(keys, &armor, &len);
	if (rc == 0)
		rc = sl_fs_mkdirs(dir, 0755);
	if (rc == 0)
		rc = sl_fs_write_atomic(path, armor, len, 0644);
	free(armor);
	if (rc < 0)
		fprintf(stderr, "sluice: cannot export the public key to %s: %s\n", path, sl_strerror(rc));
	return rc;
}

/* Key changes go to the audit log like decisions. The fingerprint (40 hex digits) is not a content
 * digest, so it leads the reason: "key FPR: why". */
static int audit(struct sl_cli *cli, const char *action, const char *fpr, const char *why)
{
	char reason[256];
	snprintf(reason, sizeof reason, "key %s: %s", fpr, why);
	struct sl_audit_entry e = { .actor = cli->actor, .action = action, .reason = reason };
	int rc = sl_catalog_audit_append(cli->cat, &e);
	if (rc < 0)
		fprintf(stderr, "sluice: %s of key %s done, but the audit log (%s/catalog.db) could not record it: %s\n",
			action, fpr, cli->cfg->state_dir, sl_strerror(rc));
	return rc;
}

static int create_key(struct sl_cli *cli, struct sl_keys *keys, char fpr[41])
{
	char host[128] = "localhost", uid[256];
	gethostname(host, sizeof host - 1);
	snprintf(uid, sizeof uid, KEY_UID_FMT, host);
	int rc = sl_keys_create(keys, uid, 0, fpr);
	if (rc < 0)
		fprintf(stderr, "sluice: cannot create a signing key in %s: %s\n", cli->cfg->gnupg_home, sl_strerror(rc));
	return rc;
}

int sl_cmd_init(struct sl_cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < cli->cfg->nsources; i++) {
		int64_t id;
		const struct sl_source *src = &cli->cfg->sources[i];
		if (sl_catalog_source_ensure(cli->cat, src->name, src->format->name, &id) < 0) {
			fprintf(stderr, "sluice: cannot register source %s in the catalogue\n", src->name);
			return SL_EXIT_FAIL;
		}
	}
	if (sl_fs_mkdirs(cli->cfg->gnupg_home, 0700) < 0 || sl_fs_mkdirs(cli->public_dir, 0755) < 0) {
		fprintf(stderr, "sluice: cannot create %s or %s\n", cli->cfg->gnupg_home, cli->public_dir);
		return SL_EXIT_FAIL;
	}
	/* sluice-syncd (group sluice, never the key owner) queues approve = auto snapshots in run/auto-approve
	 * for sluice-auto-approve.service: group-writable and setgid, so both accounts share the files. */
	char run[SL_MAX_PATH + 32], queue[SL_MAX_PATH + 48];
	snprintf(run, sizeof run, "%s/run", cli->cfg->state_dir);
	snprintf(queue, sizeof queue, "%s/auto-approve", run);
	if (sl_fs_mkdirs(queue, 02770) < 0 || chmod(run, 02770) != 0 || chmod(queue, 02770) != 0) {
		fprintf(stderr, "sluice: cannot create %s (mode 2770): %s\n", queue, strerror(errno));
		return SL_EXIT_FAIL;
	}
	char *cause = NULL;
	struct sl_keys *keys = sl_keys_open(cli->cfg->gnupg_home, 1, &cause);
	if (keys == NULL) {
		fprintf(stderr, "sluice: signing keys in %s: %s\n", cli->cfg->gnupg_home, cause ? cause : "unavailable");
		free(cause);
		return SL_EXIT_FAIL;
	}
	char fprs[4][41];
	int n = sl_keys_signers(keys, fprs, 4);
	bool created = false;
	if (n == 0) {
		if (create_key(cli, keys, fprs[0]) < 0) {
			sl_keys_free(keys);
			return SL_EXIT_FAIL;
		}
		n = 1;
		created = true;
		if (audit(cli, "key-create", fprs[0], "sluice init") < 0) {
			sl_keys_free(keys);
			return SL_EXIT_FAIL;
		}
	}
	int rc = export_public(cli, keys);
	sl_keys_free(keys);
	if (rc < 0 || n < 0)
		return SL_EXIT_FAIL;
	if (cli->json) {
		sl_cli_json_out(json_pack("{s:s, s:s, s:s, s:b}", "state_dir", cli->cfg->state_dir, "fingerprint", fprs[0],
					  "public_key_path", "/keys/sluice.asc", "created", created));
		return SL_EXIT_OK;
	}
	printf("state directory   %s\n", cli->cfg->state_dir);
	printf("signing key       %s%s\n", fprs[0], created ? " (new)" : " (existing)");
	printf("public key        served at http://%s/keys/sluice.asc\n", cli->cfg->listen);
	printf("                  clients: curl -o /etc/apt/keyrings/sluice.asc http://%s/keys/sluice.asc\n",
	       cli->cfg->listen);
	return SL_EXIT_OK;
}

int sl_cmd_keys(struct sl_cli *cli, int argc, char **argv)
{
	const char *sub = sl_cli_positional(argc, argv, 0);
	if (sub == NULL)
		sub = "show";
	char *cause = NULL;
	struct sl_keys *keys = sl_keys_open(cli->cfg->gnupg_home, 0, &cause);
	if (keys == NULL) {
		fprintf(stderr, "sluice: signing keys in %s: %s (run sluice init)\n", cli->cfg->gnupg_home,
			cause ? cause : "unavailable");
		free(cause);
		return SL_EXIT_FAIL;
	}
	int code = SL_EXIT_OK;
	char fprs[8][41];
	if (strcmp(sub, "show") == 0) {
		int n = sl_keys_signers(keys, fprs, 8);
		json_t *arr = cli->json ? json_array() : NULL;
		for (int i = 0; i < n; i++) {
			if (arr != NULL)
				json_array_append_new(arr, json_string(fprs[i]));
			else
				printf("%s%s\n", fprs[i], i == 0 ? "  (newest)" : "  (still signing: rotation overlap)");
		}
		if (arr != NULL)
			sl_cli_json_out(arr);
	} else if (strcmp(sub, "export") == 0) {
		char *armor = NULL;
		size_t len = 0;
		if (sl_keys_export(keys, &armor, &len) < 0)
			code = SL_EXIT_FAIL;
		else if (cli->json)
			sl_cli_json_out(json_pack("{s:s%}", "armor", armor, len));
		else
			fwrite(armor, 1, len, stdout);
		if (code != SL_EXIT_OK)
			fprintf(stderr, "sluice: keys export: cannot export from %s\n", cli->cfg->gnupg_home);
		free(armor);
	} else if (strcmp(sub, "rotate") == 0) {
		char fpr[41];
		if (create_key(cli, keys, fpr) < 0 || export_public(cli, keys) < 0) {
			code = SL_EXIT_FAIL;
		} else {
			if (audit(cli, "key-rotate", fpr, "new signing key; old and new sign during the overlap") < 0)
				code = SL_EXIT_FAIL;
			else if (cli->json)
				sl_cli_json_out(json_pack("{s:s, s:s}", "result", "rotated", "fingerprint", fpr));
			else
				printf("new signing key %s; both keys sign from the next publication on.\n"
				       "Distribute /keys/sluice.asc to clients, then: sluice keys retire OLD-FINGERPRINT\n",
				       fpr);
		}
	} else if (strcmp(sub, "retire") == 0) {
		const char *fpr = sl_cli_positional(argc, argv, 1);
		int rc = fpr ? sl_keys_retire(keys, fpr) : -SL_E_PARSE;
		if (rc < 0) {
			fprintf(stderr, "sluice: keys retire %s: %s\n", fpr ? fpr : "(fingerprint required)", sl_strerror(rc));
			code = fpr ? SL_EXIT_FAIL : SL_EXIT_USAGE;
		} else if (export_public(cli, keys) < 0) {
			code = SL_EXIT_FAIL;
		} else {
			if (audit(cli, "key-retire", fpr, "rotation overlap ended") < 0)
				code = SL_EXIT_FAIL;
			else if (cli->json)
				sl_cli_json_out(json_pack("{s:s, s:s}", "result", "retired", "fingerprint", fpr));
			else
				printf("key %s retired; it no longer signs (clients fetch the new /keys/sluice.asc)\n", fpr);
		}
	} else {
		fprintf(stderr, "usage: sluice keys [show|export|rotate|retire FINGERPRINT]\n");
		code = SL_EXIT_USAGE;
	}
	sl_keys_free(keys);
	return code;
}
