/* Tests for core/rpm_depsolve: the `packages =` closure over a primary.xml — package, versioned, soname and
 * file dependencies are followed to every provider of a configured architecture; weak dependencies and
 * unprovided ones (rpmlib) are not; an unknown name is -SL_E_NOTFOUND naming it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/rpm_depsolve.h"

#define PKG(n, a, v, prov, req, extra) \
	"<package type=\"rpm\"><name>" n "</name><arch>" a "</arch><version epoch=\"0\" ver=\"" v "\" rel=\"1\"/>" \
	"<checksum type=\"sha256\" pkgid=\"YES\">0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef</checksum><size package=\"1\"/><location href=\"" n ".rpm\"/>" \
	"<format><rpm:provides><rpm:entry name=\"" n "\" flags=\"EQ\" epoch=\"0\" ver=\"" v "\" rel=\"1\"/>" prov \
	"</rpm:provides><rpm:requires>" req "</rpm:requires>" extra "</format></package>\n"

static const char primary[] =
	"<?xml version=\"1.0\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" "
	"xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"9\">\n"
	PKG("app", "x86_64", "1.0", "",
	    "<rpm:entry name=\"libfoo\" flags=\"GE\" epoch=\"0\" ver=\"2.0\"/><rpm:entry name=\"libbar.so.1()(64bit)\"/>"
	    "<rpm:entry name=\"/usr/share/data/file\"/><rpm:entry name=\"rpmlib(PayloadIsZstd)\" flags=\"LE\" epoch=\"0\" ver=\"5.4.18\" rel=\"1\"/>",
	    "<rpm:recommends><rpm:entry name=\"weak\"/></rpm:recommends>")
	PKG("libfoo", "x86_64", "1.0", "", "", "")
	PKG("libfoo", "x86_64", "2.0", "", "", "")
	PKG("libfoo", "x86_64", "3.0", "", "<rpm:entry name=\"deep\"/>", "")
	PKG("bar", "x86_64", "1.0", "<rpm:entry name=\"libbar.so.1()(64bit)\"/>", "", "")
	PKG("datapkg", "noarch", "1.0", "", "", "<file>/usr/share/data/file</file>")
	PKG("deep", "noarch", "1.0", "", "", "")
	PKG("weak", "noarch", "1.0", "", "", "")
	PKG("app", "s390x", "1.0", "", "", "")
	"</metadata>\n";

static struct sl_rpm_solver *load(void)
{
	const char *archs[] = { "x86_64", "noarch" };
	char *cause = NULL;
	struct sl_rpm_solver *s = sl_rpm_solver_new(archs, 2, &cause);
	assert_non_null(s);
	int fd = memfd_create("primary", 0);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, primary, strlen(primary)), (ssize_t)strlen(primary));
	lseek(fd, 0, SEEK_SET);
	if (sl_rpm_solver_add_primary(s, fd, 1u << 20, &cause) != 0)
		fail_msg("add_primary: %s", cause);
	close(fd);
	return s;
}

static void test_closure(void **state)
{
	(void)state;
	struct sl_rpm_solver *s = load();
	const char *names[] = { "app" };
	char *cause = NULL;
	assert_int_equal(sl_rpm_solver_closure(s, names, 1, &cause), 0);
	assert_true(sl_rpm_solver_selected(s, "app", "0", "1.0", "1", "x86_64"));
	assert_false(sl_rpm_solver_selected(s, "app", "0", "1.0", "1", "s390x"));        /* not configured */
	assert_false(sl_rpm_solver_selected(s, "libfoo", "0", "1.0", "1", "x86_64"));    /* < 2.0 */
	assert_true(sl_rpm_solver_selected(s, "libfoo", "", "2.0", "1", "x86_64"));      /* every satisfying version */
	assert_true(sl_rpm_solver_selected(s, "libfoo", "0", "3.0", "1", "x86_64"));
	assert_true(sl_rpm_solver_selected(s, "deep", "0", "1.0", "1", "noarch"));       /* transitively */
	assert_true(sl_rpm_solver_selected(s, "bar", "0", "1.0", "1", "x86_64"));        /* soname */
	assert_true(sl_rpm_solver_selected(s, "datapkg", "0", "1.0", "1", "noarch"));    /* file dependency */
	assert_false(sl_rpm_solver_selected(s, "weak", "0", "1.0", "1", "noarch"));      /* Recommends */
	assert_int_equal(sl_rpm_solver_count(s), 7);
	sl_rpm_solver_free(s);
}

static void test_unknown(void **state)
{
	(void)state;
	struct sl_rpm_solver *s = load();
	const char *names[] = { "app", "nosuch" };
	char *cause = NULL;
	assert_int_equal(sl_rpm_solver_closure(s, names, 2, &cause), -SL_E_NOTFOUND);
	assert_non_null(strstr(cause, "nosuch"));
	free(cause);
	sl_rpm_solver_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closure),
		cmocka_unit_test(test_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
