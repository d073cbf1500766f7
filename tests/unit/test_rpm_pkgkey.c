/* Tests for verify/rpm_pkgkey: a signature time is judged against the listed life of its (sub)key —
 * usable inside it, refused when the key is unknown, revoked (primary or through it a subkey), expired at
 * the signature's time, younger than the signature, or when the signature is dated beyond the skew; an
 * empty or unreadable keyring is refused when loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/limits.h"
#include "lib/gpgtest.h"
#include "verify/rpm_pkgkey.h"

#define DAY 86400

struct fix {
	struct sl_gpgtest *g;
	char ring[512], home[512];
};

static struct sl_rpm_pkgkeys *load(struct fix *f, const char *const *fprs)
{
	snprintf(f->ring, sizeof f->ring, "%s/ring.asc", sl_gpgtest_dir(f->g));
	snprintf(f->home, sizeof f->home, "%s/pkghome", sl_gpgtest_dir(f->g));
	sl_gpgtest_export(f->g, fprs, true, f->ring);
	char *cause = NULL;
	struct sl_rpm_pkgkeys *k = sl_rpm_pkgkeys_new(f->home, f->ring, &cause);
	if (k == NULL)
		fail_msg("load: %s", cause);
	return k;
}

static int check(const struct sl_rpm_pkgkeys *k, const char *fpr, int64_t sig, int64_t now, char *why, size_t cap)
{
	return sl_rpm_pkgkeys_check(k, fpr + 24, sig, now, why, cap);   /* the key id: the fingerprint's last 16 */
}

static void test_life(void **state)
{
	(void)state;
	struct fix f = { .g = sl_gpgtest_new() };
	int64_t now = (int64_t)time(NULL), made = now - 100 * DAY;
	char good[41], old[41], sub[41], gone[41], why[512];
	sl_gpgtest_genkey(f.g, "good <good@test.invalid>", (time_t)made, "never", good);
	sl_gpgtest_addsubkey(f.g, good, sub);
	sl_gpgtest_genkey(f.g, "old <old@test.invalid>", (time_t)made, "10d", old);   /* expired 90 days ago */
	sl_gpgtest_genkey(f.g, "gone <gone@test.invalid>", (time_t)made, "never", gone);
	sl_gpgtest_revoke(f.g, gone);
	const char *const fprs[] = { good, old, gone, NULL };
	struct sl_rpm_pkgkeys *k = load(&f, fprs);
	assert_int_equal(sl_rpm_pkgkeys_count(k), 4);

	assert_int_equal(check(k, good, now - DAY, now, why, sizeof why), 0);
	assert_int_equal(check(k, sub, now, now, why, sizeof why), 0);
	/* lower case key ids too */
	char lower[17];
	for (int i = 0; i < 16; i++)
		lower[i] = (char)(good[24 + i] >= 'A' ? good[24 + i] - 'A' + 'a' : good[24 + i]);
	lower[16] = '\0';
	assert_int_equal(sl_rpm_pkgkeys_check(k, lower, now, now, why, sizeof why), 0);

	assert_int_equal(check(k, old, made + DAY, now, why, sizeof why), 0);   /* signed while it lived */
	assert_int_equal(check(k, old, made + 11 * DAY, now, why, sizeof why), -SL_E_SIGNATURE);
	assert_non_null(strstr(why, "had expired"));

	assert_int_equal(check(k, gone, made + DAY, now, why, sizeof why), -SL_E_SIGNATURE);
	assert_non_null(strstr(why, "is revoked"));
	assert_non_null(strstr(why, gone));

	assert_int_equal(check(k, good, now + SL_RPM_SIG_SKEW_S - 60, now, why, sizeof why), 0);
	assert_int_equal(check(k, good, now + SL_RPM_SIG_SKEW_S + 60, now, why, sizeof why), -SL_E_SIGNATURE);
	assert_non_null(strstr(why, "in the future"));
	assert_int_equal(check(k, good, made - SL_RPM_SIG_SKEW_S - 60, now, why, sizeof why), -SL_E_SIGNATURE);
	assert_non_null(strstr(why, "before the key was made"));

	assert_int_equal(sl_rpm_pkgkeys_check(k, "0123456789ABCDEF", now, now, why, sizeof why), -SL_E_SIGNATURE);
	assert_non_null(strstr(why, "not in the pinned package keyring"));
	sl_rpm_pkgkeys_free(k);
	sl_rpm_pkgkeys_free(NULL);
	sl_gpgtest_free(f.g);
}

/* A subkey of a revoked primary key is unusable too. */
static void test_revoked_primary_subkey(void **state)
{
	(void)state;
	struct fix f = { .g = sl_gpgtest_new() };
	char fpr[41], sub[41], why[512];
	sl_gpgtest_genkey(f.g, "p <p@test.invalid>", 0, "never", fpr);
	sl_gpgtest_addsubkey(f.g, fpr, sub);
	sl_gpgtest_revoke(f.g, fpr);
	const char *const fprs[] = { fpr, NULL };
	struct sl_rpm_pkgkeys *k = load(&f, fprs);
	int64_t now = (int64_t)time(NULL);
	assert_int_equal(check(k, sub, now, now, why, sizeof why), -SL_E_SIGNATURE);
	assert_non_null(strstr(why, "is revoked"));
	sl_rpm_pkgkeys_free(k);
	sl_gpgtest_free(f.g);
}

static void test_bad_keyring(void **state)
{
	(void)state;
	struct sl_gpgtest *g = sl_gpgtest_new();
	char ring[512], home[512], *cause = NULL;
	snprintf(ring, sizeof ring, "%s/empty.asc", sl_gpgtest_dir(g));
	snprintf(home, sizeof home, "%s/pkghome", sl_gpgtest_dir(g));
	sl_gpgtest_write(ring, "not a key\n", 10);
	assert_null(sl_rpm_pkgkeys_new(home, ring, &cause));
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	snprintf(ring, sizeof ring, "%s/absent.asc", sl_gpgtest_dir(g));
	assert_null(sl_rpm_pkgkeys_new(home, ring, &cause));
	assert_non_null(strstr(cause, "absent.asc"));
	free(cause);
	sl_gpgtest_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_life),
		cmocka_unit_test(test_revoked_primary_subkey),
		cmocka_unit_test(test_bad_keyring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
