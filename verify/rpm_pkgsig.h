/* rpm_pkgsig: an RPM package's own signature, checked with librpm against sluice's pinned package keys —
 * a private keyring built from the source's key file, never the host's rpmdb or /etc/pki — and the
 * identity the signed header claims (name, epoch, version, release, arch), so the caller can compare it
 * with the repository's primary entry. librpm's messages are captured into `why`, never printed.
 *
 * A package passes when its header carries an RSA/DSA/EdDSA signature made with a digest stronger than
 * SHA-1 by a key of the keyring, and librpm verifies that signature and the header digests. With
 * `payload`, the payload digest the signed header promises (PAYLOADDIGEST) is recomputed too: needed when
 * the repository metadata is unsigned (repo_signed = no), since then only the package signature vouches
 * for the payload; otherwise the signed primary's pkgid SHA-256 over the whole file already does.
 *
 * librpm 4.18 accepts a signature by an expired or revoked key of its keyring: the caller checks the
 * signer's key life (keyid, sig_time) with rpm_pkgkey.h.
 *
 * Ownership: sl_rpm_keyring_new() -> sl_rpm_keyring_free(). Not thread-safe (librpm's log callback is
 * process-wide).
 * Failure: -SL_E_SIGNATURE (unsigned, unknown key, bad or weak signature, payload digest mismatch),
 * -SL_E_PARSE (not an RPM), -errno; `why` always says what was found. */
#ifndef SL_RPM_PKGSIG_H
#define SL_RPM_PKGSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_rpm_keyring;

/* path: armored (one or more blocks) or binary (one key) OpenPGP public keys. NULL + cause. */
struct sl_rpm_keyring *sl_rpm_keyring_new(const char *path, char **cause);
void sl_rpm_keyring_free(struct sl_rpm_keyring *k);
/* Keys (primary and subkeys) loaded. */
size_t sl_rpm_keyring_count(const struct sl_rpm_keyring *k);

struct sl_rpm_hdr {
	char name[256], epoch[32], ver[256], rel[256], arch[64];
	char keyid[17];          /* signer key id (hex), "" when unsigned */
	int64_t sig_time;        /* the header signature's creation time (Unix seconds), 0 when unsigned */
	char why[512];
};

/* path: the file to read; name: how messages call it (the repository href). */
int sl_rpm_pkgsig_check(struct sl_rpm_keyring *k, const char *path, const char *name, bool payload,
			struct sl_rpm_hdr *out);

#endif
