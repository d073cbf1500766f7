/* libFuzzer target for ClamAV's containers: the CVD header parser, the CDIFF container parser, freshclam's
 * DNS record and the signature decoder (base-64 digits to a number below the key's modulus). Besides
 * "never crash", it asserts what callers rely on: an accepted header has a 32-digit lowercase MD5, a
 * non-empty signature in the alphabet and a version above 0; an accepted CDIFF's parts stay inside the
 * input. A violation aborts, which the fuzzer reports. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cvd.h"
#include "core/error.h"
#include "verify/clamav_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (64u << 10)   /* bytes: headers are 512, signatures < 400 */

static void require(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	static struct sl_clamav_keys *keys;
	if (keys == NULL)
		keys = sl_clamav_keys_new(NULL, NULL);
	require(keys != NULL);

	struct sl_cvd_header h;
	char why[256];
	if (sl_cvd_parse_header(data, size, &h, why, sizeof why) == 0) {
		require(size >= SL_CVD_HEADER && h.version > 0 && strlen(h.md5) == 32);
		size_t n = strlen(h.dsig);
		require(n > 0 && n <= SL_CVD_DSIG_MAX);
		for (size_t i = 0; i < n; i++)
			require(sl_cvd_sigchar((unsigned char)h.dsig[i]));
		sl_clamav_verify_md5(keys, h.md5, h.dsig, n);
	}
	struct sl_cdiff c;
	if (sl_cdiff_parse(data, size, &c, why, sizeof why) == 0) {
		require(c.data_off + c.data_len == c.signed_len && c.signed_len < size);
		require((const uint8_t *)c.dsig + c.dsig_len == data + size);
		uint8_t digest[32] = { 0 };
		sl_clamav_verify_sha256(keys, SL_CLAMAV_KEY_CDIFF, digest, c.dsig, c.dsig_len);
	}
	/* The raw input as a signature string and as a DNS record. */
	uint8_t out[16];
	int r = sl_clamav_sig_decode(keys, SL_CLAMAV_KEY_CVD, (const char *)data, size, out, sizeof out);
	require(r == 0 || r == -SL_E_SIGNATURE);
	uint32_t v;
	int64_t at;
	sl_cvd_dns_version((const char *)data, size, "daily", &v, &at);
	return 0;
}
