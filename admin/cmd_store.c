/* cmd_store: `verify` re-hashes store objects against the catalogue (bit rot, tampering); `gc` removes
 * objects that no remaining snapshot references. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin/bundle.h"
#include "admin/cli.h"
#include "admin/publish.h"
#include "core/catalog.h"
#include "core/catalog_bundle.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/store.h"
#include "core/strset.h"
#include "core/units.h"
#include "syncd/sync.h"

struct verify_arg {
	struct sl_cli *cli;
	struct sl_strset *checked;
	int64_t snap_id;
	uint64_t objects, bytes, missing, corrupt;
	json_t *problems;
	int err;
};

static void problem(struct verify_arg *va, const struct sl_entry *e, const char *kind, const char *what)
{
	char obj[SL_MAX_PATH] = "";
	sl_store_object_path(va->cli->store, e->sha256, obj, sizeof obj);
	if (va->problems != NULL)
		json_array_append_new(va->problems, json_pack("{s:I, s:s, s:s, s:s, s:s}", "snapshot",
							      (json_int_t)va->snap_id, "path", e->path, "sha256",
							      e->sha256, "object", obj, "problem", kind));
	else
		printf("snapshot %lld: %s: %s %s\n", (long long)va->snap_id, e->path, obj, what);
}

static int verify_entry(void *arg, const struct sl_entry *e)
{
	struct verify_arg *va = arg;
	int added = sl_strset_add(va->checked, e->sha256);
	if (added < 0) {
		va->err = added;
		return 1;
	}
	if (added == 0)
		return 0;
	uint64_t size = 0;
	/* Re-hash the bytes: a file name says nothing about what the file holds now. */
	int rc = sl_store_check(va->cli->store, e->sha256, &size);
	va->objects++;
	va->bytes += size;
	if (rc == -SL_E_NOTFOUND) {
		va->missing++;
		problem(va, e, "missing", "is MISSING from the store");
	} else if (rc == -SL_E_DIGEST) {
		va->corrupt++;
		problem(va, e, "corrupt", "is CORRUPT: its bytes no longer match their SHA-256");
	} else if (rc < 0) {
		va->err = rc;
		return 1;
	} else if (size != e->size) {
		va->corrupt++;
		problem(va, e, "size", "has the wrong size for its catalogue entry");
	}
	return 0;
}

struct ids {
	int64_t v[4096];
	unsigned n;
};

static int collect_kept(void *arg, const struct sl_snapshot_info *s)
{
	struct ids *ids = arg;
	if ((s->state == SL_SNAP_PENDING || s->state == SL_SNAP_PUBLISHED || s->state == SL_SNAP_SUPERSEDED) &&
	    ids->n < 4096)
		ids->v[ids->n++] = s->id;
	return 0;
}

static int collect_published(void *arg, const struct sl_snapshot_info *s)
{
	struct ids *ids = arg;
	if (s->state == SL_SNAP_PUBLISHED && ids->n < 4096)
		ids->v[ids->n++] = s->id;
	return 0;
}

int sl_cmd_verify(struct sl_cli *cli, int argc, char **argv)
{
	if (sl_cli_flag(argc, argv, "--chain"))
		return sl_cmd_verify_chain(cli, argc, argv);
	struct ids *ids = calloc(1, sizeof *ids);
	struct verify_arg va = { .cli = cli, .checked = sl_strset_new(), .problems = cli->json ? json_array() : NULL };
	if (ids == NULL || va.checked == NULL) {
		free(ids);
		sl_strset_free(va.checked);
		return SL_EXIT_FAIL;
	}
	const char *arg = sl_cli_positional(argc, argv, 0);
	int rc = 0;
	if (arg != NULL && sl_cli_flag(argc, argv, "--all")) {
		fprintf(stderr, "sluice verify: give --all or a SNAPSHOT, not both\n");
		rc = -SL_E_PARSE;
	} else if (arg != NULL) {
		struct sl_snapshot_info s;
		ids->v[0] = sl_cli_snapshot_id(arg);
		ids->n = ids->v[0] ? 1 : 0;
		if (ids->n == 0) {
			rc = -SL_E_PARSE;
		} else if (sl_catalog_snapshot_get(cli->cat, ids->v[0], &s) < 0) {
			fprintf(stderr, "sluice: verify: no snapshot %lld (see sluice snapshots)\n", (long long)ids->v[0]);
			rc = -SL_E_NOTFOUND;
		} else {
			sl_snapshot_info_release(&s);
		}
	} else {
		rc = sl_catalog_snapshots(cli->cat, 0, -1, sl_cli_flag(argc, argv, "--all") ? collect_kept : collect_published,
					  ids);
	}
	for (unsigned i = 0; rc == 0 && i < ids->n; i++) {
		va.snap_id = ids->v[i];
		rc = sl_catalog_snapshot_entries(cli->cat, ids->v[i], verify_entry, &va);
		if (rc > 0 || va.err < 0)
			rc = va.err < 0 ? va.err : -SL_E_CATALOG;
	}
	sl_strset_free(va.checked);
	unsigned nsnap = ids->n;
	free(ids);
	if (rc < 0) {
		json_decref(va.problems);
		if (rc == -SL_E_PARSE)
			return SL_EXIT_USAGE;
		if (rc != -SL_E_NOTFOUND)
			fprintf(stderr, "sluice: verify: %s\n", sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	bool bad = va.missing + va.corrupt > 0;
	char size[32];
	sl_units_format_size(va.bytes, size, sizeof size);
	if (cli->json)
		sl_cli_json_out(json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "snapshots", (json_int_t)nsnap, "objects",
					  (json_int_t)va.objects, "bytes", (json_int_t)va.bytes, "missing",
					  (json_int_t)va.missing, "corrupt", (json_int_t)va.corrupt, "problems", va.problems));
	else
		printf("%u snapshot(s), %llu object(s), %s re-hashed: %llu missing, %llu corrupt\n", nsnap,
		       (unsigned long long)va.objects, size, (unsigned long long)va.missing,
		       (unsigned long long)va.corrupt);
	if (bad && !cli->json)
		fprintf(stderr, "sluice: verification FAILED: snapshots naming these objects cannot be published or "
				"rolled back to as they are. Move corrupt objects out of the store, then restore them "
				"from a backup of %s/store, or let the next sync of the source fetch them again.\n",
			cli->cfg->state_dir);
	return bad ? SL_EXIT_VERIFY : SL_EXIT_OK;
}

struct gc_arg {
	struct sl_cli *cli;
	bool dry_run;
	uint64_t kept, removed, bytes, stray;
	uint64_t held_bytes;   /* of removed objects still hard linked from a generation within grace */
	int err;
};

static int gc_cb(void *arg, const char *sha256, const char *path)
{
	struct gc_arg *ga = arg;
	if (sha256 == NULL) {
		ga->stray++;
		fprintf(stderr, "sluice: gc: %s is not a store object (left alone; investigate)\n", path);
		return 0;
	}
	bool used = true;
	int rc = sl_catalog_digest_referenced(ga->cli->cat, sha256, &used);
	if (rc == 0 && !used)
		rc = sl_catalog_bundle_gc_kept(ga->cli->cat, sha256, &used);   /* a bundle awaiting volumes */
	if (rc < 0) {
		ga->err = rc;
		return 1;
	}
	if (used) {
		ga->kept++;
		return 0;
	}
	/* A published generation (old ones stay for [publish] grace) hard links objects: their blocks are
	 * freed only when the last link goes, so say how much is still held that way. */
	struct stat st;
	if (stat(path, &st) == 0) {
		if (st.st_nlink > 1)
			ga->held_bytes += (uint64_t)st.st_size;
		else
			ga->bytes += (uint64_t)st.st_size;
	}
	ga->removed++;
	if (!ga->dry_run) {
		rc = sl_store_remove(ga->cli->store, sha256);
		if (rc < 0) {
			ga->err = rc;
			return 1;
		}
	}
	return 0;
}

int sl_cmd_gc(struct sl_cli *cli, int argc, char **argv)
{
	/* A running sync has objects in the store that it catalogues only at its end: hold every source's
	 * sync lock so none can be mistaken for garbage. */
	int locks[SL_MAX_SOURCES];
	size_t nlocks = 0;
	for (size_t i = 0; i < cli->cfg->nsources; i++) {
		int fd = sl_sync_lock(cli->cfg, cli->cfg->sources[i].name);
		if (fd < 0) {
			fprintf(stderr, "sluice: gc: source %s is syncing right now; try again when it is done\n",
				cli->cfg->sources[i].name);
			for (size_t k = 0; k < nlocks; k++)
				sl_sync_unlock(locks[k]);
			return SL_EXIT_FAIL;
		}
		locks[nlocks++] = fd;
	}
	struct gc_arg ga = { .cli = cli, .dry_run = sl_cli_flag(argc, argv, "--dry-run") };
	int kr = sl_bundle_gc_keep(cli);
	if (kr < 0) {
		fprintf(stderr, "sluice: gc: cannot list what bundles awaiting volumes need: %s\n", sl_strerror(kr));
		for (size_t k = 0; k < nlocks; k++)
			sl_sync_unlock(locks[k]);
		return SL_EXIT_FAIL;
	}
	/* Old generations past grace go first (reconcile does that, and repairs a half-switched publication),
	 * so the objects only they held are really freed. */
	if (!ga.dry_run) {
		int rr = sl_publish_reconcile(cli->cfg, cli->cat, cli->public_dir);
		if (rr < 0)
			sl_log_warn(NULL, "gc: reconciling %s: %s (continuing)", cli->public_dir, sl_strerror(rr));
	}
	int rc = sl_store_foreach(cli->store, gc_cb, &ga);
	for (size_t k = 0; k < nlocks; k++)
		sl_sync_unlock(locks[k]);
	if (rc < 0 || ga.err < 0) {
		fprintf(stderr, "sluice: gc: %s\n", sl_strerror(ga.err < 0 ? ga.err : rc));
		return SL_EXIT_FAIL;
	}
	char size[32], held[32];
	sl_units_format_size(ga.bytes, size, sizeof size);
	sl_units_format_size(ga.held_bytes, held, sizeof held);
	if (cli->json) {
		sl_cli_json_out(json_pack("{s:b, s:I, s:I, s:I, s:I, s:I}", "dry_run", ga.dry_run, "kept",
					  (json_int_t)ga.kept, "removed", (json_int_t)ga.removed, "bytes_freed",
					  (json_int_t)ga.bytes, "bytes_held_by_generations", (json_int_t)ga.held_bytes,
					  "stray", (json_int_t)ga.stray));
		return SL_EXIT_OK;
	}
	printf("%s%llu object(s) unreferenced, %s %s; %llu kept\n", ga.dry_run ? "dry run: " : "",
	       (unsigned long long)ga.removed, size, ga.dry_run ? "would be freed" : "freed",
	       (unsigned long long)ga.kept);
	if (ga.held_bytes > 0)
		printf("%s more %s freed when old published generations expire ([publish] grace)\n", held,
		       ga.dry_run ? "would be" : "will be");
	return SL_EXIT_OK;
}
