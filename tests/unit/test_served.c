/* test_served: sluice-served in-process on a random loopback port, serving published trees built here the
 * way the publisher builds them (public/<format>/<source> -> ../.gen/<gen>/): routes, headers, ranges,
 * conditional requests, every traversal form, methods, and a publish switch in the middle of a download. */
#include "test_served_lib.h"

#include <pthread.h>
#include <stdatomic.h>

/* ---- tests ---- */

static void test_apt_routes_and_headers(void **st)
{
	struct resp r;
	http(NULL, "/apt/deb/dists/bookworm/InRelease", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "Origin: test\nSuite: bookworm\n");
	assert_string_equal(hdr(&r, "Content-Type"), "text/plain; charset=utf-8");
	assert_string_equal(hdr(&r, "Cache-Control"), "no-cache");
	assert_string_equal(hdr(&r, "Accept-Ranges"), "bytes");
	assert_string_equal(hdr(&r, "Content-Length"), "29");
	assert_non_null(hdr(&r, "Last-Modified"));
	const char *etag = hdr(&r, "ETag");
	assert_non_null(etag);
	assert_true(etag[0] == '"' && etag[strlen(etag) - 1] == '"');
	resp_free(&r);

	http(NULL, "/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, DEB_SIZE);
	for (size_t i = 0; i < DEB_SIZE; i++)
		assert_int_equal((uint8_t)r.body[i], pattern(i, 1));
	assert_string_equal(hdr(&r, "Content-Type"), "application/vnd.debian.binary-package");
	assert_string_equal(hdr(&r, "Cache-Control"), "public, max-age=31536000, immutable");
	resp_free(&r);

	http(NULL, "/apt/deb/dists/bookworm/main/binary-amd64/by-hash/SHA256/"
		   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(hdr(&r, "Cache-Control"), "public, max-age=31536000, immutable");
	resp_free(&r);

	http(NULL, "/apt/deb/dists/bookworm/main/binary-amd64/Packages.xz", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(hdr(&r, "Content-Type"), "application/x-xz");
	assert_string_equal(hdr(&r, "Cache-Control"), "no-cache");
	resp_free(&r);

	http(NULL, "/apt/deb/empty", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, 0);
	assert_string_equal(hdr(&r, "Content-Length"), "0");
	resp_free(&r);

	http(NULL, "/keys/sluice.asc", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(hdr(&r, "Content-Type"), "application/pgp-keys");
	assert_string_equal(r.body, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n");
	resp_free(&r);
}

static void test_clamav_routes(void **st)
{
	struct resp r;
	http(NULL, "/clamav/av/daily.cvd", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, 2048);
	assert_string_equal(hdr(&r, "Content-Type"), "application/octet-stream");
	assert_string_equal(hdr(&r, "Cache-Control"), "no-cache");
	resp_free(&r);
	http(NULL, "/clamav/av/daily-2.cdiff", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, 300);
	assert_string_equal(hdr(&r, "Cache-Control"), "public, max-age=31536000, immutable");
	resp_free(&r);
	/* freshclam's version probe: the CVD header via a Range request. */
	const char *h[] = { "Range: bytes=0-511", NULL };
	http(NULL, "/clamav/av/daily.cvd", h, &r);
	assert_int_equal(r.code, 206);
	assert_int_equal(r.len, 512);
	assert_string_equal(hdr(&r, "Content-Range"), "bytes 0-511/2048");
	resp_free(&r);
}

static void test_not_found(void **st)
{
	static const char *const paths[] = {
		"/apt/deb/dists/bookworm/Release",     /* missing file */
		"/apt/nosuch/dists/bookworm/InRelease",/* unknown source */
		"/clamav/deb/dists/bookworm/InRelease",/* source of another format */
		"/apt/av/daily.cvd",
		"/apt/deb/dists",                      /* directory */
		"/apt/deb/dists/",
		"/apt/deb/pipe",                       /* FIFO: must not hang */
		"/apt/deb/inner-link",                 /* symlinks inside a generation are never followed */
		"/apt/deb/evil",                       /* symlink out of the tree */
		"/apt/deb/evil2",
		"/apt/rogue/passwd",                   /* source symlink pointing outside public/ */
		"/apt/deb",
		"/apt/",
		"/nosuch",
		"/keys/missing.asc",
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct resp r;
		http(NULL, paths[i], NULL, &r);
		if (r.code != 404)
			fail_msg("%s: %ld, want 404", paths[i], r.code);
		assert_null(strstr(r.body ? r.body : "", "root:"));
		resp_free(&r);
	}
}

static void expect_range(const char *range, long code, const char *content_range, uint64_t start, size_t len)
{
	char h0[128];
	snprintf(h0, sizeof h0, "Range: %s", range);
	const char *h[] = { h0, NULL };
	struct resp r;
	http(NULL, "/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb", h, &r);
	if (r.code != code)
		fail_msg("Range %s: %ld, want %ld", range, r.code, code);
	if (content_range != NULL)
		assert_string_equal(hdr(&r, "Content-Range"), content_range);
	else
		assert_null(hdr(&r, "Content-Range"));
	if (code != 416) {
		assert_int_equal(r.len, len);
		for (size_t i = 0; i < len; i++)
			assert_int_equal((uint8_t)r.body[i], pattern(start + i, 1));
	}
	resp_free(&r);
}

static void test_ranges(void **st)
{
	expect_range("bytes=0-0", 206, "bytes 0-0/4000", 0, 1);
	expect_range("bytes=-500", 206, "bytes 3500-3999/4000", 3500, 500);
	expect_range("bytes=500-", 206, "bytes 500-3999/4000", 500, 3500);
	expect_range("bytes=100-199", 206, "bytes 100-199/4000", 100, 100);
	expect_range("bytes=3990-9999", 206, "bytes 3990-3999/4000", 3990, 10);
	expect_range("bytes=-99999", 206, "bytes 0-3999/4000", 0, 4000);
	expect_range("BYTES=1-1", 206, "bytes 1-1/4000", 1, 1);
	expect_range("bytes=4000-", 416, "bytes */4000", 0, 0);
	expect_range("bytes=9999-10000", 416, "bytes */4000", 0, 0);
	expect_range("bytes=-0", 416, "bytes */4000", 0, 0);
	/* Malformed or several ranges: the whole file, 200. */
	expect_range("bytes=abc", 200, NULL, 0, 4000);
	expect_range("bytes=5-2", 200, NULL, 0, 4000);
	expect_range("bytes=-", 200, NULL, 0, 4000);
	expect_range("bytes=0-1,5-6", 200, NULL, 0, 4000);
	expect_range("items=0-1", 200, NULL, 0, 4000);
	expect_range("bytes=99999999999999999999999-", 200, NULL, 0, 4000);

	/* If-Range: current validator -> 206, stale one -> 200 full. */
	struct resp r;
	http("HEAD", "/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb", NULL, &r);
	char etag[128], lm[128], h1[200], h2[200];
	snprintf(etag, sizeof etag, "%s", hdr(&r, "ETag"));
	snprintf(lm, sizeof lm, "%s", hdr(&r, "Last-Modified"));
	resp_free(&r);
	snprintf(h1, sizeof h1, "If-Range: %s", etag);
	const char *hs[] = { "Range: bytes=0-9", h1, NULL };
	http(NULL, "/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb", hs, &r);
	assert_int_equal(r.code, 206);
	assert_int_equal(r.len, 10);
	resp_free(&r);
	snprintf(h2, sizeof h2, "If-Range: %s", lm);
	hs[1] = h2;
	http(NULL, "/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb", hs, &r);
	assert_int_equal(r.code, 206);
	resp_free(&r);
	hs[1] = "If-Range: \"stale\"";
	http(NULL, "/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb", hs, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, DEB_SIZE);
	resp_free(&r);
	hs[1] = "If-Range: Thu, 01 Jan 1970 00:00:00 GMT";
	http(NULL, "/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb", hs, &r);
	assert_int_equal(r.code, 200);
	resp_free(&r);
}

static void test_conditional(void **st)
{
	const char *path = "/apt/deb/dists/bookworm/InRelease";
	struct resp r;
	http(NULL, path, NULL, &r);
	char etag[128], h1[200], h2[200];
	snprintf(etag, sizeof etag, "%s", hdr(&r, "ETag"));
	resp_free(&r);

	snprintf(h1, sizeof h1, "If-None-Match: \"other\", %s", etag);
	const char *a[] = { h1, NULL };
	http(NULL, path, a, &r);
	assert_int_equal(r.code, 304);
	assert_int_equal(r.len, 0);
	assert_string_equal(hdr(&r, "ETag"), etag);
	assert_string_equal(hdr(&r, "Cache-Control"), "no-cache");
	resp_free(&r);

	snprintf(h2, sizeof h2, "If-None-Match: W/%s", etag);
	const char *b[] = { h2, NULL };
	http(NULL, path, b, &r);
	assert_int_equal(r.code, 304);
	resp_free(&r);

	const char *c[] = { "If-None-Match: *", NULL };
	http(NULL, path, c, &r);
	assert_int_equal(r.code, 304);
	resp_free(&r);

	const char *d[] = { "If-None-Match: \"other\"", "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT", NULL };
	http(NULL, path, d, &r);
	assert_int_equal(r.code, 200);   /* If-None-Match wins over If-Modified-Since */
	resp_free(&r);

	const char *e[] = { "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT", NULL };
	http(NULL, path, e, &r);
	assert_int_equal(r.code, 304);
	resp_free(&r);

	const char *f[] = { "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT", NULL };
	http(NULL, path, f, &r);
	assert_int_equal(r.code, 200);
	resp_free(&r);

	const char *g[] = { "If-Modified-Since: not a date", NULL };
	http(NULL, path, g, &r);
	assert_int_equal(r.code, 200);
	resp_free(&r);
}

static void test_traversal(void **st)
{
	static const struct {
		const char *target;
		int code;
	} cases[] = {
		{ "/apt/deb/../../../secret.txt", 400 },
		{ "/apt/deb/dists/../../../../etc/passwd", 400 },
		{ "/apt/deb/%2e%2e/%2e%2e/%2e%2e/secret.txt", 400 },
		{ "/apt/deb/%2E%2E/%2E%2E/%2E%2E/secret.txt", 400 },
		{ "/apt/deb/.%2e/.%2e/.%2e/secret.txt", 400 },
		{ "/apt/deb/%252e%252e/%252e%252e/secret.txt", 404 },   /* decoded once: a literal name */
		{ "/apt/deb/dists%2fbookworm%2fInRelease", 400 },
		{ "/apt/deb/..%2f..%2f..%2fsecret.txt", 400 },
		{ "/apt/deb/%2Fetc/passwd", 400 },
		{ "/apt/deb/dists%5cbookworm%5cInRelease", 400 },
		{ "/apt/deb/dists\\bookworm\\InRelease", 400 },
		{ "/apt/deb/..\\..\\secret.txt", 400 },
		{ "/apt/deb/dists/bookworm/InRelease%00.deb", 400 },
		{ "/apt/deb/%01", 400 },
		{ "/apt/deb/%zz", 400 },
		{ "/apt/deb/%", 400 },
		{ "/apt/deb/.hidden", 400 },
		{ "/apt/deb/%2ehidden", 400 },
		{ "/apt/deb/dists/.tmp", 400 },
		{ "/apt/deb/./dists/bookworm/InRelease", 400 },
		{ "/apt/deb//dists/bookworm/InRelease", 400 },
		{ "/apt//etc/passwd", 400 },
		{ "/apt/.gen/apt-deb-1/dists/bookworm/InRelease", 400 },
		{ "/apt/%2egen/apt-deb-1/dists/bookworm/InRelease", 400 },
		{ "/apt/..%2f..%2fsecret.txt", 400 },
		{ "/keys/../secret.txt", 400 },
		{ "/keys/%2e%2e/secret.txt", 400 },
		{ "/keys/.%2e/secret.txt", 400 },
		{ "http://127.0.0.1/apt/deb/../../../secret.txt", 400 },
		{ "/apt/deb/evil2", 404 },
	};
	char buf[8192];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int code = raw_get(cases[i].target, buf, sizeof buf);
		if (code != cases[i].code)
			fail_msg("%s: %d, want %d", cases[i].target, code, cases[i].code);
		assert_null(strstr(buf, "SECRET"));
		assert_null(strstr(buf, "root:"));
	}
	/* Raw NUL and control bytes inside the request line: refused by MHD or by us, never served. */
	static const char nul_req[] = "GET /apt/deb/dists/bookworm/InRelease\0/../../../secret.txt HTTP/1.1\r\n"
				      "Host: t\r\nConnection: close\r\n\r\n";
	int code = raw(nul_req, sizeof nul_req - 1, buf, sizeof buf);
	if (code != 400)
		fail_msg("raw NUL: %s", buf);
	assert_null(strstr(buf, "SECRET"));
	static const char ctl_req[] = "GET /apt/deb/\x01x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	code = raw(ctl_req, sizeof ctl_req - 1, buf, sizeof buf);
	assert_true(code == 0 || code == 400);
	/* The same paths through curl --path-as-is. */
	struct resp r;
	http(NULL, "/apt/deb/%2e%2e/%2e%2e/%2e%2e/secret.txt", NULL, &r);
	assert_int_equal(r.code, 400);
	resp_free(&r);
}

static void test_open_beneath_compat(void **st)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s/.gen/apt-deb-1", pub);
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	for (unsigned how = 0; how <= SL_FILES_COMPAT; how++) {
		int fd = sl_files_open_beneath(dfd, "dists/bookworm/InRelease", O_RDONLY | O_CLOEXEC, how);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(sl_files_open_beneath(dfd, "evil", O_RDONLY | O_CLOEXEC, how), -ELOOP);
		assert_int_equal(sl_files_open_beneath(dfd, "inner-link", O_RDONLY | O_CLOEXEC, how), -ELOOP);
		assert_int_equal(sl_files_open_beneath(dfd, "missing", O_RDONLY | O_CLOEXEC, how), -ENOENT);
		assert_true(sl_files_open_beneath(dfd, "../apt-deb-1/empty", O_RDONLY | O_CLOEXEC, how) < 0);
	}
	/* A symlinked directory on the way is refused too. */
	xsystem("ln -s dists '%s/dlink'", dir);
	assert_true(sl_files_open_beneath(dfd, "dlink/bookworm/InRelease", O_RDONLY, 0) < 0);
	assert_int_equal(sl_files_open_beneath(dfd, "dlink/bookworm/InRelease", O_RDONLY, SL_FILES_COMPAT), -ENOTDIR);
	xsystem("rm '%s/dlink'", dir);
	close(dfd);
}

static void test_head_and_methods(void **st)
{
	struct resp r;
	http("HEAD", "/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, 0);
	assert_string_equal(hdr(&r, "Content-Length"), "4000");
	resp_free(&r);
	/* Raw, so nothing in the client hides a body sent after the headers. */
	char buf[8192];
	static const char head_req[] = "HEAD /apt/deb/dists/bookworm/InRelease HTTP/1.1\r\nHost: t\r\n"
				       "Connection: close\r\n\r\n";
	assert_int_equal(raw(head_req, sizeof head_req - 1, buf, sizeof buf), 200);
	assert_non_null(strstr(buf, "\r\n\r\n"));
	assert_string_equal(strstr(buf, "\r\n\r\n"), "\r\n\r\n");

	static const char *const methods[] = { "POST", "PUT", "DELETE", "OPTIONS", "PATCH" };
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		http(methods[i], "/apt/deb/dists/bookworm/InRelease", NULL, &r);
		assert_int_equal(r.code, 405);
		assert_string_equal(hdr(&r, "Allow"), "GET, HEAD");
		resp_free(&r);
	}
	static const char post_req[] = "POST /apt/deb/x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
				       "Connection: close\r\n\r\nhello";
	assert_int_equal(raw(post_req, sizeof post_req - 1, buf, sizeof buf), 405);

	/* Request headers beyond SL_MAX_REQUEST_HEADERS: refused by MHD, connection memory stays capped. */
	size_t big = SL_MAX_REQUEST_HEADERS + 4096;
	char *req = malloc(big + 256);
	assert_non_null(req);
	int n = snprintf(req, 256, "GET /apt/deb/dists/bookworm/InRelease HTTP/1.1\r\nHost: t\r\nX-Big: ");
	memset(req + n, 'a', big);
	memcpy(req + n + big, "\r\n\r\n", 4);
	int code = raw(req, (size_t)n + big + 4, buf, sizeof buf);
	free(req);
	if (code != 431 && code != 413 && code != 414)
		fail_msg("oversized headers: %d", code);
}

/* Small files are read and sent with their headers in one write, larger ones with sendfile: both paths
 * give the same bytes, whole and by range, on either side of the boundary (16 KiB). */
static void test_inline_and_sendfile(void **st)
{
	static const size_t sizes[] = { 1, 16383, 16384, 16385, 100000 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char rel[128], path[160];
		snprintf(rel, sizeof rel, "public/.gen/apt-deb-1/pool/size-%zu.bin", sizes[i]);
		snprintf(path, sizeof path, "/apt/deb/pool/size-%zu.bin", sizes[i]);
		write_pattern(rel, sizes[i], 7);
		struct resp r;
		http(NULL, path, NULL, &r);
		assert_int_equal(r.code, 200);
		assert_int_equal(r.len, sizes[i]);
		for (size_t k = 0; k < sizes[i]; k++)
			if ((uint8_t)r.body[k] != pattern(k, 7))
				fail_msg("%s: byte %zu differs", path, k);
		resp_free(&r);
		if (sizes[i] < 2)
			continue;
		char range[64], want[96];
		size_t from = sizes[i] / 2, to = sizes[i] - 2;
		snprintf(range, sizeof range, "Range: bytes=%zu-%zu", from, to);
		const char *h[] = { range, NULL };
		http(NULL, path, h, &r);
		assert_int_equal(r.code, 206);
		snprintf(want, sizeof want, "bytes %zu-%zu/%zu", from, to, sizes[i]);
		assert_string_equal(hdr(&r, "Content-Range"), want);
		assert_int_equal(r.len, to - from + 1);
		for (size_t k = 0; k < r.len; k++)
			if ((uint8_t)r.body[k] != pattern(from + k, 7))
				fail_msg("%s %s: byte %zu differs", path, range, k);
		resp_free(&r);
		http("HEAD", path, NULL, &r);
		assert_int_equal(r.code, 200);
		snprintf(want, sizeof want, "%zu", sizes[i]);
		assert_string_equal(hdr(&r, "Content-Length"), want);
		resp_free(&r);
	}
	/* An empty file: 200 with no body; any range of it is unsatisfiable. */
	struct resp r;
	http(NULL, "/apt/deb/empty", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, 0);
	resp_free(&r);
	const char *h[] = { "Range: bytes=0-", NULL };
	http(NULL, "/apt/deb/empty", h, &r);
	assert_int_equal(r.code, 416);
	assert_string_equal(hdr(&r, "Content-Range"), "bytes */0");
	resp_free(&r);
}

/* Small files of a generation are answered from memory after the first request: the bytes and headers
 * are the same, conditional and Range requests still get 304 / 206, and a publish switch is seen at once
 * (the cache is keyed by the generation the symlink names). */
static void test_hot_cache(void **st)
{
	write_str("public/.gen/apt-deb-h1/dists/bookworm/InRelease", "Suite: bookworm\nGeneration: h1\n");
	write_str("public/.gen/apt-deb-h2/dists/bookworm/InRelease", "Suite: bookworm\nGeneration: h2\n");
	xsystem("cd '%s/apt' && ln -s ../.gen/apt-deb-h1 deb.new && mv -T deb.new deb", pub);
	struct resp a, b;
	http(NULL, "/apt/deb/dists/bookworm/InRelease", NULL, &a);
	http(NULL, "/apt/deb/dists/bookworm/InRelease", NULL, &b);   /* from the cache */
	assert_int_equal(a.code, 200);
	assert_int_equal(b.code, 200);
	assert_string_equal(b.body, "Suite: bookworm\nGeneration: h1\n");
	char etag[128];
	snprintf(etag, sizeof etag, "%s", hdr(&a, "ETag"));
	assert_string_equal(hdr(&b, "ETag"), etag);
	assert_string_equal(hdr(&b, "Content-Type"), "text/plain; charset=utf-8");
	assert_string_equal(hdr(&b, "Cache-Control"), "no-cache");
	assert_string_equal(hdr(&b, "Content-Length"), "31");
	resp_free(&a);
	resp_free(&b);

	char inm[160];
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	const char *h1[] = { inm, NULL };
	http(NULL, "/apt/deb/dists/bookworm/InRelease", h1, &a);
	assert_int_equal(a.code, 304);
	resp_free(&a);
	const char *h2[] = { "Range: bytes=7-14", NULL };
	http(NULL, "/apt/deb/dists/bookworm/InRelease", h2, &a);
	assert_int_equal(a.code, 206);
	assert_string_equal(a.body, "bookworm");
	resp_free(&a);
	http("HEAD", "/apt/deb/dists/bookworm/InRelease", NULL, &a);
	assert_int_equal(a.code, 200);
	assert_int_equal(a.len, 0);
	resp_free(&a);

	/* Publish h2: the very next request sees it; h1's entry is never answered again. */
	xsystem("cd '%s/apt' && ln -s ../.gen/apt-deb-h2 deb.new && mv -T deb.new deb", pub);
	http(NULL, "/apt/deb/dists/bookworm/InRelease", NULL, &a);
	assert_string_equal(a.body, "Suite: bookworm\nGeneration: h2\n");
	resp_free(&a);
	/* Paths the general path refuses are refused, cache or not. */
	http(NULL, "/apt/deb/dists/../dists/bookworm/InRelease", NULL, &a);
	assert_int_equal(a.code, 400);
	resp_free(&a);
	/* A symlink the publisher would never write is not followed into the cache either. */
	xsystem("cd '%s/apt' && ln -s ../../secret.txt deb.new && mv -T deb.new deb", pub);
	http(NULL, "/apt/deb/dists/bookworm/InRelease", NULL, &a);
	assert_int_equal(a.code, 404);
	resp_free(&a);
	xsystem("cd '%s/apt' && ln -s ../.gen/apt-deb-1 deb.new && mv -T deb.new deb", pub);
}

/* Keep-alive: a client fetching several files uses one connection (MHD closes any connection whose
 * response was queued before the request was known to be complete), also for errors answered by a
 * handler, and pipelined requests are answered in order. */
static void test_keep_alive(void **st)
{
	static const char *const paths[] = { "/apt/deb/dists/bookworm/InRelease",
					     "/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb", "/apt/deb/nope",
					     "/clamav/av/daily.cvd", "/metrics", "/" };
	CURL *c = curl_easy_init();
	assert_non_null(c);
	struct resp r;
	memset(&r, 0, sizeof r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		char url[256];
		snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, paths[i]);
		curl_easy_setopt(c, CURLOPT_URL, url);
		assert_int_equal(curl_easy_perform(c), CURLE_OK);
		long code = 0, connects = -1;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
		assert_int_equal(code, i == 2 ? 404 : 200);
		if (i > 0 && connects != 0)
			fail_msg("%s opened a new connection: the previous answer closed it", paths[i]);
		resp_free(&r);
	}
	curl_easy_cleanup(c);

	char buf[16384];
	static const char piped[] = "GET /apt/deb/dists/bookworm/InRelease HTTP/1.1\r\nHost: t\r\n\r\n"
				    "HEAD /clamav/av/daily.cvd HTTP/1.1\r\nHost: t\r\n\r\n"
				    "GET /keys/sluice.asc HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	assert_int_equal(raw(piped, sizeof piped - 1, buf, sizeof buf), 200);
	const char *a = strstr(buf, "Suite: bookworm");
	const char *b = a != NULL ? strstr(a, "Content-Length: 2048") : NULL;
	const char *k = b != NULL ? strstr(b, "BEGIN PGP PUBLIC KEY BLOCK") : NULL;
	assert_non_null(k);
}

_Static_assert(BIG_SIZE > SL_MAPCACHE_BUDGET, "big.bin must take the sendfile path");

/* /metrics' count of bytes mapped for large downloads (served/mapcache.h). */
static uint64_t mapped_bytes(void)
{
	struct resp r;
	http(NULL, "/metrics", NULL, &r);
	assert_int_equal(r.code, 200);
	const char *m = strstr(r.body, "\nsluice_served_mapped_bytes ");
	assert_non_null(m);
	uint64_t v = strtoull(m + strlen("\nsluice_served_mapped_bytes "), NULL, 10);
	resp_free(&r);
	return v;
}

/* The response is destroyed once MHD has finished with the connection: give it a moment. */
static void expect_unmapped(void)
{
	for (int i = 0; i < 200 && mapped_bytes() != 0; i++)
		usleep(10000);
	assert_int_equal(mapped_bytes(), 0);
}

/* Start a download of `path` on a connection with a small receive buffer and read its header and the
 * first MiB of body. Returns the socket; *buf (caller frees) holds what was read, *got bytes of it, and
 * *body_off where the body starts. */
static int start_slow_download(const char *path, size_t size, uint8_t **buf, size_t *got, size_t *body_off)
{
	int fd = connect_server();
	int small = 64 << 10;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
	char req[512];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
	assert_int_equal(write(fd, req, (size_t)n), n);
	size_t cap = size + 4096;
	*buf = malloc(cap);
	assert_non_null(*buf);
	*got = 0;
	char *body = NULL;
	while (body == NULL || *got - (size_t)(body - (char *)*buf) < (1u << 20)) {
		size_t room = cap - 1 - *got;   /* one byte kept for the NUL below */
		assert_true(room > 0);
		ssize_t k = read(fd, *buf + *got, room < 65536 ? room : 65536);
		assert_true(k > 0);
		*got += (size_t)k;
		(*buf)[*got] = 0;
		if (body == NULL && strstr((char *)*buf, "\r\n\r\n") != NULL)
			body = strstr((char *)*buf, "\r\n\r\n") + 4;
	}
	assert_int_equal(strncmp((char *)*buf, "HTTP/1.1 200", 12), 0);
	*body_off = (size_t)(body - (char *)*buf);
	return fd;
}

static void finish_download(int fd, uint8_t *buf, size_t cap, size_t *got)
{
	ssize_t n;
	while ((n = read(fd, buf + *got, cap - *got)) > 0)
		*got += (size_t)n;
	close(fd);
}

/* A large file within the mapping budget is sent from one mapping shared by its downloads; a publish
 * that switches the source and deletes the old generation mid-download changes nothing for the client,
 * and the mapping goes when the last download ends. */
static void test_mapped_download_survives_switch(void **st)
{
	const size_t size = 8u << 20;
	write_pattern("public/.gen/apt-deb-m1/pool/mid.bin", size, 21);
	xsystem("cd '%s/apt' && ln -s ../.gen/apt-deb-m1 deb.new && mv -T deb.new deb", pub);
	uint8_t *a, *b;
	size_t got_a, got_b, off_a, off_b;
	int fa = start_slow_download("/apt/deb/pool/mid.bin", size, &a, &got_a, &off_a);
	int fb = start_slow_download("/apt/deb/pool/mid.bin", size, &b, &got_b, &off_b);
	assert_int_equal(mapped_bytes(), size);   /* two downloads, one mapping */

	xsystem("cd '%s/apt' && ln -s ../.gen/apt-deb-1 deb.new && mv -T deb.new deb && rm -rf ../.gen/apt-deb-m1",
		pub);
	finish_download(fa, a, size + 4096, &got_a);
	finish_download(fb, b, size + 4096, &got_b);
	assert_int_equal(got_a - off_a, size);
	assert_int_equal(got_b - off_b, size);
	for (size_t i = 0; i < size; i++)
		if (a[off_a + i] != pattern(i, 21) || b[off_b + i] != pattern(i, 21))
			fail_msg("byte %zu differs after the publish switch", i);
	free(a);
	free(b);
	expect_unmapped();
}

/* Published files are immutable, but should one be truncated behind sluice's back mid-download, that
 * download ends short (the kernel's copy from the mapping fails) and the server carries on. */
static void test_mapped_file_truncated(void **st)
{
	const size_t size = 16u << 20;
	write_pattern("public/.gen/apt-deb-1/pool/trunc.bin", size, 23);
	uint8_t *buf;
	size_t got, off;
	int fd = start_slow_download("/apt/deb/pool/trunc.bin", size, &buf, &got, &off);
	assert_true(mapped_bytes() >= size);
	char path[600];
	snprintf(path, sizeof path, "%s/.gen/apt-deb-1/pool/trunc.bin", pub);
	assert_int_equal(truncate(path, 0), 0);
	finish_download(fd, buf, size + 4096, &got);
	if (got - off >= size)
		fail_msg("the whole file arrived although it was truncated after %zu bytes", got - off);
	for (size_t i = off; i < got; i++)
		if (buf[i] != pattern(i - off, 23))
			fail_msg("byte %zu of the short download differs", i - off);
	free(buf);
	struct resp r;
	http(NULL, "/apt/deb/dists/bookworm/InRelease", NULL, &r);
	assert_int_equal(r.code, 200);
	resp_free(&r);
	http(NULL, "/apt/deb/pool/trunc.bin", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, 0);
	resp_free(&r);
	expect_unmapped();
	unlink(path);
}

static void test_publish_switch_mid_download(void **st)
{
	write_pattern("public/.gen/apt-deb-2/pool/big.bin", BIG_SIZE, 99);
	write_str("public/.gen/apt-deb-2/dists/bookworm/InRelease", "Origin: test\nSuite: bookworm\nGen: 2\n");
	uint8_t *buf;
	size_t got, off;
	int fd = start_slow_download("/apt/deb/pool/big.bin", BIG_SIZE, &buf, &got, &off);
	assert_int_equal(mapped_bytes(), 0);   /* over the mapping budget: this one goes by sendfile */

	/* The publisher's switch: new symlink beside, rename over, then the old generation goes. */
	xsystem("cd '%s/apt' && ln -s ../.gen/apt-deb-2 deb.new && mv -T deb.new deb && rm -rf ../.gen/apt-deb-1", pub);
	struct resp r;
	http(NULL, "/apt/deb/dists/bookworm/InRelease", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.body, "Gen: 2"));
	resp_free(&r);

	finish_download(fd, buf, BIG_SIZE + 4096, &got);
	assert_int_equal(got - off, BIG_SIZE);
	for (size_t i = 0; i < BIG_SIZE; i++)
		if (buf[off + i] != pattern(i, 11))
			fail_msg("byte %zu differs: the download mixed generations", i);
	free(buf);

	const char *h[] = { "Range: bytes=0-15", NULL };
	http(NULL, "/apt/deb/pool/big.bin", h, &r);
	assert_int_equal(r.code, 206);
	for (size_t i = 0; i < 16; i++)
		assert_int_equal((uint8_t)r.body[i], pattern(i, 99));
	resp_free(&r);
}


/* The kernel refuses (EAGAIN) to resolve the publisher's "../.gen/..." symlink beneath public/ while any
 * rename happens on the system; requests must not fail because someone renamed something. */
static atomic_bool renaming;

static void *rename_loop(void *arg)
{
	char a[600], b[600];
	snprintf(a, sizeof a, "%s/ren-a", state);
	snprintf(b, sizeof b, "%s/ren-b", state);
	close(open(a, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	while (atomic_load(&renaming)) {
		if (rename(a, b) == 0)
			rename(b, a);
	}
	unlink(a);
	unlink(b);
	return NULL;
}

static void test_requests_during_renames(void **st)
{
	pthread_t t;
	atomic_store(&renaming, true);
	assert_int_equal(pthread_create(&t, NULL, rename_loop, NULL), 0);
	unsigned bad = 0;
	char buf[4096];
	for (int i = 0; i < 2000; i++)
		if (raw_get("/apt/deb/dists/bookworm/InRelease", buf, sizeof buf) != 200)
			bad++;
	atomic_store(&renaming, false);
	pthread_join(t, NULL);
	assert_int_equal(bad, 0);
}

int main(void)
{
	sl_log_open("test_served", true, SL_LOG_ERR);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apt_routes_and_headers),
		cmocka_unit_test(test_clamav_routes),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_conditional),
		cmocka_unit_test(test_traversal),
		cmocka_unit_test(test_open_beneath_compat),
		cmocka_unit_test(test_head_and_methods),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_inline_and_sendfile),
		cmocka_unit_test(test_hot_cache),
		cmocka_unit_test(test_requests_during_renames),
		cmocka_unit_test(test_mapped_download_survives_switch),
		cmocka_unit_test(test_mapped_file_truncated),
		cmocka_unit_test(test_publish_switch_mid_download),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
