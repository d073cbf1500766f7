/* sync_oci: the OCI syncer. Resolves every `images =` item (tags, tag patterns through the tag list,
 * pinned digests) with manifest HEADs only, plus each image's cosign tag sha256-<hex>.sig when present;
 * when every tag points where it pointed after the last verified sync (and the configuration is the
 * same), it downloads nothing. Otherwise it builds a complete snapshot: manifests by digest (the exact
 * bytes, re-hashed, at most 4 MiB, known media types), index children narrowed to `platforms`, and every
 * config and layer blob into the content store (digest and size enforced; objects already in the store
 * are not fetched again). With `signed_by`, each image needs a good simple-signing signature from the
 * lookaside at `url` (<url>/<repo>@sha256=<hex>/signature-N); with `cosign_key`, a good cosign signature.
 * Any refusal fails the snapshot with the reason (catalogue verification records and `sluice sync`).
 *
 * Platform narrowing of an index: all platforms kept -> the index and all its children, byte-identical;
 * exactly one kept -> the tag points at that platform's manifest (a single-arch image; the index is not
 * published); several but not all -> the index is kept (its digest cannot change without re-serialising)
 * with only the kept children and their blobs, so the others are MANIFEST_UNKNOWN; none -> refused.
 * Attestation children (platform unknown/unknown) count as no platform and go with the index only.
 *
 * Snapshot entries (the published tree; admin/publish_oci.h links each at its path):
 *   <repo>/_tags/<tag>            role "tag": "<hex>\n"; meta {"repo","tag","digest","media_type",
 *                                 "platforms":[...]} (+ "index" when narrowed, "signature_of" for .sig tags)
 *   <repo>/_manifests/<hex>       role "manifest": the bytes as received (meta {"repo"[,"pinned":true]})
 *   <repo>/_manifests/<hex>.type  role "manifest-type": the media type and "\n"
 *   <repo>/_blobs/<hex>           role "blob": every config and layer of the repo's published manifests
 *   <repo>/_signatures/<hex>/signature-<n>  role "signature": verified simple-signing signatures
 *   _catalog                      role "catalog": repository names, one per line, sorted
 * Catalogue state "oci.tags": the tag -> digest map and configuration fingerprint of the last verified
 * sync, for the HEAD-only unchanged check. */
#ifndef SL_SYNC_OCI_H
#define SL_SYNC_OCI_H

#include "syncd/sync.h"

#define SL_SYNC_OCI_STATE_KEY "oci.tags"

extern const struct sl_syncer sl_oci_syncer;

#endif
