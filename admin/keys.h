/* keys: sluice's own OpenPGP signing key, in a dedicated GnuPG home (config [publish] gnupg_home,
 * default STATE/keys, mode 0700, readable only by the admin user). `sluice init` creates it; the publisher
 * signs APT metadata with it; the public key is exported to STATE/public/keys/sluice.asc for clients.
 * Rotation keeps the old key signing alongside the new one for an overlap period.
 *
 * Ownership: sl_keys_open() -> sl_keys_free(). Signature buffers are heap (caller frees). */
#ifndef SL_KEYS_H
#define SL_KEYS_H

#include <stddef.h>
#include <stdint.h>

struct sl_keys;

/* Open the GnuPG home; NULL + cause if it does not exist or holds no usable secret key
 * (unless `allow_empty`, for init). */
struct sl_keys *sl_keys_open(const char *gnupg_home, int allow_empty, char **cause);
void sl_keys_free(struct sl_keys *k);

/* Create a new signing key (ed25519 primary, no passphrase, `uid`, expiry in days; 0 = none).
 * fpr_out gets the 40-hex fingerprint. */
int sl_keys_create(struct sl_keys *k, const char *uid, unsigned expire_days, char fpr_out[41]);
/* Signing fingerprints currently in use (newest first, at most `max`); returns how many. */
int sl_keys_signers(struct sl_keys *k, char fprs[][41], int max);
/* Retire keys older than the newest one (after rotation's overlap period). */
int sl_keys_retire(struct sl_keys *k, const char *fpr);
/* ASCII-armored public keys of every active signer. */
int sl_keys_export(struct sl_keys *k, char **armor, size_t *len);

enum sl_sign_mode {
	SL_SIGN_CLEAR,     /* InRelease */
	SL_SIGN_DETACHED,  /* Release.gpg (armored) */
};
/* Sign with every active signer. */
int sl_keys_sign(struct sl_keys *k, enum sl_sign_mode mode, const void *data, size_t len, char **sig,
		 size_t *sig_len);

#endif
