/* test_recompress: xz and gzip files made by the stock tools (xz, gzip -9n, apt-ftparchive) and by sluice's
 * own writer (core/decomp) are found and reproduced byte for byte; settings it does not try are
 * -SL_E_NOTFOUND; tokens are parsed strictly; the output cap and the sink's refusal hold. */
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/decomp.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/recompress.h"

#include "tests/unit/lib/testfile.h"
#include "tests/unit/lib/tmpdir.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
	int fail_with;
	size_t fail_at;
};

static int buf_sink(void *arg, const void *data, size_t len)
{
	struct buf *b = arg;
	if (b->fail_with != 0 && b->len + len > b->fail_at)
		return b->fail_with;
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

static int open_r(const char *name)
{
	int fd = open(path_of(name), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	int n = snprintf(cmd, sizeof cmd, "set -e; cd '%s'; ", sl_test_tmpdir_group());
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Packages-like text of about bytes bytes. */
static void gen_text(const char *name, size_t bytes)
{
	FILE *f = fopen(path_of(name), "w");
	assert_non_null(f);
	uint64_t x = 0x1234567;
	size_t n = 0;
	for (unsigned i = 0; n < bytes; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int k = fprintf(f, "Package: pkg-%05u\nVersion: 1.%u-%u\nArchitecture: amd64\nInstalled-Size: %u\n"
				"Depends: libc6 (>= 2.36), lib%u\nDescription: package %u of the archive\n"
				" with a longer description line that repeats a little, as descriptions do\n"
				"Filename: pool/main/p/pkg-%05u/pkg-%05u_1.%u_amd64.deb\nSize: %u\nSHA256: %016llx%016llx\n\n",
				i, i % 91, (unsigned)(x % 7), (unsigned)(x % 90000), i % 300, i, i, i, i % 91,
				(unsigned)(x % 1000000), (unsigned long long)x, (unsigned long long)(x * 31));
		assert_true(k > 0);
		n += (size_t)k;
	}
	assert_int_equal(fclose(f), 0);
}

/* Find a token for packed from plain and run it: the output must be packed exactly. The token. */
static char *found(const char *packed, const char *plain, double *secs)
{
	static char token[SL_MAX_RECOMPRESS_TOKEN];
	int pk = open_r(packed), pl = open_r(plain);
	char *cause = NULL;
	double t0 = now();
	int rc = sl_recompress_find(pk, pl, token, sizeof token, &cause);
	if (secs != NULL)
		*secs = now() - t0;
	if (rc != 0)
		fail_msg("%s: find: %d %s", packed, rc, cause ? cause : "");
	struct buf out = { 0 };
	rc = sl_recompress_run(token, pl, UINT64_MAX, buf_sink, &out, &cause);
	if (rc != 0)
		fail_msg("%s: run %s: %s", packed, token, cause ? cause : "");
	size_t len;
	char *want = sl_test_read_file(path_of(packed), &len);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.p, want, len);
	free(want);
	free(out.p);
	close(pk);
	close(pl);
	return token;
}

static int not_found(const char *packed, const char *plain, double *secs)
{
	char token[SL_MAX_RECOMPRESS_TOKEN];
	int pk = open_r(packed), pl = open_r(plain);
	char *cause = NULL;
	double t0 = now();
	int rc = sl_recompress_find(pk, pl, token, sizeof token, &cause);
	if (secs != NULL)
		*secs = now() - t0;
	close(pk);
	close(pl);
	if (rc != -SL_E_NOTFOUND)
		fail_msg("%s: want NOTFOUND, got %d (%s)", packed, rc, rc == 0 ? token : cause ? cause : "");
	assert_non_null(cause);
	free(cause);
	return rc;
}

static void test_xz_cli(void **state)
{
	(void)state;
	gen_text("mid", 1u << 20);
	gen_text("small", 5000);
	sh("xz -k -c mid >mid.xz; xz -9 -k -c mid >mid.9.xz; xz -3 -k -c mid >mid.3.xz; xz -0 -k -c mid >mid.0.xz;"
	   "xz -6e -k -c mid >mid.6e.xz; xz --check=crc32 -k -c mid >mid.c32.xz; xz -1 --check=sha256 -k -c mid >mid.sha.xz;"
	   "xz --check=none -2 -k -c mid >mid.none.xz; xz -k -c small >small.xz; xz -9e -k -c small >small.9e.xz");
	assert_string_equal(found("mid.xz", "mid", NULL), "xz 6 e0 crc64 d8388608 z0");
	/* Presets 6-9 differ only in the dictionary, which comes from the header: the first is named. */
	assert_string_equal(found("mid.9.xz", "mid", NULL), "xz 6 e0 crc64 d67108864 z0");
	assert_string_equal(found("mid.3.xz", "mid", NULL), "xz 3 e0 crc64 d4194304 z0");
	assert_string_equal(found("mid.0.xz", "mid", NULL), "xz 0 e0 crc64 d262144 z0");
	assert_string_equal(found("mid.6e.xz", "mid", NULL), "xz 6 e1 crc64 d8388608 z0");
	assert_string_equal(found("mid.c32.xz", "mid", NULL), "xz 6 e0 crc32 d8388608 z0");
	assert_string_equal(found("mid.sha.xz", "mid", NULL), "xz 1 e0 sha256 d1048576 z0");
	assert_string_equal(found("mid.none.xz", "mid", NULL), "xz 2 e0 none d2097152 z0");
	print_message("small xz: %s, small xz -9e: %s\n", found("small.xz", "small", NULL),
		      found("small.9e.xz", "small", NULL));
}

static void test_xz_big_timing(void **state)
{
	(void)state;
	gen_text("big", 4u << 20);   /* past the screened prefix and several LZMA2 chunks, small enough for a loaded CI */
	sh("xz -k -c big >big.xz; xz --lzma2=preset=6,nice=100 -k -c big >big.nice.xz");
	double ok, bad;
	const char *t = found("big.xz", "big", &ok);
	assert_string_equal(t, "xz 6 e0 crc64 d8388608 z0");
	not_found("big.nice.xz", "big", &bad);
	struct stat st;
	assert_int_equal(stat(path_of("big.xz"), &st), 0);
	print_message("4 MiB plain, %lld-byte xz: find %.2f s (found), %.2f s (nice=100: not found)\n",
		      (long long)st.st_size, ok, bad);
	unlink(path_of("big.nice.xz"));
}

static void test_gzip_cli(void **state)
{
	(void)state;
	sh("gzip -9n -c small >small.gz; gzip -n -c small >small.6.gz; gzip -9n -c mid >mid.gz; gzip -9 -c small >small.named.gz");
	/* gzip -9 sets XFL 2, -6 XFL 0; zlib at a level >= 5 chooses the same blocks on a small input. */
	char *t = found("small.gz", "small", NULL);
	assert_non_null(strstr(t, " H1F8B0800000000000203 z0"));
	t = found("small.6.gz", "small", NULL);
	assert_non_null(strstr(t, " H1F8B0800000000000003 z0"));
	/* Without -n: the name and mtime are in the header, kept verbatim. */
	t = found("small.named.gz", "small", NULL);
	assert_non_null(strstr(t, "H1F8B0808"));
	assert_non_null(strstr(t, "736D616C6C00 z0"));   /* "small\0" */
	/* GNU gzip's deflate splits blocks unlike zlib's: larger inputs are not reproduced. If this ever
	 * finds one, the reproduction was checked byte for byte above: then only this line is stale. */
	int pk = open_r("mid.gz"), pl = open_r("mid");
	char token[SL_MAX_RECOMPRESS_TOKEN];
	char *cause = NULL;
	int rc = sl_recompress_find(pk, pl, token, sizeof token, &cause);
	print_message("gzip -9n of 1 MiB: %s\n", rc == 0 ? token : cause);
	assert_true(rc == -SL_E_NOTFOUND);
	free(cause);
	close(pk);
	close(pl);
}

static int file_sink(void *arg, const void *data, size_t len)
{
	return sl_fs_write_all(*(int *)arg, data, len);
}

/* sluice's own writer (core/decomp.c: libarchive, gzip level SL_COMP_GZIP_LEVEL without name or mtime, xz
 * preset SL_COMP_XZ_PRESET with CRC64), fed in odd-sized pieces. */
static void test_own_writer(void **state)
{
	(void)state;
	size_t len;
	char *text = sl_test_read_file(path_of("mid"), &len);
	const enum sl_comp comps[] = { SL_COMP_GZIP, SL_COMP_XZ };
	const char *names[] = { "mid.own.gz", "mid.own.xz" };
	for (int i = 0; i < 2; i++) {
		int fd = open(path_of(names[i]), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		char *cause = NULL;
		struct sl_comp_writer *w = sl_comp_writer_new(comps[i], file_sink, &fd, &cause);
		assert_non_null(w);
		for (size_t off = 0; off < len; off += 7777)
			assert_int_equal(sl_comp_writer_write(w, text + off, len - off < 7777 ? len - off : 7777), 0);
		assert_int_equal(sl_comp_writer_finish(w), 0);
		sl_comp_writer_free(w);
		close(fd);
	}
	free(text);
	char want[64];
	snprintf(want, sizeof want, "xz %d e0 crc64 d", SL_COMP_XZ_PRESET);
	char *t = found("mid.own.xz", "mid", NULL);
	assert_memory_equal(t, want, strlen(want));
	t = found("mid.own.gz", "mid", NULL);
	snprintf(want, sizeof want, "gzip %d m8 H1F8B08000000000000", SL_COMP_GZIP_LEVEL);
	assert_non_null(strstr(t, want));
}

/* apt-ftparchive's Packages.gz and Packages.xz: zlib level 6 and xz preset 6, each followed by an empty
 * member/stream. */
static void test_apt_ftparchive(void **state)
{
	(void)state;
	sh("mkdir -p repo/pool repo/dists/s/main/binary-amd64;"
	   "for i in $(seq 1 30); do mkdir -p d$i/DEBIAN;"
	   " printf 'Package: pkg%%s\\nVersion: 1.%%s\\nArchitecture: amd64\\nMaintainer: T <t@example.org>\\n"
	   "Description: test %%s\\n a longer description of test package %%s\\n' $i $i $i $i >d$i/DEBIAN/control;"
	   " dpkg-deb -b -Zgzip d$i repo/pool/pkg${i}_1.${i}_amd64.deb >/dev/null; done;"
	   "printf 'Dir { ArchiveDir \"%s/repo\"; };\\nDefault { Packages::Compress \". gzip xz\"; };\\n"
	   "TreeDefault { Directory \"pool\"; };\\nTree \"dists/s\" { Sections \"main\"; Architectures \"amd64\"; };\\n' >gen.conf;"
	   "apt-ftparchive generate gen.conf >/dev/null 2>&1", sl_test_tmpdir_group());
	const char *dir = "repo/dists/s/main/binary-amd64/";
	char pk[256], pl[256];
	snprintf(pl, sizeof pl, "%sPackages", dir);
	snprintf(pk, sizeof pk, "%sPackages.xz", dir);
	assert_string_equal(found(pk, pl, NULL), "xz 6 e0 crc64 d8388608 z1");
	snprintf(pk, sizeof pk, "%sPackages.gz", dir);
	assert_string_equal(found(pk, pl, NULL), "gzip 6 m8 H1F8B0800000000000003 z1");
}

static void test_not_found(void **state)
{
	(void)state;
	sh("xz --lzma2=preset=6,nice=100 -k -c mid >mid.nice.xz; xz -T2 --block-size=300000 -k -c mid >mid.mt.xz;"
	   "xz --x86 --lzma2 -k -c small >small.bcj.xz; cp small small.plain; head -c 500000 mid >mid.head;"
	   "cat mid.xz mid.xz >mid.2.xz; cp mid.xz mid.pad.xz; head -c 4 /dev/zero >>mid.pad.xz;"
	   "xz --lzma2=preset=9,dict=128MiB -k -c small >small.bigdict.xz");
	not_found("mid.nice.xz", "mid", NULL);       /* a match-finder setting no preset has */
	not_found("mid.mt.xz", "mid", NULL);         /* blocks with sizes in their headers */
	not_found("small.bcj.xz", "small", NULL);    /* two filters */
	not_found("small.plain", "small", NULL);     /* not compressed */
	not_found("mid.xz", "mid.head", NULL);       /* a different plain file */
	not_found("mid.2.xz", "mid", NULL);          /* two streams with data */
	not_found("mid.pad.xz", "mid", NULL);        /* stream padding */
	not_found("small.bigdict.xz", "small", NULL); /* dictionary above SL_MAX_RECOMPRESS_XZ_DICT */
	not_found("mid.gz", "small", NULL);
	/* A token that does not fit the caller's buffer. */
	int pk = open_r("mid.xz"), pl = open_r("mid");
	char token[8];
	char *cause = NULL;
	assert_int_equal(sl_recompress_find(pk, pl, token, sizeof token, &cause), -SL_E_TOOBIG);
	assert_non_null(cause);
	free(cause);
	close(pk);
	close(pl);
}

static void bad_token(const char *token)
{
	int pl = open_r("small");
	struct buf out = { 0 };
	char *cause = NULL;
	int rc = sl_recompress_run(token, pl, UINT64_MAX, buf_sink, &out, &cause);
	if (rc != -SL_E_PARSE || cause == NULL || strstr(cause, "recompression token") == NULL)
		fail_msg("token \"%s\": rc %d (%s)", token, rc, cause ? cause : "no cause");
	assert_int_equal(out.len, 0);
	free(cause);
	close(pl);
}

static void test_bad_tokens(void **state)
{
	(void)state;
	const char *bad[] = {
		"", "xz", "gzip", "bzip2 9", "xz 6 e0 crc64 d8388608", "xz 6 e0 crc64 d8388608 z0 ",
		" xz 6 e0 crc64 d8388608 z0", "xz  6 e0 crc64 d8388608 z0", "xz 6 e0 crc64 d8388608 z0 z0",
		"xz 10 e0 crc64 d8388608 z0", "xz 06 e0 crc64 d8388608 z0", "xz -6 e0 crc64 d8388608 z0",
		"xz 6 e2 crc64 d8388608 z0", "xz 6 E0 crc64 d8388608 z0", "xz 6 e0 crc16 d8388608 z0",
		"xz 6 e0 CRC64 d8388608 z0", "xz 6 e0 crc64 d4095 z0", "xz 6 e0 crc64 d67108865 z0",
		"xz 6 e0 crc64 d08388608 z0", "xz 6 e0 crc64 d99999999999 z0", "xz 6 e0 crc64 8388608 z0",
		"xz 6 e0 crc64 d8388608 z2", "xz 6 e0 crc64 d8388608 t0", "xz\t6 e0 crc64 d8388608 z0",
		"xz 6 e0 crc64 d8388608 z0\n", "gzip 0 m8 H1F8B0800000000000003 z0", "gzip 10 m8 H1F8B0800000000000003 z0",
		"gzip 6 m0 H1F8B0800000000000003 z0", "gzip 6 m8 H1f8b0800000000000003 z0", "gzip 6 m8 H1F8B z0",
		"gzip 6 m8 H1F8B080000000000000 z0", "gzip 6 m8 H1F8B0800000000000003XX z0",
		"gzip 6 m8 H1F8B0700000000000003 z0",              /* method 7 */
		"gzip 6 m8 H1F8B0820000000000003 z0",              /* reserved flag */
		"gzip 6 m8 H1F8B0808000000000003616263 z0",         /* FNAME without its NUL */
		"gzip 6 m8 H1F8B080800000000000361626300FF z0",     /* a byte after the header */
		"gzip 6 m8 H1F8B0804000000000003FF00 z0",           /* FEXTRA longer than the header */
		"gzip 6 m8 H1F8B0800000000000003 z0 x", "gzip 6 m8 z0",
		"gzip 6 m8 H z0",                                   /* no header at all (found by fuzz_recompress) */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		bad_token(bad[i]);
	char longtok[SL_MAX_RECOMPRESS_TOKEN + 10];
	memset(longtok, 'A', sizeof longtok - 1);
	longtok[sizeof longtok - 1] = '\0';
	memcpy(longtok, "gzip 6 m8 H", 11);
	bad_token(longtok);
	bad_token("xz 6 e0 crc64 d8388608 z\xc3\xa9");
	/* The largest header a token carries works: an FNAME filling SL_MAX_RECOMPRESS_GZIP_HEADER. */
	char tok[SL_MAX_RECOMPRESS_TOKEN];
	int n = snprintf(tok, sizeof tok, "gzip 6 m8 H1F8B0808000000000003");
	for (int i = 0; i < SL_MAX_RECOMPRESS_GZIP_HEADER - 11; i++)
		n += snprintf(tok + n, sizeof tok - (size_t)n, "41");
	n += snprintf(tok + n, sizeof tok - (size_t)n, "00 z0");
	assert_true((size_t)n < sizeof tok);
	int pl = open_r("small");
	struct buf out = { 0 };
	char *cause = NULL;
	assert_int_equal(sl_recompress_run(tok, pl, UINT64_MAX, buf_sink, &out, &cause), 0);
	close(pl);
	free(out.p);
}

static void test_caps_and_sink(void **state)
{
	(void)state;
	int pl = open_r("mid");
	struct buf out = { 0 };
	char *cause = NULL;
	int rc = sl_recompress_run("xz 0 e0 crc64 d262144 z0", pl, 1000, buf_sink, &out, &cause);
	assert_int_equal(rc, -SL_E_TOOBIG);
	assert_true(out.len <= 1000);
	assert_non_null(strstr(cause, "exceed 1000 bytes"));
	free(cause);
	cause = NULL;
	out.len = 0;
	rc = sl_recompress_run("gzip 1 m8 H1F8B0800000000000003 z1", pl, 1000, buf_sink, &out, &cause);
	assert_int_equal(rc, -SL_E_TOOBIG);
	assert_true(out.len <= 1000);
	free(cause);
	cause = NULL;
	out.len = 0;
	out.fail_with = -EPIPE;
	out.fail_at = 10;
	rc = sl_recompress_run("xz 0 e0 crc64 d262144 z0", pl, UINT64_MAX, buf_sink, &out, &cause);
	assert_int_equal(rc, -EPIPE);
	free(cause);
	free(out.p);
	close(pl);
	/* Empty input: both formats, with and without the tail. */
	sh(": >empty; xz -k -c empty >empty.xz; gzip -9n -c empty >empty.gz");
	found("empty.xz", "empty", NULL);
	found("empty.gz", "empty", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xz_cli),
		cmocka_unit_test(test_xz_big_timing),
		cmocka_unit_test(test_gzip_cli),
		cmocka_unit_test(test_own_writer),
		cmocka_unit_test(test_apt_ftparchive),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_bad_tokens),
		cmocka_unit_test(test_caps_and_sink),
	};
	return cmocka_run_group_tests(tests, sl_test_tmpdir_group_setup, sl_test_tmpdir_group_teardown);
}
