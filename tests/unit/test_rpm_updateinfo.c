/* Tests for core/rpm_updateinfo: advisories stream out with id, type, severity, CVEs and NEVRAs (epoch "0"
 * when absent); an update without id, a DOCTYPE and the callback's refusal stop the parse with a cause. */
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
#include "core/rpm_updateinfo.h"

static const char doc[] =
	"<?xml version=\"1.0\"?>\n<updates>\n"
	"<update from=\"sec@x\" status=\"final\" type=\"security\" version=\"2\">\n  <id> RHSA-2026:0001 </id>\n"
	"  <title>t</title>\n  <severity>Important</severity>\n  <issued date=\"2026-01-01\"/>\n"
	"  <references>\n    <reference href=\"h\" id=\"CVE-2026-1\" type=\"cve\"/>\n"
	"    <reference href=\"h\" id=\"123\" type=\"bugzilla\"/>\n    <reference href=\"h\" id=\"CVE-2026-2\" type=\"cve\"/>\n"
	"  </references>\n  <description>d &amp; e</description>\n  <pkglist><collection short=\"c\"><name>c</name>\n"
	"    <package name=\"openssl\" version=\"3.0\" release=\"1.el9\" epoch=\"1\" arch=\"x86_64\"><filename>f</filename></package>\n"
	"    <package name=\"openssl-libs\" version=\"3.0\" release=\"1.el9\" arch=\"x86_64\"/>\n"
	"  </collection></pkglist>\n</update>\n"
	"<update type=\"bugfix\"><id>RHBA-2026:0002</id><pkglist/></update>\n"
	"</updates>\n";

struct got {
	struct sl_rpm_advisory a[2];
	char *first_pkgs[2], *first_cves[2];
	size_t n;
	bool refuse;
};

static int cb(void *arg, const struct sl_rpm_advisory *a)
{
	struct got *g = arg;
	if (g->n < 2) {
		g->a[g->n] = *a;
		if (g->n == 0) {
			g->first_pkgs[0] = strdup(a->pkgs[0]);
			g->first_pkgs[1] = strdup(a->pkgs[1]);
			g->first_cves[0] = strdup(a->cves[0]);
			g->first_cves[1] = strdup(a->cves[1]);
		}
	}
	g->n++;
	return g->refuse ? -SL_E_MISMATCH : 0;
}

struct src {
	const char *p;
	size_t len, off;
};

static ssize_t rd(void *arg, void *buf, size_t cap)
{
	struct src *s = arg;
	size_t n = s->len - s->off < cap ? s->len - s->off : cap;
	if (n > 5)
		n = 5;   /* small reads: fields must not depend on them */
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static int parse(const char *text, struct got *g, char **cause)
{
	struct src s = { text, strlen(text), 0 };
	*cause = NULL;
	return sl_rpm_updateinfo_parse(rd, &s, cb, g, cause);
}

static void test_good(void **state)
{
	(void)state;
	struct got g = { 0 };
	char *cause;
	assert_int_equal(parse(doc, &g, &cause), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.a[0].id, "RHSA-2026:0001");
	assert_string_equal(g.a[0].type, "security");
	assert_string_equal(g.a[0].severity, "Important");
	assert_int_equal(g.a[0].ncves, 2);
	assert_string_equal(g.first_cves[0], "CVE-2026-1");
	assert_string_equal(g.first_cves[1], "CVE-2026-2");
	assert_int_equal(g.a[0].npkgs, 2);
	assert_string_equal(g.first_pkgs[0], "openssl-1:3.0-1.el9.x86_64");
	assert_string_equal(g.first_pkgs[1], "openssl-libs-0:3.0-1.el9.x86_64");
	assert_string_equal(g.a[1].id, "RHBA-2026:0002");
	assert_int_equal(g.a[1].npkgs, 0);
	for (int i = 0; i < 2; i++) {
		free(g.first_pkgs[i]);
		free(g.first_cves[i]);
	}
}

static void expect_bad(const char *text, int code, const char *needle)
{
	struct got g = { 0 };
	char *cause = NULL;
	int rc = parse(text, &g, &cause);
	if (rc != code || cause == NULL || strstr(cause, needle) == NULL)
		fail_msg("rc %d cause '%s', expected %d with '%s'", rc, cause ? cause : "(null)", code, needle);
	free(cause);
}

static void test_bad(void **state)
{
	(void)state;
	expect_bad("<metadata/>", -SL_E_PARSE, "not <updates>");
	expect_bad("<updates><update type=\"x\"><title>t</title></update></updates>", -SL_E_PARSE, "without an id");
	expect_bad("<!DOCTYPE updates [<!ENTITY a \"b\">]><updates><update><id>&a;</id></update></updates>", -SL_E_PARSE,
		   "document type or entity");
	expect_bad("<updates><update><id>x</id>", -SL_E_PARSE, "line");
	struct got g = { .refuse = true };
	char *cause = NULL;
	assert_int_equal(parse(doc, &g, &cause), -SL_E_MISMATCH);
	assert_int_equal(g.n, 1);
	free(g.first_pkgs[0]);
	free(g.first_pkgs[1]);
	free(g.first_cves[0]);
	free(g.first_cves[1]);
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
