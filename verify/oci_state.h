/* oci_state: what an OCI source's last accepted snapshot resolved to — every image reference
 * ("repo:tag", "repo@<hex>" for a pinned digest, cosign's .sig tags too) -> the manifest digest the
 * registry named, plus a fingerprint of the source's configuration and key files. It is bookkeeping, not
 * trust state: OCI has no rollback rule (a tag may move anywhere), and the verifier re-decides every
 * snapshot from its entries. Its one use is the syncer's HEAD-only shortcut: when the references
 * resolve as recorded and the configuration is the same, nothing is downloaded. It advances only when a
 * snapshot is accepted (the verifier's `accept`), so a refused snapshot is retried by the next run
 * rather than taken for "unchanged".
 *
 * Ownership: sl_oci_state_new() -> sl_oci_state_free(); text is heap, the caller frees.
 * Failure: -ENOMEM; sl_oci_state_text() NULL when out of memory. */
#ifndef SL_OCI_STATE_H
#define SL_OCI_STATE_H

#include <stdint.h>

struct sl_source;
struct sl_catalog;
struct sl_oci_state;

#define SL_OCI_STATE_KEY "oci.tags"   /* catalogue state key of the source */

struct sl_oci_state *sl_oci_state_new(void);
void sl_oci_state_free(struct sl_oci_state *st);
/* tag "" for a pinned digest reference. */
int sl_oci_state_add(struct sl_oci_state *st, const char *repo, const char *tag, const char *hex);
/* Compact JSON {"fingerprint": <sha256 of configuration and key files>, "tags": {...}}, sorted keys. */
char *sl_oci_state_text(const struct sl_oci_state *st, const struct sl_source *src);

#endif
