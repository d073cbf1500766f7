/* tmpdir: a private temporary directory per unit test, under $TMPDIR (when absolute) or /tmp.
 * sl_test_tmpdir_new() creates "<base>/sluice-test.XXXXXX" (mode 0700) and returns its path (heap);
 * sl_test_tmpdir_free() removes it recursively, restoring owner permissions first so trees a test made
 * read-only go too, never following symlinks out of the tree, then frees the path. NULL is a no-op.
 * A failure to create returns NULL (tests assert on it); a failure to remove is printed to stderr.
 * For a test program whose cases share one directory, pass sl_test_tmpdir_group_setup/_teardown to
 * cmocka_run_group_tests(); sl_test_tmpdir_group() is then its path (NULL outside the group). */
#ifndef SL_TEST_TMPDIR_H
#define SL_TEST_TMPDIR_H

char *sl_test_tmpdir_new(void);
void sl_test_tmpdir_free(char *path);
int sl_test_tmpdir_group_setup(void **state);
int sl_test_tmpdir_group_teardown(void **state);
const char *sl_test_tmpdir_group(void);

#endif
