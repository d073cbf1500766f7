/* digest: SHA-256 names and the multi-algorithm hasher, on OpenSSL EVP. Validation is byte-exact and
 * never reads past the NUL or the given length: a digest becomes a file name, so anything loose here is a
 * path traversal elsewhere. */
#include "core/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define SL_SHA256_LEN 64          /* hex digits in a SHA-256 digest */
#define SL_OCI_PREFIX "sha256:"   /* the only OCI algorithm sluice accepts (registries use nothing else) */

static bool is_lower_hex(char c)
{
	/* Uppercase is refused on purpose: one object, one spelling, one file name. */
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool sl_digest_valid_sha256(const char *hex)
{
	if (hex == NULL)
		return false;
	/* Stops at the first non-hex byte, the NUL included, so a short string is never over-read. */
	for (size_t i = 0; i < SL_SHA256_LEN; i++)
		if (!is_lower_hex(hex[i]))
			return false;
	return hex[SL_SHA256_LEN] == '\0';
}

bool sl_digest_valid_sha256_n(const char *hex, size_t len)
{
	if (hex == NULL || len != SL_SHA256_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_lower_hex(hex[i]))
			return false;
	return true;
}

int sl_digest_parse_oci(const char *s, char hex[SL_SHA256_HEX])
{
	size_t plen = strlen(SL_OCI_PREFIX);
	if (s == NULL || strncmp(s, SL_OCI_PREFIX, plen) != 0 || !sl_digest_valid_sha256(s + plen)) {
		if (hex != NULL)
			hex[0] = '\0';
		return -SL_E_BADNAME;
	}
	memcpy(hex, s + plen, SL_SHA256_HEX);
	return 0;
}

static void to_hex(const unsigned char *bin, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bin[i] >> 4];
		out[2 * i + 1] = digits[bin[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

void sl_digest_sha256(const void *data, size_t len, char hex[SL_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	/* EVP_Digest fails only on allocation failure; "" is then an invalid digest, so callers fail closed. */
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		hex[0] = '\0';
		return;
	}
	to_hex(md, mdlen, hex);
}

int sl_digest_sha256_raw2(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(c, a, alen) == 1 &&
		 (blen == 0 || EVP_DigestUpdate(c, b, blen) == 1) && EVP_DigestFinal_ex(c, md, &mdlen) == 1 &&
		 mdlen == 32;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -ENOMEM;
	memcpy(out, md, 32);
	return 0;
}

/* A lowercase hex digit's value plus one, 0 for anything else: a table, as this runs for every stanza of an
 * index. */
static const uint8_t hexval_tab[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9,
	['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

int sl_digest_sha256_unhex(const char *hex, size_t len, uint8_t out[32])
{
	if (len != 64)
		return -SL_E_BADNAME;
	uint8_t bad = 0, tmp[32];
	for (size_t i = 0; i < 32; i++) {
		uint8_t hi = hexval_tab[(unsigned char)hex[2 * i]], lo = hexval_tab[(unsigned char)hex[2 * i + 1]];
		bad |= (uint8_t)(hi == 0) | (uint8_t)(lo == 0);
		tmp[i] = (uint8_t)(((hi - 1) & 0xf) << 4 | ((lo - 1) & 0xf));   /* masked: no shift of -1 */
	}
	if (bad)
		return -SL_E_BADNAME;
	memcpy(out, tmp, 32);
	return 0;
}

/* One EVP context per algorithm, in the order of enum sl_hash_alg's bits. */
#define SL_HASH_NALG 4

struct sl_hasher {
	EVP_MD_CTX *ctx[SL_HASH_NALG];
	bool finished;
};

static const EVP_MD *alg_md(unsigned i)
{
	switch (i) {
	case 0:
		return EVP_md5();
	case 1:
		return EVP_sha1();
	case 2:
		return EVP_sha256();
	default:
		return EVP_sha512();
	}
}

struct sl_hasher *sl_hasher_new(unsigned algs)
{
	if (algs == 0 || (algs & ~(unsigned)(SL_HASH_MD5 | SL_HASH_SHA1 | SL_HASH_SHA256 | SL_HASH_SHA512)))
		return NULL;
	struct sl_hasher *h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	for (unsigned i = 0; i < SL_HASH_NALG; i++) {
		if (!(algs & (1u << i)))
			continue;
		h->ctx[i] = EVP_MD_CTX_new();
		/* MD5 may be unavailable under a FIPS provider: that is a failure, not a silent "". */
		if (h->ctx[i] == NULL || EVP_DigestInit_ex(h->ctx[i], alg_md(i), NULL) != 1) {
			sl_hasher_free(h);
			return NULL;
		}
	}
	return h;
}

int sl_hasher_update(struct sl_hasher *h, const void *data, size_t len)
{
	if (h == NULL || h->finished)
		return -SL_E_STATE;
	if (len == 0)
		return 0;
	for (unsigned i = 0; i < SL_HASH_NALG; i++)
		if (h->ctx[i] != NULL && EVP_DigestUpdate(h->ctx[i], data, len) != 1)
			return -EIO;
	return 0;
}

int sl_hasher_sink(void *hasher, const void *data, size_t len)
{
	return sl_hasher_update(hasher, data, len);
}

int sl_hasher_final(struct sl_hasher *h, char *md5, char *sha1, char *sha256, char *sha512)
{
	char *out[SL_HASH_NALG] = { md5, sha1, sha256, sha512 };
	for (unsigned i = 0; i < SL_HASH_NALG; i++)
		if (out[i] != NULL)
			out[i][0] = '\0';
	if (h == NULL || h->finished)
		return -SL_E_STATE;
	h->finished = true;
	for (unsigned i = 0; i < SL_HASH_NALG; i++) {
		if (h->ctx[i] == NULL)
			continue;
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		if (EVP_DigestFinal_ex(h->ctx[i], md, &mdlen) != 1)
			return -EIO;
		if (out[i] != NULL)
			to_hex(md, mdlen, out[i]);
	}
	return 0;
}

void sl_hasher_free(struct sl_hasher *h)
{
	if (h == NULL)
		return;
	for (unsigned i = 0; i < SL_HASH_NALG; i++)
		EVP_MD_CTX_free(h->ctx[i]);
	free(h);
}
