/* Tests for verify/oci_sig: simple-signing signatures made by the real gpg (opaque signed messages, as
 * skopeo --sign-by writes them) and cosign signatures made with OpenSSL (ECDSA P-256 over the payload),
 * against the payload rules (type, repository, tag, manifest digest). Every refusal has its code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/error.h"
#include "tests/unit/lib/gpgtest.h"
#include "tests/unit/lib/tmpdir.h"
#include "verify/oci_sig.h"

#define HEX "7b9a53356827d2398550b1162b08e1577aac3d3970cb8c6047146a99dcd42274"
#define HEX2 "9b08dc8307ed6b89994db2a3df416050345967b93f2490810b6acd1eb01c28f7"

static struct {
	struct sl_gpgtest *t;
	char *dir;
	char good[41], other[41];
	char keyring[512], home[512];
} K;

static char *payload(const char *type, const char *ref, const char *hex)
{
	char *p = NULL;
	if (asprintf(&p, "{\"critical\":{\"identity\":{\"docker-reference\":\"%s\"},\"image\":"
		     "{\"docker-manifest-digest\":\"sha256:%s\"},\"type\":\"%s\"},\"optional\":{\"creator\":\"test\"}}",
		     ref, hex, type) < 0)
		fail();
	return p;
}

static int setup(void **state)
{
	(void)state;
	K.t = sl_gpgtest_new();
	K.dir = sl_test_tmpdir_new();
	assert_non_null(K.dir);
	sl_gpgtest_genkey(K.t, "Good <g@test>", 0, "never", K.good);
	sl_gpgtest_genkey(K.t, "Other <o@test>", 0, "never", K.other);
	snprintf(K.keyring, sizeof K.keyring, "%s/good.gpg", K.dir);
	snprintf(K.home, sizeof K.home, "%s/home", K.dir);
	const char *ring[] = { K.good, NULL };
	sl_gpgtest_export(K.t, ring, false, K.keyring);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sl_gpgtest_free(K.t);
	sl_test_tmpdir_free(K.dir);
	return 0;
}

/* Sign a simple-signing payload with `fpr` and verify it as repo:tag at HEX. */
static int simple(const char *fpr, const char *text, const char *repo, const char *tag, char **reason,
		  char signer[41])
{
	const char *signers[] = { fpr, NULL };
	size_t len = 0;
	char *sig = sl_gpgtest_sign(K.t, signers, SL_GPGTEST_INLINE, text, strlen(text), 0, &len);
	struct sl_oci_sig *s = sl_oci_sig_new(K.home, K.keyring, NULL, NULL);
	assert_non_null(s);
	int rc = sl_oci_sig_simple(s, sig, len, repo, tag, HEX, signer, reason);
	sl_oci_sig_free(s);
	free(sig);
	return rc;
}

static void test_simple_good(void **state)
{
	(void)state;
	char *p = payload(SL_OCI_SIG_SIMPLE_TYPE, "127.0.0.1:5000/test/app:v1", HEX), *reason = NULL, fpr[41];
	assert_int_equal(simple(K.good, p, "test/app", "v1", &reason, fpr), 0);
	assert_string_equal(fpr, K.good);
	assert_non_null(strstr(reason, K.good));
	free(reason);
	reason = NULL;
	/* A pinned digest (no tag) accepts the tag the signer named. */
	assert_int_equal(simple(K.good, p, "test/app", NULL, &reason, fpr), 0);
	free(reason);
	free(p);
	/* Docker Hub's normalisation: docker.io/alpine is library/alpine. */
	p = payload(SL_OCI_SIG_SIMPLE_TYPE, "docker.io/alpine:3.20", HEX);
	reason = NULL;
	assert_int_equal(simple(K.good, p, "library/alpine", "3.20", &reason, fpr), 0);
	free(reason);
	free(p);
}

static void test_simple_refused(void **state)
{
	(void)state;
	char fpr[41], *reason = NULL;
	char *p = payload(SL_OCI_SIG_SIMPLE_TYPE, "reg.example/test/app:v1", HEX);
	/* A key not in signed_by. */
	assert_int_equal(simple(K.other, p, "test/app", "v1", &reason, fpr), -SL_E_SIGNATURE);
	assert_non_null(strstr(reason, "unknown key"));
	assert_string_equal(fpr, "");
	free(reason);
	/* Good key, wrong identity: another repository, another tag. */
	reason = NULL;
	assert_int_equal(simple(K.good, p, "test/other", "v1", &reason, fpr), -SL_E_MISMATCH);
	assert_string_equal(fpr, "");
	free(reason);
	reason = NULL;
	assert_int_equal(simple(K.good, p, "test/app", "v2", &reason, fpr), -SL_E_MISMATCH);
	free(reason);
	free(p);
	/* Good key, another manifest digest. */
	p = payload(SL_OCI_SIG_SIMPLE_TYPE, "reg.example/test/app:v1", HEX2);
	reason = NULL;
	assert_int_equal(simple(K.good, p, "test/app", "v1", &reason, fpr), -SL_E_MISMATCH);
	assert_non_null(strstr(reason, HEX2));
	free(reason);
	free(p);
	/* Good key, a cosign payload type. */
	p = payload(SL_OCI_SIG_COSIGN_TYPE, "reg.example/test/app:v1", HEX);
	reason = NULL;
	assert_int_equal(simple(K.good, p, "test/app", "v1", &reason, fpr), -SL_E_PARSE);
	free(reason);
	free(p);

	/* Not a signature at all, an empty one, a corrupted one. */
	struct sl_oci_sig *s = sl_oci_sig_new(K.home, K.keyring, NULL, NULL);
	assert_non_null(s);
	reason = NULL;
	assert_int_equal(sl_oci_sig_simple(s, "{}", 2, "test/app", "v1", HEX, fpr, &reason), -SL_E_SIGNATURE);
	free(reason);
	reason = NULL;
	assert_int_equal(sl_oci_sig_simple(s, "", 0, "test/app", "v1", HEX, fpr, &reason), -SL_E_SIGNATURE);
	free(reason);
	p = payload(SL_OCI_SIG_SIMPLE_TYPE, "reg.example/test/app:v1", HEX);
	const char *signers[] = { K.good, NULL };
	size_t len = 0;
	char *sig = sl_gpgtest_sign(K.t, signers, SL_GPGTEST_INLINE, p, strlen(p), 0, &len);
	sig[len - 10] ^= 0x5a;
	reason = NULL;
	assert_int_equal(sl_oci_sig_simple(s, sig, len, "test/app", "v1", HEX, fpr, &reason), -SL_E_SIGNATURE);
	assert_string_equal(fpr, "");
	free(reason);
	free(sig);
	/* A good signature, but clear-signed: simple signing is an opaque message (gpg --sign). */
	sig = sl_gpgtest_sign(K.t, signers, SL_GPGTEST_CLEAR, p, strlen(p), 0, &len);
	reason = NULL;
	assert_int_equal(sl_oci_sig_simple(s, sig, len, "test/app", "v1", HEX, fpr, &reason), -SL_E_SIGNATURE);
	assert_non_null(strstr(reason, "clear-signed"));
	assert_string_equal(fpr, "");
	free(reason);
	free(sig);
	free(p);
	/* A signed payload beyond the payload cap (64 KiB) is refused as too big. */
	size_t plen = 70u << 10;
	p = malloc(plen + 1);
	assert_non_null(p);
	memset(p, ' ', plen);
	p[plen] = '\0';
	sig = sl_gpgtest_sign(K.t, signers, SL_GPGTEST_INLINE, p, plen, 0, &len);
	reason = NULL;
	assert_int_equal(sl_oci_sig_simple(s, sig, len, "test/app", "v1", HEX, fpr, &reason), -SL_E_TOOBIG);
	assert_string_equal(fpr, "");
	free(reason);
	free(sig);
	free(p);
	sl_oci_sig_free(s);
}

static void test_payload_rules(void **state)
{
	(void)state;
	char *reason = NULL;
	const char *t = SL_OCI_SIG_SIMPLE_TYPE;
	struct {
		const char *ref, *repo, *tag;
		int rc;
	} cases[] = {
		{ "reg.example:5000/a/b:1", "a/b", "1", 0 },
		{ "localhost/a:1", "a", "1", 0 },
		{ "a/b:1", "a/b", "1", 0 },
		{ "alpine", "library/alpine", "3", 0 },
		{ "reg.example/a/b@sha256:" HEX, "a/b", "1", 0 },
		{ "reg.example/a/b@sha256:" HEX2, "a/b", "1", -SL_E_MISMATCH },
		{ "reg.example/a/b:2", "a/b", "1", -SL_E_MISMATCH },
		{ "reg.example/a/bb:1", "a/b", "1", -SL_E_MISMATCH },
		{ "reg.example/x/a/b:1", "a/b", "1", -SL_E_MISMATCH },
		{ "evil.example/library/alpine:3", "alpine", "3", -SL_E_MISMATCH },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *p = payload(t, cases[i].ref, HEX);
		reason = NULL;
		int rc = sl_oci_sig_payload_check(p, strlen(p), t, cases[i].repo, cases[i].tag, HEX, &reason);
		if (rc != cases[i].rc)
			fail_msg("%s as %s:%s: %d (%s)", cases[i].ref, cases[i].repo, cases[i].tag, rc,
				 reason ? reason : "");
		free(reason);
		free(p);
	}
	const char *bad[] = { "not json", "{}", "{\"critical\":{}}",
			      "{\"critical\":{\"identity\":{\"docker-reference\":\"a\"},\"image\":{\"docker-manifest-digest\":"
			      "\"sha256:../x\"},\"type\":\"atomic container signature\"}}", NULL };
	for (size_t i = 0; bad[i]; i++) {
		reason = NULL;
		assert_int_equal(sl_oci_sig_payload_check(bad[i], strlen(bad[i]), t, "a", "1", HEX, &reason), -SL_E_PARSE);
		assert_non_null(reason);
		free(reason);
	}
}

/* ---- cosign ---- */

static EVP_PKEY *ec_key(const char *path)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(k);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
	return k;
}

static char *cosign_sign(EVP_PKEY *k, const char *data)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[256];
	size_t len = sizeof sig;
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &len, (const unsigned char *)data, strlen(data)), 1);
	EVP_MD_CTX_free(md);
	char *b64 = calloc(1, 4 * (len + 2) / 3 + 4);
	assert_non_null(b64);
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)len);
	return b64;
}

static void test_cosign(void **state)
{
	(void)state;
	char pem[600], other_pem[600];
	snprintf(pem, sizeof pem, "%s/cosign.pub", K.dir);
	snprintf(other_pem, sizeof other_pem, "%s/other.pub", K.dir);
	EVP_PKEY *k = ec_key(pem), *o = ec_key(other_pem);
	struct sl_oci_sig *s = sl_oci_sig_new(NULL, NULL, pem, NULL);
	assert_non_null(s);
	char *p = payload(SL_OCI_SIG_COSIGN_TYPE, "reg.example/test/app", HEX), *reason = NULL;
	char *sig = cosign_sign(k, p);
	assert_int_equal(sl_oci_sig_cosign(s, p, strlen(p), sig, "test/app", HEX, &reason), 0);
	free(reason);
	/* Tampered payload, another key's signature, garbage, a missing annotation. */
	char *tampered = strdup(p);
	tampered[strlen(tampered) - 3] = 'X';
	reason = NULL;
	assert_int_equal(sl_oci_sig_cosign(s, tampered, strlen(tampered), sig, "test/app", HEX, &reason),
			 -SL_E_SIGNATURE);
	free(reason);
	char *osig = cosign_sign(o, p);
	reason = NULL;
	assert_int_equal(sl_oci_sig_cosign(s, p, strlen(p), osig, "test/app", HEX, &reason), -SL_E_SIGNATURE);
	free(reason);
	reason = NULL;
	assert_int_equal(sl_oci_sig_cosign(s, p, strlen(p), "!!!not base64!!!", "test/app", HEX, &reason),
			 -SL_E_SIGNATURE);
	free(reason);
	reason = NULL;
	assert_int_equal(sl_oci_sig_cosign(s, p, strlen(p), NULL, "test/app", HEX, &reason), -SL_E_SIGNATURE);
	free(reason);
	/* A good signature over a payload for another image. */
	char *p2 = payload(SL_OCI_SIG_COSIGN_TYPE, "reg.example/test/app", HEX2), *sig2 = cosign_sign(k, p2);
	reason = NULL;
	assert_int_equal(sl_oci_sig_cosign(s, p2, strlen(p2), sig2, "test/app", HEX, &reason), -SL_E_MISMATCH);
	free(reason);
	/* Simple signing was not configured on this verifier. */
	char fpr[41];
	reason = NULL;
	assert_int_equal(sl_oci_sig_simple(s, "x", 1, "test/app", "v1", HEX, fpr, &reason), -SL_E_VERIFY);
	free(reason);
	free(p2);
	free(sig2);
	free(osig);
	free(tampered);
	free(sig);
	free(p);
	sl_oci_sig_free(s);
	EVP_PKEY_free(k);
	EVP_PKEY_free(o);

	/* Keys that are not ECDSA, or not keys. */
	char rsa_pem[600];
	snprintf(rsa_pem, sizeof rsa_pem, "%s/rsa.pub", K.dir);
	EVP_PKEY *r = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	FILE *f = fopen(rsa_pem, "w");
	assert_non_null(f);
	PEM_write_PUBKEY(f, r);
	fclose(f);
	EVP_PKEY_free(r);
	char *cause = NULL;
	assert_null(sl_oci_sig_new(NULL, NULL, rsa_pem, &cause));
	assert_non_null(strstr(cause, "ECDSA"));
	free(cause);
	cause = NULL;
	assert_null(sl_oci_sig_new(NULL, NULL, K.keyring, &cause));
	assert_non_null(cause);
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_good),
		cmocka_unit_test(test_simple_refused),
		cmocka_unit_test(test_payload_rules),
		cmocka_unit_test(test_cosign),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
