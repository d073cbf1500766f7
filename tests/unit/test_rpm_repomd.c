/* Tests for core/rpm_repomd and core/rpm_xml: a createrepo_c repomd.xml parses field by field; the
 * verifier's inputs keep what the upstream said (md5 type, xml:base, hostile hrefs); malformed documents,
 * DOCTYPEs and entities, caps and missing fields fail with a cause naming the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/limits.h"
#include "core/rpm_repomd.h"

static const char good[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n"
	"  <revision>1796653981</revision>\n"
	"  <tags><content>binary-x86_64</content></tags>\n"
	"  <data type=\"primary\">\n"
	"    <checksum type=\"sha256\">A1878530362e885ce4a17f6f9a4db46809467b26727670b7e09c1c7438dc999e</checksum>\n"
	"    <open-checksum type=\"sha256\">bb6c6552753d46e99a6a3b9aed996bff9f3d93ec84a04f5466d45933de4cf693</open-checksum>\n"
	"    <location href=\"repodata/a1-primary.xml.gz\"/>\n"
	"    <timestamp>1796653981</timestamp>\n"
	"    <size>552</size>\n"
	"    <open-size>1059</open-size>\n"
	"  </data>\n"
	"  <data type=\"other\">\n"
	"    <checksum type=\"md5\">0123456789abcdef0123456789abcdef</checksum>\n"
	"    <location xml:base=\"http://elsewhere.invalid/\" href=\"repodata/o-other.xml.gz\"/>\n"
	"    <timestamp>1796653999</timestamp>\n"
	"    <size>10</size>\n"
	"  </data>\n"
	"</repomd>\n";

static int parse(const char *text, struct sl_rpm_repomd *md, char **cause)
{
	*cause = NULL;
	return sl_rpm_repomd_parse(text, strlen(text), md, cause);
}

static void test_good(void **state)
{
	(void)state;
	struct sl_rpm_repomd md;
	char *cause;
	assert_int_equal(parse(good, &md, &cause), 0);
	assert_string_equal(md.revision, "1796653981");
	assert_int_equal(md.n, 2);
	assert_int_equal(md.newest_timestamp, 1796653999);
	const struct sl_rpm_record *p = sl_rpm_repomd_find(&md, "primary");
	assert_non_null(p);
	assert_string_equal(p->sum_type, "sha256");
	assert_string_equal(p->sum, "a1878530362e885ce4a17f6f9a4db46809467b26727670b7e09c1c7438dc999e");   /* lowered */
	assert_string_equal(p->href, "repodata/a1-primary.xml.gz");
	assert_false(p->has_base);
	assert_int_equal(p->size, 552);
	assert_int_equal(p->open_size, 1059);
	const struct sl_rpm_record *o = sl_rpm_repomd_find(&md, "other");
	assert_string_equal(o->sum_type, "md5");
	assert_true(o->has_base);
	assert_int_equal(o->open_size, -1);
	assert_null(sl_rpm_repomd_find(&md, "filelists"));
	sl_rpm_repomd_release(&md);
}

static void test_sum_bits_and_href(void **state)
{
	(void)state;
	assert_int_equal(sl_rpm_sum_bits("sha256"), 256);
	assert_int_equal(sl_rpm_sum_bits("SHA512"), 512);
	assert_int_equal(sl_rpm_sum_bits("sha"), 0);
	assert_int_equal(sl_rpm_sum_bits("sha1"), 0);
	assert_int_equal(sl_rpm_sum_bits("md5"), 0);
	assert_int_equal(sl_rpm_sum_bits(""), 0);
	char why[256];
	assert_int_equal(sl_rpm_href_check("repodata/x.xml.gz", false, why, sizeof why), 0);
	assert_int_equal(sl_rpm_href_check("Packages/a/b.rpm", false, why, sizeof why), 0);
	const char *bad[] = { "../x", "a/../../x", "/etc/passwd", "http://h/x.rpm", "a//b", "a/./b", "x?y", "%2e%2e/x", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (sl_rpm_href_check(bad[i], false, why, sizeof why) != -SL_E_BADNAME)
			fail_msg("href '%s' accepted", bad[i]);
	assert_int_equal(sl_rpm_href_check("repodata/x", true, why, sizeof why), -SL_E_BADNAME);
	assert_non_null(strstr(why, "xml:base"));
}

static void expect_bad(const char *text, int code, const char *needle)
{
	struct sl_rpm_repomd md;
	char *cause = NULL;
	int rc = sl_rpm_repomd_parse(text, strlen(text), &md, &cause);
	if (rc != code || cause == NULL || strstr(cause, needle) == NULL)
		fail_msg("rc %d cause '%s', expected %d with '%s'", rc, cause ? cause : "(null)", code, needle);
	free(cause);
	sl_rpm_repomd_release(&md);
}

static void test_bad(void **state)
{
	(void)state;
	expect_bad("<repomd><data type=\"primary\">", -SL_E_PARSE, "line");
	expect_bad("<metadata/>", -SL_E_PARSE, "not <repomd>");
	expect_bad("", -SL_E_PARSE, "");
	expect_bad("<repomd><data><location href=\"x\"/></data></repomd>", -SL_E_PARSE, "without a usable type");
	expect_bad("<repomd><data type=\"primary\"><size>12</size></data></repomd>", -SL_E_PARSE, "has no location");
	expect_bad("<repomd><data type=\"p\"><location href=\"x\"/><size>-1</size></data></repomd>", -SL_E_PARSE,
		   "not a non-negative integer");
	expect_bad("<repomd><data type=\"p\"><location href=\"x\"/><size>12x</size></data></repomd>", -SL_E_PARSE,
		   "not a non-negative integer");
	expect_bad("<?xml version=\"1.0\"?><!DOCTYPE repomd [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		   "<repomd><revision>&x;</revision></repomd>", -SL_E_PARSE, "document type or entity");
	expect_bad("<repomd><revision>&lt;&amp;</revision><data type=\"p\"><location href=\"&undefined;\"/></data></repomd>",
		   -SL_E_PARSE, "line");
	/* A declaration split across the reader's chunks is still seen. */
	char *big = malloc(200000);
	assert_non_null(big);
	strcpy(big, "<repomd><!-- ");
	memset(big + 13, 'c', 65536 - 13 - 3);
	strcpy(big + 65536 - 3, " --><!DOCTYPE x><revision>1</revision></repomd>");
	expect_bad(big, -SL_E_PARSE, "document type");
	/* Caps. */
	memset(big, 0, 200000);
	strcpy(big, "<repomd>");
	for (int i = 0; i <= SL_MAX_RPM_RECORDS; i++)
		strcat(big, "<data type=\"t\"><location href=\"x\"/></data>");
	strcat(big, "</repomd>");
	expect_bad(big, -SL_E_TOOBIG, "<data> records");
	strcpy(big, "<repomd><data type=\"t\"><location href=\"");
	memset(big + strlen(big), 'a', 5000);
	strcpy(big + strlen(big), "\"/></data></repomd>");
	expect_bad(big, -SL_E_TOOBIG, "too long");
	strcpy(big, "<repomd>");
	for (int i = 0; i < 100; i++)
		strcat(big, "<a>");
	for (int i = 0; i < 100; i++)
		strcat(big, "</a>");
	strcat(big, "</repomd>");
	expect_bad(big, -SL_E_TOOBIG, "nested deeper");
	free(big);
	struct sl_rpm_repomd md;
	char *cause = NULL;
	assert_int_equal(sl_rpm_repomd_parse(good, SL_MAX_RPM_REPOMD_BYTES + 1, &md, &cause), -SL_E_TOOBIG);
	free(cause);
	sl_rpm_repomd_release(&md);
}

/* Comments and CDATA are no declarations. */
static void test_comment_cdata(void **state)
{
	(void)state;
	const char *t = "<repomd><!-- a comment --><revision><![CDATA[42]]></revision>"
			"<data type=\"p\"><location href=\"x\"/></data></repomd>";
	struct sl_rpm_repomd md;
	char *cause = NULL;
	assert_int_equal(sl_rpm_repomd_parse(t, strlen(t), &md, &cause), 0);
	assert_string_equal(md.revision, "42");
	sl_rpm_repomd_release(&md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_sum_bits_and_href),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_comment_cdata),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
