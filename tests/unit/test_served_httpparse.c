/* test_served_httpparse: served's parsers of request values and targets (served/httpparse.h), case by case:
 * Range forms and their edges, the three HTTP-date forms, If-None-Match lists, If-Range, tree paths, query
 * values and the /v2/ path split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "served/httpparse.h"

static void test_range(void **st)
{
	(void)st;
	uint64_t a = 0, n = 0;
	assert_int_equal(sl_httpparse_range("bytes=0-99", 1000, &a, &n), SL_RANGE_ONE);
	assert_true(a == 0 && n == 100);
	assert_int_equal(sl_httpparse_range("bytes=900-", 1000, &a, &n), SL_RANGE_ONE);
	assert_true(a == 900 && n == 100);
	assert_int_equal(sl_httpparse_range("bytes=-300", 1000, &a, &n), SL_RANGE_ONE);
	assert_true(a == 700 && n == 300);
	assert_int_equal(sl_httpparse_range("bytes=-5000", 1000, &a, &n), SL_RANGE_ONE);
	assert_true(a == 0 && n == 1000);
	assert_int_equal(sl_httpparse_range("bytes=990-5000", 1000, &a, &n), SL_RANGE_ONE);
	assert_true(a == 990 && n == 10);
	assert_int_equal(sl_httpparse_range("BYTES= 5 - 9 ", 1000, &a, &n), SL_RANGE_ONE);
	assert_true(a == 5 && n == 5);
	assert_int_equal(sl_httpparse_range("bytes=1000-", 1000, &a, &n), SL_RANGE_UNSATISFIABLE);
	assert_int_equal(sl_httpparse_range("bytes=-0", 1000, &a, &n), SL_RANGE_UNSATISFIABLE);
	assert_int_equal(sl_httpparse_range("bytes=0-", 0, &a, &n), SL_RANGE_UNSATISFIABLE);
	assert_int_equal(sl_httpparse_range("bytes=0-1,5-9", 1000, &a, &n), SL_RANGE_NONE);
	assert_int_equal(sl_httpparse_range("bytes=9-5", 1000, &a, &n), SL_RANGE_NONE);
	assert_int_equal(sl_httpparse_range("bytes=x-5", 1000, &a, &n), SL_RANGE_NONE);
	assert_int_equal(sl_httpparse_range("items=0-5", 1000, &a, &n), SL_RANGE_NONE);
	assert_int_equal(sl_httpparse_range("bytes=", 1000, &a, &n), SL_RANGE_NONE);
	assert_int_equal(sl_httpparse_range("bytes=99999999999999999999999-", 1000, &a, &n), SL_RANGE_NONE);
	assert_int_equal(sl_httpparse_range("bytes=18446744073709551614-", UINT64_MAX, &a, &n), SL_RANGE_ONE);
	assert_true(a == UINT64_MAX - 1 && n == 1);
}

static void test_date(void **st)
{
	(void)st;
	time_t t;
	assert_true(sl_httpparse_date("Sun, 06 Nov 1994 08:49:37 GMT", &t));
	assert_int_equal(t, 784111777);
	assert_true(sl_httpparse_date("Sunday, 06-Nov-94 08:49:37 GMT", &t));
	assert_int_equal(t, 784111777);
	assert_true(sl_httpparse_date("Sun Nov  6 08:49:37 1994", &t));
	assert_int_equal(t, 784111777);
	assert_false(sl_httpparse_date("Sun, 06 Nov 1994 08:49:37 GMT x", &t));
	assert_false(sl_httpparse_date("06 Nov 1994", &t));
	assert_false(sl_httpparse_date("", &t));
}

static void test_conditionals(void **st)
{
	(void)st;
	const char *etag = "\"a1-2-3\"";
	assert_true(sl_httpparse_etag_match("\"a1-2-3\"", etag));
	assert_true(sl_httpparse_etag_match("\"x\", W/\"a1-2-3\"", etag));
	assert_true(sl_httpparse_etag_match(" * ", etag));
	assert_true(sl_httpparse_etag_match(",,\"a1-2-3\" ,", etag));
	assert_false(sl_httpparse_etag_match("\"a1-2-4\"", etag));
	assert_false(sl_httpparse_etag_match("a1-2-3", etag));
	assert_false(sl_httpparse_etag_match("", etag));
	assert_true(sl_httpparse_if_range(etag, etag, false, 0));
	assert_false(sl_httpparse_if_range("W/\"a1-2-3\"", etag, true, 0));
	assert_false(sl_httpparse_if_range("\"other\"", etag, true, 0));
	assert_true(sl_httpparse_if_range("Sun, 06 Nov 1994 08:49:37 GMT", etag, true, 784111777));
	assert_false(sl_httpparse_if_range("Sun, 06 Nov 1994 08:49:37 GMT", etag, false, 784111777));
	assert_false(sl_httpparse_if_range("Sun, 06 Nov 1994 08:49:38 GMT", etag, true, 784111777));
	assert_false(sl_httpparse_if_range("garbage", etag, true, 784111777));
}

static void test_tree_paths(void **st)
{
	(void)st;
	assert_int_equal(sl_httpparse_check_rel("dists/stable/InRelease"), 0);
	assert_int_equal(sl_httpparse_check_rel("pool/main/h/hello/hello_1.0_amd64.deb"), 0);
	assert_int_equal(sl_httpparse_check_rel(""), MHD_HTTP_NOT_FOUND);
	assert_int_equal(sl_httpparse_check_rel("dists/"), MHD_HTTP_NOT_FOUND);
	assert_int_equal(sl_httpparse_check_rel("../x"), MHD_HTTP_BAD_REQUEST);
	assert_int_equal(sl_httpparse_check_rel("a/../../x"), MHD_HTTP_BAD_REQUEST);
	assert_int_equal(sl_httpparse_check_rel(".hidden"), MHD_HTTP_BAD_REQUEST);
	assert_int_equal(sl_httpparse_check_rel("a/.gen/x"), MHD_HTTP_BAD_REQUEST);
	assert_int_equal(sl_httpparse_check_rel("a//b"), MHD_HTTP_BAD_REQUEST);
	assert_int_equal(sl_httpparse_check_rel("a\\b"), MHD_HTTP_BAD_REQUEST);
	assert_int_equal(sl_httpparse_check_rel("a\x01"), MHD_HTTP_BAD_REQUEST);
}

static void test_query_values(void **st)
{
	(void)st;
	char buf[16];
	assert_int_equal(sl_httpparse_query_value("docker.io", buf, sizeof buf), 1);
	assert_string_equal(buf, "docker.io");
	assert_int_equal(sl_httpparse_query_value("%5B%3a%3A1%5d", buf, sizeof buf), 1);
	assert_string_equal(buf, "[::1]");
	assert_int_equal(sl_httpparse_query_value("", buf, sizeof buf), 1);
	assert_string_equal(buf, "");
	assert_int_equal(sl_httpparse_query_value("a%2", buf, sizeof buf), -1);
	assert_string_equal(buf, "");
	assert_int_equal(sl_httpparse_query_value("a%", buf, sizeof buf), -1);
	assert_int_equal(sl_httpparse_query_value("a%zz", buf, sizeof buf), -1);
	assert_int_equal(sl_httpparse_query_value("a%20b", buf, sizeof buf), -1);   /* space */
	assert_int_equal(sl_httpparse_query_value("a%00b", buf, sizeof buf), -1);   /* NUL */
	assert_int_equal(sl_httpparse_query_value("%c3%a9", buf, sizeof buf), -1);  /* non-ASCII */
	assert_int_equal(sl_httpparse_query_value("0123456789abcdef", buf, sizeof buf), -1);   /* too long */
	assert_int_equal(sl_httpparse_query_value("0123456789abcde", buf, sizeof buf), 1);
	assert_true(sl_httpparse_oci_ns("registry-1.docker.io"));
	assert_true(sl_httpparse_oci_ns("[::1]:5000"));
	assert_false(sl_httpparse_oci_ns(""));
	assert_false(sl_httpparse_oci_ns("a/b"));
	assert_false(sl_httpparse_oci_ns("a@b"));
}

static void test_oci_path(void **st)
{
	(void)st;
	const char *name, *arg;
	char p1[] = "library/alpine/tags/list";
	assert_int_equal(sl_httpparse_oci_path(p1, &name, &arg), SL_OCI_OP_TAGS);
	assert_string_equal(name, "library/alpine");
	assert_null(arg);
	char p2[] = "a/manifests/b/manifests/latest";
	assert_int_equal(sl_httpparse_oci_path(p2, &name, &arg), SL_OCI_OP_MANIFEST);
	assert_string_equal(name, "a/manifests/b");
	assert_string_equal(arg, "latest");
	char p3[] = "a/manifests/x/blobs/sha256:00";
	assert_int_equal(sl_httpparse_oci_path(p3, &name, &arg), SL_OCI_OP_BLOB);
	assert_string_equal(name, "a/manifests/x");
	assert_string_equal(arg, "sha256:00");
	char p4[] = "a/blobs/x/manifests/y";
	assert_int_equal(sl_httpparse_oci_path(p4, &name, &arg), SL_OCI_OP_MANIFEST);
	assert_string_equal(name, "a/blobs/x");
	char p5[] = "just/a/name";
	assert_int_equal(sl_httpparse_oci_path(p5, &name, &arg), SL_OCI_OP_NONE);
	char p6[] = "/tags/list";
	assert_int_equal(sl_httpparse_oci_path(p6, &name, &arg), SL_OCI_OP_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_conditionals),
		cmocka_unit_test(test_tree_paths),
		cmocka_unit_test(test_query_values),
		cmocka_unit_test(test_oci_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
