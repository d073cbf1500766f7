/* registry_parse: WWW-Authenticate challenges, RateLimit-* values and token answers as registries send
 * them (Docker Hub, GHCR, distribution), and the hostile values fuzz_registry found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "syncd/registry_parse.h"

static void test_challenge(void **state)
{
	(void)state;
	struct sl_regparse_challenge ch;
	const char *why = NULL;
	assert_int_equal(sl_regparse_challenge("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
					       "scope=\"repository:library/alpine:pull\"", true, &ch, &why), 0);
	assert_int_equal(ch.mode, SL_REGPARSE_BEARER);
	assert_string_equal(ch.realm, "https://auth.docker.io/token");
	assert_string_equal(ch.service, "registry.docker.io");
	assert_string_equal(ch.scope, "repository:library/alpine:pull");

	assert_int_equal(sl_regparse_challenge("Basic realm=\"Registry Realm\"", true, &ch, &why), 0);
	assert_int_equal(ch.mode, SL_REGPARSE_BASIC);
	assert_int_equal(sl_regparse_challenge("basic", true, &ch, &why), 0);

	/* Quoted pairs and unquoted values. */
	assert_int_equal(sl_regparse_challenge("Bearer realm=\"https://a/t\\\"x\", service=plain", true, &ch, &why), 0);
	assert_string_equal(ch.realm, "https://a/t\"x");
	assert_string_equal(ch.service, "plain");

	/* Credentials never go to a plain-http realm of an https registry; http is fine for an http one. */
	why = NULL;
	assert_int_equal(sl_regparse_challenge("Bearer realm=\"http://auth.example/token\"", true, &ch, &why),
			 -SL_E_BADNAME);
	assert_non_null(why);
	assert_int_equal(sl_regparse_challenge("Bearer realm=\"http://127.0.0.1:5001/token\"", false, &ch, &why), 0);
	assert_int_equal(sl_regparse_challenge("Bearer realm=\"ftp://x/\"", false, &ch, &why), -SL_E_BADNAME);
	assert_int_equal(sl_regparse_challenge("Bearer service=\"x\"", true, &ch, &why), -SL_E_BADNAME);
	assert_int_equal(sl_regparse_challenge("Negotiate abc", true, &ch, &why), -SL_E_UNSUPPORTED);
	assert_int_equal(sl_regparse_challenge("", true, &ch, &why), -SL_E_UNSUPPORTED);
}

static void test_rate(void **state)
{
	(void)state;
	long count = -1, window = -1;
	assert_true(sl_regparse_rate("76;w=21600", &count, &window));
	assert_int_equal(count, 76);
	assert_int_equal(window, 21600);
	window = -1;
	assert_true(sl_regparse_rate("100", &count, &window));
	assert_int_equal(count, 100);
	assert_int_equal(window, -1);
	assert_false(sl_regparse_rate("-1;w=60", &count, &window));
	assert_false(sl_regparse_rate("x", &count, &window));
	assert_false(sl_regparse_rate("99999999999999999999", &count, &window));
	/* A window that would overflow the cool-down's clock arithmetic is cut (found by fuzz_registry). */
	assert_true(sl_regparse_rate("0;w=99999999999999999999", &count, &window));
	assert_int_equal(window, SL_REGPARSE_WINDOW_MAX);
	assert_true(sl_regparse_rate("0;w=9223372036854775807", &count, &window));
	assert_int_equal(window, SL_REGPARSE_WINDOW_MAX);
}

static int token(const char *json, char **tok, int64_t *renew)
{
	return sl_regparse_token((const uint8_t *)json, strlen(json), 1000, 60, 10, tok, renew);
}

static void test_token(void **state)
{
	(void)state;
	char *tok = NULL;
	int64_t renew = 0;
	assert_int_equal(token("{\"token\":\"abc\",\"access_token\":\"def\",\"expires_in\":300}", &tok, &renew), 0);
	assert_string_equal(tok, "abc");
	assert_int_equal(renew, 1000 + 300 - 10);
	free(tok);
	assert_int_equal(token("{\"access_token\":\"def\"}", &tok, &renew), 0);
	assert_string_equal(tok, "def");
	assert_int_equal(renew, 1000 + 60 - 10);   /* the default lifetime */
	free(tok);
	assert_int_equal(token("{\"token\":\"abc\",\"expires_in\":4}", &tok, &renew), 0);
	assert_int_equal(renew, 1000 + 4 - 2);      /* short lifetime: half as margin */
	free(tok);
	/* expires_in at INT64_MAX overflowed now + ttl (UBSan, found by fuzz_registry): capped. */
	assert_int_equal(token("{\"token\":\"abc\",\"expires_in\":9223372036854775807}", &tok, &renew), 0);
	assert_int_equal(renew, 1000 + SL_REGPARSE_TTL_MAX - 10);
	free(tok);

	static const char *const bad[] = {
		"{\"token\":\"abc\\r\\nX-Evil: 1\"}", "{\"token\":\"\"}", "{\"token\":12}", "token=abc", "[]", "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tok = (char *)"unset";
		assert_int_equal(token(bad[i], &tok, &renew), -SL_E_PARSE);
		assert_null(tok);
	}
	char *big = malloc(SL_REGPARSE_TOKEN_MAX + 32);
	assert_non_null(big);
	int n = snprintf(big, 16, "{\"token\":\"");
	memset(big + n, 'a', SL_REGPARSE_TOKEN_MAX + 1);
	strcpy(big + n + SL_REGPARSE_TOKEN_MAX + 1, "\"}");
	assert_int_equal(token(big, &tok, &renew), -SL_E_PARSE);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
