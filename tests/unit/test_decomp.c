/* test_decomp: compression round trips that the stock tools accept, auto-detection of every format
 * Debian mirrors use, and refusal of truncated, corrupt and bomb input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/decomp.h"
#include "core/error.h"

#include "tests/unit/lib/testfile.h"
#include "tests/unit/lib/tmpdir.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
	int fail_with;   /* sink returns this once len would pass fail_at */
	size_t fail_at;
	int failed_calls;   /* how often it returned fail_with */
};

static int buf_sink(void *arg, const void *data, size_t len)
{
	struct buf *b = arg;
	if (b->fail_with != 0 && b->len + len > b->fail_at) {
		b->failed_calls++;
		return b->fail_with;
	}
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", sl_test_tmpdir_group(), name);
	sl_test_write_file(path, data, len);
}

static int open_tmp(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", sl_test_tmpdir_group(), name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static int sh(const char *what)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "cd '%s' && %s", sl_test_tmpdir_group(), what);
	return system(cmd);
}

/* Deterministic Packages-like text, large enough to span many blocks. */
static char *make_text(size_t *len)
{
	size_t cap = 2u << 20, n = 0;
	char *t = malloc(cap);
	assert_non_null(t);
	for (unsigned i = 0; n + 512 < cap; i++)
		n += (size_t)snprintf(t + n, cap - n,
				      "Package: pkg%u\nVersion: 1.%u-%u\nArchitecture: amd64\n"
				      "Filename: pool/main/p/pkg%u/pkg%u_1.%u_amd64.deb\nSize: %u\n\n",
				      i, i % 97, i % 13, i, i, i % 97, i * 7919u % 100000u);
	*len = n;
	return t;
}

static struct buf compress(enum sl_comp c, const void *data, size_t len)
{
	struct buf out = { 0 };
	char *cause = NULL;
	struct sl_comp_writer *w = sl_comp_writer_new(c, buf_sink, &out, &cause);
	assert_non_null(w);
	/* Odd-sized writes, as a streaming producer would make them. */
	const uint8_t *p = data;
	for (size_t off = 0; off < len;) {
		size_t n = len - off < 7777 ? len - off : 7777;
		assert_int_equal(sl_comp_writer_write(w, p + off, n), 0);
		off += n;
	}
	assert_int_equal(sl_comp_writer_finish(w), 0);
	sl_comp_writer_free(w);
	return out;
}

static void roundtrip(enum sl_comp c, const char *name, const char *tool_test)
{
	size_t len;
	char *text = make_text(&len);
	struct buf z = compress(c, text, len);
	assert_true(z.len > 0);
	if (c != SL_COMP_NONE)
		assert_true(z.len < len / 3);
	write_file(name, z.p, z.len);
	write_file("t.orig", text, len);
	if (tool_test != NULL)
		assert_int_equal(sh(tool_test), 0);
	int fd = open_tmp(name);
	struct buf back = { 0 };
	char *cause = NULL;
	assert_int_equal(sl_decomp_fd_cause(fd, len, buf_sink, &back, &cause), 0);
	assert_null(cause);
	close(fd);
	assert_int_equal(back.len, len);
	assert_memory_equal(back.p, text, len);
	/* One byte less than the content is over the cap. */
	fd = open_tmp(name);
	struct buf capped = { 0 };
	assert_int_equal(sl_decomp_fd(fd, len - 1, buf_sink, &capped), -SL_E_TOOBIG);
	assert_true(capped.len < len);
	close(fd);
	free(capped.p);
	free(back.p);
	free(z.p);
	free(text);
}

static void test_roundtrip_gzip(void **state)
{
	(void)state;
	roundtrip(SL_COMP_GZIP, "p.gz", "gzip -t p.gz && zcat p.gz | cmp -s - t.orig");
}

static void test_roundtrip_xz(void **state)
{
	(void)state;
	roundtrip(SL_COMP_XZ, "p.xz", "xz -t p.xz && xzcat p.xz | cmp -s - t.orig");
}

static void test_roundtrip_plain(void **state)
{
	(void)state;
	roundtrip(SL_COMP_NONE, "p.txt", NULL);
}

static void test_gzip_reproducible(void **state)
{
	(void)state;
	const char t[] = "Package: a\nVersion: 1\n";
	struct buf a = compress(SL_COMP_GZIP, t, sizeof t - 1);
	sleep(1);
	struct buf b = compress(SL_COMP_GZIP, t, sizeof t - 1);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	assert_int_equal(a.p[0], 0x1f);
	assert_int_equal(a.p[1], 0x8b);
	assert_int_equal(a.p[3] & 0x08, 0);   /* no FNAME */
	assert_int_equal(a.p[4] | a.p[5] | a.p[6] | a.p[7], 0);  /* no mtime */
	free(a.p);
	free(b.p);
}

/* Formats produced by the stock tools are all detected. */
static void test_detects_tool_formats(void **state)
{
	(void)state;
	size_t len;
	char *text = make_text(&len);
	write_file("t", text, len);
	static const char *const cmds[] = {
		"gzip -n -c t > z", "xz -c t > z", "bzip2 -c t > z", "zstd -q -c t > z", "lz4 -q -c t > z",
		"xz --format=lzma -c t > z", "gzip -c t > z1 && gzip -c t > z2 && cat z1 z2 | head -c 0 > z && gzip -c t > z",
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (sh(cmds[i]) != 0) {
			printf("tool for '%s' missing; not checked\n", cmds[i]);
			continue;
		}
		int fd = open_tmp("z");
		struct buf out = { 0 };
		int rc = sl_decomp_fd(fd, len, buf_sink, &out);
		close(fd);
		if (rc != 0 || out.len != len || memcmp(out.p, text, len) != 0)
			fail_msg("%s: rc %d len %zu", cmds[i], rc, out.len);
		free(out.p);
	}
	free(text);
}

static void test_empty_input(void **state)
{
	(void)state;
	write_file("empty", "", 0);
	int fd = open_tmp("empty");
	struct buf out = { 0 };
	assert_int_equal(sl_decomp_fd(fd, 10, buf_sink, &out), 0);
	assert_int_equal(out.len, 0);
	close(fd);
}

static void check_bad(const char *name, const uint8_t *p, size_t len, size_t max)
{
	write_file(name, p, len);
	int fd = open_tmp(name);
	struct buf out = { 0 };
	char *cause = NULL;
	int rc = sl_decomp_fd_cause(fd, max, buf_sink, &out, &cause);
	close(fd);
	if (rc != -SL_E_ARCHIVE)
		fail_msg("%s: expected -SL_E_ARCHIVE, got %d (%s)", name, rc, sl_strerror(rc));
	assert_non_null(cause);
	printf("%s: %s\n", name, cause);
	free(cause);
	free(out.p);
}

static void test_truncated_and_corrupt(void **state)
{
	(void)state;
	size_t len;
	char *text = make_text(&len);
	struct buf xz = compress(SL_COMP_XZ, text, len);
	struct buf gz = compress(SL_COMP_GZIP, text, len);
	check_bad("trunc.xz", xz.p, xz.len / 2, len);
	check_bad("trunc-tail.xz", xz.p, xz.len - 4, len);
	check_bad("trunc.gz", gz.p, gz.len / 2, len);
	check_bad("trunc-tail.gz", gz.p, gz.len - 4, len);  /* CRC/size trailer cut */
	xz.p[xz.len / 2] ^= 0x55;
	check_bad("flip.xz", xz.p, xz.len, len);
	gz.p[10] = 0xff;  /* first deflate block header: reserved block type 3 */
	check_bad("blocktype.gz", gz.p, gz.len, len);
	free(xz.p);
	free(gz.p);
	free(text);
}

static void test_bomb_capped(void **state)
{
	(void)state;
	size_t big = 64u << 20;
	uint8_t *zeros = calloc(1, 1u << 20);
	assert_non_null(zeros);
	struct buf z = { 0 };
	struct sl_comp_writer *w = sl_comp_writer_new(SL_COMP_XZ, buf_sink, &z, NULL);
	assert_non_null(w);
	for (size_t off = 0; off < big; off += 1u << 20)
		assert_int_equal(sl_comp_writer_write(w, zeros, 1u << 20), 0);
	assert_int_equal(sl_comp_writer_finish(w), 0);
	sl_comp_writer_free(w);
	assert_true(z.len < 64u << 10);   /* 64 MiB of zeros fits in a few KiB */
	write_file("bomb.xz", z.p, z.len);
	int fd = open_tmp("bomb.xz");
	struct buf out = { 0 };
	assert_int_equal(sl_decomp_fd(fd, 1u << 20, buf_sink, &out), -SL_E_TOOBIG);
	assert_true(out.len <= 1u << 20);
	close(fd);
	free(out.p);
	free(z.p);
	free(zeros);
}

static void test_sink_errors_propagate(void **state)
{
	(void)state;
	size_t len;
	char *text = make_text(&len);
	write_file("plain", text, len);
	int fd = open_tmp("plain");
	struct buf out = { .fail_with = 7, .fail_at = 100000 };
	assert_int_equal(sl_decomp_fd(fd, len, buf_sink, &out), 7);
	close(fd);
	free(out.p);
	/* Compressed streams are decoded on a thread of their own: the sink's return (1 included, which a
	 * Packages walk uses to stop) still ends the call at once, with nothing fed after it. */
	const enum sl_comp comps[] = { SL_COMP_GZIP, SL_COMP_XZ };
	for (int i = 0; i < 2; i++) {
		struct buf zz = compress(comps[i], text, len);
		write_file("stop.z", zz.p, zz.len);
		for (int ret = 1; ret <= 7; ret += 6) {
			fd = open_tmp("stop.z");
			struct buf o = { .fail_with = ret, .fail_at = 100000 };
			assert_int_equal(sl_decomp_fd(fd, len, buf_sink, &o), ret);
			assert_int_equal(o.failed_calls, 1);
			assert_true(o.len > 0 && o.len <= 100000);
			close(fd);
			free(o.p);
		}
		free(zz.p);
	}
	/* And from the compressor's side: the writer stays failed. */
	struct buf z = { .fail_with = -SL_E_TOOBIG, .fail_at = 1000 };
	struct sl_comp_writer *w = sl_comp_writer_new(SL_COMP_GZIP, buf_sink, &z, NULL);
	assert_non_null(w);
	int rc = sl_comp_writer_write(w, text, len);
	if (rc == 0)
		rc = sl_comp_writer_finish(w);
	assert_int_equal(rc, -SL_E_TOOBIG);
	assert_int_equal(sl_comp_writer_write(w, "x", 1), -SL_E_TOOBIG);
	sl_comp_writer_free(w);
	free(z.p);
	/* An abandoned writer never calls its sink from _free. */
	struct buf quiet = { 0 };
	w = sl_comp_writer_new(SL_COMP_XZ, buf_sink, &quiet, NULL);
	assert_int_equal(sl_comp_writer_write(w, text, 1000), 0);
	size_t before = quiet.len;
	sl_comp_writer_free(w);
	assert_int_equal(quiet.len, before);
	free(quiet.p);
	sl_comp_writer_free(NULL);
	char *cause = NULL;
	assert_null(sl_comp_writer_new((enum sl_comp)42, buf_sink, &quiet, &cause));
	assert_non_null(cause);
	free(cause);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_gzip),
		cmocka_unit_test(test_roundtrip_xz),
		cmocka_unit_test(test_roundtrip_plain),
		cmocka_unit_test(test_gzip_reproducible),
		cmocka_unit_test(test_detects_tool_formats),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_truncated_and_corrupt),
		cmocka_unit_test(test_bomb_capped),
		cmocka_unit_test(test_sink_errors_propagate),
	};
	return cmocka_run_group_tests(tests, sl_test_tmpdir_group_setup, sl_test_tmpdir_group_teardown);
}
