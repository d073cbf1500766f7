/* gpg: OpenPGP verification of upstream metadata through GPGME, one isolated GnuPG home per source.
 *
 * sl_gpg_new() owns a GnuPG home (created 0700, e.g. STATE/gnupg/<source>) that holds exactly the keys of
 * one keyring file: the keyring is imported on first use and re-imported from scratch whenever its SHA-256
 * changes, so a key removed upstream disappears here too. The user's ~/.gnupg is never read or written, no
 * gpg-agent or dirmngr is started and no key is ever fetched from the network.
 *
 * Only GPGME's verdict is used; signatures are never parsed here. A file passes when at least one signature
 * is good, made by an unexpired, unrevoked key from the keyring whose primary fingerprint is allowed, with a
 * digest stronger than SHA-1. Any cryptographically bad signature fails the whole file, even next to good
 * ones; signatures by unknown, expired or revoked keys are noted in `reason` and otherwise ignored (archives
 * sign with several keys at once). The three forms (clear-signed, detached, opaque `gpg --sign`) share these
 * rules. For clear-signed and opaque input the caller must use only out->text, the plaintext GPGME wrote
 * out, never the raw input: text around the signed block is thereby irrelevant, and clear-signed input that
 * is not exactly one clear-signed block is refused.
 *
 * Ownership: sl_gpg_new() -> sl_gpg_free(); a result is released with sl_gpg_result_release() after
 * success and failure alike. One sl_gpg is not safe for concurrent use from several threads.
 * Failure: -SL_E_SIGNATURE with out->reason saying why; -SL_E_TOOBIG past the caps in core/limits.h;
 * -ENOMEM; -SL_E_VERIFY when GnuPG itself failed. */
#ifndef SL_GPG_H
#define SL_GPG_H

#include <stddef.h>

struct sl_gpg;

/* homedir: created 0700 if missing. keyring_path: binary or armored OpenPGP keyring. allowed_fprs: 40-hex
 * primary-key fingerprints (either case) that may sign; n_allowed 0 accepts any key of the keyring.
 * NULL + cause (heap) on failure, e.g. an unreadable or empty keyring or a malformed fingerprint. */
struct sl_gpg *sl_gpg_new(const char *homedir, const char *keyring_path, const char *const *allowed_fprs,
			  size_t n_allowed, char **cause);
void sl_gpg_free(struct sl_gpg *g);

struct sl_gpg_result {
	char fpr[41];     /* primary fingerprint (uppercase) of the first accepted signer; "" on failure */
	char *text;       /* heap, NUL-terminated: the signed bytes (clear-signed, opaque: GPGME's plaintext) */
	size_t len;       /* bytes in text, without the NUL */
	char *reason;     /* heap: why it failed, or a summary of every signature checked */
};

/* One clear-signed block (InRelease). */
int sl_gpg_verify_clearsigned(struct sl_gpg *g, const void *data, size_t len, struct sl_gpg_result *out);
/* One opaque signed message (`gpg --sign`, binary or armored; e.g. a container simple signature): out->text
 * is the signed payload GPGME wrote out, at most SL_MAX_MEMORY_BODY bytes once decompressed (-SL_E_TOOBIG
 * beyond). A clear-signed block is refused here: it belongs to sl_gpg_verify_clearsigned and its checks. */
int sl_gpg_verify_signed(struct sl_gpg *g, const void *data, size_t len, struct sl_gpg_result *out);
/* Detached signature (Release + Release.gpg), binary or armored; out->text is a copy of data. */
int sl_gpg_verify_detached(struct sl_gpg *g, const void *data, size_t len, const void *sig, size_t siglen,
			   struct sl_gpg_result *out);
/* Free the heap members and clear the struct; safe on a zeroed or already released result. */
void sl_gpg_result_release(struct sl_gpg_result *r);

#endif
