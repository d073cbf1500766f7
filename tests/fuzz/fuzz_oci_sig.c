/* fuzz_oci_sig: container image signatures as a registry delivers them: the signed payload JSON (simple
 * signing and cosign share its shape), cosign's base64 signature annotation, and cosign signature
 * manifests. First byte: bits 0-1 pick the entry point, bits 2-3 the expected image.
 *   0: sl_oci_sig_payload_check on the rest (bit 4: the cosign type, else simple signing's);
 *   1: sl_oci_sig_cosign with the rest split at the first '\n' into base64 signature and payload;
 *   2: the same with a real ECDSA signature over the payload, so the payload rules are reached as
 *      through a good signature;
 *   3: sl_oci_sig_cosign_manifest on the rest, its layers' blobs read from a fixed set.
 * The key is a P-256 pair made at start-up (its public half in a temporary PEM file, as cosign_key).
 * OpenPGP (simple signing) is GnuPG's parsing, judged by verify/gpg, and not fuzzed here. Asserts: only
 * the documented codes, a reason every time, and an accepted payload names the expected digest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/digest.h"
#include "core/error.h"
#include "verify/oci_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (64u << 10)   /* bytes: payloads are capped at 64 KiB by oci_sig itself */

/* A broken promise: say which, then abort so the fuzzer keeps the input. */
#define require(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: violated: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const struct {
	const char *repo, *tag, *hex;
} images[4] = {
	{ "library/alpine", "3.19", "0d5a3ad5f7c8e59e5ef8d6bd3e5d09e23a7c5b2a34b8bd7f0b2a8f6b5e6d1c2a" },
	{ "library/alpine", NULL, "0d5a3ad5f7c8e59e5ef8d6bd3e5d09e23a7c5b2a34b8bd7f0b2a8f6b5e6d1c2a" },
	{ "sluice/test", "v1", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" },
	{ "a/b/c", "latest", "1111111111111111111111111111111111111111111111111111111111111111" },
};

static struct sl_oci_sig *sig;
static EVP_PKEY *key;

static void setup(void)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	require(c != NULL && EVP_PKEY_keygen_init(c) == 1 &&
		EVP_PKEY_CTX_set_ec_paramgen_curve_nid(c, NID_X9_62_prime256v1) == 1 && EVP_PKEY_keygen(c, &key) == 1);
	EVP_PKEY_CTX_free(c);
	char path[] = "/tmp/fuzz_oci_sig.XXXXXX";
	int fd = mkstemp(path);
	require(fd >= 0);
	FILE *f = fdopen(fd, "w");
	require(f != NULL && PEM_write_PUBKEY(f, key) == 1 && fclose(f) == 0);
	char *cause = NULL;
	sig = sl_oci_sig_new(NULL, NULL, path, &cause);
	unlink(path);
	require(sig != NULL);
}

/* An accepted payload names exactly the expected digest and type. */
static void accepted(const uint8_t *p, size_t len, const char *type, const char *hex)
{
	json_t *j = json_loadb((const char *)p, len, 0, NULL);
	json_t *crit = json_object_get(j, "critical");
	const char *t = json_string_value(json_object_get(crit, "type"));
	const char *d = json_string_value(json_object_get(json_object_get(crit, "image"), "docker-manifest-digest"));
	char dh[SL_SHA256_HEX];
	require(t != NULL && strcmp(t, type) == 0);
	require(d != NULL && sl_digest_parse_oci(d, dh) == 0 && strcmp(dh, hex) == 0);
	json_decref(j);
}

static void judged(int rc, char *reason)
{
	require(rc == 0 || rc == -SL_E_SIGNATURE || rc == -SL_E_MISMATCH || rc == -SL_E_PARSE ||
		rc == -SL_E_TOOBIG);
	require(reason != NULL);
	free(reason);
}

static void cosign(const uint8_t *p, size_t len, const char *b64, int img)
{
	char *reason = NULL;
	int rc = sl_oci_sig_cosign(sig, p, len, b64, images[img].repo, images[img].hex, &reason);
	if (rc == 0)
		accepted(p, len, SL_OCI_SIG_COSIGN_TYPE, images[img].hex);
	judged(rc, reason);
}

/* The payload signed with the fuzzer's key, base64 as cosign writes it. */
static void cosign_signed(const uint8_t *p, size_t len, int img)
{
	unsigned char der[256], b64[400];
	size_t dlen = sizeof der;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	require(md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		EVP_DigestSign(md, der, &dlen, p, len) == 1);
	EVP_MD_CTX_free(md);
	EVP_EncodeBlock(b64, der, (int)dlen);
	char *reason = NULL;
	int rc = sl_oci_sig_cosign(sig, p, len, (const char *)b64, images[img].repo, images[img].hex, &reason);
	/* The signature is good: what remains are the payload's rules. */
	require(rc != -SL_E_SIGNATURE);
	if (rc == 0)
		accepted(p, len, SL_OCI_SIG_COSIGN_TYPE, images[img].hex);
	judged(rc, reason);
}

/* Blobs a manifest's layers may name: a good payload for image 0, and junk. */
static int read_blob(void *arg, const char *hex, size_t cap, uint8_t **out, size_t *len)
{
	(void)arg;
	static const char good[] = "{\"critical\":{\"identity\":{\"docker-reference\":\"docker.io/library/alpine\"},"
				   "\"image\":{\"docker-manifest-digest\":\"sha256:0d5a3ad5f7c8e59e5ef8d6bd3e5d09e23a"
				   "7c5b2a34b8bd7f0b2a8f6b5e6d1c2a\"},\"type\":\"cosign container image signature\"},"
				   "\"optional\":null}";
	const char *body = hex[0] == 'a' ? good : hex[0] == 'b' ? "not json" : NULL;
	if (body == NULL)
		return -SL_E_NOTFOUND;
	size_t n = strlen(body);
	require(n <= cap);
	*out = malloc(n);
	require(*out != NULL);
	memcpy(*out, body, n);
	*len = n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	if (sig == NULL)
		setup();
	unsigned mode = data[0];
	int img = (int)((mode >> 2) & 3);
	data++;
	size--;
	char *reason = NULL;
	int rc;
	switch (mode & 3) {
	case 0: {
		const char *type = (mode & 16) ? SL_OCI_SIG_COSIGN_TYPE : SL_OCI_SIG_SIMPLE_TYPE;
		rc = sl_oci_sig_payload_check(data, size, type, images[img].repo, images[img].tag, images[img].hex,
					      &reason);
		if (rc == 0)
			accepted(data, size, type, images[img].hex);
		/* On success the payload check leaves the reason to its caller. */
		require(rc == 0 ? reason == NULL : reason != NULL);
		if (rc == 0)
			reason = strdup("ok");
		judged(rc, reason);
		break;
	}
	case 1: {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t blen = nl ? (size_t)(nl - data) : size;
		char *b64 = malloc(blen + 1);
		require(b64 != NULL);
		memcpy(b64, data, blen);
		b64[blen] = '\0';
		size_t off = nl ? blen + 1 : size;
		cosign(data + off, size - off, b64, img);
		free(b64);
		break;
	}
	case 2:
		cosign_signed(data, size, img);
		break;
	default:
		rc = sl_oci_sig_cosign_manifest(sig, data, size, read_blob, NULL, images[img].repo, images[img].hex,
						&reason);
		judged(rc, reason);
		break;
	}
	return 0;
}
