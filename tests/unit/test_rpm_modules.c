/* Tests for admin/publish_rpm_modules: a stream stays when one of its artifacts ships (the list pruned to
 * them), other streams go; defaults stay only while their
 * default stream does; obsoletes follow their module; nothing shipped writes nothing; a document
 * libmodulemd refuses is refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <createrepo_c/createrepo_c.h>

#include "admin/publish_rpm_modules.h"
#include "core/error.h"
#include "core/strset.h"
#include "lib/testfile.h"
#include "lib/tmpdir.h"

#define STREAM(mod, st, ctx, arts) \
	"---\ndocument: modulemd\nversion: 2\ndata:\n  name: " mod "\n  stream: \"" st "\"\n  version: 1\n" \
	"  context: " ctx "\n  arch: x86_64\n  summary: s\n  description: d\n  license:\n    module: [MIT]\n" \
	"  artifacts:\n    rpms:\n" arts "...\n"
#define DEFAULTS(mod, st) \
	"---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: " mod "\n  stream: \"" st "\"\n...\n"

static const char yaml[] =
	STREAM("nginx", "1.24", "aaaa0001", "    - nginx-1:1.24.0-1.el9.x86_64\n    - nginx-mod-x-1:1.24.0-1.el9.x86_64\n")
	STREAM("nginx", "1.22", "aaaa0002", "    - nginx-1:1.22.1-1.el9.x86_64\n")
	DEFAULTS("nginx", "1.24")
	STREAM("php", "8.1", "bbbb0001", "    - php-0:8.1.1-1.el9.x86_64\n")
	STREAM("php", "8.2", "bbbb0002", "    - php-0:8.2.1-1.el9.x86_64\n")
	DEFAULTS("php", "8.1")
	STREAM("ruby", "3.1", "cccc0001", "    - ruby-0:3.1.2-1.el9.x86_64\n")
	DEFAULTS("ruby", "3.1")
	"---\ndocument: modulemd-obsoletes\nversion: 1\ndata:\n  modified: 2026-01-01T00:00Z\n  module: nginx\n"
	"  stream: \"1.22\"\n  message: use 1.24\n  obsoleted_by:\n    module: nginx\n    stream: \"1.24\"\n...\n"
	"---\ndocument: modulemd-obsoletes\nversion: 1\ndata:\n  modified: 2026-01-01T00:00Z\n  module: ruby\n"
	"  stream: \"3.1\"\n  message: gone\n...\n";

static char *prune(const char *dir, const char *doc, const char *const *ship, struct sl_rpm_prune_count *n,
		   char **cause, int *rc)
{
	char *in = NULL, *out = NULL;
	assert_true(asprintf(&in, "%s/modules.yaml", dir) > 0 && asprintf(&out, "%s/out.yaml", dir) > 0);
	sl_test_write_file(in, doc, strlen(doc));
	unlink(out);
	struct sl_strset *s = sl_strset_new();
	for (size_t i = 0; ship[i] != NULL; i++)
		assert_int_equal(sl_strset_add(s, ship[i]), 1);
	*rc = sl_rpm_modules_prune(in, out, CR_CW_NO_COMPRESSION, s, n, cause);
	sl_strset_free(s);
	char *t = *rc == 0 && access(out, F_OK) == 0 ? sl_test_read_file(out, NULL) : NULL;
	free(in);
	free(out);
	return t;
}

static void test_prune(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new(), *cause = NULL;
	assert_non_null(dir);
	static const char *const ship[] = { "nginx-1:1.24.0-1.el9.x86_64", "php-0:8.1.1-1.el9.x86_64",
					    "php-0:8.2.1-1.el9.x86_64", "bash-0:5.1-1.el9.x86_64", NULL };
	static const char *const ship_no_php81[] = { "nginx-1:1.24.0-1.el9.x86_64", "php-0:8.2.1-1.el9.x86_64", NULL };
	struct sl_rpm_prune_count n;
	int rc;
	char *t = prune(dir, yaml, ship, &n, &cause, &rc);
	if (rc != 0)
		fail_msg("refused: %s", cause);
	assert_non_null(t);
	assert_int_equal(n.kept, 3);
	assert_int_equal(n.dropped, 2);
	assert_non_null(strstr(t, "nginx-1:1.24.0-1.el9.x86_64"));
	assert_null(strstr(t, "nginx-mod-x"));       /* pruned from the kept stream */
	assert_null(strstr(t, "1.22.1"));            /* stream 1.22 dropped */
	assert_null(strstr(t, "ruby"));              /* module, defaults and obsoletes of nothing shipped */
	assert_non_null(strstr(t, "php-0:8.1.1-1.el9.x86_64"));
	assert_non_null(strstr(t, "document: modulemd-defaults"));
	assert_non_null(strstr(t, "module: php"));
	assert_non_null(strstr(t, "document: modulemd-obsoletes"));   /* nginx's stays with its module */
	free(t);
	/* php's default stream 8.1 does not ship: php's defaults document goes, nginx's stays. */
	t = prune(dir, yaml, ship_no_php81, &n, &cause, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(t);
	assert_int_equal(n.kept, 2);
	assert_non_null(strstr(t, "stream: \"8.2\""));
	const char *d = strstr(t, "document: modulemd-defaults");
	assert_non_null(d);
	assert_null(strstr(d + 1, "document: modulemd-defaults"));
	assert_null(strstr(t, "module: php\n"));
	free(t);
	/* Nothing ships: no file, nothing kept. */
	static const char *const none[] = { "bash-0:5.1-1.el9.x86_64", NULL };
	t = prune(dir, yaml, none, &n, &cause, &rc);
	assert_int_equal(rc, 0);
	assert_null(t);
	assert_int_equal(n.kept, 0);
	assert_int_equal(n.dropped, 5);
	sl_test_tmpdir_free(dir);
}

static void test_refused(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new(), *cause = NULL;
	assert_non_null(dir);
	static const char *const ship[] = { "a-0:1-1.x86_64", NULL };
	struct sl_rpm_prune_count n;
	int rc;
	/* a modulemd document without its required data */
	char *t = prune(dir, "---\ndocument: modulemd\nversion: 2\ndata:\n  name: a\n...\n", ship, &n, &cause, &rc);
	assert_null(t);
	assert_int_equal(rc, -SL_E_PARSE);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "modules.yaml: "));
	free(cause);
	cause = NULL;
	/* an artifact not spelt N-E:V-R.A (libmodulemd's rule, and the shipped set's spelling) */
	t = prune(dir, STREAM("a", "1", "dddd0001", "    - a-1-1.x86_64\n"), ship, &n, &cause, &rc);
	assert_null(t);
	assert_int_equal(rc, -SL_E_PARSE);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "N-E:V-R.A"));
	free(cause);
	cause = NULL;
	t = prune(dir, "---\n[unclosed\n", ship, &n, &cause, &rc);
	assert_null(t);
	assert_int_equal(rc, -SL_E_PARSE);
	assert_non_null(cause);
	free(cause);
	sl_test_tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
