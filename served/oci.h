/* oci: sluice-served's read-only container registry at /v2/ (the pull side of the OCI distribution spec)
 * over the published trees public/oci/<source> -> .gen/oci-<source>-<gen>/:
 *   <repo>/_tags/<tag>             "<sha256 hex>\n"
 *   <repo>/_manifests/<hex>        manifest or index bytes exactly as received; <hex>.type its media type
 *   <repo>/_blobs/<hex>            every blob a published manifest of this repository references
 *   _catalog                       repository names, one per line
 * Names are <source>/<repository>, or the mirror forms stock clients send: containerd's hosts.toml
 * (`?ns=<registry host>` picks the oci source with that registry) and Docker's registry-mirrors (names
 * without a source prefix go to the source whose registry is Docker Hub).
 *
 * Each generation is read once into an in-memory index (repositories, tags, manifests and, within
 * SL_MAX_OCI_INDEX_BYTES, the manifest bytes, checked against their digests) when a request first sees
 * the source's symlink point at it; a readlink per request notices a publication. Readers take a
 * reference without a lock; a replaced index is freed when its last response is sent. Blobs are opened
 * per request beneath the generation and sent like any published file (sl_files_send).
 *
 * Every name, tag and digest is checked against the spec's grammar before it becomes part of a path.
 * Errors are the spec's JSON (NAME_UNKNOWN, NAME_INVALID, MANIFEST_UNKNOWN, BLOB_UNKNOWN, DIGEST_INVALID,
 * TAG_INVALID, PAGINATION_NUMBER_INVALID, UNSUPPORTED). A tree the index cannot read is logged once
 * per generation and answered 500 until a new generation is published. */
#ifndef SL_SERVED_OCI_H
#define SL_SERVED_OCI_H

#include <microhttpd.h>

struct sl_request;
struct sl_source;
struct sl_text;

/* Route handler for GET and HEAD under /v2/: rest = everything after "/v2/" (raw, %-encoded). */
enum MHD_Result sl_oci_serve(struct sl_request *r, const char *rest);
/* Any other method under /v2/: 405 with the spec's UNSUPPORTED error (the registry is read-only). */
enum MHD_Result sl_oci_refuse(struct sl_request *r);
/* Status page: pull and mirror set-up for one oci source, as escaped HTML. */
void sl_oci_snippet(struct sl_text *out, const char *base_url, const struct sl_source *src);
/* OCI's row in core/format.c: /v2/, read-only registry. */
extern const struct sl_route sl_oci_route;

#endif
