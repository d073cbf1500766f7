/* clamav_sig: ClamAV's own digital signatures, checked with OpenSSL BIGNUM arithmetic.
 *
 * ClamAV writes a signature as base-64 digits (alphabet a-z A-Z 0-9 + /), least significant digit first,
 * of the number s; the verifier computes m = s^e mod n and reads m's low bytes big-endian. Two schemes:
 *   - CVD (sigtool's "dsig"): the low 16 bytes of m are the MD5 of the CVD body (1024-bit key);
 *   - CDIFF and a CVD's <db>.info: an RSA-PSS-like encoding of the SHA-256 of the signed bytes
 *     (MGF1-SHA-256, 32-byte salt, trailer 0xbc) under a 2048-bit key (one for each).
 * The keys are ClamAV's production keys (libclamav's dsig.c, readdb.c and the cdiff code), or, for tests and
 * private mirrors, one PEM public key used for both (the source's `cvd_key`). Stricter than ClamAV: a
 * signature number not below the modulus is refused instead of being reduced.
 *
 * Ownership: sl_clamav_keys_new() -> sl_clamav_keys_free(). Failure: -SL_E_SIGNATURE for any signature
 * that does not verify or decode; constructor failures return NULL with a heap *cause. */
#ifndef SL_CLAMAV_SIG_H
#define SL_CLAMAV_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"

struct sl_clamav_keys;

enum sl_clamav_keyuse {
	SL_CLAMAV_KEY_CVD,    /* CVD headers */
	SL_CLAMAV_KEY_CDIFF,  /* .cdiff files */
	SL_CLAMAV_KEY_INFO,   /* the <db>.info inside a CVD */
};

/* pem_path NULL: ClamAV's production keys. Otherwise the RSA public key in that PEM file serves both uses
 * (at least 2048 bits, which the CDIFF scheme needs). */
struct sl_clamav_keys *sl_clamav_keys_new(const char *pem_path, char **cause);
void sl_clamav_keys_free(struct sl_clamav_keys *k);
/* SHA-256 of the key's modulus (big-endian bytes), as recorded in verification records. */
const char *sl_clamav_keys_fpr(const struct sl_clamav_keys *k, enum sl_clamav_keyuse use);

/* Decode `sig` (len characters) with the key and write the low `outlen` bytes of s^e mod n, big-endian.
 * -SL_E_SIGNATURE for an empty or over-long string, a character outside the alphabet, or s >= n. */
int sl_clamav_sig_decode(const struct sl_clamav_keys *k, enum sl_clamav_keyuse use, const char *sig, size_t len,
			 uint8_t *out, size_t outlen);
/* CVD: does `dsig` sign this MD5 (32 lowercase hex digits)? 0 or -SL_E_SIGNATURE. */
int sl_clamav_verify_md5(const struct sl_clamav_keys *k, const char *md5_hex, const char *dsig, size_t len);
/* CDIFF / .info (use says which key): does `dsig` sign this SHA-256? 0 or -SL_E_SIGNATURE. */
int sl_clamav_verify_sha256(const struct sl_clamav_keys *k, enum sl_clamav_keyuse use, const uint8_t sha256[32],
			    const char *dsig, size_t len);

#endif
