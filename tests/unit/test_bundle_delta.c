/* Unit tests for admin/bundle_delta: the export half plans patches and rebuilds only for carried objects
 * that replace another at the same path and only where that is smaller; the import half rebuilds them
 * byte for byte from what the store holds, and refuses (storing nothing) a build whose result does not
 * hash to its signed target or whose input is missing. Objects live in a real store in a temp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admin/bundle_delta.h"
#include "core/bundle_manifest.h"
#include "core/decomp.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/store.h"
#include "lib/tmpdir.h"

struct fx {
	char *dir;
	struct sl_store *store;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->dir = sl_test_tmpdir_new();
	assert_non_null(f->dir);
	char *cause = NULL;
	f->store = sl_store_open(f->dir, &cause);
	assert_non_null(f->store);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sl_store_free(f->store);
	sl_test_tmpdir_free(f->dir);
	free(f);
	return 0;
}

/* A Packages-like text of n stanzas; stanza `changed` (if < n) carries another version. Heap. */
static char *index_text(unsigned n, unsigned changed, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0;
	FILE *f = open_memstream(&buf, &cap);
	assert_non_null(f);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "Package: pkg%05u\nVersion: %s\nArchitecture: all\nFilename: pool/main/p/pkg%05u.deb\n"
			   "Size: %u\nSHA256: %064u\nDescription: package number %u of the test index\n\n",
			i, i == changed ? "2.0-1" : "1.0-1", i, 1000 + i, i, i);
	fclose(f);
	*len = cap;
	return buf;
}

static void put(struct fx *f, const void *data, size_t len, char sha[SL_SHA256_HEX])
{
	assert_int_equal(sl_store_put(f->store, data, len, NULL, sha), 0);
}

/* The manifest text for the plan's builds alone (what the import half reads). Heap. */
static char *builds_manifest(const struct sl_bundle_plan *p, const struct sl_bundle_build *extra, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	struct sl_bundle_header h = { .format = SL_BUNDLE_FORMAT_DELTA, .sequence = 2, .created = 1, .valid_until = 2 };
	memset(h.exporter, 'A', 40);
	assert_int_equal(sl_bundle_write_header(f, &h), 0);
	uint64_t nb = 0;
	for (size_t i = 0; p != NULL && i < sl_bundle_plan_builds(p); i++, nb++)
		assert_int_equal(sl_bundle_write_build(f, sl_bundle_plan_build(p, i)), 0);
	if (extra != NULL) {
		assert_int_equal(sl_bundle_write_build(f, extra), 0);
		nb++;
	}
	struct sl_bundle_end e = { .volumes = 1, .n_builds = nb };
	assert_int_equal(sl_bundle_write_end(f, SL_BUNDLE_FORMAT_DELTA, &e), 0);
	fclose(f);
	*len = n;
	return buf;
}

static int run_builds(struct fx *f, const char *m, size_t len, uint64_t *built, char **cause)
{
	FILE *mf = fmemopen((void *)m, len, "r");
	assert_non_null(mf);
	int rc = sl_bundle_builds_run(f->store, mf, built, cause);
	fclose(mf);
	return rc;
}

static void test_plain_patch_round_trip(void **state)
{
	struct fx *f = *state;
	size_t la, lb;
	char *a = index_text(3000, 3000, &la), *b = index_text(3000, 1234, &lb);
	char sa[SL_SHA256_HEX], sb[SL_SHA256_HEX];
	put(f, a, la, sa);
	put(f, b, lb, sb);
	struct sl_bundle_plan *p = sl_bundle_plan_new(f->store, true);
	assert_int_equal(sl_bundle_plan_candidate(p, sb, lb, sa), 0);
	assert_int_equal(sl_bundle_plan_carried(p, sb), 0);
	char *cause = NULL;
	assert_int_equal(sl_bundle_plan_make(p, &cause), 0);
	assert_int_equal(sl_bundle_plan_builds(p), 1);
	assert_int_equal(sl_bundle_plan_targets(p), 1);
	assert_true(sl_bundle_plan_replaced(p, sb));
	assert_false(sl_bundle_plan_replaced(p, sa));
	assert_int_equal(sl_bundle_plan_patches(p), 1);
	const struct sl_bundle_object *patch = sl_bundle_plan_patch(p, 0);
	/* one changed stanza of ~190 bytes in a ~560 KB index */
	assert_true(patch->size < 4096);
	assert_true(sl_bundle_plan_saved(p) > lb - 4096);
	const struct sl_bundle_build *bd = sl_bundle_plan_build(p, 0);
	assert_int_equal(bd->op, SL_BUILD_PATCH);
	assert_string_equal(bd->in1, sa);
	assert_string_equal(bd->in2, patch->sha256);

	/* The inside holds a and the patch, not b: the build makes b, byte for byte. */
	assert_int_equal(sl_store_remove(f->store, sb), 0);
	size_t ml;
	char *m = builds_manifest(p, NULL, &ml);
	uint64_t built = 0;
	assert_int_equal(run_builds(f, m, ml, &built, &cause), 0);
	assert_int_equal(built, 1);
	uint8_t *got = NULL;
	size_t gl = 0;
	assert_int_equal(sl_store_read(f->store, sb, lb + 1, &got, &gl), 0);
	assert_int_equal(gl, lb);
	assert_memory_equal(got, b, lb);
	free(got);
	/* Run again: nothing left to build. */
	assert_int_equal(run_builds(f, m, ml, &built, &cause), 0);
	assert_int_equal(built, 0);
	free(m);
	sl_bundle_plan_free(p);
	free(a);
	free(b);
}

static void test_not_worth_it(void **state)
{
	struct fx *f = *state;
	/* Unrelated contents: the patch would be as large as the object, so it is carried whole. Small
	 * objects and objects the bundle does not carry are never candidates. */
	size_t la, lb;
	char *a = index_text(2000, 2000, &la), *b = malloc(la);
	assert_non_null(b);
	for (size_t i = 0; i < la; i++)
		b[i] = (char)((i * 2654435761u) >> 13);
	lb = la;
	char sa[SL_SHA256_HEX], sb[SL_SHA256_HEX], ss[SL_SHA256_HEX], sc[SL_SHA256_HEX];
	put(f, a, la, sa);
	put(f, b, lb, sb);
	put(f, "small", 5, ss);
	size_t lc;
	char *c = index_text(2000, 7, &lc);
	put(f, c, lc, sc);
	struct sl_bundle_plan *p = sl_bundle_plan_new(f->store, true);
	assert_int_equal(sl_bundle_plan_candidate(p, sb, lb, sa), 0);
	assert_int_equal(sl_bundle_plan_candidate(p, ss, 5, sa), 0);
	assert_int_equal(sl_bundle_plan_candidate(p, sc, lc, sa), 0);   /* not carried: the inside has it */
	assert_int_equal(sl_bundle_plan_carried(p, sb), 0);
	assert_int_equal(sl_bundle_plan_carried(p, ss), 0);
	char *cause = NULL;
	assert_int_equal(sl_bundle_plan_make(p, &cause), 0);
	assert_int_equal(sl_bundle_plan_builds(p), 0);
	assert_int_equal(sl_bundle_plan_patches(p), 0);
	assert_false(sl_bundle_plan_replaced(p, sb));
	assert_int_equal(sl_bundle_plan_saved(p), 0);
	sl_bundle_plan_free(p);
	free(a);
	free(b);
	free(c);
}

struct buf {
	char *p;
	size_t n, cap;
};

static int to_buf(void *arg, const void *data, size_t len)
{
	struct buf *b = arg;
	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	return 0;
}

static void test_packed_rebuilt(void **state)
{
	struct fx *f = *state;
	/* sluice's own compressed index (core/decomp.h's writer) changes with its plain form: the inside
	 * unpacks the old one, patches, packs again and gets the exporter's bytes. */
	size_t la, lb;
	char *a = index_text(4000, 4000, &la), *b = index_text(4000, 99, &lb);
	char sa[SL_SHA256_HEX], sb[SL_SHA256_HEX], xa[SL_SHA256_HEX], xb[SL_SHA256_HEX];
	put(f, a, la, sa);
	put(f, b, lb, sb);
	char *cause = NULL;
	for (int k = 0; k < 2; k++) {
		struct buf out = { 0 };
		struct sl_comp_writer *w = sl_comp_writer_new(SL_COMP_XZ, to_buf, &out, &cause);
		assert_non_null(w);
		assert_int_equal(sl_comp_writer_write(w, k ? b : a, k ? lb : la), 0);
		assert_int_equal(sl_comp_writer_finish(w), 0);
		sl_comp_writer_free(w);
		put(f, out.p, out.n, k ? xb : xa);
		free(out.p);
	}
	uint64_t xb_size = 0;
	assert_int_equal(sl_store_check(f->store, xb, &xb_size), 0);
	/* [export] rebuild_compressed = no: the compressed object travels whole. */
	struct sl_bundle_plan *p = sl_bundle_plan_new(f->store, false);
	assert_int_equal(sl_bundle_plan_candidate(p, xb, xb_size, xa), 0);
	assert_int_equal(sl_bundle_plan_carried(p, xb), 0);
	assert_int_equal(sl_bundle_plan_make(p, &cause), 0);
	assert_int_equal(sl_bundle_plan_builds(p), 0);
	sl_bundle_plan_free(p);
	p = sl_bundle_plan_new(f->store, true);
	/* Only the .xz changed at its path as far as this plan knows: unpack, patch and pack. */
	assert_int_equal(sl_bundle_plan_candidate(p, xb, xb_size, xa), 0);
	assert_int_equal(sl_bundle_plan_carried(p, xb), 0);
	assert_int_equal(sl_bundle_plan_make(p, &cause), 0);
	if (sl_bundle_plan_builds(p) == 0)
		fail_msg("sluice's own xz output was not reproduced (cause: %s)", cause ? cause : "-");
	assert_int_equal(sl_bundle_plan_builds(p), 3);
	assert_int_equal(sl_bundle_plan_build(p, 0)->op, SL_BUILD_UNPACK);
	assert_int_equal(sl_bundle_plan_build(p, 1)->op, SL_BUILD_PATCH);
	assert_int_equal(sl_bundle_plan_build(p, 2)->op, SL_BUILD_PACK);
	assert_string_equal(sl_bundle_plan_build(p, 2)->target, xb);
	/* The inside holds only xa and the patch. */
	assert_int_equal(sl_store_remove(f->store, xb), 0);
	assert_int_equal(sl_store_remove(f->store, sb), 0);
	assert_int_equal(sl_store_remove(f->store, sa), 0);
	size_t ml;
	char *m = builds_manifest(p, NULL, &ml);
	uint64_t built = 0;
	assert_int_equal(run_builds(f, m, ml, &built, &cause), 0);
	assert_int_equal(built, 3);
	assert_int_equal(sl_store_check(f->store, xb, &xb_size), 0);
	free(m);
	sl_bundle_plan_free(p);
	free(a);
	free(b);
}

static void test_refused_builds(void **state)
{
	struct fx *f = *state;
	size_t la, lb;
	char *a = index_text(1000, 1000, &la), *b = index_text(1000, 5, &lb);
	char sa[SL_SHA256_HEX], sb[SL_SHA256_HEX];
	put(f, a, la, sa);
	put(f, b, lb, sb);
	struct sl_bundle_plan *p = sl_bundle_plan_new(f->store, true);
	assert_int_equal(sl_bundle_plan_candidate(p, sb, lb, sa), 0);
	assert_int_equal(sl_bundle_plan_carried(p, sb), 0);
	char *cause = NULL;
	assert_int_equal(sl_bundle_plan_make(p, &cause), 0);
	assert_int_equal(sl_bundle_plan_builds(p), 1);
	struct sl_bundle_build bad = *sl_bundle_plan_build(p, 0);
	assert_int_equal(sl_store_remove(f->store, sb), 0);

	/* A result that does not hash to the signed target: an error naming it; nothing stored. */
	memset(bad.target, 'e', 64);
	size_t ml;
	char *m = builds_manifest(NULL, &bad, &ml);
	uint64_t built = 0;
	assert_int_equal(run_builds(f, m, ml, &built, &cause), -SL_E_DIGEST);
	assert_non_null(strstr(cause, "does not match the signed manifest"));
	assert_false(sl_store_has(f->store, bad.target));
	free(cause);
	cause = NULL;
	free(m);

	/* An input that is neither carried nor held: skipped (the landing then names the missing file). */
	bad = *sl_bundle_plan_build(p, 0);
	memset(bad.in2, 'd', 64);
	m = builds_manifest(NULL, &bad, &ml);
	assert_int_equal(run_builds(f, m, ml, &built, &cause), 0);
	assert_int_equal(built, 0);
	assert_null(cause);
	assert_false(sl_store_has(f->store, sb));
	free(m);

	/* A pack larger than an index may be is refused by the manifest reader itself. */
	bad = *sl_bundle_plan_build(p, 0);
	bad.op = SL_BUILD_PACK;
	bad.in2[0] = '\0';
	snprintf(bad.token, sizeof bad.token, "xz 0 e0 crc64 d262144 z0");
	bad.size = (uint64_t)SL_MAX_INDEX_BYTES + 1;
	m = builds_manifest(NULL, &bad, &ml);
	assert_int_equal(run_builds(f, m, ml, &built, &cause), -SL_E_TOOBIG);
	assert_non_null(strstr(cause, "larger than"));
	free(cause);
	cause = NULL;
	free(m);

	/* A "patch" that is not one (the base itself as the patch): refused by the patch reader. */
	bad = *sl_bundle_plan_build(p, 0);
	memcpy(bad.in2, sa, SL_SHA256_HEX);
	m = builds_manifest(NULL, &bad, &ml);
	assert_true(run_builds(f, m, ml, &built, &cause) < 0);
	assert_non_null(strstr(cause, "cannot build"));
	assert_false(sl_store_has(f->store, sb));
	free(cause);
	free(m);
	sl_bundle_plan_free(p);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_patch_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_worth_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packed_rebuilt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_builds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
