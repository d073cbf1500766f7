/* rpm_chain: the RPM verifier (sl_rpm_verifier), deciding from a snapshot's entries alone (see
 * syncd/sync_rpm.h for the roles) whether the whole chain holds:
 *   repodata/repomd.xml      "openpgp-signature": repomd.xml.asc by a pinned key (keyring, signed_by) via
 *                            GnuPG (expired, revoked, SHA-1 and weaker refused); no signature is refused
 *                            unless repo_signed = no, which is then recorded ("repo-signed") every time;
 *                            "repomd-format"; "rollback": revision and newest timestamp not older than the
 *                            last accepted (ARRIVAL; written only by .accept)
 *   each <data> record       "checksum-type" (SHA-256/512 only: md5, sha1, empty refused), "location"
 *                            (no absolute, "..", URL or xml:base), "size" (entry size = record size, before
 *                            any hashing), "checksum", "open-checksum" (decompressed at most open-size bytes,
 *                            the digest of what came out)
 *   each package of primary  (of the configured architectures) the same per package — reported as one
 *                            "packages" check when all pass, one check per failing package otherwise —
 *                            plus "package-signature" (librpm, pinned package_keyring or keyring; the
 *                            signer neither revoked nor expired at the signature's date, the date not
 *                            in the future: rpm_pkgkey.h) and
 *                            "nevra" (the signed header's name/epoch/version/release/arch = primary's)
 *   the snapshot             "inventory": no package entry that primary does not list
 * ARRIVAL trusts the store's names for payload objects (sl_store_has_size); RECHECK re-hashes every object.
 * Trust state (catalogue source state): rpm.revision, rpm.timestamp, rpm.accepted (digest of the accepted
 * repomd.xml + signature + architectures, which lets the syncer answer "unchanged"). */
#ifndef SL_RPM_CHAIN_H
#define SL_RPM_CHAIN_H

#include "verify/verifier.h"

extern const struct sl_verifier sl_rpm_verifier;

#define SL_RPM_STATE_ACCEPTED "rpm.accepted"

/* Digest of what a sync would be unchanged against: repomd.xml, its signature (may be NULL), the
 * configured architectures. hex: SL_SHA256_HEX bytes. */
void sl_rpm_chain_root_digest(const void *repomd, size_t len, const void *sig, size_t sig_len,
			      const struct sl_source *src, char *hex);

#endif
