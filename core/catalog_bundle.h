/* catalog_bundle: the catalogue's record of transfer bundles (schemas/003_bundles.sql). Export side: the
 * sequence (only grows), which snapshots each bundle carried and which its base says the inside holds, and
 * the objects still to carry, computed in SQL so no object list is held in memory. Import side: each
 * (exporter, sequence) seen, its volumes, and per source the candidate built from it, so an import that was
 * killed resumes and a replayed bundle never makes a new snapshot.
 *
 * Ownership: borrows the catalogue; strings given to callbacks are valid for the call.
 * Failure: 0 or -SL_E_CATALOG (logged), -SL_E_NOTFOUND where said, -ENOMEM. */
#ifndef SL_CATALOG_BUNDLE_H
#define SL_CATALOG_BUNDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/catalog.h"
#include "core/digest.h"

struct sl_catalog;

/* ---- export ---- */
/* A new bundle in state 'writing'; *seq gets its sequence (never reused, even after a failed export). */
int sl_catalog_bundle_export_begin(struct sl_catalog *c, const char *exporter, const char *base, int64_t *seq);
/* Note a snapshot the bundle carries (held = false) or that the inside already holds (held = true). */
int sl_catalog_bundle_export_snapshot(struct sl_catalog *c, int64_t seq, int64_t snap_id, bool held);
/* --since S: every snapshot carried by written bundles up to S counts as held by the inside. */
int sl_catalog_bundle_export_since(struct sl_catalog *c, int64_t seq, int64_t since);
/* Is `since` a written bundle of this catalogue? */
int sl_catalog_bundle_export_known(struct sl_catalog *c, int64_t since, bool *known);
/* Distinct objects of the carried snapshots that no held snapshot has, by digest. cb non-zero stops. */
int sl_catalog_bundle_export_objects(struct sl_catalog *c, int64_t seq,
				     int (*cb)(void *arg, const char *sha256, uint64_t size), void *arg);
int sl_catalog_bundle_export_done(struct sl_catalog *c, int64_t seq, const char *manifest_digest, uint64_t n_objects,
				  uint64_t bytes, unsigned volumes);
/* The base a delta of `source_id` is written against: the newest snapshot of that source the bundle's held
 * set names that still exists here; *snap_id 0 when none (the source then travels whole). */
int sl_catalog_bundle_export_base(struct sl_catalog *c, int64_t seq, int64_t source_id, int64_t *snap_id);
/* A snapshot's entries as changes against base, in bytewise path order: each entry added or changed (with
 * base_sha256 the base's digest at that path, NULL when the path is new), and each path the base has and
 * the snapshot does not (e->sha256 NULL: dropped). *n_out (if not NULL) gets the count before any call;
 * cb NULL: only the count. cb non-zero stops and is returned. */
int sl_catalog_bundle_export_changes(struct sl_catalog *c, int64_t snap_id, int64_t base_id, uint64_t *n_out,
				     int (*cb)(void *arg, const struct sl_entry *e, const char *base_sha256),
				     void *arg);
/* The snapshot of `source_id` whose content digest is `digest` and that still exists: *snap_id or 0. */
int sl_catalog_bundle_snapshot_by_digest(struct sl_catalog *c, const char *source, int64_t snap_id,
					 const char *digest, bool *exists);

/* ---- import ---- */
struct sl_bundle_import {
	char exporter[41];
	int64_t seq;
	char manifest_digest[SL_SHA256_HEX];
	int64_t created_at, valid_until, first_seen, landed_at;
	unsigned volumes;
	bool landed;
};
/* -SL_E_NOTFOUND when this (exporter, seq) was never seen. */
int sl_catalog_bundle_import_get(struct sl_catalog *c, const char *exporter, int64_t seq, struct sl_bundle_import *out);
/* Insert if new (state receiving); an existing row is left alone. */
int sl_catalog_bundle_import_add(struct sl_catalog *c, const struct sl_bundle_import *b);
/* Highest landed sequence of the exporter; 0 when none. */
int sl_catalog_bundle_import_last(struct sl_catalog *c, const char *exporter, int64_t *seq);
int sl_catalog_bundle_import_volume(struct sl_catalog *c, const char *exporter, int64_t seq, unsigned volume);
/* Is volume k recorded? */
int sl_catalog_bundle_import_has_volume(struct sl_catalog *c, const char *exporter, int64_t seq, unsigned volume,
					bool *has);
int sl_catalog_bundle_import_landed(struct sl_catalog *c, const char *exporter, int64_t seq);
/* Per source: the candidate (0: none yet) and verdict ("" when none). */
int sl_catalog_bundle_source_get(struct sl_catalog *c, const char *exporter, int64_t seq, const char *source,
				 int64_t *snap_id, char *verdict, size_t cap);
int sl_catalog_bundle_source_set(struct sl_catalog *c, const char *exporter, int64_t seq, const char *source,
				 int64_t remote_snapshot, const char *content_digest, int64_t snap_id,
				 const char *verdict);
/* Every bundle seen (landed or not), oldest first. */
int sl_catalog_bundle_imports(struct sl_catalog *c, int (*cb)(void *arg, const struct sl_bundle_import *b),
			      void *arg);
/* The inside's copy of a delta's base: a snapshot of source_id with that content digest, verified ones
 * (pending, published, superseded) first, then verified or rejected ones, newest first; never a failed
 * one (its objects may be missing). -SL_E_NOTFOUND when none is left (gc). */
int sl_catalog_bundle_find_base(struct sl_catalog *c, int64_t source_id, const char *digest, int64_t *snap_id);
/* A delta's candidate starts as a copy of its base's entries (in the caller's transaction)... */
int sl_catalog_bundle_copy_entries(struct sl_catalog *c, int64_t from_snap, int64_t to_snap);
/* ... then loses the paths the delta drops. -SL_E_NOTFOUND when the path was not there. */
int sl_catalog_bundle_drop_entry(struct sl_catalog *c, int64_t snap_id, const char *path);
/* `sluice gc` must not take objects of bundles still waiting for volumes (nothing references them yet):
 * keep marks one for this connection, kept asks. */
int sl_catalog_bundle_gc_keep(struct sl_catalog *c, const char *sha256);
int sl_catalog_bundle_gc_kept(struct sl_catalog *c, const char *sha256, bool *kept);

/* What the inside holds, for an acknowledgement: per imported source, the exporter's snapshot identity of
 * every candidate that still exists here and verified (pending, published or superseded). */
int sl_catalog_bundle_held(struct sl_catalog *c,
			   int (*cb)(void *arg, const char *exporter, const char *source, int64_t remote_snapshot,
				     const char *content_digest),
			   void *arg);

#endif
