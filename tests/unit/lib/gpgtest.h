/* gpgtest: throwaway OpenPGP keys for tests, made with the real gpg CLI in a temporary GnuPG home
 * (mkdtemp under /tmp, short enough for gpg-agent's socket). Keys are ed25519 without passphrase.
 * Every helper fails the running cmocka test on error, so callers need not check.
 *
 * Ownership: sl_gpgtest_new() -> sl_gpgtest_free(), which kills the home's gpg-agent
 * (`gpgconf --homedir H --kill all`) and removes the directory. Returned buffers are heap. */
#ifndef SL_GPGTEST_H
#define SL_GPGTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct sl_gpgtest;

enum sl_gpgtest_mode {
	SL_GPGTEST_CLEAR,     /* --clearsign */
	SL_GPGTEST_DETACH,    /* --detach-sign, binary */
	SL_GPGTEST_DETACH_ARMOR,
	SL_GPGTEST_INLINE,    /* --sign: an opaque signed message */
};

struct sl_gpgtest *sl_gpgtest_new(void);
void sl_gpgtest_free(struct sl_gpgtest *t);
const char *sl_gpgtest_home(const struct sl_gpgtest *t);
/* A scratch directory beside the home (same lifetime), for keyrings and other files. */
const char *sl_gpgtest_dir(const struct sl_gpgtest *t);

/* Create a signing key. `when` (0 = now) fakes the clock at creation; `expire` is gpg's expiry ("never",
 * "1d", ...). fpr gets the primary fingerprint. */
void sl_gpgtest_genkey(struct sl_gpgtest *t, const char *uid, time_t when, const char *expire, char fpr[41]);
/* Add a signing subkey to `fpr`; sub gets its fingerprint. Signing then uses the subkey. */
void sl_gpgtest_addsubkey(struct sl_gpgtest *t, const char *fpr, char sub[41]);
/* Revoke the key with the revocation certificate gpg stored when it was made. */
void sl_gpgtest_revoke(struct sl_gpgtest *t, const char *fpr);
/* Export the public keys of `fprs` (NULL-terminated) to `path`. */
void sl_gpgtest_export(struct sl_gpgtest *t, const char *const *fprs, bool armor, const char *path);
/* Sign with every key of `signers` (NULL-terminated, "FPR!" forces a subkey) at time `when` (0 = now). */
char *sl_gpgtest_sign(struct sl_gpgtest *t, const char *const *signers, enum sl_gpgtest_mode mode,
		      const void *data, size_t len, time_t when, size_t *out_len);

/* An extra gpg option for later signing, e.g. "--digest-algo=SHA1"; NULL clears it. */
void sl_gpgtest_set_sign_option(struct sl_gpgtest *t, const char *opt);

/* Run argv (argv[0] found in PATH) with stdin from /dev/null and output to a log in the scratch dir;
 * returns the exit status (or -1). */
int sl_gpgtest_run(struct sl_gpgtest *t, const char *const *argv);
/* Same, with stdout written to `out`. */
int sl_gpgtest_run_out(struct sl_gpgtest *t, const char *const *argv, const char *out);
/* Write a file / read a whole file (fails the test on error). */
void sl_gpgtest_write(const char *path, const void *data, size_t len);
char *sl_gpgtest_read(const char *path, size_t *len);
/* Remove a tree (no symlink following); missing is fine. */
void sl_gpgtest_rmtree(const char *path);

#endif
