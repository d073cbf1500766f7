/* Tests for core/digest: strict SHA-256 validation, OCI digest parsing, known-answer vectors for every
 * algorithm of the streaming hasher, and chunking independence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/digest.h"
#include "core/error.h"

#define ABC_MD5 "900150983cd24fb0d6963f7d28e17f72"
#define ABC_SHA1 "a9993e364706816aba3e25717850c26c9cd0d89d"
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_SHA512                                                                                          \
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"                                  \
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void test_valid_sha256(void **state)
{
	(void)state;
	assert_true(sl_digest_valid_sha256(ABC_SHA256));
	assert_true(sl_digest_valid_sha256(EMPTY_SHA256));
	assert_true(sl_digest_valid_sha256_n(ABC_SHA256, 64));
}

static void test_invalid_sha256(void **state)
{
	(void)state;
	char buf[80];
	assert_false(sl_digest_valid_sha256(NULL));
	assert_false(sl_digest_valid_sha256(""));
	/* Uppercase: one object must have exactly one name. */
	strcpy(buf, ABC_SHA256);
	buf[0] = 'B';
	assert_false(sl_digest_valid_sha256(buf));
	/* 63 and 65 digits. */
	strcpy(buf, ABC_SHA256);
	buf[63] = '\0';
	assert_false(sl_digest_valid_sha256(buf));
	assert_false(sl_digest_valid_sha256_n(buf, 63));
	strcpy(buf, ABC_SHA256 "a");
	assert_false(sl_digest_valid_sha256(buf));
	assert_false(sl_digest_valid_sha256_n(buf, 65));
	/* Traversal dressed as a digest, and a NUL inside the 64 bytes. */
	memcpy(buf, "../", 3);
	assert_false(sl_digest_valid_sha256(buf));
	assert_false(sl_digest_valid_sha256_n(buf, 64));
	strcpy(buf, ABC_SHA256);
	buf[10] = '\0';
	assert_false(sl_digest_valid_sha256(buf));
	assert_false(sl_digest_valid_sha256_n(buf, 64));
	strcpy(buf, ABC_SHA256);
	buf[20] = 'g';
	assert_false(sl_digest_valid_sha256(buf));
	buf[20] = ' ';
	assert_false(sl_digest_valid_sha256(buf));
	assert_false(sl_digest_valid_sha256_n(NULL, 64));
}

static void test_parse_oci(void **state)
{
	(void)state;
	char hex[SL_SHA256_HEX];
	assert_int_equal(sl_digest_parse_oci("sha256:" ABC_SHA256, hex), 0);
	assert_string_equal(hex, ABC_SHA256);
	const char *bad[] = {
		ABC_SHA256,                         /* no algorithm */
		"sha512:" ABC_SHA256,               /* other algorithm */
		"SHA256:" ABC_SHA256,               /* case */
		"sha256:" ABC_SHA256 "0",           /* 65 digits */
		"sha256::" ABC_SHA256,
		"sha256:",
		"sha256:../../../../etc/passwd",
		" sha256:" ABC_SHA256,
		"sha256:" ABC_SHA256 "\n",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		strcpy(hex, "x");
		assert_int_equal(sl_digest_parse_oci(bad[i], hex), -SL_E_BADNAME);
		assert_string_equal(hex, "");
	}
	assert_int_equal(sl_digest_parse_oci(NULL, hex), -SL_E_BADNAME);
}

static void test_sha256_oneshot(void **state)
{
	(void)state;
	char hex[SL_SHA256_HEX];
	sl_digest_sha256("abc", 3, hex);
	assert_string_equal(hex, ABC_SHA256);
	sl_digest_sha256("", 0, hex);
	assert_string_equal(hex, EMPTY_SHA256);
}

/* Raw SHA-256 of two pieces: the same bytes as the hex one-shot of their concatenation, and back again
 * through unhex; unhex refuses anything but 64 lowercase hex digits and leaves out alone then. */
static void test_sha256_raw_and_unhex(void **state)
{
	(void)state;
	uint8_t raw[32], back[32];
	assert_int_equal(sl_digest_sha256_raw2("a", 1, "bc", 2, raw), 0);
	assert_int_equal(sl_digest_sha256_unhex(ABC_SHA256, 64, back), 0);
	assert_memory_equal(raw, back, 32);
	assert_int_equal(sl_digest_sha256_raw2("abc", 3, NULL, 0, raw), 0);
	assert_memory_equal(raw, back, 32);
	assert_int_equal(sl_digest_sha256_raw2("", 0, NULL, 0, raw), 0);
	assert_int_equal(sl_digest_sha256_unhex(EMPTY_SHA256, 64, back), 0);
	assert_memory_equal(raw, back, 32);
	assert_int_equal(back[0], 0xe3);   /* e3b0c442...: the high nibble first */
	assert_int_equal(back[31], 0x55);

	char bad[65];
	const char *subst = "AFg /:`@\xff";
	for (size_t pos = 0; pos < 64; pos += 9) {
		for (const char *c = subst; *c != '\0'; c++) {
			memcpy(bad, ABC_SHA256, 65);
			bad[pos] = *c;
			memset(back, 0x5a, sizeof back);
			assert_int_equal(sl_digest_sha256_unhex(bad, 64, back), -SL_E_BADNAME);
			assert_int_equal(back[0], 0x5a);
		}
	}
	assert_int_equal(sl_digest_sha256_unhex(ABC_SHA256, 63, back), -SL_E_BADNAME);
	assert_int_equal(sl_digest_sha256_unhex(ABC_SHA256, 65, back), -SL_E_BADNAME);
}

static void test_hasher_vectors(void **state)
{
	(void)state;
	char md5[129], sha1[129], sha256[129], sha512[129];
	struct sl_hasher *h = sl_hasher_new(SL_HASH_MD5 | SL_HASH_SHA1 | SL_HASH_SHA256 | SL_HASH_SHA512);
	assert_non_null(h);
	assert_int_equal(sl_hasher_update(h, "a", 1), 0);
	assert_int_equal(sl_hasher_update(h, "", 0), 0);
	assert_int_equal(sl_hasher_update(h, "bc", 2), 0);
	assert_int_equal(sl_hasher_final(h, md5, sha1, sha256, sha512), 0);
	assert_string_equal(md5, ABC_MD5);
	assert_string_equal(sha1, ABC_SHA1);
	assert_string_equal(sha256, ABC_SHA256);
	assert_string_equal(sha512, ABC_SHA512);
	/* Finished: neither update nor a second final may pretend to work. */
	assert_int_equal(sl_hasher_update(h, "x", 1), -SL_E_STATE);
	assert_int_equal(sl_hasher_final(h, md5, NULL, NULL, NULL), -SL_E_STATE);
	assert_string_equal(md5, "");
	sl_hasher_free(h);
}

static void test_hasher_subset(void **state)
{
	(void)state;
	char md5[129] = "junk", sha1[129] = "junk", sha256[129] = "junk", sha512[129] = "junk";
	struct sl_hasher *h = sl_hasher_new(SL_HASH_MD5 | SL_HASH_SHA512);
	assert_non_null(h);
	assert_int_equal(sl_hasher_update(h, "abc", 3), 0);
	assert_int_equal(sl_hasher_final(h, md5, sha1, sha256, sha512), 0);
	assert_string_equal(md5, ABC_MD5);
	assert_string_equal(sha1, "");
	assert_string_equal(sha256, "");
	assert_string_equal(sha512, ABC_SHA512);
	sl_hasher_free(h);
	assert_null(sl_hasher_new(0));
	assert_null(sl_hasher_new(1u << 7));
	sl_hasher_free(NULL);
}

/* The digest must not depend on how the stream is cut (the store hashes network reads as they come). */
static void test_hasher_chunking(void **state)
{
	(void)state;
	size_t n = 1u << 20;
	uint8_t *buf = malloc(n);
	assert_non_null(buf);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	char whole[SL_SHA256_HEX], parts[129];
	sl_digest_sha256(buf, n, whole);
	struct sl_hasher *h = sl_hasher_new(SL_HASH_SHA256);
	assert_non_null(h);
	size_t off = 0;
	while (off < n) {
		x = x * 1103515245u + 12345u;
		size_t step = 1 + (x >> 8) % 70000;
		if (step > n - off)
			step = n - off;
		assert_int_equal(sl_hasher_update(h, buf + off, step), 0);
		off += step;
	}
	assert_int_equal(sl_hasher_final(h, NULL, NULL, parts, NULL), 0);
	assert_string_equal(parts, whole);
	sl_hasher_free(h);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_sha256),
		cmocka_unit_test(test_invalid_sha256),
		cmocka_unit_test(test_parse_oci),
		cmocka_unit_test(test_sha256_oneshot),
		cmocka_unit_test(test_sha256_raw_and_unhex),
		cmocka_unit_test(test_hasher_vectors),
		cmocka_unit_test(test_hasher_subset),
		cmocka_unit_test(test_hasher_chunking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
