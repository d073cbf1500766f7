/* digest: SHA-256 names for content (OpenSSL EVP), strict validation of digests before they touch a path,
 * and a multi-algorithm streaming hasher for metadata that must list several sums (APT Release). */
#ifndef SL_DIGEST_H
#define SL_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_SHA256_HEX 65   /* 64 hex digits + NUL */

/* True only for ^[a-f0-9]{64}$ (NUL-terminated). */
bool sl_digest_valid_sha256(const char *hex);
/* Same for a length-delimited string. */
bool sl_digest_valid_sha256_n(const char *hex, size_t len);
/* "sha256:<64 hex>" (OCI form) -> hex. 0, or -SL_E_BADNAME for anything else (other algorithms included). */
int sl_digest_parse_oci(const char *s, char hex[SL_SHA256_HEX]);
/* SHA-256 of a buffer, as lowercase hex ("" only if OpenSSL cannot allocate: an invalid digest, so
 * callers that compare or validate it fail closed). */
void sl_digest_sha256(const void *data, size_t len, char hex[SL_SHA256_HEX]);
/* SHA-256 of a then b (blen may be 0), as 32 raw bytes: for keys computed per stanza or per path, where a
 * streaming hasher and a round trip through hex cost more than the hash. 0, or -ENOMEM (out untouched). */
int sl_digest_sha256_raw2(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32]);
/* The 32 bytes of a 64-digit lowercase hex SHA-256 (len must be 64). 0, or -SL_E_BADNAME for any other
 * length or digit. */
int sl_digest_sha256_unhex(const char *hex, size_t len, uint8_t out[32]);

/* Streaming hasher for any subset of these. */
enum sl_hash_alg {
	SL_HASH_MD5 = 1u << 0,
	SL_HASH_SHA1 = 1u << 1,
	SL_HASH_SHA256 = 1u << 2,
	SL_HASH_SHA512 = 1u << 3,
};
struct sl_hasher;
/* NULL on allocation failure, an empty or unknown algs mask, or an algorithm the OpenSSL provider refuses
 * (MD5 under FIPS). Free with sl_hasher_free (NULL is a no-op). */
struct sl_hasher *sl_hasher_new(unsigned algs);
int sl_hasher_update(struct sl_hasher *h, const void *data, size_t len);
/* sl_hasher_update with the signature of a byte sink (a decompressor's, the write-behind's consume): arg is
 * the hasher. */
int sl_hasher_sink(void *hasher, const void *data, size_t len);
/* Finish; hex buffers must hold 129 bytes (or at least the algorithm's hex + NUL: MD5 33, SHA-1 41,
 * SHA-256 SL_SHA256_HEX); a NULL buffer is skipped. Algorithms not requested give "". Can be called once
 * (-SL_E_STATE after; update after final is -SL_E_STATE too). */
int sl_hasher_final(struct sl_hasher *h, char *md5, char *sha1, char *sha256, char *sha512);
void sl_hasher_free(struct sl_hasher *h);

#endif
