/* test_gpg: verify/gpg against signatures made by the real gpg CLI with throwaway keys. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/limits.h"
#include "tests/unit/lib/gpgtest.h"
#include "verify/gpg.h"

#define DAY 86400

/* Keys made once for the whole program. A allowed, B in the keyring but not allowed, U never in the
 * keyring, E expired, R revoked, S signs with a subkey (SUB). */
static struct {
	struct sl_gpgtest *t;
	char a[41], b[41], u[41], e[41], r[41], s[41], sub[41];
	char keyring[256];     /* binary: A B E R S */
	char *sig_by_e;        /* clear-signed by E while it was valid */
	char *sig_by_r;        /* clear-signed by R before it was revoked */
	unsigned home_seq;
} K;

static const char text[] = "Origin: Test\nSuite: stable\n"
			   "- a line that gpg dash-escapes\n"
			   "-----BEGIN PGP SIGNED MESSAGE-----\n"
			   "Description: tabs\tinside and UTF-8 \xc3\xa9\n";

static int setup_keys(void **state)
{
	(void)state;
	K.t = sl_gpgtest_new();
	time_t past = time(NULL) - 30 * DAY;
	sl_gpgtest_genkey(K.t, "Allowed <a@test>", 0, "never", K.a);
	sl_gpgtest_genkey(K.t, "Other <b@test>", 0, "never", K.b);
	sl_gpgtest_genkey(K.t, "Unknown <u@test>", 0, "never", K.u);
	sl_gpgtest_genkey(K.t, "Expired <e@test>", past, "1d", K.e);
	sl_gpgtest_genkey(K.t, "Revoked <r@test>", 0, "never", K.r);
	sl_gpgtest_genkey(K.t, "Subkey <s@test>", 0, "never", K.s);
	sl_gpgtest_addsubkey(K.t, K.s, K.sub);

	const char *e[] = { K.e, NULL }, *r[] = { K.r, NULL };
	K.sig_by_e = sl_gpgtest_sign(K.t, e, SL_GPGTEST_CLEAR, text, strlen(text), past + 60, NULL);
	K.sig_by_r = sl_gpgtest_sign(K.t, r, SL_GPGTEST_CLEAR, text, strlen(text), 0, NULL);
	sl_gpgtest_revoke(K.t, K.r);

	snprintf(K.keyring, sizeof K.keyring, "%s/keyring.gpg", sl_gpgtest_dir(K.t));
	const char *ring[] = { K.a, K.b, K.e, K.r, K.s, NULL };
	sl_gpgtest_export(K.t, ring, false, K.keyring);
	return 0;
}

static int teardown_keys(void **state)
{
	(void)state;
	free(K.sig_by_e);
	free(K.sig_by_r);
	sl_gpgtest_free(K.t);
	return 0;
}

/* A fresh verification home in the scratch directory. */
static const char *new_home(char buf[256])
{
	snprintf(buf, 256, "%s/vhome%u/src", sl_gpgtest_dir(K.t), K.home_seq++);
	return buf;
}

static struct sl_gpg *open_allowed(const char *keyring, const char *allowed)
{
	char home[256];
	char *cause = NULL;
	const char *fprs[] = { allowed };
	struct sl_gpg *g = sl_gpg_new(new_home(home), keyring, fprs, allowed ? 1 : 0, &cause);
	if (!g)
		fail_msg("sl_gpg_new: %s", cause);
	return g;
}

static char *sign1(const char *fpr, enum sl_gpgtest_mode mode, const char *data, size_t *len)
{
	const char *who[] = { fpr, NULL };
	return sl_gpgtest_sign(K.t, who, mode, data, strlen(data), 0, len);
}

/* `verify` refuses msg with `want`, no signer, no text, and a reason that mentions `why`. */
static void expect_fails(int (*verify)(struct sl_gpg *, const void *, size_t, struct sl_gpg_result *),
			 struct sl_gpg *g, const char *msg, size_t len, int want, const char *why)
{
	struct sl_gpg_result r;
	int rc = verify(g, msg, len, &r);
	assert_int_equal(rc, want);
	assert_string_equal(r.fpr, "");
	assert_null(r.text);
	assert_non_null(r.reason);
	if (!strstr(r.reason, why))
		fail_msg("reason '%s' does not mention '%s'", r.reason, why);
	sl_gpg_result_release(&r);
}

static void expect_refused(struct sl_gpg *g, const char *signed_msg, size_t len, const char *why)
{
	expect_fails(sl_gpg_verify_clearsigned, g, signed_msg, len, -SL_E_SIGNATURE, why);
}

static void test_clearsigned_good(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	size_t len = 0;
	char *msg = sign1(K.a, SL_GPGTEST_CLEAR, text, &len);
	struct sl_gpg_result r;
	assert_int_equal(sl_gpg_verify_clearsigned(g, msg, len, &r), 0);
	assert_string_equal(r.fpr, K.a);
	assert_int_equal(r.len, strlen(text));
	assert_memory_equal(r.text, text, r.len);
	assert_non_null(strstr(r.reason, "good signature"));
	sl_gpg_result_release(&r);
	sl_gpg_result_release(&r);   /* idempotent */
	free(msg);
	sl_gpg_free(g);
}

static void test_detached_good(void **state)
{
	(void)state;
	/* The fingerprint may be configured in lower case. */
	char lower[41];
	for (int i = 0; i < 41; i++)
		lower[i] = (char)(K.a[i] >= 'A' && K.a[i] <= 'F' ? K.a[i] + 32 : K.a[i]);
	struct sl_gpg *g = open_allowed(K.keyring, lower);
	for (int armor = 0; armor < 2; armor++) {
		size_t siglen = 0;
		char *sig = sign1(K.a, armor ? SL_GPGTEST_DETACH_ARMOR : SL_GPGTEST_DETACH, text, &siglen);
		struct sl_gpg_result r;
		assert_int_equal(sl_gpg_verify_detached(g, text, strlen(text), sig, siglen, &r), 0);
		assert_string_equal(r.fpr, K.a);
		assert_int_equal(r.len, strlen(text));
		assert_memory_equal(r.text, text, r.len);
		sl_gpg_result_release(&r);

		/* The same signature over different data is bad. */
		const char other[] = "Origin: Evil\n";
		assert_int_equal(sl_gpg_verify_detached(g, other, strlen(other), sig, siglen, &r),
				 -SL_E_SIGNATURE);
		assert_non_null(strstr(r.reason, "BAD signature"));
		assert_null(r.text);
		assert_string_equal(r.fpr, "");
		sl_gpg_result_release(&r);
		free(sig);
	}
	sl_gpg_free(g);
}

static void test_tampered(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	size_t len = 0;
	char *msg = sign1(K.a, SL_GPGTEST_CLEAR, text, &len);
	char *p = strstr(msg, "stable");
	assert_non_null(p);
	p[0] = 'S';
	expect_refused(g, msg, len, "BAD signature");
	free(msg);
	sl_gpg_free(g);
}

static void test_unknown_key(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	size_t len = 0;
	char *msg = sign1(K.u, SL_GPGTEST_CLEAR, text, &len);
	expect_refused(g, msg, len, "unknown key");
	free(msg);
	sl_gpg_free(g);
}

static void test_not_allowed(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	size_t len = 0;
	char *msg = sign1(K.b, SL_GPGTEST_CLEAR, text, &len);
	expect_refused(g, msg, len, "not an allowed signer");
	sl_gpg_free(g);

	/* With no allowed list, every key of the keyring may sign. */
	g = open_allowed(K.keyring, NULL);
	struct sl_gpg_result r;
	assert_int_equal(sl_gpg_verify_clearsigned(g, msg, len, &r), 0);
	assert_string_equal(r.fpr, K.b);
	sl_gpg_result_release(&r);
	free(msg);
	sl_gpg_free(g);
}

static void test_expired_key(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.e);
	expect_refused(g, K.sig_by_e, strlen(K.sig_by_e), "expired");
	sl_gpg_free(g);
}

static void test_revoked_key(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.r);
	expect_refused(g, K.sig_by_r, strlen(K.sig_by_r), "revoked");
	sl_gpg_free(g);
}

static void test_subkey_maps_to_primary(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.s);
	size_t len = 0;
	char *msg = sign1(K.s, SL_GPGTEST_CLEAR, text, &len);
	struct sl_gpg_result r;
	assert_int_equal(sl_gpg_verify_clearsigned(g, msg, len, &r), 0);
	assert_string_equal(r.fpr, K.s);
	assert_string_not_equal(r.fpr, K.sub);
	sl_gpg_result_release(&r);
	free(msg);
	sl_gpg_free(g);
}

static void test_unsigned(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	expect_refused(g, text, strlen(text), "not a clear-signed message");

	/* A header without a signature block. */
	const char nosig[] = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Test\n";
	struct sl_gpg_result r;
	assert_int_equal(sl_gpg_verify_clearsigned(g, nosig, strlen(nosig), &r), -SL_E_SIGNATURE);
	assert_null(r.text);
	sl_gpg_result_release(&r);

	/* Detached: empty and garbage signatures. */
	assert_int_equal(sl_gpg_verify_detached(g, text, strlen(text), "", 0, &r), -SL_E_SIGNATURE);
	assert_non_null(strstr(r.reason, "not signed"));
	sl_gpg_result_release(&r);
	assert_int_equal(sl_gpg_verify_detached(g, text, strlen(text), "garbage", 7, &r), -SL_E_SIGNATURE);
	assert_null(r.text);
	assert_non_null(r.reason);
	sl_gpg_result_release(&r);
	assert_int_equal(sl_gpg_verify_clearsigned(g, "", 0, &r), -SL_E_SIGNATURE);
	sl_gpg_result_release(&r);
	sl_gpg_free(g);
}

static void test_inline_signed_refused(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	size_t len = 0;
	char *opaque = sign1(K.a, SL_GPGTEST_INLINE, text, &len);
	struct sl_gpg_result r;
	/* Not clear-signed: refused, though the signature inside is good. */
	assert_int_equal(sl_gpg_verify_clearsigned(g, opaque, len, &r), -SL_E_SIGNATURE);
	sl_gpg_result_release(&r);
	/* An opaque signed message is no detached signature over other data. */
	const char other[] = "Origin: Evil\n";
	assert_int_equal(sl_gpg_verify_detached(g, other, strlen(other), opaque, len, &r), -SL_E_SIGNATURE);
	assert_null(r.text);
	sl_gpg_result_release(&r);
	free(opaque);
	sl_gpg_free(g);
}

static void test_two_blocks_refused(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	size_t l1 = 0, l2 = 0;
	char *m1 = sign1(K.a, SL_GPGTEST_CLEAR, text, &l1);
	char *m2 = sign1(K.a, SL_GPGTEST_CLEAR, "Origin: Evil\n", &l2);
	char *both = malloc(l1 + l2 + 1);
	assert_non_null(both);
	memcpy(both, m1, l1);
	memcpy(both + l1, m2, l2);
	expect_refused(g, both, l1 + l2, "more than one OpenPGP block");

	/* Text before the header is refused; text after the signature is not part of the result. */
	char *lead = NULL, *trail = NULL;
	assert_true(asprintf(&lead, "Origin: Evil\n%s", m1) > 0);
	assert_true(asprintf(&trail, "%sOrigin: Evil\n", m1) > 0);
	expect_refused(g, lead, strlen(lead), "not a clear-signed message");
	struct sl_gpg_result r;
	assert_int_equal(sl_gpg_verify_clearsigned(g, trail, strlen(trail), &r), 0);
	assert_int_equal(r.len, strlen(text));
	assert_memory_equal(r.text, text, r.len);
	sl_gpg_result_release(&r);
	free(lead);
	free(trail);
	free(both);
	free(m1);
	free(m2);
	sl_gpg_free(g);
}

static void test_unknown_plus_good_passes(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	const char *who[] = { K.u, K.a, NULL };
	size_t len = 0;
	char *msg = sl_gpgtest_sign(K.t, who, SL_GPGTEST_CLEAR, text, strlen(text), 0, &len);
	struct sl_gpg_result r;
	assert_int_equal(sl_gpg_verify_clearsigned(g, msg, len, &r), 0);
	assert_string_equal(r.fpr, K.a);
	assert_non_null(strstr(r.reason, "unknown key"));
	assert_non_null(strstr(r.reason, "good signature by allowed key"));
	assert_memory_equal(r.text, text, r.len);
	sl_gpg_result_release(&r);
	free(msg);

	/* Detached, with the expired key's signature beside the good one: still fine. */
	size_t la = 0, lb = 0;
	char *sa = sign1(K.a, SL_GPGTEST_DETACH, text, &la);
	char *sb = sign1(K.b, SL_GPGTEST_DETACH, text, &lb);
	char *two = malloc(la + lb);
	assert_non_null(two);
	memcpy(two, sb, lb);
	memcpy(two + lb, sa, la);
	assert_int_equal(sl_gpg_verify_detached(g, text, strlen(text), two, la + lb, &r), 0);
	assert_string_equal(r.fpr, K.a);
	assert_non_null(strstr(r.reason, "not an allowed signer"));
	sl_gpg_result_release(&r);
	free(two);
	free(sa);
	free(sb);
	sl_gpg_free(g);
}

static void test_bad_beside_good_fails(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	size_t la = 0, lb = 0;
	char *sa = sign1(K.a, SL_GPGTEST_DETACH, text, &la);
	char *sb = sign1(K.b, SL_GPGTEST_DETACH, "something else\n", &lb);
	char *two = malloc(la + lb);
	assert_non_null(two);
	memcpy(two, sa, la);
	memcpy(two + la, sb, lb);
	struct sl_gpg_result r;
	assert_int_equal(sl_gpg_verify_detached(g, text, strlen(text), two, la + lb, &r), -SL_E_SIGNATURE);
	assert_non_null(strstr(r.reason, "BAD signature"));
	assert_string_equal(r.fpr, "");
	assert_null(r.text);
	sl_gpg_result_release(&r);
	free(two);
	free(sa);
	free(sb);
	sl_gpg_free(g);
}

static void test_weak_digest_refused(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	sl_gpgtest_set_sign_option(K.t, "--digest-algo=SHA1");
	size_t len = 0;
	char *msg = sign1(K.a, SL_GPGTEST_CLEAR, text, &len);
	sl_gpgtest_set_sign_option(K.t, NULL);
	expect_refused(g, msg, len, "weak digest");
	free(msg);
	sl_gpg_free(g);
}

static void stat_pubring(const char *home, struct stat *st)
{
	char p[512];
	snprintf(p, sizeof p, "%s/pubring.kbx", home);
	assert_int_equal(stat(p, st), 0);
}

static void test_keyring_change_reimports(void **state)
{
	(void)state;
	char home[256], ring[256], *cause = NULL;
	new_home(home);
	snprintf(ring, sizeof ring, "%s/changing.asc", sl_gpgtest_dir(K.t));
	const char *only_a[] = { K.a, NULL }, *only_b[] = { K.b, NULL };
	sl_gpgtest_export(K.t, only_a, true, ring);

	size_t la = 0, lb = 0;
	char *ma = sign1(K.a, SL_GPGTEST_CLEAR, text, &la);
	char *mb = sign1(K.b, SL_GPGTEST_CLEAR, text, &lb);
	struct sl_gpg_result r;

	struct sl_gpg *g = sl_gpg_new(home, ring, NULL, 0, &cause);
	assert_non_null(g);
	struct stat st;
	assert_int_equal(stat(home, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	struct stat first;
	stat_pubring(home, &first);
	assert_int_equal(sl_gpg_verify_clearsigned(g, ma, la, &r), 0);
	sl_gpg_result_release(&r);
	assert_int_equal(sl_gpg_verify_clearsigned(g, mb, lb, &r), -SL_E_SIGNATURE);
	sl_gpg_result_release(&r);
	sl_gpg_free(g);

	/* Same keyring: nothing re-imported. */
	g = sl_gpg_new(home, ring, NULL, 0, &cause);
	assert_non_null(g);
	struct sl_gpg *g2 = sl_gpg_new(home, ring, NULL, 0, &cause);
	assert_non_null(g2);
	sl_gpg_free(g2);
	stat_pubring(home, &st);
	assert_int_equal(st.st_ino, first.st_ino);
	assert_int_equal(st.st_mtim.tv_sec, first.st_mtim.tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, first.st_mtim.tv_nsec);
	sl_gpg_free(g);

	/* Keyring now holds B only: A's key must be gone from the home, B's accepted. */
	sl_gpgtest_export(K.t, only_b, false, ring);
	g = sl_gpg_new(home, ring, NULL, 0, &cause);
	assert_non_null(g);
	assert_int_equal(sl_gpg_verify_clearsigned(g, mb, lb, &r), 0);
	assert_string_equal(r.fpr, K.b);
	sl_gpg_result_release(&r);
	assert_int_equal(sl_gpg_verify_clearsigned(g, ma, la, &r), -SL_E_SIGNATURE);
	assert_non_null(strstr(r.reason, "unknown key"));
	sl_gpg_result_release(&r);
	sl_gpg_free(g);

	/* Verification never starts an agent in the home. */
	char sock[512];
	snprintf(sock, sizeof sock, "%s/S.gpg-agent", home);
	assert_int_equal(access(sock, F_OK), -1);
	free(ma);
	free(mb);
}

static void expect_new_fails(const char *keyring, const char *const *fprs, size_t n, const char *why)
{
	char home[256];
	char *cause = NULL;
	struct sl_gpg *g = sl_gpg_new(new_home(home), keyring, fprs, n, &cause);
	assert_null(g);
	assert_non_null(cause);
	if (!strstr(cause, why))
		fail_msg("cause '%s' does not mention '%s'", cause, why);
	free(cause);
}

static void test_bad_setup(void **state)
{
	(void)state;
	const char *bad_fpr[] = { "ABCDEF" };
	const char *hex_but_bad[] = { "ZZZZ567890123456789012345678901234567890" };
	const char *absent[] = { K.u };
	const char *subkey[] = { K.sub };
	char missing[256], garbage[256], empty[256];
	snprintf(missing, sizeof missing, "%s/no-such-keyring.gpg", sl_gpgtest_dir(K.t));
	snprintf(garbage, sizeof garbage, "%s/garbage.gpg", sl_gpgtest_dir(K.t));
	snprintf(empty, sizeof empty, "%s/empty.gpg", sl_gpgtest_dir(K.t));
	sl_gpgtest_write(garbage, "not a keyring\n", 14);
	sl_gpgtest_write(empty, "", 0);

	expect_new_fails(K.keyring, bad_fpr, 1, "not 40 hex digits");
	expect_new_fails(K.keyring, hex_but_bad, 1, "not 40 hex digits");
	expect_new_fails(K.keyring, absent, 1, "none of the 1 allowed");
	expect_new_fails(K.keyring, subkey, 1, "none of the 1 allowed");
	expect_new_fails(missing, NULL, 0, "cannot read keyring");
	expect_new_fails(garbage, NULL, 0, "no usable OpenPGP public key");
	expect_new_fails(empty, NULL, 0, "no usable OpenPGP public key");
	expect_new_fails("", NULL, 0, "required");
}

static void test_caps(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	size_t big = SL_MAX_SIGNATURE_BYTES + 1;
	char *sig = calloc(1, big);
	assert_non_null(sig);
	struct sl_gpg_result r;
	assert_int_equal(sl_gpg_verify_detached(g, text, strlen(text), sig, big, &r), -SL_E_TOOBIG);
	assert_non_null(r.reason);
	sl_gpg_result_release(&r);
	free(sig);
	sl_gpg_free(g);
	sl_gpg_free(NULL);
}

/* ---- opaque signed messages (gpg --sign) ---- */

static void expect_signed(struct sl_gpg *g, const char *msg, size_t len, int want, const char *why)
{
	expect_fails(sl_gpg_verify_signed, g, msg, len, want, why);
}

static void test_signed_good(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	for (int armor = 0; armor < 2; armor++) {
		sl_gpgtest_set_sign_option(K.t, armor ? "--armor" : NULL);
		size_t len = 0;
		char *msg = sign1(K.a, SL_GPGTEST_INLINE, text, &len);
		/* Armored, or binary: an OpenPGP packet tag (bit 7 set) first. */
		assert_true(armor ? strncmp(msg, "-----BEGIN PGP MESSAGE-----", 27) == 0 : (msg[0] & 0x80) != 0);
		struct sl_gpg_result r;
		assert_int_equal(sl_gpg_verify_signed(g, msg, len, &r), 0);
		assert_string_equal(r.fpr, K.a);
		assert_int_equal(r.len, strlen(text));
		assert_memory_equal(r.text, text, r.len);
		assert_int_equal(r.text[r.len], '\0');
		assert_non_null(strstr(r.reason, "good signature by allowed key"));
		sl_gpg_result_release(&r);
		free(msg);
	}
	sl_gpgtest_set_sign_option(K.t, NULL);

	/* An unknown key's signature beside the allowed one is noted and ignored, as for the other forms. */
	const char *who[] = { K.u, K.s, NULL };
	size_t len = 0;
	char *msg = sl_gpgtest_sign(K.t, who, SL_GPGTEST_INLINE, text, strlen(text), 0, &len);
	sl_gpg_free(g);
	g = open_allowed(K.keyring, K.s);
	struct sl_gpg_result r;
	assert_int_equal(sl_gpg_verify_signed(g, msg, len, &r), 0);
	assert_string_equal(r.fpr, K.s);   /* signed by the subkey, reported as the primary */
	assert_non_null(strstr(r.reason, "unknown key"));
	sl_gpg_result_release(&r);
	free(msg);
	sl_gpg_free(g);
}

static void test_signed_refused(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	size_t len = 0;
	char *msg = sign1(K.u, SL_GPGTEST_INLINE, text, &len);
	expect_signed(g, msg, len, -SL_E_SIGNATURE, "unknown key");
	free(msg);
	msg = sign1(K.b, SL_GPGTEST_INLINE, text, &len);
	expect_signed(g, msg, len, -SL_E_SIGNATURE, "not an allowed signer");
	free(msg);

	/* Tampered literal data (uncompressed, so the text is there to change): a BAD signature. */
	sl_gpgtest_set_sign_option(K.t, "--compress-algo=none");
	msg = sign1(K.a, SL_GPGTEST_INLINE, text, &len);
	sl_gpgtest_set_sign_option(K.t, NULL);
	char *p = memmem(msg, len, "stable", 6);
	assert_non_null(p);
	p[0] = 'S';
	expect_signed(g, msg, len, -SL_E_SIGNATURE, "BAD signature");
	free(msg);

	/* A weak digest, a key expired since it signed: the same judging as the other forms. */
	sl_gpgtest_set_sign_option(K.t, "--digest-algo=SHA1");
	msg = sign1(K.a, SL_GPGTEST_INLINE, text, &len);
	sl_gpgtest_set_sign_option(K.t, NULL);
	expect_signed(g, msg, len, -SL_E_SIGNATURE, "weak digest");
	free(msg);
	sl_gpg_free(g);
	g = open_allowed(K.keyring, K.e);
	const char *e[] = { K.e, NULL };
	msg = sl_gpgtest_sign(K.t, e, SL_GPGTEST_INLINE, text, strlen(text), time(NULL) - 30 * DAY + 60, &len);
	expect_signed(g, msg, len, -SL_E_SIGNATURE, "expired");
	free(msg);
	sl_gpg_free(g);
	g = open_allowed(K.keyring, K.a);

	/* A clear-signed block is not an opaque message, though its signature is good; nor is a detached
	 * signature (no signed text inside), plain text, garbage or nothing. */
	msg = sign1(K.a, SL_GPGTEST_CLEAR, text, &len);
	expect_signed(g, msg, len, -SL_E_SIGNATURE, "clear-signed");
	char *lead = NULL;
	assert_true(asprintf(&lead, "junk first\n%s", msg) > 0);
	expect_signed(g, lead, strlen(lead), -SL_E_SIGNATURE, "clear-signed");
	free(lead);
	free(msg);
	msg = sign1(K.a, SL_GPGTEST_DETACH, text, &len);
	expect_signed(g, msg, len, -SL_E_SIGNATURE, "");
	free(msg);
	msg = sign1(K.a, SL_GPGTEST_DETACH_ARMOR, text, &len);
	expect_signed(g, msg, len, -SL_E_SIGNATURE, "not an OpenPGP MESSAGE block");
	free(msg);
	expect_signed(g, "Origin: Test\n", 13, -SL_E_SIGNATURE, "no OpenPGP signature found");
	expect_signed(g, text, strlen(text), -SL_E_SIGNATURE, "clear-signed");   /* quotes the header */
	expect_signed(g, "\x90\x01garbage", 9, -SL_E_SIGNATURE, "");
	expect_signed(g, "", 0, -SL_E_SIGNATURE, "not signed");
	sl_gpg_free(g);
}

static void test_signed_caps(void **state)
{
	(void)state;
	struct sl_gpg *g = open_allowed(K.keyring, K.a);
	/* A few KiB that gpg's compression turns back into more than SL_MAX_MEMORY_BODY: refused while
	 * decompressing, not held in memory whole. */
	size_t big = SL_MAX_MEMORY_BODY + 4096, len = 0;
	char *zeros = calloc(1, big);
	assert_non_null(zeros);
	const char *who[] = { K.a, NULL };
	char *msg = sl_gpgtest_sign(K.t, who, SL_GPGTEST_INLINE, zeros, big, 0, &len);
	assert_true(len < (1u << 20));
	expect_signed(g, msg, len, -SL_E_TOOBIG, "larger than the cap");
	free(msg);
	/* At the cap it passes. */
	msg = sl_gpgtest_sign(K.t, who, SL_GPGTEST_INLINE, zeros, SL_MAX_MEMORY_BODY, 0, &len);
	struct sl_gpg_result r;
	assert_int_equal(sl_gpg_verify_signed(g, msg, len, &r), 0);
	assert_int_equal(r.len, SL_MAX_MEMORY_BODY);
	sl_gpg_result_release(&r);
	free(msg);
	free(zeros);
	/* Input beyond the cap is refused before GPGME sees it. */
	char *huge = calloc(1, SL_MAX_MEMORY_BODY + 1);
	assert_non_null(huge);
	expect_signed(g, huge, SL_MAX_MEMORY_BODY + 1, -SL_E_TOOBIG, "larger than the cap");
	free(huge);
	sl_gpg_free(g);
}

int main(void)
{
	/* The user's own GnuPG home must never be touched: point HOME somewhere that fails loudly. */
	setenv("HOME", "/nonexistent-sluice-test-home", 1);
	unsetenv("GNUPGHOME");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clearsigned_good),
		cmocka_unit_test(test_detached_good),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_not_allowed),
		cmocka_unit_test(test_expired_key),
		cmocka_unit_test(test_revoked_key),
		cmocka_unit_test(test_subkey_maps_to_primary),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_inline_signed_refused),
		cmocka_unit_test(test_two_blocks_refused),
		cmocka_unit_test(test_unknown_plus_good_passes),
		cmocka_unit_test(test_bad_beside_good_fails),
		cmocka_unit_test(test_weak_digest_refused),
		cmocka_unit_test(test_keyring_change_reimports),
		cmocka_unit_test(test_bad_setup),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_signed_good),
		cmocka_unit_test(test_signed_refused),
		cmocka_unit_test(test_signed_caps),
	};
	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
