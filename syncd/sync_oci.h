/* sync_oci: the OCI syncer. Resolves every `images =` item (tags, tag patterns through the tag list,
 * pinned digests) with manifest HEADs only, plus each image's cosign tag sha256-<hex>.sig when present;
 * when every tag points where it pointed after the last verified sync (and the configuration is the
 * same), it downloads nothing. Otherwise it builds a complete snapshot: manifests by digest (the exact
 * bytes, re-hashed, at most 4 MiB, known media types), index children narrowed to `platforms`, and every
 * config and layer blob into the content store (digest and size enforced; objects already in the store
 * are not fetched again). Those digest and size checks while downloading are an early reject: bytes that
 * contradict their parent never enter the store, and the refusal is recorded with sl_sync_check(). With
 * `signed_by`, every signature of each image in the lookaside at `url`
 * (<url>/<repo>@sha256=<hex>/signature-N, until the first 404) is fetched too. The syncer then seals the
 * snapshot; the trust decision — the hash chain from every reference to every blob, platform narrowing,
 * simple-signing and cosign signatures — is verify/oci_image.c's, from the entries below alone.
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
 *   <repo>/_signatures/<hex>/signature-<n>  role "signature": the lookaside's simple-signing signatures
 *                                 as found (numbered as upstream), published in the lookaside layout
 *   <repo>/_evidence/<hex>        role "evidence": the bytes of an index narrowed to one platform (the
 *                                 digest the reference and its signatures name); meta {"repo",
 *                                 "media_type"[,"pinned":true]}. Not published (admin/publish_oci.c).
 *   _catalog                      role "catalog": repository names, one per line, sorted
 * Catalogue state SL_OCI_STATE_KEY (verify/oci_state.h): what the last accepted snapshot's references
 * resolved to, for the HEAD-only unchanged check; read here, written by the verifier's `accept`. */
#ifndef SL_SYNC_OCI_H
#define SL_SYNC_OCI_H

#include "syncd/sync.h"

extern const struct sl_syncer sl_oci_syncer;

#endif
