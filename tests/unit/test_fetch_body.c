/* fetch_body: the response header callback alone (sl_fx_on_header), fed lines as curl hands them over:
 * validators kept, oversized or control-character values dropped, captures joined or refused. The
 * transfers themselves are exercised against real servers in test_fetch.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "syncd/fetch_int.h"

static const char *const capture[] = { "Link", "WWW-Authenticate", NULL };

struct fx {
	struct xfer x;
	char cap_val[2][SL_MAX_HEADER_VALUE];
};

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof *f);
	f->x.req.capture = capture;
	f->x.ncap = 2;
	f->x.cap_val = f->cap_val;
}

/* One line through the callback, as curl passes it (not NUL-terminated, CRLF included). */
static size_t line(struct fx *f, const char *text, size_t len)
{
	char *copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, text, len);
	size_t r = sl_fx_on_header(copy, 1, len, &f->x);
	free(copy);
	return r;
}

#define LINE(f, s) line((f), (s), sizeof(s) - 1)

static void test_validators(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	assert_int_equal(LINE(&f, "HTTP/1.1 200 OK\r\n"), 17);
	assert_int_equal(LINE(&f, "ETag:  \"abc\" \r\n"), 15);
	assert_int_equal(LINE(&f, "last-modified: Mon, 07 Dec 2026 10:00:00 GMT\r\n"), 46);
	assert_int_equal(LINE(&f, "Content-Type: text/plain\r\n"), 26);
	assert_string_equal(f.x.etag, "\"abc\"");
	assert_string_equal(f.x.last_modified, "Mon, 07 Dec 2026 10:00:00 GMT");
	assert_string_equal(f.x.content_type, "text/plain");
	/* A new response (redirect hop) forgets the previous one's. */
	LINE(&f, "HTTP/1.1 301 Moved\r\n");
	assert_string_equal(f.x.etag, "");
	assert_string_equal(f.x.content_type, "");
}

/* A CR, NUL or other control character inside a validator would be sent back upstream in
 * If-None-Match (a header split) and stored: the validator is dropped, the transfer goes on. */
static void test_validator_control_chars(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t len;
	} bad[] = {
#define L(s) { s, sizeof(s) - 1 }
		L("ETag: \"a\"\rX-Injected: 1\r\n"),
		L("ETag: \"a\0b\"\r\n"),
		L("Last-Modified: Mon,\x01 07 Dec 2026\r\n"),
		L("Retry-After: 1\x7f\r\n"),
		L("Content-Range: bytes 0-1/2\rx\r\n"),
#undef L
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct fx f;
		fx_init(&f);
		assert_int_equal(line(&f, bad[i].text, bad[i].len), bad[i].len);
		assert_string_equal(f.x.etag, "");
		assert_string_equal(f.x.last_modified, "");
		assert_string_equal(f.x.retry_after, "");
		assert_string_equal(f.x.content_range, "");
		assert_int_equal(f.x.abort_err, 0);
	}
	/* HTAB is allowed inside a value. */
	struct fx f;
	fx_init(&f);
	LINE(&f, "ETag: \"a\tb\"\r\n");
	assert_string_equal(f.x.etag, "\"a\tb\"");
}

static void test_captures(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	LINE(&f, "Link: </v2/a/tags/list?last=x>; rel=\"next\"\r\n");
	LINE(&f, "link: <b>\r\n");
	assert_true(f.x.cap_seen & 1u);
	assert_string_equal(f.cap_val[0], "</v2/a/tags/list?last=x>; rel=\"next\", <b>");
	/* Oversized: refused, not cut. */
	char big[SL_MAX_HEADER_VALUE + 64];
	int n = snprintf(big, sizeof big, "WWW-Authenticate: Bearer realm=\"%0*d\"\r\n", SL_MAX_HEADER_VALUE, 0);
	assert_int_equal(line(&f, big, (size_t)n), 0);
	assert_int_equal(f.x.abort_err, -SL_E_TOOBIG);
}

/* A captured value with a control character is refused with a reason (the registry would act on it). */
static void test_capture_control_chars(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	static const char l[] = "WWW-Authenticate: Bearer realm=\"https://a\"\r\nscope=\"x\"\r\n";
	assert_int_equal(line(&f, l, sizeof l - 1), 0);
	assert_int_equal(f.x.abort_err, -SL_E_HTTP);
	assert_non_null(strstr(f.x.msg, "control character"));
	assert_false(f.x.cap_seen & 2u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_validator_control_chars),
		cmocka_unit_test(test_captures),
		cmocka_unit_test(test_capture_control_chars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
