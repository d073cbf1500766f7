/* bundle_delta: how a delta bundle carries a changed index as a small patch instead of whole. On the way
 * out (export), an object that replaces another at the same path of a source the inside already holds is
 * a candidate: plain bytes get a patch (core/delta.h); compressed bytes are rebuilt on the inside by
 * unpacking the old object, patching, and packing again with parameters that reproduce the exporter's
 * bytes exactly (core/recompress.h). On the way in (import), those builds run before anything lands; each
 * result is stored only if it hashes to the digest the signed manifest names, so a build can fail (an
 * older zlib on the inside) but never produce different content.
 *
 * Ownership: a plan borrows the store; patches it makes are store objects (unreferenced until gc), carried
 * like any other object. Failure: 0 or negative with *cause. A candidate that cannot be made smaller
 * (patch too large, compression not reproducible) is simply carried whole; that is not a failure. */
#ifndef SL_BUNDLE_DELTA_H
#define SL_BUNDLE_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/bundle_manifest.h"

struct sl_store;
struct sl_bundle_plan;

/* rebuild_compressed: compressed objects may be rebuilt by recompressing (memory: the compressor's, e.g.
 * ~32 MiB for xz -3, ~94 MiB for xz -6, on both sides); false: only plain objects get patches. */
struct sl_bundle_plan *sl_bundle_plan_new(struct sl_store *store, bool rebuild_compressed);
void sl_bundle_plan_free(struct sl_bundle_plan *p);
/* Object `target` (size bytes) replaces `base` at one path of a delta source. */
int sl_bundle_plan_candidate(struct sl_bundle_plan *p, const char *target, uint64_t size, const char *base);
/* Every object the bundle would carry: only carried candidates are worth a build. */
int sl_bundle_plan_carried(struct sl_bundle_plan *p, const char *sha256);
/* Make the patches and the build list. */
int sl_bundle_plan_make(struct sl_bundle_plan *p, char **cause);
/* Is this object made on the inside (so not carried)? */
bool sl_bundle_plan_replaced(const struct sl_bundle_plan *p, const char *sha256);
/* Patches to carry as objects, in digest order (i < count). */
size_t sl_bundle_plan_patches(const struct sl_bundle_plan *p);
const struct sl_bundle_object *sl_bundle_plan_patch(const struct sl_bundle_plan *p, size_t i);
/* The builds, in the order they must run. */
size_t sl_bundle_plan_builds(const struct sl_bundle_plan *p);
const struct sl_bundle_build *sl_bundle_plan_build(const struct sl_bundle_plan *p, size_t i);
/* Carried objects the inside builds instead, and the bytes that spares the bundle (those objects' sizes
 * less the patches'). */
size_t sl_bundle_plan_targets(const struct sl_bundle_plan *p);
uint64_t sl_bundle_plan_saved(const struct sl_bundle_plan *p);

/* Import: run the manifest's builds (manifest: a stream at its start) whose target is not in the store
 * yet. *built counts those made. A build whose input is not here is skipped (its source is not landed
 * here, or this side lacks the base: the landing then names what is missing). A build whose input does
 * not decode, or whose result does not hash to its target, is an error naming the target and the step. */
int sl_bundle_builds_run(struct sl_store *store, FILE *manifest, uint64_t *built, char **cause);

#endif
