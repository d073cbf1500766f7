/* Tests for verify/clamav_sig: ClamAV's real databases (../shared/fixtures/clamav, signed with ClamAV's
 * production keys) verify and any change to them does not; a key made here signs CVD and CDIFF data in
 * ClamAV's encoding, which verifies only with that key configured; malformed signatures are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "core/cvd.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "tests/unit/lib/tmpdir.h"
#include "verify/clamav_sig.h"

static char *fixture(const char *name)
{
	const char *src = getenv("SL_SOURCE_DIR");
	char *p = NULL;
	if (src == NULL || asprintf(&p, "%s/../shared/fixtures/clamav/%s", src, name) < 0)
		return NULL;
	return p;
}

static char *read_fixture(const char *name, size_t *len)
{
	char *path = fixture(name), *data = NULL;
	int r = path != NULL ? sl_fs_read_file(path, 1u << 20, &data, len) : -1;
	free(path);
	return r == 0 ? data : NULL;
}

static bool have_fixtures(void)
{
	char *p = fixture("test-6.cvd");
	bool ok = p != NULL && access(p, R_OK) == 0;
	free(p);
	if (!ok)
		fprintf(stderr, "SKIP: ../shared/fixtures/clamav is absent (ClamAV's signed test databases)\n");
	return ok;
}

static void test_fixture_cvds_verify(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	struct sl_clamav_keys *k = sl_clamav_keys_new(NULL, NULL);
	assert_non_null(k);
	for (int v = 1; v <= 6; v++) {
		char name[32];
		snprintf(name, sizeof name, "test-%d.cvd", v);
		size_t len;
		char *d = read_fixture(name, &len);
		assert_non_null(d);
		struct sl_cvd_header h;
		char why[256];
		assert_int_equal(sl_cvd_parse_header((const uint8_t *)d, len, &h, why, sizeof why), 0);
		assert_int_equal(h.version, v);
		assert_int_equal(sl_clamav_verify_md5(k, h.md5, h.dsig, strlen(h.dsig)), 0);
		/* Another MD5, or one changed signature digit, must fail. */
		char md5[33];
		memcpy(md5, h.md5, 33);
		md5[31] = md5[31] == '0' ? '1' : '0';
		assert_int_equal(sl_clamav_verify_md5(k, md5, h.dsig, strlen(h.dsig)), -SL_E_SIGNATURE);
		h.dsig[5] = h.dsig[5] == 'a' ? 'b' : 'a';
		assert_int_equal(sl_clamav_verify_md5(k, h.md5, h.dsig, strlen(h.dsig)), -SL_E_SIGNATURE);
		free(d);
	}
	sl_clamav_keys_free(k);
}

static void test_fixture_cdiffs_verify(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	struct sl_clamav_keys *k = sl_clamav_keys_new(NULL, NULL);
	assert_non_null(k);
	for (int v = 2; v <= 6; v++) {
		char name[32];
		snprintf(name, sizeof name, "test-%d.cdiff", v);
		size_t len;
		char *d = read_fixture(name, &len);
		assert_non_null(d);
		struct sl_cdiff c;
		char why[256];
		assert_int_equal(sl_cdiff_parse((const uint8_t *)d, len, &c, why, sizeof why), 0);
		assert_int_equal(c.version, v);
		uint8_t h[32];
		unsigned int hl;
		assert_int_equal(EVP_Digest(d, c.signed_len, h, &hl, EVP_sha256(), NULL), 1);
		assert_int_equal(sl_clamav_verify_sha256(k, SL_CLAMAV_KEY_CDIFF, h, c.dsig, c.dsig_len), 0);
		assert_int_equal(sl_cdiff_check_script((const uint8_t *)d, &c, NULL), 0);
		h[0] ^= 1;
		assert_int_equal(sl_clamav_verify_sha256(k, SL_CLAMAV_KEY_CDIFF, h, c.dsig, c.dsig_len), -SL_E_SIGNATURE);
		free(d);
	}
	sl_clamav_keys_free(k);
}

/* ---- a key of our own, signing in ClamAV's encoding ---- */

static char *encode(const BIGNUM *s)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
	BIGNUM *t = BN_dup(s);
	char *out = calloc(1, SL_CVD_DSIG_MAX + 1);
	size_t n = 0;
	while (!BN_is_zero(t) && n < SL_CVD_DSIG_MAX)
		out[n++] = alpha[BN_div_word(t, 64)];
	BN_free(t);
	return out;
}

static char *sign_block(EVP_PKEY *pk, const uint8_t *m, size_t mlen)
{
	BIGNUM *n = NULL, *d = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_D, &d), 1);
	BIGNUM *x = BN_bin2bn(m, (int)mlen, NULL), *s = BN_new();
	BN_CTX *bc = BN_CTX_new();
	assert_int_equal(BN_mod_exp(s, x, d, n, bc), 1);
	char *sig = encode(s);
	BN_CTX_free(bc);
	BN_free(x);
	BN_free(s);
	BN_free(n);
	BN_free(d);
	return sig;
}

static void mgf_xor(const uint8_t *h, uint8_t *db, size_t len)
{
	for (unsigned ctr = 0; ctr * 32 < len; ctr++) {
		uint8_t in[36], blk[32];
		memcpy(in, h, 32);
		in[32] = 0, in[33] = 0, in[34] = (uint8_t)(ctr >> 8), in[35] = (uint8_t)ctr;
		EVP_Digest(in, sizeof in, blk, NULL, EVP_sha256(), NULL);
		for (size_t i = 0; i < 32 && ctr * 32 + i < len; i++)
			db[ctr * 32 + i] ^= blk[i];
	}
}

static char *sign_pss(EVP_PKEY *pk, const uint8_t hash[32])
{
	uint8_t em[256] = { 0 }, salt[32], mp[72];
	RAND_bytes(salt, sizeof salt);
	memset(mp, 0, 8);
	memcpy(mp + 8, hash, 32);
	memcpy(mp + 40, salt, 32);
	uint8_t *db = em, *h = em + 223;
	EVP_Digest(mp, sizeof mp, h, NULL, EVP_sha256(), NULL);
	db[223 - 33] = 0x01;
	memcpy(db + 223 - 32, salt, 32);
	mgf_xor(h, db, 223);
	db[0] &= 0x7f;
	em[255] = 0xbc;
	return sign_block(pk, em, sizeof em);
}

struct own {
	char *dir, *pem;
	EVP_PKEY *pk;
};

static void own_key(struct own *o)
{
	o->dir = sl_test_tmpdir_new();
	assert_non_null(o->dir);
	o->pk = EVP_RSA_gen(2048);
	assert_non_null(o->pk);
	assert_true(asprintf(&o->pem, "%s/key.pem", o->dir) > 0);
	FILE *f = fopen(o->pem, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, o->pk), 1);
	fclose(f);
}

static void own_free(struct own *o)
{
	EVP_PKEY_free(o->pk);
	free(o->pem);
	sl_test_tmpdir_free(o->dir);
}

static void test_own_key_signs(void **state)
{
	(void)state;
	struct own o;
	own_key(&o);
	struct sl_clamav_keys *mine = sl_clamav_keys_new(o.pem, NULL), *clamav = sl_clamav_keys_new(NULL, NULL);
	assert_non_null(mine);
	assert_non_null(clamav);
	assert_string_not_equal(sl_clamav_keys_fpr(mine, SL_CLAMAV_KEY_CVD), sl_clamav_keys_fpr(clamav, SL_CLAMAV_KEY_CVD));

	static const char md5[] = "3e249e00076b0b15bb54ced37be880c7";
	uint8_t m[16];
	for (int i = 0; i < 16; i++)
		sscanf(md5 + 2 * i, "%2hhx", &m[i]);
	char *sig = sign_block(o.pk, m, sizeof m);
	assert_int_equal(sl_clamav_verify_md5(mine, md5, sig, strlen(sig)), 0);
	assert_int_equal(sl_clamav_verify_md5(clamav, md5, sig, strlen(sig)), -SL_E_SIGNATURE);
	free(sig);

	uint8_t hash[32];
	EVP_Digest("cdiff", 5, hash, NULL, EVP_sha256(), NULL);
	sig = sign_pss(o.pk, hash);
	assert_int_equal(sl_clamav_verify_sha256(mine, SL_CLAMAV_KEY_CDIFF, hash, sig, strlen(sig)), 0);
	assert_int_equal(sl_clamav_verify_sha256(clamav, SL_CLAMAV_KEY_CDIFF, hash, sig, strlen(sig)), -SL_E_SIGNATURE);
	hash[31] ^= 0x80;
	assert_int_equal(sl_clamav_verify_sha256(mine, SL_CLAMAV_KEY_CDIFF, hash, sig, strlen(sig)), -SL_E_SIGNATURE);
	free(sig);

	sl_clamav_keys_free(mine);
	sl_clamav_keys_free(clamav);
	own_free(&o);
}

static void test_bad_keys(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new();
	char *cause = NULL, path[4096];
	snprintf(path, sizeof path, "%s/missing.pem", dir);
	assert_null(sl_clamav_keys_new(path, &cause));
	assert_non_null(strstr(cause, "missing.pem"));
	free(cause);
	cause = NULL;
	snprintf(path, sizeof path, "%s/junk.pem", dir);
	assert_int_equal(sl_fs_write_atomic(path, "hello\n", 6, 0644), 0);
	assert_null(sl_clamav_keys_new(path, &cause));
	assert_non_null(strstr(cause, "not a PEM public key"));
	free(cause);
	cause = NULL;
	EVP_PKEY *small = EVP_RSA_gen(1024);
	snprintf(path, sizeof path, "%s/small.pem", dir);
	FILE *f = fopen(path, "w");
	PEM_write_PUBKEY(f, small);
	fclose(f);
	EVP_PKEY_free(small);
	assert_null(sl_clamav_keys_new(path, &cause));
	assert_non_null(strstr(cause, "2048"));
	free(cause);
	sl_test_tmpdir_free(dir);
}

static void test_malformed_signatures(void **state)
{
	(void)state;
	struct sl_clamav_keys *k = sl_clamav_keys_new(NULL, NULL);
	uint8_t out[16];
	assert_int_equal(sl_clamav_sig_decode(k, SL_CLAMAV_KEY_CVD, "", 0, out, 16), -SL_E_SIGNATURE);
	assert_int_equal(sl_clamav_sig_decode(k, SL_CLAMAV_KEY_CVD, "ab=c", 4, out, 16), -SL_E_SIGNATURE);
	assert_int_equal(sl_clamav_sig_decode(k, SL_CLAMAV_KEY_CVD, "ab\0c", 4, out, 16), -SL_E_SIGNATURE);
	/* 200 '/' digits = 64^200 - 1 > the 1024-bit modulus: refused, not reduced. */
	char big[201];
	memset(big, '/', 200);
	big[200] = '\0';
	assert_int_equal(sl_clamav_sig_decode(k, SL_CLAMAV_KEY_CVD, big, 200, out, 16), -SL_E_SIGNATURE);
	char huge[SL_CVD_DSIG_MAX + 2];
	memset(huge, 'a', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	assert_int_equal(sl_clamav_sig_decode(k, SL_CLAMAV_KEY_CDIFF, huge, strlen(huge), out, 16), -SL_E_SIGNATURE);
	/* A small valid number decodes (to something that is not a signature). */
	assert_int_equal(sl_clamav_sig_decode(k, SL_CLAMAV_KEY_CVD, "b", 1, out, 16), 0);
	assert_int_equal(out[15], 1);   /* 1^e mod n = 1 */
	assert_int_equal(sl_clamav_verify_md5(k, "short", "b", 1), -SL_E_SIGNATURE);
	assert_int_equal(sl_clamav_verify_md5(k, "3E249E00076B0B15BB54CED37BE880C7", "b", 1), -SL_E_SIGNATURE);
	sl_clamav_keys_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_cvds_verify),
		cmocka_unit_test(test_fixture_cdiffs_verify),
		cmocka_unit_test(test_own_key_signs),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_malformed_signatures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
