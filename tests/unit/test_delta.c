/* test_delta: patches between versions of a 60,000-stanza Packages-like file are about the size of the
 * change and reproduce the new file exactly; any bytes round-trip; caps hold; every malformed patch is
 * refused with a cause naming the patch byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/delta.h"
#include "core/error.h"
#include "core/limits.h"

#include "tests/unit/lib/testfile.h"
#include "tests/unit/lib/tmpdir.h"

#define STANZAS 60000      /* a large APT component's Packages: ~ 50 MB */
#define SPECIAL 31337      /* the stanza that changes */

struct buf {
	uint8_t *p;
	size_t len, cap;
	size_t max_chunk;   /* largest piece the sink saw */
	int fail_with;      /* returned once len would pass fail_at */
	size_t fail_at;
};

static int buf_sink(void *arg, const void *data, size_t len)
{
	struct buf *b = arg;
	assert_true(len > 0 && len <= SL_DELTA_CHUNK_MAX);
	if (b->fail_with != 0 && b->len + len > b->fail_at)
		return b->fail_with;
	if (len > b->max_chunk)
		b->max_chunk = len;
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static const char *path_of(const char *name)
{
	static char path[4][512];
	static int next;
	next = (next + 1) % 4;
	snprintf(path[next], sizeof path[next], "%s/%s", sl_test_tmpdir_group(), name);
	return path[next];
}

static void put(const char *name, const void *data, size_t len)
{
	sl_test_write_file(path_of(name), data, len);
}

static int open_r(const char *name)
{
	int fd = open(path_of(name), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static uint64_t size_of(const char *name)
{
	struct stat st;
	assert_int_equal(stat(path_of(name), &st), 0);
	return (uint64_t)st.st_size;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make(const char *old, const char *new, const char *patch, uint64_t max_patch, char **cause)
{
	int o = open_r(old), n = open_r(new);
	int p = open(path_of(patch), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(p >= 0);
	/* The inputs are read from offset 0 whatever the caller's offsets. */
	assert_true(lseek(n, 0, SEEK_END) >= 0);
	int rc = sl_delta_make(o, n, p, max_patch, cause);
	close(o);
	close(n);
	close(p);
	return rc;
}

static int apply(const char *base, const char *patch, uint64_t max_out, struct buf *out, char **cause)
{
	int b = open_r(base), p = open_r(patch);
	int rc = sl_delta_apply(b, p, max_out, buf_sink, out, cause);
	close(b);
	close(p);
	return rc;
}

/* Make and apply; the output must be the new file. The patch's size. */
static uint64_t round_trip(const char *old, const char *new, double *t_make, double *t_apply)
{
	char *cause = NULL;
	double t0 = now();
	int rc = make(old, new, "rt.patch", UINT64_MAX, &cause);
	double t1 = now();
	if (rc != 0)
		fail_msg("make: %s", cause ? cause : "?");
	struct buf out = { 0 };
	rc = apply(old, "rt.patch", UINT64_MAX, &out, &cause);
	double t2 = now();
	if (rc != 0)
		fail_msg("apply: %s", cause ? cause : "?");
	size_t want_len;
	char *want = sl_test_read_file(path_of(new), &want_len);
	assert_int_equal(out.len, want_len);
	assert_true(want_len == 0 || memcmp(out.p, want, want_len) == 0);
	free(want);
	free(out.p);
	if (t_make != NULL)
		*t_make = t1 - t0;
	if (t_apply != NULL)
		*t_apply = t2 - t1;
	return size_of("rt.patch");
}

/* One Packages-like stanza (~ 800 bytes), deterministic in i and version. */
static int stanza(char *s, size_t cap, unsigned i, unsigned version)
{
	uint64_t x = i * 0x9E3779B97F4A7C15ull + version;
	char sha[65];
	for (int k = 0; k < 64; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sha[k] = "0123456789abcdef"[x & 15];
	}
	sha[64] = '\0';
	return snprintf(s, cap,
			"Package: pkg-%05u\nSource: src-%05u\nVersion: 1.%u-%u\nInstalled-Size: %u\n"
			"Maintainer: Maintainer %u <maint%u@example.org>\nArchitecture: amd64\n"
			"Depends: libc6 (>= 2.36), libpkg%u (= 1.%u-%u), lib%u-common\n"
			"Description: package number %u of the generated archive\n"
			" This is the long description of package %u. It spans a few lines so that a stanza\n"
			" has the length of a real one, about eight hundred bytes, with several fields that\n"
			" differ from one package to the next: %u %u %u.\n"
			"Homepage: https://example.org/projects/pkg-%05u\nDescription-md5: %.32s\n"
			"Section: misc\nPriority: optional\nFilename: pool/main/p/pkg-%05u/pkg-%05u_1.%u-%u_amd64.deb\n"
			"Size: %u\nMD5sum: %.32s\nSHA256: %s\n\n",
			i, i / 3, i % 91, version, i * 37 % 90000, i % 500, i % 500, i, i % 91, version, i % 700, i, i,
			i * 7, i * 13, i * 101, i, sha + 16, i, i, i % 91, version, i * 7919u % 1000000u, sha + 8, sha);
}

enum variant { V_SAME, V_CHANGE, V_ADD, V_REMOVE };

/* Write the generated Packages file; returns the size of the changed or added stanza. */
static size_t gen_packages(const char *name, enum variant v)
{
	FILE *f = fopen(path_of(name), "w");
	assert_non_null(f);
	char s[2048];
	size_t special = 0;
	for (unsigned i = 0; i < STANZAS; i++) {
		int n;
		if (i == SPECIAL && v == V_REMOVE)
			continue;
		n = stanza(s, sizeof s, i, i == SPECIAL && v == V_CHANGE ? 2 : 1);
		assert_true(n > 0 && (size_t)n < sizeof s);
		if (i == SPECIAL && v == V_CHANGE)
			special = (size_t)n;
		assert_int_equal(fwrite(s, 1, (size_t)n, f), (size_t)n);
		if (i == SPECIAL && v == V_ADD) {
			n = stanza(s, sizeof s, STANZAS + 1, 1);
			special = (size_t)n;
			assert_int_equal(fwrite(s, 1, (size_t)n, f), (size_t)n);
		}
	}
	assert_int_equal(fclose(f), 0);
	return special;
}

static void test_packages_one_stanza(void **state)
{
	(void)state;
	gen_packages("old", V_SAME);
	gen_packages("same", V_SAME);
	size_t changed = gen_packages("changed", V_CHANGE);
	size_t added = gen_packages("added", V_ADD);
	gen_packages("removed", V_REMOVE);
	uint64_t full = size_of("old");
	assert_true(full > 45u << 20);

	/* Memory stays bounded: a child that only makes the patch (nothing big inherited yet). */
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	long parent_kb = ru.ru_maxrss;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(make("old", "changed", "rss.patch", UINT64_MAX, NULL) == 0 ? 0 : 1);
	int status;
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	print_message("make on %llu bytes: child max RSS %ld KiB (this process had %ld KiB)\n",
		      (unsigned long long)full, ru.ru_maxrss, parent_kb);
	assert_true(ru.ru_maxrss < parent_kb + (12 << 10));

	uint64_t p = round_trip("old", "same", NULL, NULL);
	print_message("identical %llu-byte files: patch %llu bytes\n", (unsigned long long)full, (unsigned long long)p);
	assert_true(p <= SL_DELTA_MAGIC_LEN + 1 + 2 + 5 + 1 + 5);   /* magic, one COPY, END */

	double tm, ta;
	p = round_trip("old", "changed", &tm, &ta);
	print_message("one %zu-byte stanza changed: patch %llu bytes, make %.2f s, apply %.2f s\n", changed,
		      (unsigned long long)p, tm, ta);
	assert_true(p <= changed + 64);
	assert_true(p >= 8);   /* something differs: not an empty patch */

	p = round_trip("old", "added", NULL, NULL);
	print_message("one %zu-byte stanza added: patch %llu bytes\n", added, (unsigned long long)p);
	assert_true(p <= added + 64);

	p = round_trip("old", "removed", NULL, NULL);
	print_message("one stanza removed: patch %llu bytes\n", (unsigned long long)p);
	assert_true(p <= 64);

	/* Backwards: the old from the changed one. */
	p = round_trip("changed", "old", NULL, NULL);
	assert_true(p <= changed + 64);
	unlink(path_of("same"));
	unlink(path_of("added"));
	unlink(path_of("removed"));
	unlink(path_of("changed"));
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
}

static void test_empty_sides(void **state)
{
	(void)state;
	const char text[] = "Package: a\nVersion: 1\n\nPackage: b\nVersion: 2\n\n";
	put("empty", "", 0);
	put("small", text, sizeof text - 1);
	uint64_t p = round_trip("empty", "small", NULL, NULL);
	assert_true(p <= SL_DELTA_MAGIC_LEN + 2 + sizeof text - 1 + 2);
	p = round_trip("small", "empty", NULL, NULL);
	assert_int_equal(p, SL_DELTA_MAGIC_LEN + 2);   /* magic and END 0 */
	p = round_trip("empty", "empty", NULL, NULL);
	assert_int_equal(p, SL_DELTA_MAGIC_LEN + 2);
}

static void test_binary(void **state)
{
	(void)state;
	size_t n = 3u << 20;
	uint8_t *a = malloc(n + 100), *b = malloc(n + 100);
	assert_non_null(a);
	assert_non_null(b);
	fill_random(a, n, 42);
	put("bin.old", a, n);
	/* Insert 100 bytes in the middle and flip one byte near the end: the rest is found again. */
	memcpy(b, a, n / 2);
	fill_random(b + n / 2, 100, 7);
	memcpy(b + n / 2 + 100, a + n / 2, n - n / 2);
	b[n - 1000] ^= 0x55;
	put("bin.new", b, n + 100);
	uint64_t p = round_trip("bin.old", "bin.new", NULL, NULL);
	print_message("3 MiB random, 100 bytes inserted, one flipped: patch %llu bytes\n", (unsigned long long)p);
	assert_true(p < 4 * SL_DELTA_CHUNK_MAX);
	/* Unrelated random data: correct, all ADD, a few bytes above the file. */
	fill_random(b, n, 99);
	put("bin.other", b, n);
	p = round_trip("bin.old", "bin.other", NULL, NULL);
	assert_true(p >= n && p <= n + 64);
	/* Bytes with no newline at all and long runs (one chunk value repeated many times). */
	memset(a, 'x', n);
	put("bin.runs", a, n);
	memset(a + 12345, 'y', 10);
	put("bin.runs2", a, n);
	p = round_trip("bin.runs", "bin.runs2", NULL, NULL);
	assert_true(p < 3 * SL_DELTA_CHUNK_MAX);
	free(a);
	free(b);
}

static void test_caps(void **state)
{
	(void)state;
	size_t n = 1u << 20;
	uint8_t *a = malloc(n);
	assert_non_null(a);
	fill_random(a, n, 5);
	put("cap.old", a, n);
	fill_random(a, n, 6);
	put("cap.new", a, n);
	free(a);
	char *cause = NULL;
	/* A patch that would be larger than the whole object stops as soon as it would exceed the cap. */
	assert_int_equal(make("cap.old", "cap.new", "cap.patch", n, &cause), -SL_E_TOOBIG);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "exceed"));
	free(cause);
	cause = NULL;
	assert_true(size_of("cap.patch") <= n);
	assert_int_equal(make("cap.old", "cap.new", "cap.patch", SL_DELTA_MAGIC_LEN, &cause), -SL_E_TOOBIG);
	free(cause);
	cause = NULL;
	/* Output cap: one byte short is refused, exactly the size passes. */
	assert_int_equal(make("cap.old", "cap.new", "cap.patch", UINT64_MAX, &cause), 0);
	struct buf out = { 0 };
	assert_int_equal(apply("cap.old", "cap.patch", n - 1, &out, &cause), -SL_E_TOOBIG);
	assert_true(out.len <= n - 1);
	assert_non_null(strstr(cause, "exceed"));
	free(cause);
	cause = NULL;
	out.len = 0;
	assert_int_equal(apply("cap.old", "cap.patch", n, &out, &cause), 0);
	assert_int_equal(out.len, n);
	/* Copies are capped as well as adds. */
	assert_int_equal(make("cap.old", "cap.old", "cap.patch", UINT64_MAX, &cause), 0);
	out.len = 0;
	assert_int_equal(apply("cap.old", "cap.patch", 1000, &out, &cause), -SL_E_TOOBIG);
	assert_true(out.len <= 1000);
	free(cause);
	cause = NULL;
	/* A sink's refusal is returned as is. */
	out.len = 0;
	out.fail_with = -EPIPE;
	out.fail_at = 100;
	assert_int_equal(apply("cap.old", "cap.patch", UINT64_MAX, &out, &cause), -EPIPE);
	free(cause);
	free(out.p);
}

static void put_base(void)
{
	char base[100];
	memset(base, 'b', sizeof base);
	put("bad.base", base, sizeof base);
}

/* A hand-written patch against a 100-byte base: the return and that the cause holds want. */
static void bad_patch(const void *patch, size_t len, int want_rc, const char *want)
{
	put_base();
	put("bad.patch", patch, len);
	struct buf out = { 0 };
	char *cause = NULL;
	int rc = apply("bad.base", "bad.patch", 1000, &out, &cause);
	if (rc != want_rc || cause == NULL || strstr(cause, want) == NULL)
		fail_msg("patch of %zu bytes: rc %d (%s), want %d with \"%s\"", len, rc, cause ? cause : "no cause",
			 want_rc, want);
	assert_true(out.len <= 1000);
	free(cause);
	free(out.p);
}

#define P(lit) lit, sizeof(lit) - 1

static void test_malformed(void **state)
{
	(void)state;
	/* A good one first, so the failures below are the bytes' fault. */
	char *cause = NULL;
	struct buf out = { 0 };
	put_base();
	put("bad.patch", P("SLDELTA1\n\x01\x0a\x05\x02\x03xyz\x00\x08"));
	assert_int_equal(apply("bad.base", "bad.patch", 1000, &out, &cause), 0);
	assert_int_equal(out.len, 8);
	assert_memory_equal(out.p, "bbbbbxyz", 8);
	free(out.p);

	bad_patch(P(""), -SL_E_PARSE, "byte 0: not a delta patch");
	bad_patch(P("SLDELTA2\n\x00\x00"), -SL_E_PARSE, "byte 0: not a delta patch");
	bad_patch(P("SLDELT"), -SL_E_PARSE, "byte 0: not a delta patch");
	bad_patch(P("SLDELTA1\n"), -SL_E_PARSE, "byte 9: truncated patch: no END op");
	bad_patch(P("SLDELTA1\n\x01\x00\x05"), -SL_E_PARSE, "truncated patch: no END op");
	/* Copies outside the base: past its end, straddling it, and an offset + length that wraps. */
	bad_patch(P("SLDELTA1\n\x01\x64\x01\x00\x01"), -SL_E_PARSE, "byte 9: copy of 1 bytes at 100 is outside the base");
	bad_patch(P("SLDELTA1\n\x01\x5a\x0b\x00\x0b"), -SL_E_PARSE, "outside the base (100 bytes)");
	bad_patch(P("SLDELTA1\n\x01\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00"), -SL_E_PARSE,
		  "outside the base");
	/* Truncated ops. */
	bad_patch(P("SLDELTA1\n\x01"), -SL_E_PARSE, "byte 10: truncated copy offset");
	bad_patch(P("SLDELTA1\n\x01\x05"), -SL_E_PARSE, "byte 11: truncated copy length");
	bad_patch(P("SLDELTA1\n\x01\x85"), -SL_E_PARSE, "truncated copy offset");
	bad_patch(P("SLDELTA1\n\x02\x0a" "abc"), -SL_E_PARSE, "byte 14: truncated add data");
	bad_patch(P("SLDELTA1\n\x02"), -SL_E_PARSE, "truncated add length");
	bad_patch(P("SLDELTA1\n\x02\x01z\x00"), -SL_E_PARSE, "truncated END total");
	/* Varints beyond 64 bits. */
	bad_patch(P("SLDELTA1\n\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"), -SL_E_PARSE,
		  "byte 10: add length overflows 64 bits");
	bad_patch(P("SLDELTA1\n\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00"), -SL_E_PARSE,
		  "add length overflows 64 bits");
	/* Lengths: zero, and more than the output may be. */
	bad_patch(P("SLDELTA1\n\x02\x00\x00\x00"), -SL_E_PARSE, "byte 9: op of zero length");
	bad_patch(P("SLDELTA1\n\x01\x00\x00\x00\x00"), -SL_E_PARSE, "op of zero length");
	bad_patch(P("SLDELTA1\n\x02\xe9\x07"), -SL_E_TOOBIG, "output would exceed 1000 bytes");
	bad_patch(P("SLDELTA1\n\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), -SL_E_TOOBIG, "exceed");
	/* The END op: a wrong total, bytes after it. */
	bad_patch(P("SLDELTA1\n\x02\x01z\x00\x02"), -SL_E_PARSE, "byte 12: END says 2 bytes, the patch produced 1");
	bad_patch(P("SLDELTA1\n\x00\x00\x00"), -SL_E_PARSE, "byte 11: bytes after the END op");
	bad_patch(P("SLDELTA1\n\x02\x01z\x00\x01garbage"), -SL_E_PARSE, "bytes after the END op");
	/* Unknown ops. */
	bad_patch(P("SLDELTA1\n\x03\x00"), -SL_E_PARSE, "byte 9: unknown op 0x03");
	bad_patch(P("SLDELTA1\n\x02\x01z\xff"), -SL_E_PARSE, "byte 12: unknown op 0xff");
}

/* A patch made after the caller wrote something to patch_fd goes after it (sequential writes). */
static void test_patch_appends(void **state)
{
	(void)state;
	put("ap.old", P("Package: a\n\nPackage: b\n\n"));
	put("ap.new", P("Package: a\n\nPackage: c\n\n"));
	int o = open_r("ap.old"), n = open_r("ap.new");
	int p = open(path_of("ap.patch"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(p >= 0);
	assert_int_equal(write(p, "HDR", 3), 3);
	assert_int_equal(sl_delta_make(o, n, p, UINT64_MAX, NULL), 0);
	close(o);
	close(n);
	close(p);
	size_t len;
	char *patch = sl_test_read_file(path_of("ap.patch"), &len);
	assert_memory_equal(patch, "HDR" SL_DELTA_MAGIC, 3 + SL_DELTA_MAGIC_LEN);
	free(patch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packages_one_stanza),
		cmocka_unit_test(test_empty_sides),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_patch_appends),
	};
	return cmocka_run_group_tests(tests, sl_test_tmpdir_group_setup, sl_test_tmpdir_group_teardown);
}
