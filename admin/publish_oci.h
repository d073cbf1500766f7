/* publish_oci: the OCI publisher — the registry tree sluice-served reads, as laid out by the OCI syncer
 * (syncd/sync_oci.h): public/oci/<source> -> .gen/oci-<source>-<gen>/ holding
 *   <repo>/_tags/<tag>              "<sha256 hex>\n": what the tag points to
 *   <repo>/_manifests/<hex>         the manifest or index bytes exactly as received
 *   <repo>/_manifests/<hex>.type    its media type, one line
 *   <repo>/_blobs/<hex>             every config and layer of the repo's published manifests
 *   <repo>/_signatures/<hex>/signature-<n>   the lookaside's simple-signing signatures (lookaside layout)
 *   _catalog                        one repository name per line, sorted
 * Every file is a hard link to a store object: each entry is linked at its path, nothing is generated.
 * Entries of role "evidence" (<repo>/_evidence/<hex>: a narrowed index, kept for the verifier) are
 * checked like the others but not published.
 * Before linking, every entry's path is checked against its role (a valid repository name, a valid tag,
 * a sha256 hex name), so a damaged or hostile catalogue cannot place a file anywhere else.
 * Failures: -SL_E_BADNAME (path does not fit its role), -SL_E_UNSUPPORTED (unknown role), and those of
 * sl_publish_tree_link_all(); each with a *cause naming the entry. */
#ifndef SL_PUBLISH_OCI_H
#define SL_PUBLISH_OCI_H

#include "admin/publish.h"

extern const struct sl_publisher sl_oci_publisher;

/* Does `path` fit entry role `role`? 0 or -SL_E_BADNAME / -SL_E_UNSUPPORTED. Exposed for tests. */
int sl_publish_oci_check_path(const char *role, const char *path);

#endif
