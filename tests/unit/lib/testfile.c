/* testfile: fixtures read through sl_fs_read_file, failures turned into cmocka failures. */
#include "tests/unit/lib/testfile.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/fsutil.h"

char *sl_test_data_path(const char *rel)
{
	const char *dir = getenv("SL_TEST_DATA");
	if (dir == NULL || dir[0] == '\0')
		fail_msg("SL_TEST_DATA is not set (run the test through ctest)");
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, rel) < 0)
		fail_msg("out of memory building the path of %s", rel);
	return path;
}

char *sl_test_read_file(const char *path, size_t *len)
{
	char *data = NULL;
	size_t n = 0;
	int rc = sl_fs_read_file(path, SL_TEST_FILE_MAX, &data, &n);
	if (rc < 0)
		fail_msg("cannot read %s: %s", path, sl_strerror(rc));
	if (len != NULL)
		*len = n;
	return data;
}

char *sl_test_read_data(const char *rel, size_t *len)
{
	char *path = sl_test_data_path(rel);
	char *data = sl_test_read_file(path, len);
	free(path);
	return data;
}

void sl_test_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		fail_msg("cannot create %s", path);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int file_sink(void *arg, const void *data, size_t len)
{
	return fwrite(data, 1, len, arg) == len ? 0 : -SL_E_TOOBIG;
}

void sl_test_write_compressed(const char *path, enum sl_comp comp, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		fail_msg("cannot create %s", path);
	struct sl_comp_writer *w = sl_comp_writer_new(comp, file_sink, f, NULL);
	assert_non_null(w);
	assert_int_equal(sl_comp_writer_write(w, data, len), 0);
	assert_int_equal(sl_comp_writer_finish(w), 0);
	sl_comp_writer_free(w);
	assert_int_equal(fclose(f), 0);
}
