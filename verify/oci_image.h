/* oci_image: the OCI verifier — decides whether a candidate snapshot of an OCI source is an authentic copy
 * of the images it names, from its entries (as laid out by syncd/sync_oci.h) and the store alone:
 *   - every manifest and index is the exact bytes its digest names ("manifest-digest"), parses as a
 *     manifest kind sluice knows, with the media type its .type entry publishes ("manifest-format");
 *   - every child an index keeps under the source's `platforms` is in the snapshot with the size
 *     ("manifest-size") and media type ("manifest-type") the index's descriptor declares; a narrowed tag's
 *     index (role "evidence") narrows to exactly the manifest the tag publishes ("platform");
 *   - every config and layer of a manifest is a blob entry with the declared digest and size
 *     ("blob-digest": ARRIVAL trusts the store's commit-time hash and checks the size; RECHECK re-hashes);
 *   - every tag points at a manifest of the snapshot ("tag");
 *   - `cosign_key`: each image has a sha256-<hex>.sig tag whose signature verifies over a payload naming
 *     this repository and digest ("cosign-signature"); `signed_by`: at least one of the image's lookaside
 *     signatures (entries <repo>/_signatures/<hex>/signature-N, fetched by the syncer) is a good simple-
 *     signing signature by the keyring naming this image ("simple-signing", with the signer).
 * Passing manifest and blob checks are summarised in one record each ("manifests", "blobs"); every
 * failure is its own record. Platform policy is a configuration decision made at arrival: RECHECK checks
 * the children a published index kept, and does not ask for the ones today's `platforms` would keep.
 * `accept` records the resolved references for the syncer's unchanged shortcut (verify/oci_state.h).
 *
 * Ownership and failure: see verify/verifier.h. When the first failure is a signature, *cause says so
 * in the words `sluice sync` always used ("<image>: cosign signature refused: <why>"). */
#ifndef SL_OCI_IMAGE_H
#define SL_OCI_IMAGE_H

#include "verify/verifier.h"

extern const struct sl_verifier sl_oci_verifier;

#endif
