/* url: the one host parser syncd's locks and cool-downs, served's display and `sluice sources` share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/error.h"
#include "core/path.h"
#include "core/url.h"

static void test_url_host(void **state)
{
	(void)state;
	char h[64];
	assert_int_equal(sl_url_host("https://Deb.Example.ORG:8443/debian/", h, sizeof h), 0);
	assert_string_equal(h, "deb.example.org");
	assert_int_equal(sl_url_host("http://[::1]:80/x", h, sizeof h), 0);
	assert_string_equal(h, "[::1]");
	assert_int_equal(sl_url_host("http://user:pw@Mirror.example:81", h, sizeof h), 0);
	assert_string_equal(h, "mirror.example");
	assert_int_equal(sl_url_host("http://host?x=@evil/", h, sizeof h), 0);
	assert_string_equal(h, "host");
	assert_int_equal(sl_url_host("file:///etc/passwd", h, sizeof h), -SL_E_BADNAME);
	assert_int_equal(sl_url_host("http://", h, sizeof h), -SL_E_BADNAME);
	assert_int_equal(sl_url_host("no-scheme.example/", h, sizeof h), -SL_E_BADNAME);
	assert_int_equal(sl_url_host("http://[::1/", h, sizeof h), -SL_E_BADNAME);
	assert_int_equal(sl_url_host("http://a-very-long-host-name.example.org/", h, 8), -SL_E_TOOBIG);
}

static void test_source_host(void **state)
{
	(void)state;
	char h[64] = "junk";
	struct sl_source apt = { .url = (char *)"http://Deb.Example/debian" };
	struct sl_source oci = { .registry = (char *)"https://registry.example:5000" };
	struct sl_source none = { 0 }, bad = { .url = (char *)"nonsense" };
	sl_url_source_host(&apt, h, sizeof h);
	assert_string_equal(h, "deb.example");
	sl_url_source_host(&oci, h, sizeof h);
	assert_string_equal(h, "registry.example");
	sl_url_source_host(&none, h, sizeof h);
	assert_string_equal(h, "");
	sl_url_source_host(&bad, h, sizeof h);
	assert_string_equal(h, "");
}

/* Expected strings are what apt 2.6 puts on the request line for the same Filename (checked against
 * nginx's access log by tests/integration/test_apt_quote.sh). */
static void test_url_quote(void **state)
{
	(void)state;
	char q[128];
	assert_int_equal(sl_url_quote(q, sizeof q, "pool/main/e/echo/echo_1%3a2.0-1_all.deb"), 0);
	assert_string_equal(q, "pool/main/e/echo/echo_1%253a2.0-1_all.deb");
	assert_int_equal(sl_url_quote(q, sizeof q, "p/a_1.0-1+deb12u1_all.deb"), 0);
	assert_string_equal(q, "p/a_1.0-1%2bdeb12u1_all.deb");
	assert_int_equal(sl_url_quote(q, sizeof q, "p/c_1.0~rc1-1_all.deb"), 0);
	assert_string_equal(q, "p/c_1.0%7erc1-1_all.deb");
	assert_int_equal(sl_url_quote(q, sizeof q, "a b\tc\x7f\xc3\xa9\x01"), 0);
	assert_string_equal(q, "a%20b%09c%7f%c3%a9%01");
	/* Kept as they are, as apt keeps them: a Filename with '?' or '#' fails there too. */
	const char *plain = "dists/x/main/binary-amd64/Packages.xz:@=!$&'()*,;?#[]";
	assert_int_equal(sl_url_quote(q, sizeof q, plain), 0);
	assert_string_equal(q, plain);
	assert_int_equal(sl_url_quote(q, sizeof q, ""), 0);
	assert_string_equal(q, "");
	/* Quoting is not idempotent, and must not be: each pass is one more decode at the server. */
	assert_int_equal(sl_url_quote(q, sizeof q, "%25"), 0);
	assert_string_equal(q, "%2525");
}

/* What apt (and sluice) request, sluice-served maps back: one decode undoes one quote, for every byte. */
static void test_url_quote_roundtrip(void **state)
{
	(void)state;
	char name[300], q[900], back[300];
	size_t n = 0;
	for (unsigned c = 1; c < 256; c++)
		name[n++] = (char)c;
	name[n] = '\0';
	assert_int_equal(sl_url_quote(q, sizeof q, name), 0);
	assert_int_equal(sl_path_url_decode(q, back, sizeof back), 0);
	assert_memory_equal(back, name, n + 1);
	/* OCI repository names, tags and digests, ClamAV database names: their allowed characters are never
	 * quoted, so those URLs are the same with or without this function. */
	const char *oci = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/sha256:";
	assert_int_equal(sl_url_quote(q, sizeof q, oci), 0);
	assert_string_equal(q, oci);
}

static void test_url_quote_caps(void **state)
{
	(void)state;
	char q[8];
	assert_int_equal(sl_url_quote(q, sizeof q, "abcdefg"), 0);
	assert_string_equal(q, "abcdefg");
	memset(q, 'x', sizeof q);
	assert_int_equal(sl_url_quote(q, sizeof q, "abcdefgh"), -SL_E_TOOBIG);
	assert_string_equal(q, "");
	/* An escape is never cut in half: "abcde%" needs 8 bytes and a NUL. */
	assert_int_equal(sl_url_quote(q, sizeof q, "abcde%"), -SL_E_TOOBIG);
	assert_string_equal(q, "");
	assert_int_equal(sl_url_quote(q, sizeof q, "abcd%"), 0);
	assert_string_equal(q, "abcd%25");
	assert_int_equal(sl_url_quote(NULL, 0, "a"), -SL_E_TOOBIG);
	assert_int_equal(sl_url_quote(q, 0, "a"), -SL_E_TOOBIG);
}

static void test_url_join(void **state)
{
	(void)state;
	char u[64];
	assert_int_equal(sl_url_join(u, sizeof u, "http://h:8/debian//", "pool/x_1%3a1_all.deb"), 0);
	assert_string_equal(u, "http://h:8/debian/pool/x_1%253a1_all.deb");
	/* The operator's base is used as written, quoting and all. */
	assert_int_equal(sl_url_join(u, sizeof u, "http://h/a%20b~c", "f+g"), 0);
	assert_string_equal(u, "http://h/a%20b~c/f%2bg");
	assert_int_equal(sl_url_join(u, 20, "http://h/debian", "pool/aaaa"), -SL_E_TOOBIG);
	assert_string_equal(u, "");
	assert_int_equal(sl_url_join(u, 10, "http://h/debian", "p"), -SL_E_TOOBIG);
	assert_string_equal(u, "");
	assert_int_equal(sl_url_join(u, sizeof u, "http://h/", "~"), 0);
	assert_string_equal(u, "http://h/%7e");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_host),
		cmocka_unit_test(test_source_host),
		cmocka_unit_test(test_url_quote),
		cmocka_unit_test(test_url_quote_roundtrip),
		cmocka_unit_test(test_url_quote_caps),
		cmocka_unit_test(test_url_join),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
