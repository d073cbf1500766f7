/* bundle: transfer bundles across the air gap. The DMZ's `sluice export` writes signed, content-addressed
 * tar volumes (bundle_export.c); the inside's `sluice import` checks the exporter's signature before it reads
 * any object, streams every object through SHA-256 into its own store, rebuilds each source's candidate
 * snapshot from the manifest and hands it to the same settle step and verifier a sync uses, with the
 * inside's own configuration and keyrings (bundle_import.c); `sluice ack` tells the DMZ what the inside
 * holds, so the next export carries only what is new. The manifest format is core/bundle_manifest.h; the
 * catalogue's bookkeeping core/catalog_bundle.h.
 *
 * Volume layout (pax tar, uncompressed, written and read with libarchive): MANIFEST, MANIFEST.sig (the
 * exporter's detached, armored OpenPGP signature of MANIFEST), VOLUME ("SEQ K N"), objects/SHA256... in
 * digest order (those the manifest assigns to volume K), END ("K N_OBJECTS"). Every volume carries the whole
 * signed manifest, so each can be imported alone, in any order, more than once.
 *
 * Ownership: everything borrows the CLI context. Failure: each call prints its own errors (once) and
 * returns an exit code (admin/cli.h). */
#ifndef SL_BUNDLE_H
#define SL_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sl_cli;

struct sl_bundle_export_opts {
	char **sources;          /* NULL-terminated; empty: every configured source */
	const char *to;          /* directory for the volumes (created if absent) */
	const char *ack;         /* --ack FILE, or NULL */
	int64_t since;           /* --since SEQ, 0: none */
	uint64_t volume_size;    /* object bytes per volume; 0: one volume */
	bool approved_only;
};

int sl_bundle_export(struct sl_cli *cli, const struct sl_bundle_export_opts *o);
/* `export --check PATH...`: signature (keyring: `keyring`, else [import] keyring) and every object. */
int sl_bundle_check(struct sl_cli *cli, char **paths, const char *keyring);
/* `import PATH...` (volumes, or directories holding them). */
int sl_bundle_import(struct sl_cli *cli, char **paths);
/* `import --status`: bundles seen, which volumes and objects are still missing. */
int sl_bundle_import_status(struct sl_cli *cli);
/* For `sluice gc`: mark every object a bundle still waiting for volumes needs (its manifest, its objects,
 * the entries and build inputs it names), which no snapshot references yet. 0 or negative. */
int sl_bundle_gc_keep(struct sl_cli *cli);
/* `ack --to FILE`: signed by sluice's key. */
int sl_bundle_ack(struct sl_cli *cli, const char *to);

/* Progress on a terminal: bytes, rate, ETA, redrawn at most once a second (on stderr). */
struct sl_bundle_progress {
	bool on;
	const char *what;
	time_t started, last;
	uint64_t done, total;
};
void sl_bundle_progress_start(struct sl_bundle_progress *p, bool on, const char *what, uint64_t total);
void sl_bundle_progress_add(struct sl_bundle_progress *p, uint64_t n);
void sl_bundle_progress_end(struct sl_bundle_progress *p);

/* Volume file names: bundle-SEQ-K-of-N.tar (SEQ zero-padded so a directory lists in order). */
#define SL_BUNDLE_NAME_FMT "bundle-%06lld-%u-of-%u.tar"

#endif
