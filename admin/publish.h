/* publish: turns an approved snapshot into the tree sluice-served shows, atomically.
 *
 * Published tree (STATE/public, the only directory served reads):
 *   public/<format>/<source>                -> symlink to ../.gen/<format>-<source>-<generation>
 *   public/.gen/<format>-<source>-<gen>/    one complete generation: hard links to store objects plus
 *                                           generated files (indices, Release, signatures)
 *   public/.gen/.build-<format>-<source>-*  a generation being built (renamed to its final name inside
 *                                           the catalogue transaction that publishes it)
 *   public/.lock                            flock(2) serialising switches and reconcile
 *   public/keys/sluice.asc                  sluice's public signing key(s), refreshed from ctx->keys by
 *                                           every publication that has keys, before its switch
 * A new generation is built beside the old one, then the symlink is replaced with one rename(2), so a
 * client sees the old or the new tree, never a mix. Old generations stay for [publish] grace after they
 * stop being shown (their directory mtime records when), then go.
 *
 * The catalogue is the truth: approval moves the snapshot to 'published' and records the generation in
 * one transaction first; the symlink follows. sl_publish_reconcile() repairs a crash in between.
 * Each format provides a `struct sl_publisher` (sl_<format>_publisher), reached through its row in core/format.c.
 *
 * Files in a generation are hard links to store objects, so STATE/store and STATE/public must be on one
 * filesystem, and the publishing user must be allowed to link the objects (fs.protected_hardlinks: own
 * them, or have read and write access). Failures return a negative code with a heap *cause naming the
 * snapshot, entry path or directory; nothing half-built is ever visible. */
#ifndef SL_PUBLISH_H
#define SL_PUBLISH_H

#include <stdbool.h>
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
	/* Fill `dir` (empty, created) with the snapshot's tree. Must not touch anything outside `dir`
	 * except the source's format state in the catalogue (outside any transaction). */
	int (*build)(const struct sl_publish_ctx *ctx, int64_t snap_id, const char *dir, char **cause);
	/* Whether publishing this source signs with sluice's key (ctx->keys must then be set). NULL: never. */
	bool (*needs_key)(const struct sl_source *src);
};


/* Build and switch to snapshot `snap_id`. `expect` is the state it must be in (pending for approve,
 * superseded for rollback, published to re-publish the current snapshot with fresh signatures).
 * Records the transition and generation, supersedes the previous publication, appends the audit entry
 * (`action`, `actor`, `reason`), then switches the tree.
 * -SL_E_STATE when another admin got there first (nothing changed, no generation left behind);
 * -SL_E_NOTFOUND when the snapshot does not exist or belongs to another source;
 * -SL_E_UNSUPPORTED when the source's format has no publisher; build errors as the publisher says.
 * After the commit, a failed symlink switch is logged and returned; sl_publish_reconcile() repairs it. */
int sl_publish_snapshot(const struct sl_publish_ctx *ctx, int64_t snap_id, int expect_state,
			const char *action, const char *actor, const char *reason, char **cause);

/* Make every configured source's symlink match the catalogue's published pointer (removing the symlink
 * of a source with nothing published); remove generations and abandoned builds no symlink points to
 * once they are older than [publish] grace (at least SL_PUBLISH_MIN_AGE_S). Keeps going after a
 * per-source error and returns the first one. */
int sl_publish_reconcile(const struct sl_config *cfg, struct sl_catalog *cat, const char *public_dir);

#define SL_PUBLISH_MIN_AGE_S 60   /* s: an unreferenced generation younger than this may be mid-switch */

#endif
