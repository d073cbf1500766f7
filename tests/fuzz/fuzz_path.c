/* libFuzzer target for the hostile-name gate: digest validation and OCI parsing, relative-path checks,
 * URL decoding and joins. Besides "never crash", it asserts the properties callers rely on: an accepted
 * path has no traversal, NUL, backslash or control byte; decoding never invents a separator; a valid
 * digest round-trips through the OCI form. A violation aborts, which the fuzzer reports. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (64u << 10)   /* bytes: names are short; larger inputs only slow the fuzzer */

static void require(int cond)
{
	if (!cond)
		abort();
}

/* What every accepted relative path must satisfy, checked independently of path.c's loop. */
static void check_accepted(const char *p, size_t len)
{
	require(len > 0 && len <= SL_MAX_REL_PATH);
	require(p[0] != '/' && p[len - 1] != '/');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		require(c >= 0x20 && c < 0x7f && c != '\\');
	}
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		size_t n = i - start;
		require(n > 0);
		require(!(n == 1 && p[start] == '.'));
		require(!(n == 2 && p[start] == '.' && p[start + 1] == '.'));
		start = i + 1;
	}
}

static size_t count_byte(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	const char *raw = (const char *)data;

	/* Digests: the length-delimited validator, and the NUL-terminated one on a copy. */
	bool valid_n = sl_digest_valid_sha256_n(raw, size);
	char *s = malloc(size + 1);
	char *oci = malloc(size + 8);
	if (s == NULL || oci == NULL) {
		free(s);
		free(oci);
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	/* Both validators agree on the C-string view, and a valid length-delimited digest has no NUL. */
	require(sl_digest_valid_sha256(s) == sl_digest_valid_sha256_n(s, strlen(s)));
	require(!valid_n || sl_digest_valid_sha256(s));
	char hex[SL_SHA256_HEX];
	if (sl_digest_parse_oci(s, hex) == 0) {
		require(sl_digest_valid_sha256(hex));
		require(strcmp(s + 7, hex) == 0);
	}
	memcpy(oci, "sha256:", 7);
	memcpy(oci + 7, data, size);
	oci[size + 7] = '\0';
	require((sl_digest_parse_oci(oci, hex) == 0) == sl_digest_valid_sha256(s));

	/* Relative paths over the raw bytes (NULs included). */
	if (sl_path_check_relative(raw, size) == 0)
		check_accepted(raw, size);

	/* URL decoding: never longer, never a new '/' (encoded ones are refused), and what it yields goes
	 * through the same gate. */
	char *dec = malloc(size + 1);
	if (dec != NULL) {
		int rc = sl_path_url_decode(s, dec, size + 1);
		if (rc == 0) {
			require(strlen(dec) <= strlen(s));
			require(count_byte(dec, '/') == count_byte(s, '/'));
			require(count_byte(dec, '\\') == count_byte(s, '\\'));
			if (sl_path_check_relative(dec, strlen(dec)) == 0)
				check_accepted(dec, strlen(dec));
		} else {
			require(rc == -SL_E_BADNAME || rc == -SL_E_TOOBIG);
			require(dec[0] == '\0');
		}
		free(dec);
	}

	/* Joins: accepted exactly when the relative part is, and the result is root + '/' + rel. */
	char buf[SL_MAX_PATH];
	int jrc = sl_path_join(buf, sizeof buf, "/srv/sluice/public", s);
	require((jrc == 0) == (sl_path_check_relative(s, strlen(s)) == 0));
	if (jrc == 0) {
		require(strncmp(buf, "/srv/sluice/public/", 19) == 0);
		require(strcmp(buf + 19, s) == 0);
	} else {
		require(buf[0] == '\0');
	}
	/* And with the input as root, which must never be trusted to be well-formed either. */
	if (sl_path_join(buf, sizeof buf, s, "pool/a.deb") == 0)
		require(strlen(buf) > strlen("pool/a.deb"));

	free(s);
	free(oci);
	return 0;
}
