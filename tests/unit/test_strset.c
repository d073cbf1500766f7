/* Unit tests for core/strset: membership, duplicates, growth past many resizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "core/strset.h"

static void test_add_and_has(void **state)
{
	(void)state;
	struct sl_strset *s = sl_strset_new();
	assert_non_null(s);
	assert_false(sl_strset_has(s, "a"));
	assert_int_equal(sl_strset_add(s, "a"), 1);
	assert_int_equal(sl_strset_add(s, "a"), 0);
	assert_int_equal(sl_strset_add(s, ""), 1);
	assert_true(sl_strset_has(s, "a"));
	assert_true(sl_strset_has(s, ""));
	assert_false(sl_strset_has(s, "b"));
	assert_int_equal(sl_strset_count(s), 2);
	sl_strset_free(s);
	sl_strset_free(NULL);
}

static void test_growth(void **state)
{
	(void)state;
	struct sl_strset *s = sl_strset_new();
	char buf[32];
	for (int i = 0; i < 100000; i++) {
		snprintf(buf, sizeof buf, "pool/main/p%d.deb", i);
		assert_int_equal(sl_strset_add(s, buf), 1);
	}
	for (int i = 0; i < 100000; i += 7) {
		snprintf(buf, sizeof buf, "pool/main/p%d.deb", i);
		assert_true(sl_strset_has(s, buf));
		assert_int_equal(sl_strset_add(s, buf), 0);
	}
	assert_false(sl_strset_has(s, "pool/main/p100000.deb"));
	assert_int_equal(sl_strset_count(s), 100000);
	sl_strset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_has),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
