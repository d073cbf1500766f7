/* publish: turns an approved snapshot into the tree sluice-served shows, atomically.
 *
 * Published tree (STATE/public, the only directory served reads):
 *   public/<format>/<source>                -> symlink to ../.gen/<format>-<source>-<generation>
 *   public/.gen/<format>-<source>-<gen>/    one complete generation: hard links to store objects plus
 *                                           generated files (indices, Release, signatures)
 *   public/keys/sluice.asc                  sluice's public signing key(s)
 * A new generation is built beside the old one, then the symlink is replaced with one rename(2), so a
 * client sees the old or the new tree, never a mix. Old generations stay for [publish] grace, then go.
 *
 * The catalogue is the truth: approval moves the snapshot to 'published' and records the generation in
 * one transaction first; the symlink follows. sl_publish_reconcile() repairs a crash in between.
 * Each format provides a `struct sl_publisher` in the one table in publish.c. */
#ifndef SL_PUBLISH_H
#define SL_PUBLISH_H

#include <stdint.h>

struct sl_config;
struct sl_source;
struct sl_catalog;
struct sl_store;
struct sl_keys;

struct sl_publish_ctx {
	const struct sl_config *cfg;
	const struct sl_source *src;
	struct sl_catalog *cat;
	struct sl_store *store;
	struct sl_keys *keys;        /* may be NULL for formats that never sign (clamav, oci, apt verbatim) */
	const char *public_dir;      /* STATE/public */
};

struct sl_publisher {
	const char *format;          /* sl_format name */
	/* Fill `dir` (empty, created) with the snapshot's tree. */
	int (*build)(const struct sl_publish_ctx *ctx, int64_t snap_id, const char *dir, char **cause);
};

/* Build and switch to snapshot `snap_id`. `expect` is the state it must be in (pending for approve,
 * superseded/published for rollback). Records the transition and generation, supersedes the previous
 * publication, appends the audit entry (`action`, `actor`, `reason`), then switches the tree.
 * -SL_E_STATE when another admin got there first (nothing changed). */
int sl_publish_snapshot(const struct sl_publish_ctx *ctx, int64_t snap_id, int expect_state,
			const char *action, const char *actor, const char *reason, char **cause);
/* Make every source's symlink match the catalogue's published pointer; remove generations past grace. */
int sl_publish_reconcile(const struct sl_config *cfg, struct sl_catalog *cat, const char *public_dir);

#endif
