/* keys: sluice's own OpenPGP signing key, in a dedicated GnuPG home (config [publish] gnupg_home,
 * default STATE/keys, mode 0700, readable only by the admin user). `sluice init` creates it; the publisher
 * signs APT metadata with it; the public key is exported to STATE/public/keys/sluice.asc for clients.
 * Rotation keeps the old key signing alongside the new one for an overlap period: every active signer signs,
 * so clients that know either key accept the metadata. Retiring a key lists its fingerprint in the file
 * `sluice-retired` in the home (the secret key stays, the decision is reversible by editing that file); a
 * retired, expired or revoked key neither signs nor is exported.
 *
 * Keys are ed25519 without passphrase (the home's permissions are the protection) and everything runs in
 * batch with pinentry in loopback mode, so nothing ever prompts. GnuPG puts gpg-agent's socket in the home
 * unless /run/user/UID exists; a home path too long for a Unix socket (about 85 bytes) then fails at
 * sl_keys_open() with a cause saying so. The agent started for the home is stopped by sl_keys_free().
 *
 * Ownership: sl_keys_open() -> sl_keys_free(). Signature and export buffers are heap (caller frees).
 * Failure: -SL_E_STATE when no key is active (or for retiring the last one), -SL_E_NOTFOUND / -SL_E_BADNAME
 * for fingerprints, -SL_E_SIGNATURE when GnuPG fails to sign, -errno. */
#ifndef SL_KEYS_H
#define SL_KEYS_H

#include <stddef.h>
#include <stdint.h>

struct sl_keys;

/* Open the GnuPG home; NULL + cause if it does not exist, is accessible to group or others, or holds no
 * usable secret key (unless `allow_empty`, for init: then a missing home is created 0700). */
struct sl_keys *sl_keys_open(const char *gnupg_home, int allow_empty, char **cause);
/* Also stops the home's gpg-agent. NULL is a no-op. */
void sl_keys_free(struct sl_keys *k);

/* Create a new signing key (ed25519 primary, no passphrase, `uid`, expiry in days; 0 = none).
 * fpr_out gets the 40-hex fingerprint. A caller-chosen uid such as
 * "sluice repository signing key <sluice@HOST>"; a uid already present is allowed (rotation). */
int sl_keys_create(struct sl_keys *k, const char *uid, unsigned expire_days, char fpr_out[41]);
/* Signing fingerprints currently in use (newest first, at most `max`); returns how many or -errno. */
int sl_keys_signers(struct sl_keys *k, char fprs[][41], int max);
/* Retire `fpr` (after rotation's overlap period): it stops signing and is no longer exported.
 * Already retired is success; -SL_E_NOTFOUND for no such secret key; -SL_E_STATE for the last active key. */
int sl_keys_retire(struct sl_keys *k, const char *fpr);
/* ASCII-armored public keys of every active signer. */
int sl_keys_export(struct sl_keys *k, char **armor, size_t *len);

enum sl_sign_mode {
	SL_SIGN_CLEAR,     /* InRelease */
	SL_SIGN_DETACHED,  /* Release.gpg (armored) */
};
/* Sign with every active signer. Clear-signing drops trailing whitespace on lines, as OpenPGP defines. */
int sl_keys_sign(struct sl_keys *k, enum sl_sign_mode mode, const void *data, size_t len, char **sig,
		 size_t *sig_len);

#endif
