/* Tests for admin/publish_rpm_comps: packagereqs of unshipped packages, groups left empty and category /
 * environment references to them are dropped, everything else copied (translations, attributes, escaped
 * text), from plain and gzip input; the hostile shapes (entity declaration, internal subset, entity
 * reference, a second DOCTYPE, deep nesting, a foreign root, malformed XML) are refused with a cause. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <createrepo_c/createrepo_c.h>

#include "admin/publish_rpm_comps.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/strset.h"
#include "lib/testfile.h"
#include "lib/tmpdir.h"

static const char comps[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<!DOCTYPE comps PUBLIC \"-//Red Hat, Inc.//DTD Comps info//EN\" \"comps.dtd\">\n"
	"<!-- a comment <!ENTITY x 'is only text here'> -->\n"
	"<comps>\n"
	"  <category><id>base</id><grouplist><groupid>core</groupid><groupid>gone</groupid></grouplist></category>\n"
	"  <group>\n    <id>core</id>\n    <name>Core</name>\n    <name xml:lang=\"de\">Kern &amp; mehr</name>\n"
	"    <packagelist>\n      <packagereq type=\"mandatory\">bash</packagereq>\n"
	"      <packagereq type=\"default\" requires=\"x\">absent</packagereq>\n"
	"      <packagereq type=\"optional\"> coreutils </packagereq>\n    </packagelist>\n  </group>\n"
	"  <group><id>gone</id><packagelist><packagereq>absent</packagereq></packagelist></group>\n"
	"  <group/>\n"
	"  <environment><id>server</id><grouplist><groupid>gone</groupid></grouplist>"
	"<optionlist><groupid>core</groupid></optionlist></environment>\n"
	"  <langpacks><match install=\"bash-%s\" name=\"bash\"/></langpacks>\n"
	"</comps>\n";

static struct sl_strset *names(void)
{
	struct sl_strset *s = sl_strset_new();
	assert_non_null(s);
	assert_int_equal(sl_strset_add(s, "bash"), 1);
	assert_int_equal(sl_strset_add(s, "coreutils"), 1);
	return s;
}

static char *run(const char *dir, const char *in, int comp, struct sl_rpm_prune_count *n, char **cause, int *rc)
{
	struct sl_strset *s = names();
	char *out = NULL;
	assert_true(asprintf(&out, "%s/out.xml", dir) > 0);
	*rc = sl_rpm_comps_prune(in, out, comp, s, n, cause);
	sl_strset_free(s);
	char *text = *rc == 0 ? sl_test_read_file(out, NULL) : NULL;
	free(out);
	return text;
}

static void check_pruned(const char *t)
{
	assert_non_null(strstr(t, "<packagereq type=\"mandatory\">bash</packagereq>"));
	assert_non_null(strstr(t, "<packagereq type=\"optional\"> coreutils </packagereq>"));
	assert_null(strstr(t, "absent"));
	assert_null(strstr(t, "<id>gone</id>"));
	assert_null(strstr(t, "<groupid>gone</groupid>"));
	assert_non_null(strstr(t, "<groupid>core</groupid>"));
	assert_non_null(strstr(t, "<name xml:lang=\"de\">Kern &amp; mehr</name>"));
	assert_non_null(strstr(t, "<match install=\"bash-%s\" name=\"bash\"/>"));
	assert_non_null(strstr(t, "<id>server</id>"));
	assert_null(strstr(t, "DOCTYPE"));
	/* one group left, as many <group> as </group> */
	const char *p = strstr(t, "<group>");
	assert_non_null(p);
	assert_null(strstr(p + 1, "<group>"));
	assert_null(strstr(t, "<group/>"));
}

static void test_prune_plain_and_gzip(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new(), *in = NULL, *gz = NULL, *cause = NULL;
	assert_non_null(dir);
	assert_true(asprintf(&in, "%s/comps.xml", dir) > 0 && asprintf(&gz, "%s/comps.xml.gz", dir) > 0);
	sl_test_write_file(in, comps, strlen(comps));
	struct sl_rpm_prune_count n;
	int rc;
	char *t = run(dir, in, CR_CW_NO_COMPRESSION, &n, &cause, &rc);
	if (rc != 0)
		fail_msg("refused: %s", cause);
	check_pruned(t);
	assert_int_equal(n.kept, 1);
	assert_int_equal(n.dropped, 2);
	free(t);
	/* gzip in, gzip out: read back through createrepo_c */
	GError *err = NULL;
	CR_FILE *f = cr_open(gz, CR_CW_MODE_WRITE, CR_CW_GZ_COMPRESSION, &err);
	assert_non_null(f);
	assert_true(cr_puts(f, comps, &err) >= 0);
	assert_int_equal(cr_close(f, &err), CRE_OK);
	char *out = NULL;
	assert_true(asprintf(&out, "%s/out.xml.gz", dir) > 0);
	struct sl_strset *s = names();
	assert_int_equal(sl_rpm_comps_prune(gz, out, CR_CW_GZ_COMPRESSION, s, &n, &cause), 0);
	sl_strset_free(s);
	f = cr_open(out, CR_CW_MODE_READ, CR_CW_AUTO_DETECT_COMPRESSION, &err);
	assert_non_null(f);
	char buf[8192];
	int len = cr_read(f, buf, sizeof buf - 1, &err);
	assert_true(len > 0);
	buf[len] = '\0';
	cr_close(f, NULL);
	check_pruned(buf);
	free(out);
	free(in);
	free(gz);
	sl_test_tmpdir_free(dir);
}

static void expect_refused(const char *doc, int want_rc, const char *want)
{
	char *dir = sl_test_tmpdir_new(), *in = NULL, *cause = NULL;
	assert_non_null(dir);
	assert_true(asprintf(&in, "%s/comps.xml", dir) > 0);
	sl_test_write_file(in, doc, strlen(doc));
	struct sl_rpm_prune_count n;
	int rc;
	char *t = run(dir, in, CR_CW_NO_COMPRESSION, &n, &cause, &rc);
	if (rc == 0)
		fail_msg("accepted, expected '%s': %s", want, t);
	assert_int_equal(rc, want_rc);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause '%s', expected '%s'", cause, want);
	free(cause);
	free(in);
	sl_test_tmpdir_free(dir);
}

static void test_hostile(void **state)
{
	(void)state;
	expect_refused("<?xml version=\"1.0\"?>\n<!DOCTYPE comps [<!ENTITY a \"aaaa\">]>\n<comps><group><id>&a;</id></group></comps>\n",
		       -SL_E_PARSE, "internal subset refused");
	expect_refused("<?xml version=\"1.0\"?>\n<!ENTITY a \"x\">\n<comps/>\n", -SL_E_PARSE, "declaration refused");
	expect_refused("<?xml version=\"1.0\"?>\n<!DOCTYPE comps SYSTEM \"comps.dtd\">\n<comps><group><id>&ext;</id>"
		       "<packagelist><packagereq>bash</packagereq></packagelist></group></comps>\n",
		       -SL_E_PARSE, "entity reference refused");
	expect_refused("<!DOCTYPE comps SYSTEM \"a\">\n<!DOCTYPE comps SYSTEM \"b\">\n<comps/>\n", -SL_E_PARSE,
		       "second document type");
	expect_refused("<?xml version=\"1.0\"?>\n<updates/>\n", -SL_E_PARSE, "not <comps>");
	expect_refused("<?xml version=\"1.0\"?>\n<comps><group><id>x</id>\n", -SL_E_PARSE, "comps: line");
	expect_refused("<comps><group><packagelist><packagereq><b>bash</b></packagereq></packagelist></group></comps>",
		       -SL_E_PARSE, "inside a text-only element");
	char deep[4 * (SL_MAX_RPM_XML_DEPTH + 2) + 64];
	size_t off = (size_t)snprintf(deep, sizeof deep, "<comps>");
	for (int i = 0; i < SL_MAX_RPM_XML_DEPTH + 1; i++)
		off += (size_t)snprintf(deep + off, sizeof deep - off, "<a>");
	expect_refused(deep, -SL_E_TOOBIG, "nested deeper");
	char *long_text = malloc(SL_MAX_RPM_FIELD + 200);
	assert_non_null(long_text);
	off = (size_t)sprintf(long_text, "<comps><group><id>");
	memset(long_text + off, 'x', SL_MAX_RPM_FIELD);
	strcpy(long_text + off + SL_MAX_RPM_FIELD, "</id></group></comps>");
	expect_refused(long_text, -SL_E_TOOBIG, "text longer than");
	free(long_text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prune_plain_and_gzip),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
