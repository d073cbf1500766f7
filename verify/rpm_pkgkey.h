/* rpm_pkgkey: the life of the pinned RPM package keys — revoked, expired, created — read with GPGME, for
 * what librpm 4.18's keyring cannot tell: it verifies a header signature against any key it holds, expired
 * or revoked alike. The keys are listed from the keyring file itself (gpg's `--import-options show-only`,
 * GPGME's keylist-from-data), so nothing is imported and the verdict always matches the file; GnuPG still
 * wants a home, an empty one of sluice's (created 0700), never the user's. No network, no agent.
 *
 * A signature by (sub)key K made at time T passes when K is in the keyring, neither K nor its primary key
 * is revoked (whatever the revocation's date or reason: a revoked package key is not trusted for any
 * package), K had not expired at T, K existed at T (give or take the skew) and T is not later than `now`
 * plus SL_RPM_SIG_SKEW_S.
 *
 * Ownership: sl_rpm_pkgkeys_new() -> sl_rpm_pkgkeys_free(); _free(NULL) is a no-op.
 * Failure: NULL + cause (unreadable keyring, GnuPG unusable, no key listed); a check returns
 * -SL_E_SIGNATURE with `why`. */
#ifndef SL_RPM_PKGKEY_H
#define SL_RPM_PKGKEY_H

#include <stddef.h>
#include <stdint.h>

struct sl_rpm_pkgkeys;

struct sl_rpm_pkgkeys *sl_rpm_pkgkeys_new(const char *home, const char *keyring_path, char **cause);
void sl_rpm_pkgkeys_free(struct sl_rpm_pkgkeys *k);
/* Primary keys and subkeys listed. */
size_t sl_rpm_pkgkeys_count(const struct sl_rpm_pkgkeys *k);

/* keyid: 16 hex digits (either case), the signature's issuer; sig_time and now: Unix seconds. 0 when
 * usable; -SL_E_SIGNATURE with why (e.g. "key 0123... was revoked") otherwise. */
int sl_rpm_pkgkeys_check(const struct sl_rpm_pkgkeys *k, const char *keyid, int64_t sig_time, int64_t now,
			 char *why, size_t cap);

#endif
