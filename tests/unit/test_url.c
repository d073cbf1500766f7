/* url: the one host parser syncd's locks and cool-downs, served's display and `sluice sources` share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/error.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_host),
		cmocka_unit_test(test_source_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
