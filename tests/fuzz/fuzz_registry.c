/* fuzz_registry: the registry client's parsers of what a registry or its token realm sends back:
 * WWW-Authenticate challenges, RateLimit-* values, Link pagination and the token JSON. First byte: bits
 * 0-1 pick the parser, bit 2 whether the registry itself is https (challenges) or the output buffer is
 * small (Link). Asserts what registry.c relies on: a Bearer realm is https (or http for an http
 * registry), rate counts are >= 0 and windows within 1 s .. SL_REGPARSE_WINDOW_MAX, a next page is on
 * the registry's own origin with no space or control character, and a token is a non-empty line whose
 * renewal time lies between now and now + SL_REGPARSE_TTL_MAX. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "syncd/registry.h"
#include "syncd/registry_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (64u << 10)       /* bytes: captured headers are < 1 KiB, token answers < 64 KiB */
#define FUZZ_NOW       1000000           /* monotonic s handed to the token parser */
#define FUZZ_BASE      "https://reg.example:5000"

/* A broken promise: say which, then abort so the fuzzer keeps the input. */
#define require(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: violated: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void challenge(const char *s, bool https)
{
	struct sl_regparse_challenge ch;
	const char *why = NULL;
	int rc = sl_regparse_challenge(s, https, &ch, &why);
	require(memchr(ch.realm, '\0', sizeof ch.realm) && memchr(ch.service, '\0', sizeof ch.service) &&
		memchr(ch.scope, '\0', sizeof ch.scope));
	if (rc < 0) {
		require((rc == -SL_E_UNSUPPORTED || rc == -SL_E_BADNAME) && why != NULL);
		return;
	}
	require(ch.mode == SL_REGPARSE_BASIC || ch.mode == SL_REGPARSE_BEARER);
	if (ch.mode == SL_REGPARSE_BEARER)
		require(strncmp(ch.realm, "https://", 8) == 0 || (!https && strncmp(ch.realm, "http://", 7) == 0));
}

static void rate(const char *s)
{
	long count = -7, window = -1;
	if (sl_regparse_rate(s, &count, &window)) {
		require(count >= 0);
		require(window == -1 || (window >= 1 && window <= SL_REGPARSE_WINDOW_MAX));
	} else {
		require(count == -7 && window == -1);
	}
}

static void link_next(const char *s, bool small)
{
	char out[SL_MAX_URL + 64];
	size_t cap = small ? 40 : sizeof out;
	int rc = sl_registry_link_next(FUZZ_BASE, s, out, cap);
	if (rc != 0) {
		require(rc == -SL_E_NOTFOUND || rc == -SL_E_PARSE || rc == -SL_E_BADNAME || rc == -SL_E_TOOBIG);
		return;
	}
	size_t n = strlen(out);
	require(n < cap && strncmp(out, FUZZ_BASE "/", sizeof FUZZ_BASE) == 0);
	for (size_t i = 0; i < n; i++)
		require((unsigned char)out[i] > 0x20 && out[i] != 0x7f);
}

static void token(const uint8_t *p, size_t len)
{
	char *tok = NULL;
	int64_t renew = -1;
	int rc = sl_regparse_token(p, len, FUZZ_NOW, 60, 10, &tok, &renew);
	if (rc == 0) {
		require(tok != NULL && tok[0] != '\0' && strlen(tok) <= SL_REGPARSE_TOKEN_MAX);
		require(strpbrk(tok, "\r\n") == NULL);
		require(renew >= FUZZ_NOW && renew <= FUZZ_NOW + SL_REGPARSE_TTL_MAX);
	} else {
		require(rc == -SL_E_PARSE && tok == NULL);
	}
	free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	unsigned mode = data[0];
	data++;
	size--;
	if ((mode & 3) == 3) {
		token(data, size);
		return 0;
	}
	/* Header values reach the parsers as C strings (the capture buffers). */
	char *s = malloc(size + 1);
	require(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	if ((mode & 3) == 0)
		challenge(s, mode & 4);
	else if ((mode & 3) == 1)
		rate(s);
	else
		link_next(s, mode & 4);
	free(s);
	return 0;
}
