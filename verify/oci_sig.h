/* oci_sig: signatures that travel with container images.
 *
 * Simple signing (containers/image, "atomic container signature"): one OpenPGP signed message (gpg
 * --sign, not clear-signed) whose content is JSON naming critical.identity.docker-reference and
 * critical.image.docker-manifest-digest. It passes when sl_gpg_verify_signed() accepts it (a good
 * signature by an unexpired, unrevoked key of the source's `signed_by` keyring, imported into an isolated
 * GnuPG home; the rules of gpg.h), and the signed JSON — only the bytes GPGME vouched for — names this repository (registry host ignored, tag
 * compared when the reference has one) and exactly this manifest digest.
 *
 * Cosign: the payload of a `sha256-<digest>.sig` manifest layer (the same JSON shape, type "cosign
 * container image signature") and the base64 signature from its dev.cosignproject.cosign/signature
 * annotation; ECDSA (P-256 by default) with SHA-256 against the PEM public key of `cosign_key`, then the
 * same payload checks.
 *
 * Ownership: sl_oci_sig_new() -> sl_oci_sig_free(). Reasons are heap strings the caller frees.
 * Failure: -SL_E_SIGNATURE (bad, unknown or missing signature), -SL_E_MISMATCH (the signature is good but
 * names another image), -SL_E_PARSE (payload not the expected JSON), -SL_E_TOOBIG, -ENOMEM, -SL_E_VERIFY
 * (GnuPG or OpenSSL itself failed); *reason says why, also on success (who signed). */
#ifndef SL_OCI_SIG_H
#define SL_OCI_SIG_H

#include <stddef.h>
#include <stdint.h>

struct sl_oci_sig;

#define SL_OCI_SIG_SIMPLE_TYPE "atomic container signature"
#define SL_OCI_SIG_COSIGN_TYPE "cosign container image signature"
#define SL_OCI_SIG_COSIGN_ANNOTATION "dev.cosignproject.cosign/signature"
#define SL_OCI_SIG_COSIGN_LAYER "application/vnd.dev.cosign.simplesigning.v1+json"

/* gpg_home + keyring: simple signing (both NULL: not checked). cosign_pem: path of a PEM public key, or
 * NULL. NULL + *cause when a keyring or key cannot be loaded. */
struct sl_oci_sig *sl_oci_sig_new(const char *gpg_home, const char *keyring, const char *cosign_pem,
				  char **cause);
/* The same with a GnuPG context the caller prepared (a verifier's sl_verify_gpg()); ownership of `gpg`
 * moves here, also on failure. gpg NULL: simple signing not checked. */
struct sl_gpg;
struct sl_oci_sig *sl_oci_sig_new_take(struct sl_gpg *gpg, const char *cosign_pem, char **cause);
void sl_oci_sig_free(struct sl_oci_sig *s);

/* repo: repository as configured (library/alpine); tag: the tag synced, or NULL for a pinned digest;
 * hex: the manifest digest the tag resolved to. fpr (41 bytes) gets the signer's primary fingerprint. */
int sl_oci_sig_simple(struct sl_oci_sig *s, const void *sig, size_t len, const char *repo, const char *tag,
		      const char *hex, char fpr[41], char **reason);
int sl_oci_sig_cosign(struct sl_oci_sig *s, const void *payload, size_t len, const char *sig_b64,
		      const char *repo, const char *hex, char **reason);

/* A cosign signature manifest (the exact bytes of tag sha256-<hex>.sig): passes when one of its
 * simplesigning layers carries a signature annotation that verifies over that layer's payload, read
 * through `read_blob` (heap buffer of at most `cap` bytes, 0 or a negative code; the caller's store
 * checks the payload's digest). */
int sl_oci_sig_cosign_manifest(struct sl_oci_sig *s, const void *manifest, size_t len,
			       int (*read_blob)(void *arg, const char *hex, size_t cap, uint8_t **data, size_t *len),
			       void *arg, const char *repo, const char *hex, char **reason);

/* The payload rules alone (exposed for tests): critical.type, identity and digest as described above. */
int sl_oci_sig_payload_check(const void *payload, size_t len, const char *type, const char *repo,
			     const char *tag, const char *hex, char **reason);

#endif
