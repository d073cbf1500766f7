/* tmpdir: a private temporary directory per unit test, under $TMPDIR (when absolute) or /tmp.
 * sl_test_tmpdir_new() creates "<base>/sluice-test.XXXXXX" (mode 0700) and returns its path (heap);
 * sl_test_tmpdir_free() removes it recursively, restoring owner permissions first so trees a test made
 * read-only go too, never following symlinks out of the tree, then frees the path. NULL is a no-op.
 * A failure to create returns NULL (tests assert on it); a failure to remove is printed to stderr. */
#ifndef SL_TEST_TMPDIR_H
#define SL_TEST_TMPDIR_H

char *sl_test_tmpdir_new(void);
void sl_test_tmpdir_free(char *path);

#endif
