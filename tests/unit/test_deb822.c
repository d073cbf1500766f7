/* test_deb822: the streaming deb822 parser gives the same paragraphs whatever the chunking, and refuses
 * malformed input with a clear error and the right line number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/deb822.h"
#include "core/error.h"
#include "core/limits.h"

#include "tests/unit/lib/testfile.h"

/* Paragraphs flattened to text: "line|name=value|name=value\n" with value bytes escaped. */
struct dump {
	char *s;
	size_t len, cap;
	unsigned paras;
	int stop_after;   /* return 42 from the callback after this many paragraphs (0: never) */
};

static void put(struct dump *d, const void *p, size_t n)
{
	if (d->len + n + 1 > d->cap) {
		d->cap = (d->len + n + 1) * 2;
		d->s = realloc(d->s, d->cap);
		assert_non_null(d->s);
	}
	memcpy(d->s + d->len, p, n);
	d->len += n;
	d->s[d->len] = '\0';
}

static int dump_cb(void *arg, const struct sl_deb822_para *p)
{
	struct dump *d = arg;
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%u", p->line);
	put(d, tmp, strlen(tmp));
	for (size_t i = 0; i < p->nfields; i++) {
		put(d, "|", 1);
		put(d, p->fields[i].name.p, p->fields[i].name.len);
		put(d, "=", 1);
		for (size_t j = 0; j < p->fields[i].value.len; j++) {
			uint8_t c = p->fields[i].value.p[j];
			if (c == '\n')
				put(d, "\\n", 2);
			else if (c == '\r')
				put(d, "\\r", 2);
			else
				put(d, &c, 1);
		}
	}
	put(d, "\n", 1);
	d->paras++;
	if (d->stop_after != 0 && d->paras == (unsigned)d->stop_after)
		return 42;
	return 0;
}

/* Parse text fed in pieces of `step` bytes (0 = whole); returns the result code, fills *line. */
static int parse_steps(const char *text, size_t len, size_t step, struct dump *out, unsigned *line,
		       const char **why, bool comments)
{
	struct sl_deb822 *d = sl_deb822_new(dump_cb, out);
	assert_non_null(d);
	sl_deb822_allow_comments(d, comments);
	int rc = 0;
	size_t off = 0;
	if (step == 0)
		step = len ? len : 1;
	while (rc == 0 && off < len) {
		size_t n = len - off < step ? len - off : step;
		rc = sl_deb822_feed(d, text + off, n);
		off += n;
	}
	if (rc == 0)
		rc = sl_deb822_finish(d);
	if (line)
		*line = sl_deb822_line(d);
	if (why)
		*why = sl_deb822_error(d);
	sl_deb822_free(d);
	return rc;
}

static void check_chunking(const char *text, size_t len, bool comments)
{
	struct dump whole = { 0 };
	assert_int_equal(parse_steps(text, len, 0, &whole, NULL, NULL, comments), 0);
	assert_true(whole.paras > 0);
	struct dump bytes = { 0 };
	assert_int_equal(parse_steps(text, len, 1, &bytes, NULL, NULL, comments), 0);
	assert_string_equal(whole.s, bytes.s);
	free(bytes.s);
	/* Two chunks split at every byte. */
	for (size_t cut = 0; cut <= len; cut++) {
		struct dump two = { 0 };
		struct sl_deb822 *d = sl_deb822_new(dump_cb, &two);
		sl_deb822_allow_comments(d, comments);
		assert_int_equal(sl_deb822_feed(d, text, cut), 0);
		assert_int_equal(sl_deb822_feed(d, text + cut, len - cut), 0);
		assert_int_equal(sl_deb822_finish(d), 0);
		sl_deb822_free(d);
		assert_string_equal(whole.s, two.s);
		free(two.s);
	}
	free(whole.s);
}

static void test_real_packages_any_chunking(void **state)
{
	(void)state;
	size_t len;
	char *text = sl_test_read_data("apt/Packages.sample", &len);
	check_chunking(text, len, false);
	struct dump d = { 0 };
	assert_int_equal(parse_steps(text, len, 7, &d, NULL, NULL, false), 0);
	assert_int_equal(d.paras, 5);
	assert_non_null(strstr(d.s, "|Package=curl|"));
	free(d.s);
	free(text);
}

static void test_real_release_any_chunking(void **state)
{
	(void)state;
	size_t len;
	char *text = sl_test_read_data("apt/Release.bookworm-security", &len);
	check_chunking(text, len, false);
	free(text);
}

static const char sample[] =
	"Package: a\n"
	"Description: short\n"
	" long line one\n"
	" .\n"
	" line three\n"
	"SHA256:\n"
	" aa 1 x\n"
	" bb 2 y\n"
	"\n\n  \t\n"
	"Package: b\n"
	"Empty:\n"
	"Spaced:   v   \n";

static void test_values_and_lines(void **state)
{
	(void)state;
	struct dump d = { 0 };
	assert_int_equal(parse_steps(sample, sizeof sample - 1, 0, &d, NULL, NULL, false), 0);
	assert_string_equal(d.s,
		"1|Package=a|Description=short\\n long line one\\n .\\n line three|SHA256= aa 1 x\\n bb 2 y\n"
		"12|Package=b|Empty=|Spaced=v\n");
	free(d.s);
	check_chunking(sample, sizeof sample - 1, false);
}

struct get_ctx {
	unsigned n;
};

static int lines_cb(void *arg, const struct sl_deb822_para *p)
{
	struct get_ctx *c = arg;
	struct sl_blob v, it, line;
	if (c->n++ > 0)
		return 0;
	assert_true(sl_deb822_get(p, "sha256", &v));
	it = v;
	assert_true(sl_deb822_lines(&it, &line));
	assert_true(sl_blob_eq(line, "aa 1 x"));
	assert_true(sl_deb822_lines(&it, &line));
	assert_true(sl_blob_eq(line, "bb 2 y"));
	assert_false(sl_deb822_lines(&it, &line));
	assert_false(sl_deb822_get(p, "Missing", &v));
	assert_true(sl_blob_eq(p->raw, "Package: a\nDescription: short\n long line one\n .\n line three\n"
				       "SHA256:\n aa 1 x\n bb 2 y\n"));
	return 0;
}

static void test_get_and_lines(void **state)
{
	(void)state;
	struct get_ctx c = { 0 };
	assert_int_equal(sl_deb822_parse(sample, sizeof sample - 1, lines_cb, &c), 0);
	assert_int_equal(c.n, 2);
}

static void test_crlf_same_as_lf(void **state)
{
	(void)state;
	const char lf[] = "A: 1\nB: two\n  cont\n\nC: 3";
	const char crlf[] = "A: 1\r\nB: two\r\n  cont\r\n\r\nC: 3\r\n";
	struct dump a = { 0 }, b = { 0 };
	assert_int_equal(parse_steps(lf, sizeof lf - 1, 0, &a, NULL, NULL, false), 0);
	assert_int_equal(parse_steps(crlf, sizeof crlf - 1, 1, &b, NULL, NULL, false), 0);
	/* Interior CRs of a multi-line value are kept (the raw bytes); single-line values never end in CR. */
	assert_string_equal(a.s, "1|A=1|B=two\\n  cont\n5|C=3\n");
	assert_string_equal(b.s, "1|A=1|B=two\\r\\n  cont\n5|C=3\n");
	free(a.s);
	free(b.s);
}

static void test_missing_final_newline(void **state)
{
	(void)state;
	const char t[] = "A: 1\n\nB: 2\n cont";
	struct dump d = { 0 };
	assert_int_equal(parse_steps(t, sizeof t - 1, 0, &d, NULL, NULL, false), 0);
	assert_string_equal(d.s, "1|A=1\n3|B=2\\n cont\n");
	free(d.s);
	struct dump e = { 0 };
	assert_int_equal(parse_steps("", 0, 0, &e, NULL, NULL, false), 0);
	assert_int_equal(e.paras, 0);
	assert_int_equal(parse_steps("\n\n \n", 3, 0, &e, NULL, NULL, false), 0);
	assert_int_equal(e.paras, 0);
}

static void test_comments(void **state)
{
	(void)state;
	const char t[] = "# head\nA: 1\n# inside\n  more\n#x\nB: 2\n\n# only\n\nC: 3\n";
	struct dump d = { 0 };
	unsigned line = 0;
	const char *why = NULL;
	/* Packages and Release files may not carry comments (deb822(5)): refused with the line. */
	assert_int_equal(parse_steps(t, sizeof t - 1, 0, &d, &line, &why, false), -SL_E_PARSE);
	assert_int_equal(line, 1);
	assert_non_null(strstr(why, "comment"));
	free(d.s);
	/* In debian/control mode they are dropped, even between continuation lines. */
	struct dump c = { 0 };
	assert_int_equal(parse_steps(t, sizeof t - 1, 0, &c, NULL, NULL, true), 0);
	assert_string_equal(c.s, "2|A=1\\n  more|B=2\n10|C=3\n");
	free(c.s);
	check_chunking(t, sizeof t - 1, true);
	/* '#' after whitespace is continuation text, not a comment. */
	struct dump k = { 0 };
	assert_int_equal(parse_steps("A: x\n #y\n", 9, 0, &k, NULL, NULL, false), 0);
	assert_string_equal(k.s, "1|A=x\\n #y\n");
	free(k.s);
}

struct bad_case {
	const char *text;
	size_t len;
	int rc;
	unsigned line;
	const char *why;
};

static void test_bad_inputs(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{ "A: 1\nno colon here\n", 0, -SL_E_PARSE, 2, "colon" },
		{ "A: 1\n\n continued\n", 0, -SL_E_PARSE, 3, "continuation" },
		{ " lead\nA: 1\n", 0, -SL_E_PARSE, 1, "continuation" },
		{ "A: 1\nB: 2\n\nC: 3\nC\0D: 4\n", 23, -SL_E_PARSE, 5, "NUL" },
		{ "A: 1\nB: 2\n", 11, -SL_E_PARSE, 3, "NUL" },  /* NUL after the last newline */
		{ "A: 1\na: 2\n", 0, -SL_E_PARSE, 2, "duplicate" },
		{ "A: 1\n: 2\n", 0, -SL_E_PARSE, 2, "empty field name" },
		{ "A: 1\n-B: 2\n", 0, -SL_E_PARSE, 2, "'-'" },
		{ "A: 1\nB\x01: 2\n", 0, -SL_E_PARSE, 2, "invalid character" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n", 0, -SL_E_PARSE, 1, "colon" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		for (size_t step = 0; step <= 1; step++) {
			struct dump d = { 0 };
			unsigned line = 0;
			const char *why = NULL;
			int rc = parse_steps(cases[i].text, len, step, &d, &line, &why, false);
			if (rc != cases[i].rc || line != cases[i].line || strstr(why, cases[i].why) == NULL)
				fail_msg("case %zu step %zu: rc %d line %u why '%s'", i, step, rc, line, why);
			free(d.s);
		}
	}
}

static void test_too_long_paragraph(void **state)
{
	(void)state;
	size_t n = SL_MAX_DEB822_PARA + 100;
	char *t = malloc(n + 64);
	assert_non_null(t);
	size_t len = 0;
	unsigned lines = 0;
	len += (size_t)sprintf(t, "Package: x\nDescription: y\n");
	while (len < n) {
		memcpy(t + len, " 0123456789012345678901234567890123456789012345678901234567890123456789\n", 72);
		len += 72;
		lines++;
	}
	for (size_t step = 0; step < 2; step++) {
		struct dump d = { 0 };
		unsigned line = 0;
		const char *why = NULL;
		int rc = parse_steps(t, len, step ? 4096 : 0, &d, &line, &why, false);
		assert_int_equal(rc, -SL_E_TOOBIG);
		assert_int_equal(d.paras, 0);
		assert_true(line > 2 && line <= lines + 2);
		assert_non_null(strstr(why, "too long"));
	}
	/* One enormous line without newline is refused too, without growing past the cap. */
	free(t);
	n = SL_MAX_DEB822_PARA + 8192;
	t = malloc(n);
	assert_non_null(t);
	memset(t, 'a', n);
	struct dump d = { 0 };
	const char *why = NULL;
	assert_int_equal(parse_steps(t, n, 1000, &d, NULL, &why, false), -SL_E_TOOBIG);
	assert_string_equal(why, "line too long");
	free(t);
}

static void test_too_many_fields(void **state)
{
	(void)state;
	char *t = malloc(64 * (SL_MAX_DEB822_FIELDS + 2));
	size_t len = 0;
	for (unsigned i = 0; i < SL_MAX_DEB822_FIELDS; i++)
		len += (size_t)sprintf(t + len, "F%u: v\n", i);
	struct dump ok = { 0 };
	assert_int_equal(parse_steps(t, len, 0, &ok, NULL, NULL, false), 0);
	free(ok.s);
	len += (size_t)sprintf(t + len, "Last: v\n");
	struct dump d = { 0 };
	unsigned line = 0;
	const char *why = NULL;
	assert_int_equal(parse_steps(t, len, 0, &d, &line, &why, false), -SL_E_TOOBIG);
	assert_int_equal(line, SL_MAX_DEB822_FIELDS + 1);
	assert_non_null(strstr(why, "too many fields"));
	free(t);
}

static void test_callback_stops(void **state)
{
	(void)state;
	const char t[] = "A: 1\n\nB: 2\n\nC: 3\n";
	struct dump d = { .stop_after = 2 };
	struct sl_deb822 *p = sl_deb822_new(dump_cb, &d);
	assert_int_equal(sl_deb822_feed(p, t, sizeof t - 1), 42);
	assert_int_equal(sl_deb822_feed(p, "D: 4\n", 5), 42);   /* sticky */
	assert_int_equal(sl_deb822_finish(p), 42);
	assert_int_equal(d.paras, 2);
	sl_deb822_free(p);
	free(d.s);
	sl_deb822_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_packages_any_chunking),
		cmocka_unit_test(test_real_release_any_chunking),
		cmocka_unit_test(test_values_and_lines),
		cmocka_unit_test(test_get_and_lines),
		cmocka_unit_test(test_crlf_same_as_lf),
		cmocka_unit_test(test_missing_final_newline),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_too_long_paragraph),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_callback_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
