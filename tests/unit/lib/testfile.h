/* testfile: whole-file reads and writes for unit tests, and paths into the checked-in test data
 * ($SL_TEST_DATA, set by ctest to <source>/tests/data).
 * sl_test_data_path() returns "$SL_TEST_DATA/<rel>" (heap, caller frees). sl_test_read_file() returns the
 * whole file NUL-terminated (heap, caller frees) with its length in *len (optional); sl_test_read_data()
 * is both at once. sl_test_write_file() writes data to path, replacing it; sl_test_write_compressed()
 * writes it through our own compressor (core/decomp), so reading it back puts decompression on the path.
 * These are for fixtures a test cannot run without: any failure (variable unset, file missing or larger
 * than SL_TEST_FILE_MAX, short write) fails the current cmocka test; they never return NULL. */
#ifndef SL_TEST_TESTFILE_H
#define SL_TEST_TESTFILE_H

#include <stddef.h>

#include "core/decomp.h"

#define SL_TEST_FILE_MAX (64u << 20)   /* bytes: larger than any fixture or built index a test reads */

char *sl_test_data_path(const char *rel);
char *sl_test_read_file(const char *path, size_t *len);
char *sl_test_read_data(const char *rel, size_t *len);
void sl_test_write_file(const char *path, const void *data, size_t len);
void sl_test_write_compressed(const char *path, enum sl_comp comp, const void *data, size_t len);

#endif
