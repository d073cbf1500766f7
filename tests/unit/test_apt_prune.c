/* apt_prune: the stream libsolv reads holds only the lean fields, only the stanzas of names the closure
 * reaches (through Depends, Pre-Depends and providers; Recommends does not count), the same whether it
 * comes from the first pass's copy or a fresh decompression; a stanza over its cap ends it with an error.
 * The closure over these streams is checked in test_apt_depsolve.c. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/apt_prune.h"
#include "core/error.h"
#include "core/limits.h"

static const char index_text[] =
	"Package: app\nVersion: 1.0\nArchitecture: amd64\nDescription: the app\n long text\n"
	"Depends: libfoo (>= 1), bar | baz\nRecommends: extra\nFilename: pool/a/app.deb\n\n"
	"Package: libfoo\nVersion: 1.2\nArchitecture: amd64\nMulti-Arch: same\nPre-Depends: libc\n\n"
	"Package: bar\nVersion: 2\nArchitecture: all\n\n"
	"Package: baz\nVersion: 3\nArchitecture: all\n\n"
	"Package: libc-impl\nVersion: 9\nArchitecture: amd64\nProvides: libc\n\n"
	"Package: extra\nVersion: 1\nArchitecture: all\n\n"
	"Package: unrelated\nVersion: 1\nArchitecture: amd64\nDepends: app\n\n";

static int mem_fd(const char *text, size_t len)
{
	char path[] = "/tmp/sl-prune-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Everything the stream yields, NUL-terminated (caller frees). */
static char *read_stream(struct sl_apt_prune *p, int fd, int *close_rc)
{
	struct sl_apt_prune_stream *z = NULL;
	char *cause = NULL;
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(sl_apt_prune_open(p, fd, &z, &cause), 0);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t n;
	while ((n = fread(buf + len, 1, cap - 1 - len, sl_apt_prune_file(z))) > 0)
		len += n;
	buf[len] = '\0';
	*close_rc = sl_apt_prune_close(z, &cause);
	free(cause);
	return buf;
}

static void test_lean_unpruned(void **st)
{
	int fd = mem_fd(index_text, sizeof index_text - 1);
	int rc;
	char *out = read_stream(NULL, fd, &rc);
	assert_int_equal(rc, 0);
	/* Every stanza, only the lean fields, continuation lines of dropped fields dropped too. */
	assert_non_null(strstr(out, "Package: unrelated\n"));
	assert_non_null(strstr(out, "Depends: libfoo (>= 1), bar | baz\n"));
	assert_non_null(strstr(out, "Multi-Arch: same\n"));
	assert_non_null(strstr(out, "Provides: libc\n"));
	assert_null(strstr(out, "Description"));
	assert_null(strstr(out, "long text"));
	assert_null(strstr(out, "Recommends"));
	assert_null(strstr(out, "Filename"));
	free(out);
	close(fd);
}

static void check_pruned(const char *out)
{
	static const char *const kept[] = { "app", "libfoo", "bar", "baz", "libc-impl" };
	static const char *const dropped[] = { "extra", "unrelated" };
	char want[64];
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		snprintf(want, sizeof want, "Package: %s\n", kept[i]);
		if (strstr(out, want) == NULL)
			fail_msg("%s was pruned but the closure reaches it", kept[i]);
	}
	for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++) {
		snprintf(want, sizeof want, "Package: %s\n", dropped[i]);
		if (strstr(out, want) != NULL)
			fail_msg("%s was kept but nothing reaches it", dropped[i]);
	}
}

static void test_pruned_from_copy_and_fresh(void **st)
{
	int fd = mem_fd(index_text, sizeof index_text - 1);
	int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(tmp >= 0);
	const char *names[] = { "app" };
	struct sl_apt_prune *p = NULL;
	char *cause = NULL;
	assert_int_equal(sl_apt_prune_build(&fd, 1, names, 1, tmp, &p, &cause), 0);
	int rc;
	char *first = read_stream(p, fd, &rc);   /* from the lean copy */
	assert_int_equal(rc, 0);
	check_pruned(first);
	char *second = read_stream(p, fd, &rc);  /* the copy is used up: decompressed again, same stanzas */
	assert_int_equal(rc, 0);
	assert_string_equal(first, second);
	free(first);
	free(second);
	sl_apt_prune_free(p);

	/* Without a temp directory there is no copy; the result is the same. */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(sl_apt_prune_build(&fd, 1, names, 1, -1, &p, &cause), 0);
	char *third = read_stream(p, fd, &rc);
	assert_int_equal(rc, 0);
	check_pruned(third);
	free(third);
	sl_apt_prune_free(p);
	close(tmp);
	close(fd);
}

static void test_oversized_stanza(void **st)
{
	size_t big = SL_MAX_DEB822_PARA + 100;
	char *text = malloc(big + 64);
	assert_non_null(text);
	int n = sprintf(text, "Package: app\nDepends: ");
	memset(text + n, 'a', big);
	strcpy(text + n + big, "\n\n");
	int fd = mem_fd(text, strlen(text));
	const char *names[] = { "app" };
	struct sl_apt_prune *p = NULL;
	char *cause = NULL;
	int rc = sl_apt_prune_build(&fd, 1, names, 1, -1, &p, &cause);
	assert_int_equal(rc, -SL_E_TOOBIG);
	assert_null(p);
	assert_non_null(cause);
	free(cause);
	free(text);
	close(fd);
}

static void test_garbage_is_an_archive_error(void **st)
{
	/* xz magic followed by junk: the decompressor fails, the first pass reports it. */
	static const char junk[] = "\xfd" "7zXZ\0\0junkjunkjunkjunk";
	int fd = mem_fd(junk, sizeof junk - 1);
	const char *names[] = { "app" };
	struct sl_apt_prune *p = NULL;
	char *cause = NULL;
	int rc = sl_apt_prune_build(&fd, 1, names, 1, -1, &p, &cause);
	assert_true(rc < 0);
	assert_null(p);
	assert_non_null(cause);
	free(cause);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lean_unpruned),
		cmocka_unit_test(test_pruned_from_copy_and_fresh),
		cmocka_unit_test(test_oversized_stanza),
		cmocka_unit_test(test_garbage_is_an_archive_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
