/* bundle_int: what the import side's files share (bundle_import.c reads volumes, bundle_land.c turns a
 * complete bundle into settled snapshots and reports progress, cmd_bundle.c drives both). Internal to admin/.
 *
 * Ownership: struct sl_bundle_imp is one `sluice import` (or `export --check`) run; it borrows the CLI
 * context and owns gpg, buf and, for a check, its temporary GnuPG home. */
#ifndef SL_BUNDLE_INT_H
#define SL_BUNDLE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "admin/bundle.h"
#include "core/limits.h"

struct sl_bundle_imp {
	struct sl_cli *cli;
	struct sl_store *store;          /* NULL: export --check (nothing is kept) */
	struct sl_gpg *gpg;              /* the exporters' keys ([import] keyring) */
	const char *keyring;
	char home[SL_MAX_PATH];
	bool temp_home;
	int64_t max_age_s;
	char *buf;                       /* SL_BUNDLE_COPY_BYTES */
	struct sl_bundle_progress prog;
	uint64_t new_objects, new_bytes;
	int exit;                        /* worst exit code of the landings (SL_EXIT_*) */
	json_t *results;                 /* --json: one object per source landed */
};

/* The stored manifest `sha` as a read-only stream (its bytes were hashed when stored); NULL if absent. */
FILE *sl_bundle_open_stored(struct sl_bundle_imp *im, const char *sha);
/* When every object of the bundle is in the store: build, settle and (auto-)approve each source's
 * candidate, then mark the bundle landed. Prints what is still missing otherwise. 0 or negative. */
int sl_bundle_land(struct sl_bundle_imp *im, const char *exporter, int64_t seq, const char *manifest_sha);
/* Heap paths of the *.tar files in dir. */
int sl_bundle_list_dir(const char *dir, char ***names, size_t *n);
/* Bytes of a volume, or of the *.tar files of a directory (for progress); 0 when unknown. */
uint64_t sl_bundle_path_bytes(const char *path);

#endif
