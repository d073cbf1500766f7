/* test_fetch: the HTTP engine against real servers on 127.0.0.1 — nginx for static files (ETag, Range,
 * keep-alive, TLS) and upstream.py for scripted misbehaviour — with a real store and catalogue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/catalog.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/store.h"
#include "syncd/fetch.h"
#include "tests/unit/lib/upstream.h"

struct got {
	int calls;
	int err;
	long status;
	bool not_modified;
	char sha256[SL_SHA256_HEX];
	uint64_t size;
	char *body;
	size_t body_len;
	bool body_nul;
	char etag[256];
	unsigned attempts;
	char message[512];
};

struct fx {
	char dir[64];
	char state[128];
	struct sl_store *st;
	struct sl_catalog *cat;
	struct sl_upstream_nginx ngx;
	struct sl_upstream_py up;
	struct sl_fetch *f;
	struct got got[64];
};

static volatile int g_stop;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_done(void *arg, const struct sl_fetch_result *r)
{
	struct got *g = arg;
	g->calls++;
	g->err = r->err;
	g->status = r->status;
	g->not_modified = r->not_modified;
	snprintf(g->sha256, sizeof g->sha256, "%s", r->sha256);
	g->size = r->size;
	g->attempts = r->attempts;
	snprintf(g->message, sizeof g->message, "%s", r->message ? r->message : "");
	snprintf(g->etag, sizeof g->etag, "%s", r->etag ? r->etag : "");
	free(g->body);
	g->body = NULL;
	if (r->body) {
		g->body = malloc(r->body_len + 1);
		assert_non_null(g->body);
		memcpy(g->body, r->body, r->body_len + 1);
		g->body_len = r->body_len;
		g->body_nul = r->body[r->body_len] == '\0';
	}
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	assert_non_null(x);
	snprintf(x->dir, sizeof x->dir, "/tmp/sluice-test-fetch.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->state, sizeof x->state, "%s/state", x->dir);
	assert_int_equal(sl_fs_mkdirs(x->state, 0700), 0);
	char *cause = NULL, db[192];
	x->st = sl_store_open(x->state, &cause);
	assert_non_null(x->st);
	snprintf(db, sizeof db, "%s/catalog.db", x->state);
	x->cat = sl_catalog_open(db, 0, &cause);
	if (x->cat == NULL)
		fail_msg("catalogue: %s", cause);
	g_stop = 0;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	sl_fetch_free(x->f);
	sl_upstream_nginx_stop(&x->ngx);
	sl_upstream_py_stop(&x->up);
	sl_store_free(x->st);
	sl_catalog_free(x->cat);
	for (size_t i = 0; i < sizeof x->got / sizeof x->got[0]; i++)
		free(x->got[i].body);
	sl_fs_rmtree(x->dir);
	free(x);
	return 0;
}

static struct sl_fetch_opts opts_default(void)
{
	struct sl_fetch_opts o = { 0 };
	o.proxy = "";                 /* loopback only, whatever the environment says */
	o.retries = 2;
	o.retry_base_ms = 50;
	o.low_speed_time_ms = 5000;
	o.transfer_timeout_ms = 60000;
	o.connect_timeout_ms = 5000;
	o.stop = &g_stop;
	o.log_source = "test";
	return o;
}

static void engine(struct fx *x, const struct sl_fetch_opts *o)
{
	char *cause = NULL;
	sl_fetch_free(x->f);
	x->f = sl_fetch_new(o, x->cat, x->st, &cause);
	if (x->f == NULL)
		fail_msg("sl_fetch_new: %s", cause);
}

static void start_nginx(struct fx *x, const struct sl_upstream_nginx_opts *o)
{
	if (!sl_upstream_have_nginx())
		skip();
	assert_int_equal(sl_upstream_nginx_start(&x->ngx, o), 0);
}

static void start_py(struct fx *x, const char *script)
{
	assert_int_equal(sl_upstream_py_start(&x->up), 0);
	assert_int_equal(sl_upstream_py_script(&x->up, script), 0);
}

/* Deterministic content of `len` bytes written to dir/name; digest into sha. */
static void make_file(const char *dir, const char *name, size_t len, unsigned seed, char sha[SL_SHA256_HEX])
{
	uint8_t *b = malloc(len ? len : 1);
	assert_non_null(b);
	uint32_t s = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		s = s * 1103515245u + 12345u;
		b[i] = (uint8_t)(s >> 16);
	}
	char path[2048];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(sl_upstream_write_file(path, b, len), 0);
	sl_digest_sha256(b, len, sha);
	free(b);
}

static void add(struct fx *x, struct got *g, const char *url, unsigned flags, const char *sha, int64_t size)
{
	struct sl_fetch_req r = { .url = url, .flags = flags, .expect_sha256 = sha, .expect_size = size,
				  .done = on_done, .arg = g };
	assert_int_equal(sl_fetch_add(x->f, &r), 0);
}

static int g_files;
static int count_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	if (flag == FTW_F)
		g_files++;
	return 0;
}

/* Regular files anywhere under the store (objects, tmp, partial). */
static int store_files(struct fx *x)
{
	char root[256];
	snprintf(root, sizeof root, "%s/store", x->state);
	g_files = 0;
	assert_int_equal(nftw(root, count_cb, 16, FTW_PHYS), 0);
	return g_files;
}

static void url_of(char *buf, size_t cap, int port, const char *path)
{
	snprintf(buf, cap, "http://127.0.0.1:%d%s", port, path);
}

/* ---- tests ---- */

static void test_parallel_store(void **state)
{
	struct fx *x = *state;
	start_nginx(x, NULL);
	struct sl_fetch_opts o = opts_default();
	o.max_connections = 8;
	o.max_per_host = 4;
	engine(x, &o);
	enum { N = 50 };
	char sha[N][SL_SHA256_HEX], url[N][128];
	uint64_t total = 0;
	for (int i = 0; i < N; i++) {
		char name[32];
		size_t len = 1 + (size_t)i * 4099;
		snprintf(name, sizeof name, "pool/f%02d.deb", i);
		make_file(x->ngx.root, name, len, (unsigned)i, sha[i]);
		url_of(url[i], sizeof url[i], x->ngx.port, "/");
		strcat(url[i], name);
		total += len;
	}
	for (int i = 0; i < N; i++)
		add(x, &x->got[i], url[i], SL_FETCH_TO_STORE, sha[i], 1 + (int64_t)i * 4099);
	assert_int_equal(sl_fetch_run(x->f), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(x->got[i].calls, 1);
		if (x->got[i].err != 0)
			fail_msg("%s: %s", url[i], x->got[i].message);
		assert_string_equal(x->got[i].sha256, sha[i]);
		assert_true(sl_store_has(x->st, sha[i]));
		uint64_t size = 0;
		assert_int_equal(sl_store_check(x->st, sha[i], &size), 0);
		assert_int_equal(size, 1 + (uint64_t)i * 4099);
	}
	uint64_t bytes = 0, requests = 0;
	sl_fetch_stats(x->f, &bytes, &requests);
	assert_int_equal(requests, N);
	assert_int_equal(bytes, total);
}

static void test_wrong_digest(void **state)
{
	struct fx *x = *state;
	start_nginx(x, NULL);
	engine(x, &(struct sl_fetch_opts){ 0 });
	struct sl_fetch_opts o = opts_default();
	engine(x, &o);
	char sha[SL_SHA256_HEX], other[SL_SHA256_HEX], url[128];
	make_file(x->ngx.root, "a", 5000, 1, sha);
	make_file(x->ngx.root, "b", 5000, 2, other);
	url_of(url, sizeof url, x->ngx.port, "/a");
	add(x, &x->got[0], url, SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE, other, 5000);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[0].err, -SL_E_DIGEST);
	assert_int_equal(x->got[0].attempts, 1);   /* a digest error is not retried */
	assert_false(sl_store_has(x->st, sha));
	assert_false(sl_store_has(x->st, other));
	assert_int_equal(store_files(x), 0);

	/* Memory mode checks the digest too. */
	add(x, &x->got[1], url, 0, other, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[1].err, -SL_E_DIGEST);
	assert_null(x->got[1].body);
	/* A malformed expected digest is refused up front. */
	struct sl_fetch_req r = { .url = url, .flags = SL_FETCH_TO_STORE, .expect_sha256 = "../../etc/passwd",
				  .expect_size = -1, .done = on_done, .arg = &x->got[2] };
	assert_int_equal(sl_fetch_add(x->f, &r), -SL_E_BADNAME);
	r.expect_sha256 = NULL;
	r.url = "ftp://127.0.0.1/a";
	assert_int_equal(sl_fetch_add(x->f, &r), -SL_E_UNSUPPORTED);
	r.url = "not a url";
	assert_true(sl_fetch_add(x->f, &r) < 0);
	assert_int_equal(x->got[2].calls, 0);
}

static void test_oversized_bodies(void **state)
{
	struct fx *x = *state;
	start_py(x, "{\"/nolen\": {\"no_length\": true},"
		    " \"/extra\": {\"extra\": 5000}}");
	struct sl_fetch_opts o = opts_default();
	o.max_per_host = 1;   /* /extra and /after share one connection */
	engine(x, &o);
	char sha[SL_SHA256_HEX], sha1k[SL_SHA256_HEX], url[128];
	make_file(x->up.root, "nolen", 5000, 3, sha);
	make_file(x->up.root, "extra", 1000, 4, sha1k);
	make_file(x->up.root, "after", 1000, 4, sha1k);

	/* No Content-Length, more bytes than the expected size: stopped while streaming. */
	url_of(url, sizeof url, x->up.port, "/nolen");
	add(x, &x->got[0], url, SL_FETCH_TO_STORE, sha, 1000);
	/* Same, memory mode, against max_size. */
	struct sl_fetch_req r = { .url = url, .expect_size = -1, .max_size = 1000, .done = on_done,
				  .arg = &x->got[1] };
	assert_int_equal(sl_fetch_add(x->f, &r), 0);
	/* Content-Length larger than expected: refused before the body. */
	url_of(url, sizeof url, x->up.port, "/after");
	add(x, &x->got[2], url, SL_FETCH_TO_STORE, NULL, 999);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[0].err, -SL_E_SIZE);
	assert_int_equal(x->got[0].attempts, 1);
	assert_int_equal(x->got[1].err, -SL_E_TOOBIG);
	assert_int_equal(x->got[1].attempts, 1);
	assert_int_equal(x->got[2].err, -SL_E_SIZE);
	assert_int_equal(store_files(x), 0);

	/* Junk after the promised Content-Length never reaches the object. If curl reused the connection
	 * the junk stands where the next status line belongs: that request is retried on a fresh one. */
	url_of(url, sizeof url, x->up.port, "/extra");
	add(x, &x->got[3], url, SL_FETCH_TO_STORE, NULL, -1);
	url_of(url, sizeof url, x->up.port, "/after");
	add(x, &x->got[4], url, SL_FETCH_TO_STORE, sha1k, 1000);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[3].err, 0);
	assert_string_equal(x->got[3].sha256, sha1k);
	assert_int_equal(x->got[3].size, 1000);
	assert_int_equal(x->got[4].err, 0);
	assert_int_equal(store_files(x), 1);
}

static void test_resume_after_truncation(void **state)
{
	struct fx *x = *state;
	start_py(x, "{\"/big\": {\"sequence\": [{\"truncate_after\": 100000}, {\"reset_after\": 50000}, {}]},"
		    " \"/norange\": {\"sequence\": [{\"truncate_after\": 70000}, {\"range\": false}]},"
		    " \"/gone\": {\"sequence\": [{\"truncate_after\": 70000}, {\"status\": 416}, {}]}}");
	struct sl_fetch_opts o = opts_default();
	o.retries = 4;
	engine(x, &o);
	char sha[3][SL_SHA256_HEX], url[3][128];
	const char *names[] = { "big", "norange", "gone" };
	for (int i = 0; i < 3; i++) {
		make_file(x->up.root, names[i], 300000, 10u + (unsigned)i, sha[i]);
		snprintf(url[i], sizeof url[i], "http://127.0.0.1:%d/%s", x->up.port, names[i]);
		add(x, &x->got[i], url[i], SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE, sha[i], 300000);
	}
	assert_int_equal(sl_fetch_run(x->f), 0);
	for (int i = 0; i < 3; i++) {
		if (x->got[i].err != 0)
			fail_msg("%s: %s", url[i], x->got[i].message);
		assert_true(sl_store_has(x->st, sha[i]));
	}
	assert_int_equal(x->got[0].attempts, 3);
	struct sl_upstream_request *rq = NULL;
	size_t n = 0;
	/* Truncated (FIN) at 100000: resumed exactly there; reset: resumed again from what had arrived. */
	assert_int_equal(sl_upstream_py_requests(&x->up, "/big", &rq, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(rq[0].range, "");
	assert_string_equal(rq[1].range, "bytes=100000-");
	assert_int_equal(rq[1].status, 206);
	unsigned long long off = 0;
	assert_int_equal(sscanf(rq[2].range, "bytes=%llu-", &off), 1);
	assert_true(off >= 100000 && off < 300000);
	free(rq);
	/* Range ignored (200): the body restarts from zero and is still right. */
	assert_int_equal(sl_upstream_py_requests(&x->up, "/norange", &rq, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rq[1].range, "bytes=70000-");
	assert_int_equal(rq[1].status, 200);
	free(rq);
	/* 416: the partial is dropped and the next request asks for everything. */
	assert_int_equal(sl_upstream_py_requests(&x->up, "/gone", &rq, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(rq[1].range, "bytes=70000-");
	assert_int_equal(rq[1].status, 416);
	assert_string_equal(rq[2].range, "");
	free(rq);
	assert_int_equal(store_files(x), 3);   /* three objects, no partial left */
}

static void test_stall_low_speed(void **state)
{
	struct fx *x = *state;
	start_py(x, "{\"/stall\": {\"stall_after\": 1000, \"stall\": 30}}");
	char sha[SL_SHA256_HEX], url[128];
	make_file(x->up.root, "stall", 100000, 5, sha);
	struct sl_fetch_opts o = opts_default();
	o.low_speed_bps = 1000;
	o.low_speed_time_ms = 1000;
	o.retries = 1;
	engine(x, &o);
	url_of(url, sizeof url, x->up.port, "/stall");
	add(x, &x->got[0], url, SL_FETCH_TO_STORE, sha, 100000);
	double t0 = now_s();
	assert_int_equal(sl_fetch_run(x->f), 0);
	double dt = now_s() - t0;
	printf("stalled transfer given up after %.2f s (2 attempts, low-speed window 1 s)\n", dt);
	assert_int_equal(x->got[0].err, -SL_E_TIMEOUT);
	assert_int_equal(x->got[0].attempts, 2);   /* a stall is transient: retried once */
	/* Two 1 s windows plus backoff; the 30 s stall or the 60 s deadline would take far longer. */
	assert_true(dt < 15.0);
	assert_int_equal(store_files(x), 0);
}

static void test_cooldown_retry_after(void **state)
{
	struct fx *x = *state;
	start_py(x, "{\"/a\": {\"status\": 429, \"retry_after\": \"120\"}}");
	struct sl_fetch_opts o = opts_default();
	o.max_per_host = 1;
	engine(x, &o);
	char url[3][128];
	for (int i = 0; i < 3; i++) {
		url_of(url[i], sizeof url[i], x->up.port, i == 0 ? "/a" : (i == 1 ? "/b" : "/c"));
		add(x, &x->got[i], url[i], 0, NULL, -1);
	}
	int64_t before = time(NULL);
	assert_int_equal(sl_fetch_run(x->f), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(x->got[i].err, -SL_E_COOLDOWN);
	assert_int_equal(x->got[0].status, 429);
	assert_int_equal(x->got[0].attempts, 1);
	/* Queued requests to the host failed without being sent. */
	struct sl_upstream_request *rq = NULL;
	size_t n = 0;
	assert_int_equal(sl_upstream_py_requests(&x->up, NULL, &rq, &n), 0);
	assert_int_equal(n, 1);
	free(rq);
	int64_t until = 0;
	char *reason = NULL;
	assert_int_equal(sl_catalog_cooldown_get(x->cat, "127.0.0.1", &until, &reason), 0);
	assert_true(until >= before + 119 && until <= time(NULL) + 121);
	assert_non_null(reason);
	free(reason);
	/* A new engine (the next run) reads the catalogue and refuses the host without contacting it. */
	engine(x, &o);
	struct sl_fetch_req r = { .url = url[1], .expect_size = -1, .done = on_done, .arg = &x->got[3] };
	assert_int_equal(sl_fetch_add(x->f, &r), -SL_E_COOLDOWN);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[3].calls, 0);
	/* Another host is unaffected. */
	snprintf(url[2], sizeof url[2], "http://localhost:%d/b", x->up.port);
	add(x, &x->got[4], url[2], SL_FETCH_OPTIONAL, NULL, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[4].status, 404);
}

static void test_cooldown_http_date_and_403(void **state)
{
	struct fx *x = *state;
	/* Retry-After as an HTTP date an hour ahead; 403 with the ban flag on another host name. */
	char date[64], script[512];
	time_t later = time(NULL) + 3600;
	struct tm tm;
	gmtime_r(&later, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(script, sizeof script, "{\"/a\": {\"status\": 503, \"retry_after\": \"%s\"},"
		 " \"/ban\": {\"status\": 403}}", date);
	start_py(x, script);
	engine(x, &(struct sl_fetch_opts){ .proxy = "", .retries = 3, .retry_base_ms = 50, .stop = &g_stop });
	char url[128];
	url_of(url, sizeof url, x->up.port, "/a");
	add(x, &x->got[0], url, 0, NULL, -1);
	snprintf(url, sizeof url, "http://localhost:%d/ban", x->up.port);
	add(x, &x->got[1], url, SL_FETCH_COOLDOWN_403, NULL, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[0].err, -SL_E_COOLDOWN);
	assert_int_equal(x->got[1].err, -SL_E_COOLDOWN);
	assert_int_equal(x->got[1].attempts, 1);
	int64_t until = 0, now = time(NULL);
	assert_int_equal(sl_catalog_cooldown_get(x->cat, "127.0.0.1", &until, NULL), 0);
	assert_true(until >= now + 3500 && until <= now + 3601);
	assert_int_equal(sl_catalog_cooldown_get(x->cat, "localhost", &until, NULL), 0);
	assert_true(until >= now + 3600 * 12);   /* a ban lasts hours */
	/* Without the flag a 403 is a plain permanent error. */
	engine(x, &(struct sl_fetch_opts){ .proxy = "", .retries = 3, .stop = &g_stop });
	assert_int_equal(sl_catalog_cooldown_set(x->cat, "localhost", 0, NULL), 0);
	add(x, &x->got[2], url, 0, NULL, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[2].err, -SL_E_HTTP);
	assert_int_equal(x->got[2].attempts, 1);
}

static void test_503_backoff_then_success(void **state)
{
	struct fx *x = *state;
	start_py(x, "{\"/a\": {\"sequence\": [{\"status\": 503}, {\"status\": 500}, {}]},"
		    " \"/nf\": {}, \"/ni\": {\"status\": 501}, \"/bad\": {\"status\": 400}}");
	char sha[SL_SHA256_HEX], url[128];
	make_file(x->up.root, "a", 2000, 6, sha);
	struct sl_fetch_opts o = opts_default();
	o.retries = 3;
	o.retry_base_ms = 200;
	engine(x, &o);
	url_of(url, sizeof url, x->up.port, "/a");
	add(x, &x->got[0], url, 0, sha, 2000);
	const char *perm[] = { "/nf", "/ni", "/bad" };
	for (int i = 0; i < 3; i++) {
		url_of(url, sizeof url, x->up.port, perm[i]);
		add(x, &x->got[1 + i], url, 0, NULL, -1);
	}
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[0].err, 0);
	assert_int_equal(x->got[0].attempts, 3);
	assert_int_equal(x->got[0].body_len, 2000);
	assert_true(x->got[0].body_nul);
	assert_string_equal(x->got[0].sha256, sha);
	long want[] = { 404, 501, 400 };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(x->got[1 + i].err, -SL_E_HTTP);
		assert_int_equal(x->got[1 + i].status, want[i]);
		assert_int_equal(x->got[1 + i].attempts, 1);
		assert_null(x->got[1 + i].body);
	}
	struct sl_upstream_request *rq = NULL;
	size_t n = 0;
	assert_int_equal(sl_upstream_py_requests(&x->up, "/a", &rq, &n), 0);
	assert_int_equal(n, 3);
	/* Backoff with equal jitter: at least half of base, then half of 2 * base. */
	printf("backoff gaps: %.3f s, %.3f s\n", rq[1].t - rq[0].t, rq[2].t - rq[1].t);
	assert_true(rq[1].t - rq[0].t >= 0.100);
	assert_true(rq[2].t - rq[1].t >= 0.200);
	assert_true(strncmp(rq[0].user_agent, "sluice/", 7) == 0);
	free(rq);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sl_upstream_py_requests(&x->up, perm[i], &rq, &n), 0);
		assert_int_equal(n, 1);   /* 4xx and 501 are not retried */
		free(rq);
	}
	uint64_t requests = 0;
	sl_fetch_stats(x->f, NULL, &requests);
	assert_int_equal(requests, 6);
}

/* One connection slot, so each transfer reuses the previous one's easy handle: a resumed download (Range),
 * a conditional request (If-None-Match) and a HEAD must leave nothing behind for the next transfer. */
static void test_reused_handle(void **state)
{
	struct fx *x = *state;
	start_py(x, "{\"/big\": {\"sequence\": [{\"truncate_after\": 100000}, {}]},"
		    " \"/cond\": {\"etag\": \"\\\"v1\\\"\"}}");
	struct sl_fetch_opts o = opts_default();
	o.max_connections = 1;
	o.max_per_host = 1;
	engine(x, &o);
	char sha[3][SL_SHA256_HEX], url[4][128];
	make_file(x->up.root, "big", 300000, 31, sha[0]);
	make_file(x->up.root, "fresh", 200000, 32, sha[1]);
	make_file(x->up.root, "cond", 1000, 33, sha[2]);
	snprintf(url[0], sizeof url[0], "http://127.0.0.1:%d/big", x->up.port);
	snprintf(url[1], sizeof url[1], "http://127.0.0.1:%d/fresh", x->up.port);
	snprintf(url[2], sizeof url[2], "http://127.0.0.1:%d/cond", x->up.port);
	snprintf(url[3], sizeof url[3], "http://127.0.0.1:%d/fresh?again", x->up.port);
	/* Resumed (second attempt with Range), then a fresh download on the same handle. */
	add(x, &x->got[0], url[0], SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE, sha[0], 300000);
	assert_int_equal(sl_fetch_run(x->f), 0);
	add(x, &x->got[1], url[1], SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE, sha[1], 200000);
	assert_int_equal(sl_fetch_run(x->f), 0);
	/* Conditional with a stored validator, then unconditional; a HEAD, then a GET. */
	assert_int_equal(sl_catalog_http_put(x->cat, url[2], "\"v1\"", NULL), 0);
	add(x, &x->got[2], url[2], SL_FETCH_CONDITIONAL, NULL, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	add(x, &x->got[3], url[2], 0, NULL, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	add(x, &x->got[4], url[3], SL_FETCH_HEAD, NULL, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	add(x, &x->got[5], url[3], 0, NULL, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	for (int i = 0; i < 6; i++)
		if (x->got[i].err != 0)
			fail_msg("request %d: %s", i, x->got[i].message);
	assert_int_equal(x->got[0].attempts, 2);
	assert_int_equal(x->got[1].size, 200000);
	assert_true(sl_store_has_size(x->st, sha[1], 200000));
	assert_true(x->got[2].not_modified);
	assert_int_equal(x->got[3].status, 200);
	assert_int_equal(x->got[3].body_len, 1000);
	assert_int_equal(x->got[4].status, 200);
	assert_int_equal(x->got[4].body_len, 0);   /* HEAD: no body */
	assert_int_equal(x->got[5].status, 200);
	assert_int_equal(x->got[5].body_len, 200000);

	struct sl_upstream_request *rq = NULL;
	size_t n = 0;
	assert_int_equal(sl_upstream_py_requests(&x->up, "/big", &rq, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rq[1].range, "bytes=100000-");
	free(rq);
	assert_int_equal(sl_upstream_py_requests(&x->up, "/fresh", &rq, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(rq[0].range, "");   /* not the resumed transfer's offset */
	assert_int_equal(rq[0].status, 200);
	assert_string_equal(rq[1].method, "HEAD");
	assert_string_equal(rq[2].method, "GET");   /* not the HEAD before it */
	assert_string_equal(rq[2].range, "");
	free(rq);
	assert_int_equal(sl_upstream_py_requests(&x->up, "/cond", &rq, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rq[0].if_none_match, "\"v1\"");
	assert_string_equal(rq[1].if_none_match, "");   /* not the conditional request's header */
	assert_int_equal(rq[1].status, 200);
	free(rq);
}

static void test_conditional(void **state)
{
	struct fx *x = *state;
	start_nginx(x, NULL);
	engine(x, &(struct sl_fetch_opts){ .proxy = "", .stop = &g_stop });
	char sha[SL_SHA256_HEX], url[128], url2[128];
	make_file(x->ngx.root, "Release", 3000, 7, sha);
	make_file(x->ngx.root, "pool.deb", 3000, 8, sha);
	url_of(url, sizeof url, x->ngx.port, "/Release");
	url_of(url2, sizeof url2, x->ngx.port, "/pool.deb");
	add(x, &x->got[0], url, SL_FETCH_CONDITIONAL, NULL, -1);
	add(x, &x->got[1], url2, SL_FETCH_CONDITIONAL | SL_FETCH_TO_STORE, sha, 3000);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[0].err, 0);
	assert_int_equal(x->got[0].status, 200);
	assert_false(x->got[0].not_modified);
	assert_true(x->got[0].etag[0] != '\0');
	char *etag = NULL, *lm = NULL;
	assert_int_equal(sl_catalog_http_get(x->cat, url, &etag, &lm), 0);
	assert_string_equal(etag, x->got[0].etag);
	assert_non_null(lm);
	free(etag);
	free(lm);
	/* Second time: 304, nothing transferred. */
	uint64_t bytes0 = 0;
	sl_fetch_stats(x->f, &bytes0, NULL);
	add(x, &x->got[2], url, SL_FETCH_CONDITIONAL, NULL, -1);
	add(x, &x->got[3], url2, SL_FETCH_CONDITIONAL | SL_FETCH_TO_STORE, sha, 3000);
	add(x, &x->got[4], url, 0, NULL, -1);   /* unconditional: full body */
	assert_int_equal(sl_fetch_run(x->f), 0);
	for (int i = 2; i < 4; i++) {
		assert_int_equal(x->got[i].err, 0);
		assert_true(x->got[i].not_modified);
		assert_int_equal(x->got[i].status, 304);
	}
	assert_int_equal(x->got[4].status, 200);
	assert_int_equal(x->got[4].body_len, 3000);
	uint64_t bytes1 = 0;
	sl_fetch_stats(x->f, &bytes1, NULL);
	assert_int_equal(bytes1 - bytes0, 3000);
}

/* While the catalogue is lent (a syncer fills it on another thread), the engine leaves it alone: a
 * conditional request goes out without validators and stores none, and a cool-down is persisted only when
 * the catalogue comes back. */
static void test_catalog_lent(void **state)
{
	struct fx *x = *state;
	start_py(x, "{\"/Release\": {\"etag\": \"\\\"v2\\\"\"}, "
		    "\"/busy\": {\"status\": 429, \"retry_after\": \"120\"}}");
	char sha[SL_SHA256_HEX], url[128], busy[128];
	make_file(x->up.root, "Release", 300, 7, sha);
	url_of(url, sizeof url, x->up.port, "/Release");
	url_of(busy, sizeof busy, x->up.port, "/busy");
	assert_int_equal(sl_catalog_http_put(x->cat, url, "\"v1\"", NULL), 0);
	struct sl_fetch_opts o = opts_default();
	o.max_per_host = 1;
	engine(x, &o);
	/* Lent: the stored validator is neither sent nor replaced by the one the server sends. */
	sl_fetch_catalog_lend(x->f);
	add(x, &x->got[0], url, SL_FETCH_CONDITIONAL, NULL, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[0].status, 200);
	char *etag = NULL;
	assert_int_equal(sl_catalog_http_get(x->cat, url, &etag, NULL), 0);
	assert_string_equal(etag, "\"v1\"");
	free(etag);
	/* Given back: it is sent, and the new one kept. */
	sl_fetch_catalog_return(x->f);
	add(x, &x->got[1], url, SL_FETCH_CONDITIONAL, NULL, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[1].status, 200);
	assert_int_equal(sl_catalog_http_get(x->cat, url, &etag, NULL), 0);
	assert_string_equal(etag, "\"v2\"");
	free(etag);
	struct sl_upstream_request *rq = NULL;
	size_t n = 0;
	assert_int_equal(sl_upstream_py_requests(&x->up, NULL, &rq, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rq[0].if_none_match, "");
	assert_string_equal(rq[1].if_none_match, "\"v1\"");
	free(rq);
	/* A cool-down that starts while lent is honoured at once and persisted on the return. */
	sl_fetch_catalog_lend(x->f);
	add(x, &x->got[2], busy, 0, NULL, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[2].err, -SL_E_COOLDOWN);
	struct sl_fetch_req r = { .url = url, .expect_size = -1, .done = on_done, .arg = &x->got[3] };
	assert_int_equal(sl_fetch_add(x->f, &r), -SL_E_COOLDOWN);
	int64_t until = 0;
	assert_int_equal(sl_catalog_cooldown_get(x->cat, "127.0.0.1", &until, NULL), 0);
	assert_int_equal(until, 0);
	sl_fetch_catalog_return(x->f);
	char *reason = NULL;
	assert_int_equal(sl_catalog_cooldown_get(x->cat, "127.0.0.1", &until, &reason), 0);
	assert_true(until >= time(NULL) + 110);
	assert_non_null(reason);
	free(reason);
}

static void test_request_interval(void **state)
{
	struct fx *x = *state;
	start_py(x, "{}");
	char sha[SL_SHA256_HEX], url[128];
	make_file(x->up.root, "f", 100, 9, sha);
	struct sl_fetch_opts o = opts_default();
	o.request_interval_ms = 250;
	o.max_per_host = 4;
	engine(x, &o);
	for (int i = 0; i < 4; i++) {
		snprintf(url, sizeof url, "http://127.0.0.1:%d/f?i=%d", x->up.port, i);
		add(x, &x->got[i], url, 0, sha, 100);
	}
	snprintf(url, sizeof url, "http://localhost:%d/f?other", x->up.port);
	add(x, &x->got[4], url, 0, sha, 100);
	assert_int_equal(sl_fetch_run(x->f), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(x->got[i].err, 0);
	struct sl_upstream_request *rq = NULL;
	size_t n = 0;
	assert_int_equal(sl_upstream_py_requests(&x->up, "/f", &rq, &n), 0);
	assert_int_equal(n, 5);
	/* Arrival times as the server saw them; 25 ms allow for its accept and thread start on the first
	 * request (without the interval the gaps would be a few ms). */
	double prev = -1, other = -1, last = -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rq[i].query, "other") == 0) {
			other = rq[i].t;
			continue;
		}
		if (prev >= 0) {
			printf("gap %.3f s\n", rq[i].t - prev);
			assert_true(rq[i].t - prev >= 0.250 - 0.025);
		}
		prev = last = rq[i].t;
	}
	/* The interval is per host: the request to another host name did not wait behind the queue. */
	assert_true(other >= 0 && other < last);
	free(rq);
}

/* One host's connections all busy: the queue behind it does not hold up a request to another host, queued
 * last (the engine stops looking through the queue only when no host could start one more). */
static void test_busy_host_other_host(void **state)
{
	struct fx *x = *state;
	start_py(x, "{\"/slow\": {\"rate\": 10000}}");
	char sha[SL_SHA256_HEX], fsha[SL_SHA256_HEX], url[128];
	make_file(x->up.root, "slow", 4000, 5, sha);   /* 0.4 s each at 10,000 bytes/s */
	make_file(x->up.root, "f", 100, 9, fsha);
	struct sl_fetch_opts o = opts_default();
	o.max_connections = 8;
	o.max_per_host = 1;
	engine(x, &o);
	enum { N = 5 };
	for (int i = 0; i < N; i++) {
		snprintf(url, sizeof url, "http://127.0.0.1:%d/slow?i=%d", x->up.port, i);
		add(x, &x->got[i], url, 0, sha, 4000);
	}
	snprintf(url, sizeof url, "http://localhost:%d/f?other", x->up.port);
	add(x, &x->got[N], url, 0, fsha, 100);
	assert_int_equal(sl_fetch_run(x->f), 0);
	for (int i = 0; i <= N; i++)
		assert_int_equal(x->got[i].err, 0);
	struct sl_upstream_request *rq = NULL;
	size_t n = 0;
	assert_int_equal(sl_upstream_py_requests(&x->up, NULL, &rq, &n), 0);
	assert_int_equal(n, N + 1);
	double other = -1, second = -1;
	int slow = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rq[i].query, "other") == 0)
			other = rq[i].t;
		else if (++slow == 2)
			second = rq[i].t;
	}
	/* Before the first slow transfer ended (the second one starts after it): not behind the queue. */
	assert_true(other >= 0 && second >= 0 && other < second);
	free(rq);
}

static void test_bandwidth_cap(void **state)
{
	struct fx *x = *state;
	start_nginx(x, NULL);
	char sha[3][SL_SHA256_HEX], url[128];
	make_file(x->ngx.root, "b1", 2u << 20, 20, sha[0]);
	make_file(x->ngx.root, "b2", 2u << 20, 21, sha[1]);
	make_file(x->ngx.root, "b3", 1u << 20, 22, sha[2]);
	struct sl_fetch_opts o = opts_default();
	o.bandwidth_bps = 1u << 20;
	engine(x, &o);
	/* Two transfers in parallel share 1 MiB/s: 4 MiB take about 4 s in all (each alone at 1 MiB/s,
	 * or an unshared cap, would take 2 s). */
	url_of(url, sizeof url, x->ngx.port, "/b1");
	add(x, &x->got[0], url, SL_FETCH_TO_STORE, sha[0], 2 << 20);
	url_of(url, sizeof url, x->ngx.port, "/b2");
	add(x, &x->got[1], url, SL_FETCH_TO_STORE, sha[1], 2 << 20);
	double t0 = now_s();
	assert_int_equal(sl_fetch_run(x->f), 0);
	double dt = now_s() - t0;
	printf("4 MiB under a 1 MiB/s global cap: %.2f s, %.0f KiB/s\n", dt, 4096 / dt);
	assert_int_equal(x->got[0].err, 0);
	assert_int_equal(x->got[1].err, 0);
	assert_true(dt >= 3.5);
	/* A per-request cap below the global share: 1 MiB at 512 KiB/s. */
	o.bandwidth_bps = 0;
	engine(x, &o);
	url_of(url, sizeof url, x->ngx.port, "/b3");
	struct sl_fetch_req r = { .url = url, .flags = SL_FETCH_TO_STORE, .expect_sha256 = sha[2],
				  .expect_size = 1 << 20, .bandwidth_bps = 512u << 10, .done = on_done,
				  .arg = &x->got[2] };
	assert_int_equal(sl_fetch_add(x->f, &r), 0);
	t0 = now_s();
	assert_int_equal(sl_fetch_run(x->f), 0);
	dt = now_s() - t0;
	printf("1 MiB under a 512 KiB/s request cap: %.2f s, %.0f KiB/s\n", dt, 1024 / dt);
	assert_int_equal(x->got[2].err, 0);
	assert_true(dt >= 1.75);
}

static void test_tls_and_redirects(void **state)
{
	struct fx *x = *state;
	start_py(x, "{}");
	char sha[SL_SHA256_HEX], conf[512];
	make_file(x->up.root, "target", 100, 30, sha);
	snprintf(conf, sizeof conf,
		 "location = /down { return 302 http://127.0.0.1:%d/target; }\n"
		 "\t\tlocation = /up { return 302 https://127.0.0.1:@TLS_PORT@/f; }\n"
		 "\t\tlocation = /loop { return 302 /loop; }",
		 x->up.port);
	start_nginx(x, &(struct sl_upstream_nginx_opts){ .tls = true, .extra_conf = conf });
	make_file(x->ngx.root, "f", 4000, 31, sha);
	struct sl_fetch_opts o = opts_default();
	o.ca_file = x->ngx.ca_file;
	engine(x, &o);
	char url[4][128];
	snprintf(url[0], sizeof url[0], "https://127.0.0.1:%d/f", x->ngx.tls_port);
	snprintf(url[1], sizeof url[1], "https://127.0.0.1:%d/down", x->ngx.tls_port);
	snprintf(url[2], sizeof url[2], "http://127.0.0.1:%d/up", x->ngx.port);
	snprintf(url[3], sizeof url[3], "http://127.0.0.1:%d/loop", x->ngx.port);
	for (int i = 0; i < 4; i++)
		add(x, &x->got[i], url[i], 0, i == 1 || i == 3 ? NULL : sha, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[0].err, 0);          /* verified against the test CA */
	assert_int_equal(x->got[1].err, -SL_E_HTTP); /* https -> http refused */
	assert_int_equal(x->got[1].attempts, 1);
	assert_int_equal(x->got[2].err, 0);          /* http -> https allowed */
	assert_int_equal(x->got[3].err, -SL_E_HTTP); /* redirect loop capped */
	struct sl_upstream_request *rq = NULL;
	size_t n = 0;
	assert_int_equal(sl_upstream_py_requests(&x->up, NULL, &rq, &n), 0);
	assert_int_equal(n, 0);                      /* the http target was never contacted */
	free(rq);
	/* Verification is always on: without the CA the same server is refused, and not retried. */
	o.ca_file = NULL;
	engine(x, &o);
	add(x, &x->got[4], url[0], 0, NULL, -1);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[4].err, -SL_E_NETWORK);
	assert_int_equal(x->got[4].attempts, 1);
}

static void on_alarm(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void test_stop_flag(void **state)
{
	struct fx *x = *state;
	start_py(x, "{\"/slow\": {\"stall_after\": 20000, \"stall\": 30}}");
	char sha[SL_SHA256_HEX], url[128], url2[128];
	make_file(x->up.root, "slow", 100000, 40, sha);
	struct sl_fetch_opts o = opts_default();
	o.max_per_host = 1;
	engine(x, &o);
	url_of(url, sizeof url, x->up.port, "/slow");
	url_of(url2, sizeof url2, x->up.port, "/queued");
	add(x, &x->got[0], url, SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE, sha, 100000);
	add(x, &x->got[1], url2, 0, NULL, -1);
	struct sigaction sa = { .sa_handler = on_alarm };
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	struct itimerval it = { .it_value = { 0, 500000 } };
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	double t0 = now_s();
	int rc = sl_fetch_run(x->f);
	double dt = now_s() - t0;
	printf("stop honoured %.3f s after the flag was raised\n", dt - 0.5);
	assert_int_equal(rc, -SL_E_INTERRUPTED);
	assert_true(dt < 1.5);   /* the stall lasts 30 s */
	assert_int_equal(x->got[0].calls, 1);
	assert_int_equal(x->got[0].err, -SL_E_INTERRUPTED);
	assert_int_equal(x->got[1].calls, 1);
	assert_int_equal(x->got[1].err, -SL_E_INTERRUPTED);
	/* New requests are refused while the flag is up. */
	struct sl_fetch_req r = { .url = url2, .expect_size = -1, .done = on_done, .arg = &x->got[2] };
	assert_int_equal(sl_fetch_add(x->f, &r), -SL_E_INTERRUPTED);
	assert_false(sl_store_has(x->st, sha));
	/* The partial was kept: the next run resumes it. */
	g_stop = 0;
	assert_int_equal(sl_upstream_py_script(&x->up, "{}"), 0);
	engine(x, &o);
	add(x, &x->got[3], url, SL_FETCH_TO_STORE | SL_FETCH_RESUMABLE, sha, 100000);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[3].err, 0);
	assert_true(sl_store_has(x->st, sha));
	struct sl_upstream_request *rq = NULL;
	size_t n = 0;
	assert_int_equal(sl_upstream_py_requests(&x->up, "/slow", &rq, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rq[1].range, "bytes=20000-");
	free(rq);
}

/* ---- response header capture ---- */

struct cap_got {
	int calls, err;
	long status;
	bool has_captured;
	char *val[4];          /* heap copies; NULL where the engine said absent */
	char message[512];
};

static void on_cap(void *arg, const struct sl_fetch_result *r)
{
	struct cap_got *g = arg;
	g->calls++;
	g->err = r->err;
	g->status = r->status;
	g->has_captured = r->captured != NULL;
	snprintf(g->message, sizeof g->message, "%s", r->message ? r->message : "");
	for (size_t i = 0; r->captured && i < 4; i++) {
		free(g->val[i]);
		g->val[i] = r->captured[i] ? strdup(r->captured[i]) : NULL;
	}
}

static void cap_release(struct cap_got *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < 4; j++)
			free(g[i].val[j]);
}

static void cap_add(struct fx *x, struct cap_got *g, int port, const char *path, unsigned flags,
		    const char *const *names)
{
	char url[256];
	url_of(url, sizeof url, port, path);
	struct sl_fetch_req r = { .url = url, .flags = flags, .expect_size = -1, .capture = names,
				  .done = on_cap, .arg = g };
	assert_int_equal(sl_fetch_add(x->f, &r), 0);
}

static void test_capture(void **state)
{
	struct fx *x = *state;
	/* Values of 1023 bytes (the most SL_MAX_HEADER_VALUE holds) and 1024 bytes. */
	char fit[SL_MAX_HEADER_VALUE], over[SL_MAX_HEADER_VALUE + 1];
	memset(fit, 'f', sizeof fit - 1);
	fit[sizeof fit - 1] = '\0';
	memset(over, 'o', sizeof over - 1);
	over[sizeof over - 1] = '\0';
	char *script = NULL;
	assert_true(asprintf(&script,
		"{\"/ok\": {\"headers\": {\"Docker-Content-Digest\": \"sha256:abc\", \"Link\": \"</x>; rel=\\\"next\\\"\","
		" \"RateLimit-Remaining\": \"%s\"}},"
		" \"/auth\": {\"status\": 401, \"headers\": {\"WWW-Authenticate\": \"Bearer realm=\\\"http://t/\\\"\"}},"
		" \"/over\": {\"headers\": {\"Link\": \"%s\"}},"
		" \"/over401\": {\"status\": 401, \"headers\": {\"WWW-Authenticate\": \"%s\"}},"
		" \"/hop\": {\"status\": 302, \"location\": \"/ok\", \"headers\": {\"WWW-Authenticate\": \"hop\"}}}",
		fit, over, over) > 0);
	start_py(x, script);
	free(script);
	make_file(x->up.root, "ok", 10, 50, (char[SL_SHA256_HEX]){ 0 });
	make_file(x->up.root, "over", 10, 51, (char[SL_SHA256_HEX]){ 0 });
	struct sl_fetch_opts o = opts_default();
	engine(x, &o);
	/* Names match case-insensitively; a name the response lacks is NULL. */
	const char *names[] = { "docker-content-digest", "LINK", "WWW-Authenticate", "RateLimit-Remaining", NULL };
	struct cap_got g[8] = { 0 };
	cap_add(x, &g[0], x->up.port, "/ok", 0, names);
	cap_add(x, &g[1], x->up.port, "/ok", SL_FETCH_HEAD, names);
	cap_add(x, &g[2], x->up.port, "/auth", SL_FETCH_QUIET, names);
	cap_add(x, &g[3], x->up.port, "/over", 0, names);
	cap_add(x, &g[4], x->up.port, "/over401", 0, names);
	cap_add(x, &g[5], x->up.port, "/hop", 0, names);
	/* Without capture, no captured. */
	struct sl_fetch_req plain = { .url = NULL, .expect_size = -1, .done = on_cap, .arg = &g[6] };
	char url[128];
	url_of(url, sizeof url, x->up.port, "/ok");
	plain.url = url;
	assert_int_equal(sl_fetch_add(x->f, &plain), 0);
	assert_int_equal(sl_fetch_run(x->f), 0);

	for (int i = 0; i < 2; i++) {   /* GET and HEAD */
		assert_int_equal(g[i].err, 0);
		assert_true(g[i].has_captured);
		assert_string_equal(g[i].val[0], "sha256:abc");
		assert_string_equal(g[i].val[1], "</x>; rel=\"next\"");
		assert_null(g[i].val[2]);
		assert_string_equal(g[i].val[3], fit);
	}
	/* On an HTTP error the headers are there too: a 401's challenge. */
	assert_int_equal(g[2].err, -SL_E_HTTP);
	assert_int_equal(g[2].status, 401);
	assert_string_equal(g[2].val[2], "Bearer realm=\"http://t/\"");
	assert_null(g[2].val[0]);
	/* One byte over: refused, not truncated, not retried; also on a 401. */
	for (int i = 3; i < 5; i++) {
		assert_int_equal(g[i].err, -SL_E_TOOBIG);
		assert_non_null(strstr(g[i].message, i == 3 ? "LINK" : "WWW-Authenticate"));
		assert_non_null(strstr(g[i].message, "longer than 1023 bytes"));
		for (int j = 0; j < 4; j++)
			assert_true(g[i].val[j] == NULL || strlen(g[i].val[j]) < SL_MAX_HEADER_VALUE);
	}
	assert_int_equal(g[4].status, 401);
	struct sl_upstream_request *rq = NULL;
	size_t n = 0;
	assert_int_equal(sl_upstream_py_requests(&x->up, "/over", &rq, &n), 0);
	assert_int_equal(n, 1);
	free(rq);
	/* After a redirect, only the final response's headers count. */
	assert_int_equal(g[5].err, 0);
	assert_null(g[5].val[2]);
	assert_string_equal(g[5].val[0], "sha256:abc");
	assert_int_equal(g[6].err, 0);
	assert_false(g[6].has_captured);
	/* Control requests count like any other (a redirect hop is part of its request). */
	uint64_t requests = 0;
	sl_fetch_stats(x->f, NULL, &requests);
	assert_int_equal(requests, 7);
	cap_release(g, 8);

	/* More names than SL_MAX_FETCH_CAPTURE are refused up front. */
	const char *many[SL_MAX_FETCH_CAPTURE + 2];
	for (int i = 0; i <= SL_MAX_FETCH_CAPTURE; i++)
		many[i] = "X-A";
	many[SL_MAX_FETCH_CAPTURE + 1] = NULL;
	struct sl_fetch_req r = { .url = url, .expect_size = -1, .capture = many, .done = on_cap, .arg = &g[7] };
	assert_int_equal(sl_fetch_add(x->f, &r), -SL_E_TOOBIG);
	many[SL_MAX_FETCH_CAPTURE] = NULL;
	assert_int_equal(sl_fetch_add(x->f, &r), 0);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(g[7].err, 0);
	cap_release(&g[7], 1);
}

/* Repeated header fields arrive joined, as RFC 9110 allows a recipient to combine them. */
static void test_capture_repeated(void **state)
{
	struct fx *x = *state;
	start_nginx(x, &(struct sl_upstream_nginx_opts){ .extra_conf =
		"location = /two { add_header Link \"</a>; rel=prev\" always; add_header Link \"</b>; rel=next\" always;"
		" return 200 \"x\"; }" });
	engine(x, &(struct sl_fetch_opts){ .proxy = "", .stop = &g_stop });
	const char *names[] = { "Link", NULL };
	struct cap_got g = { 0 };
	cap_add(x, &g, x->ngx.port, "/two", 0, names);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(g.err, 0);
	assert_string_equal(g.val[0], "</a>; rel=prev, </b>; rel=next");
	cap_release(&g, 1);
}

/* A request's own deadline beats the engine's (registry control requests: 60 s, not an hour). */
static void test_request_timeout(void **state)
{
	struct fx *x = *state;
	start_py(x, "{\"/stall\": {\"stall_after\": 0, \"stall\": 30}}");
	char sha[SL_SHA256_HEX], url[128];
	make_file(x->up.root, "stall", 10000, 52, sha);
	struct sl_fetch_opts o = opts_default();
	o.retries = 0;
	o.low_speed_time_ms = 30000;
	engine(x, &o);
	url_of(url, sizeof url, x->up.port, "/stall");
	struct sl_fetch_req r = { .url = url, .expect_size = -1, .timeout_ms = 1000, .done = on_done,
				  .arg = &x->got[0] };
	assert_int_equal(sl_fetch_add(x->f, &r), 0);
	assert_int_equal(sl_fetch_run(x->f), 0);
	assert_int_equal(x->got[0].err, -SL_E_TIMEOUT);
	/* curl's words for the deadline, not for the low-speed window. */
	if (!strstr(x->got[0].message, "timed out after"))
		fail_msg("message '%s'", x->got[0].message);
}

/* The copy a callback keeps of a borrowed memory body: exact bytes (NULs included), terminated. */
static void test_body_dup(void **state)
{
	(void)state;
	static const uint8_t bytes[] = { 'a', 0, 'b' };
	struct sl_fetch_result r = { .body = bytes, .body_len = sizeof bytes };
	size_t len = 99;
	uint8_t *copy = sl_fetch_body_dup(&r, &len);
	assert_non_null(copy);
	assert_int_equal(len, 3);
	assert_memory_equal(copy, bytes, 3);
	assert_int_equal(copy[3], 0);
	assert_ptr_not_equal(copy, bytes);
	free(copy);
	struct sl_fetch_result none = { 0 };
	copy = sl_fetch_body_dup(&none, &len);
	assert_non_null(copy);
	assert_int_equal(len, 0);
	assert_int_equal(copy[0], 0);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_dup),
		cmocka_unit_test_setup_teardown(test_parallel_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stall_low_speed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cooldown_retry_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cooldown_http_date_and_403, setup, teardown),
		cmocka_unit_test_setup_teardown(test_503_backoff_then_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conditional, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_lent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reused_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_host_other_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bandwidth_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_and_redirects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capture, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capture_repeated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_timeout, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
