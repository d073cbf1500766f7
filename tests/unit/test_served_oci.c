/* test_served_oci: the /v2/ registry of sluice-served in-process on a random loopback port, over OCI
 * generations laid out here as the publisher lays them out (public/oci/<source> -> ../.gen/<gen>/ with
 * _catalog, <repo>/_tags, _manifests, _blobs): every route and header, the error codes, pagination edges,
 * the mirror name forms, hostile names and digests, invisible unpublished content, a tampered manifest,
 * and generation switches under concurrent requests. */
#include "test_served_lib.h"

#include <pthread.h>
#include <stdatomic.h>

#include "core/digest.h"

#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define LAYER_SIZE (3u << 20)       /* bytes: several socket buffers, for ranges */
#define BIG_MANIFEST (300u << 10)   /* bytes: above SL_MAX_OCI_INLINE_MANIFEST, so sent from disk */

static struct sl_source oci_sources[5];
static char cfg_hex[SL_SHA256_HEX], layer_hex[SL_SHA256_HEX], nginx_blob_hex[SL_SHA256_HEX];
static char img_hex[SL_SHA256_HEX], index_hex[SL_SHA256_HEX], nginx_hex[SL_SHA256_HEX], app_hex[SL_SHA256_HEX];
static char big_hex[SL_SHA256_HEX], moved_hex[SL_SHA256_HEX];
static char img_body[1024];

/* ---- fixture: the tree contract ---- */

static void put_blob(const char *gen, const char *repo, const void *data, size_t len, char hex[SL_SHA256_HEX])
{
	char rel[512];
	sl_digest_sha256(data, len, hex);
	snprintf(rel, sizeof rel, "public/.gen/%s/%s/_blobs/%s", gen, repo, hex);
	write_file(rel, data, len);
}

static void put_manifest(const char *gen, const char *repo, const char *body, const char *type,
			 char hex[SL_SHA256_HEX])
{
	char rel[512];
	sl_digest_sha256(body, strlen(body), hex);
	snprintf(rel, sizeof rel, "public/.gen/%s/%s/_manifests/%s", gen, repo, hex);
	write_str(rel, body);
	snprintf(rel, sizeof rel, "public/.gen/%s/%s/_manifests/%s.type", gen, repo, hex);
	char line[200];
	snprintf(line, sizeof line, "%s\n", type);
	write_str(rel, line);
}

static void put_tag(const char *gen, const char *repo, const char *tag, const char *hex)
{
	char rel[512], line[80];
	snprintf(rel, sizeof rel, "public/.gen/%s/%s/_tags/%s", gen, repo, tag);
	snprintf(line, sizeof line, "%s\n", hex);
	write_str(rel, line);
}

/* Switch public/oci/<source> atomically, as the publisher does. */
static void publish(const char *source, const char *gen)
{
	xsystem("mkdir -p '%s/public/oci' && ln -sfn '../.gen/%s' '%s/public/oci/.%s.tmp' && "
		"mv -T '%s/public/oci/.%s.tmp' '%s/public/oci/%s'", state, gen, state, source, state, source, state,
		source);
}

static void make_image(const char *gen, const char *repo, char *body, size_t cap)
{
	static const char config[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}";
	put_blob(gen, repo, config, strlen(config), cfg_hex);
	uint8_t *layer = malloc(LAYER_SIZE);
	assert_non_null(layer);
	for (size_t i = 0; i < LAYER_SIZE; i++)
		layer[i] = pattern(i, 5);
	put_blob(gen, repo, layer, LAYER_SIZE, layer_hex);
	free(layer);
	snprintf(body, cap,
		 "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MANIFEST "\",\"config\":{\"mediaType\":"
		 "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:%s\",\"size\":%zu},\"layers\":[{"
		 "\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:%s\",\"size\":%u}]}",
		 cfg_hex, strlen(config), layer_hex, LAYER_SIZE);
}

static void make_oci_tree(void)
{
	const char *g = "oci-hub-1", *alp = "library/alpine";
	make_image(g, alp, img_body, sizeof img_body);
	put_manifest(g, alp, img_body, OCI_MANIFEST, img_hex);
	char idx[1024];
	snprintf(idx, sizeof idx,
		 "{\"schemaVersion\":2,\"mediaType\":\"" OCI_INDEX "\",\"manifests\":[{\"mediaType\":\"" OCI_MANIFEST
		 "\",\"digest\":\"sha256:%s\",\"size\":%zu,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}",
		 img_hex, strlen(img_body));
	put_manifest(g, alp, idx, OCI_INDEX, index_hex);
	static const char *const tags[] = { "3.20", "latest", "a", "b", "c" };
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		put_tag(g, alp, tags[i], img_hex);
	put_tag(g, alp, "multi", index_hex);
	/* A large manifest: valid JSON padded with an annotation. */
	char *big = malloc(BIG_MANIFEST + 1);
	assert_non_null(big);
	int n = snprintf(big, BIG_MANIFEST, "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MANIFEST "\",\"annotations\":{\"pad\":\"");
	memset(big + n, 'x', BIG_MANIFEST - (size_t)n - 3);
	memcpy(big + BIG_MANIFEST - 3, "\"}}", 4);
	put_manifest(g, alp, big, OCI_MANIFEST, big_hex);
	put_tag(g, alp, "big", big_hex);
	free(big);
	/* Publisher mistakes served never shows: a tag without its manifest, bytes that lie about their digest,
	 * a symlinked blob. */
	put_tag(g, alp, "ghost", "1111111111111111111111111111111111111111111111111111111111111111");
	char rel[512];
	snprintf(rel, sizeof rel, "public/.gen/%s/%s/_manifests/%s", g, alp,
		 "2222222222222222222222222222222222222222222222222222222222222222");
	write_str(rel, "{\"schemaVersion\":2}");
	strcat(rel, ".type");
	write_str(rel, OCI_MANIFEST "\n");
	put_tag(g, alp, "tampered", "2222222222222222222222222222222222222222222222222222222222222222");
	xsystem("ln -s /etc/passwd '%s/public/.gen/%s/%s/_blobs/3333333333333333333333333333333333333333333333333333333333333333'",
		state, g, alp);

	const char *ngx = "library/nginx";
	static const char nblob[] = "nginx-only blob";
	put_blob(g, ngx, nblob, strlen(nblob), nginx_blob_hex);
	put_manifest(g, ngx, "{\"schemaVersion\":2,\"mediaType\":\"" DOCKER_MANIFEST "\"}", DOCKER_MANIFEST, nginx_hex);
	put_tag(g, ngx, "1.27", nginx_hex);
	/* In the generation but not in _catalog: not published. */
	put_manifest(g, "orphan/repo", "{\"schemaVersion\":2}", OCI_MANIFEST, moved_hex);
	put_tag(g, "orphan/repo", "1", moved_hex);
	snprintf(rel, sizeof rel, "public/.gen/%s/_catalog", g);
	write_str(rel, "library/alpine\nlibrary/nginx\nBad..Name\n");
	publish("hub", g);

	put_manifest("oci-local-1", "team/app", "{\"schemaVersion\":2,\"app\":1}", OCI_MANIFEST, app_hex);
	put_tag("oci-local-1", "team/app", "v1", app_hex);
	write_str("public/.gen/oci-local-1/_catalog", "team/app\n");
	publish("local", "oci-local-1");
	/* A source whose tree sits in .gen but was never switched to: invisible. */
	put_manifest("oci-unpub-1", "x/y", "{\"schemaVersion\":2}", OCI_MANIFEST, moved_hex);
	put_tag("oci-unpub-1", "x/y", "1", moved_hex);
	write_str("public/.gen/oci-unpub-1/_catalog", "x/y\n");
}

static int oci_setup(void **st)
{
	snprintf(state, sizeof state, "/tmp/sl-served-oci-XXXXXX");
	assert_non_null(mkdtemp(state));
	snprintf(pub, sizeof pub, "%s/public", state);
	make_oci_tree();
	memset(&cfg, 0, sizeof cfg);
	memset(oci_sources, 0, sizeof oci_sources);
	oci_sources[0] = (struct sl_source){ .name = "hub", .format = sl_format_find("oci"),
					     .registry = "https://registry-1.docker.io" };
	oci_sources[1] = (struct sl_source){ .name = "local", .format = sl_format_find("oci"),
					     .registry = "https://127.0.0.1:5000" };
	oci_sources[2] = (struct sl_source){ .name = "unpub", .format = sl_format_find("oci"),
					     .registry = "https://127.0.0.2" };
	oci_sources[3] = (struct sl_source){ .name = "deb", .format = sl_format_find("apt") };
	write_str("public/.gen/apt-deb-1/team/app/_tags/v1", "x\n");
	xsystem("mkdir -p '%s/public/apt' && ln -s ../.gen/apt-deb-1 '%s/public/apt/deb'", state, state);
	cfg.state_dir = state;
	cfg.listen = "127.0.0.1:0";
	cfg.threads = 4;
	cfg.map_budget = SL_MAPCACHE_BUDGET;
	cfg.connection_timeout_ms = 60000;
	cfg.sources = oci_sources;
	cfg.nsources = 4;
	char *cause = NULL;
	srv = start(&cause);
	if (srv == NULL)
		fail_msg("start: %s", cause);
	port = sl_served_port(srv);
	return 0;
}

/* ---- helpers ---- */

/* A response header with this exact value; a missing header fails with its name instead of crashing. */
static void expect_header(const struct resp *r, const char *name, const char *want)
{
	const char *got = hdr(r, name);
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: %s, expected %s", name, got != NULL ? got : "(absent)", want);
}

static void expect_error(const char *method, const char *path, long status, const char *code)
{
	struct resp r;
	http(method, path, NULL, &r);
	if (r.code != status)
		fail_msg("%s %s: %ld, expected %ld (%s)", method ? method : "GET", path, r.code, status,
			 r.body ? r.body : "");
	expect_header(&r, "Docker-Distribution-API-Version", "registry/2.0");
	if (method == NULL || strcmp(method, "HEAD") != 0) {
		expect_header(&r, "Content-Type", "application/json");
		char want[96];
		snprintf(want, sizeof want, "{\"errors\":[{\"code\":\"%s\",\"message\":", code);
		if (r.body == NULL || strncmp(r.body, want, strlen(want)) != 0)
			fail_msg("%s: body %s, expected code %s", path, r.body ? r.body : "(none)", code);
	}
	resp_free(&r);
}

static void expect_digest(const char *path, const char *hex, const char *type)
{
	struct resp r;
	http(NULL, path, NULL, &r);
	if (r.code != 200)
		fail_msg("%s: %ld %s", path, r.code, r.body ? r.body : "");
	char want[80], got[SL_SHA256_HEX];
	snprintf(want, sizeof want, "sha256:%s", hex);
	assert_string_equal(hdr(&r, "Docker-Content-Digest"), want);
	sl_digest_sha256(r.body, r.len, got);
	assert_string_equal(got, hex);
	if (type != NULL)
		assert_string_equal(hdr(&r, "Content-Type"), type);
	resp_free(&r);
}

/* ---- tests ---- */

static void test_base(void **st)
{
	struct resp r;
	http(NULL, "/v2/", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "{}");
	assert_string_equal(hdr(&r, "Docker-Distribution-API-Version"), "registry/2.0");
	assert_string_equal(hdr(&r, "Content-Type"), "application/json");
	resp_free(&r);
	http("HEAD", "/v2/", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, 0);
	assert_string_equal(hdr(&r, "Docker-Distribution-API-Version"), "registry/2.0");
	resp_free(&r);
}

static void test_manifests(void **st)
{
	struct resp r;
	const char *accept[] = { "Accept: " OCI_MANIFEST ", " OCI_INDEX, NULL };
	http(NULL, "/v2/hub/library/alpine/manifests/3.20", accept, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, img_body);
	assert_string_equal(hdr(&r, "Content-Type"), OCI_MANIFEST);
	char len[32], digest[80], etag[90];
	snprintf(len, sizeof len, "%zu", strlen(img_body));
	snprintf(digest, sizeof digest, "sha256:%s", img_hex);
	snprintf(etag, sizeof etag, "\"sha256:%s\"", img_hex);
	assert_string_equal(hdr(&r, "Content-Length"), len);
	assert_string_equal(hdr(&r, "Docker-Content-Digest"), digest);
	assert_string_equal(hdr(&r, "ETag"), etag);
	assert_string_equal(hdr(&r, "Cache-Control"), "no-cache");   /* a tag can move */
	assert_string_equal(hdr(&r, "Docker-Distribution-API-Version"), "registry/2.0");
	resp_free(&r);

	http("HEAD", "/v2/hub/library/alpine/manifests/3.20", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, 0);
	assert_string_equal(hdr(&r, "Content-Length"), len);
	assert_string_equal(hdr(&r, "Docker-Content-Digest"), digest);
	assert_string_equal(hdr(&r, "Content-Type"), OCI_MANIFEST);
	resp_free(&r);

	char path[256];
	snprintf(path, sizeof path, "/v2/hub/library/alpine/manifests/sha256:%s", img_hex);
	http(NULL, path, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, img_body);
	assert_string_equal(hdr(&r, "Cache-Control"), "public, max-age=31536000, immutable");
	resp_free(&r);

	expect_digest("/v2/hub/library/alpine/manifests/multi", index_hex, OCI_INDEX);
	snprintf(path, sizeof path, "/v2/hub/library/alpine/manifests/sha256:%s", index_hex);
	expect_digest(path, index_hex, OCI_INDEX);
	expect_digest("/v2/hub/library/nginx/manifests/1.27", nginx_hex, DOCKER_MANIFEST);
	/* Above the in-memory size: sent from the file, same headers and bytes. */
	expect_digest("/v2/hub/library/alpine/manifests/big", big_hex, OCI_MANIFEST);
	http("HEAD", "/v2/hub/library/alpine/manifests/big", NULL, &r);
	assert_int_equal(r.code, 200);
	snprintf(len, sizeof len, "%u", BIG_MANIFEST);
	assert_string_equal(hdr(&r, "Content-Length"), len);
	resp_free(&r);

	/* Conditional: the digest is the entity tag. */
	char inm[120];
	snprintf(inm, sizeof inm, "If-None-Match: W/\"x\", %s", etag);
	const char *cond[] = { inm, NULL };
	http(NULL, "/v2/hub/library/alpine/manifests/latest", cond, &r);
	assert_int_equal(r.code, 304);
	assert_int_equal(r.len, 0);
	assert_string_equal(hdr(&r, "Docker-Content-Digest"), digest);
	resp_free(&r);
	const char *other[] = { "If-None-Match: \"sha256:0000\"", NULL };
	http(NULL, "/v2/hub/library/alpine/manifests/latest", other, &r);
	assert_int_equal(r.code, 200);
	resp_free(&r);
}

static void test_blobs(void **st)
{
	char path[256], digest[80], len[32];
	snprintf(path, sizeof path, "/v2/hub/library/alpine/blobs/sha256:%s", layer_hex);
	snprintf(digest, sizeof digest, "sha256:%s", layer_hex);
	snprintf(len, sizeof len, "%u", LAYER_SIZE);
	struct resp r;
	http(NULL, path, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, LAYER_SIZE);
	for (size_t i = 0; i < LAYER_SIZE; i++)
		if ((uint8_t)r.body[i] != pattern(i, 5))
			fail_msg("byte %zu differs", i);
	assert_string_equal(hdr(&r, "Content-Type"), "application/octet-stream");
	assert_string_equal(hdr(&r, "Docker-Content-Digest"), digest);
	assert_string_equal(hdr(&r, "Content-Length"), len);
	assert_string_equal(hdr(&r, "Accept-Ranges"), "bytes");
	assert_string_equal(hdr(&r, "Cache-Control"), "public, max-age=31536000, immutable");
	assert_string_equal(hdr(&r, "Docker-Distribution-API-Version"), "registry/2.0");
	resp_free(&r);

	http("HEAD", path, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, 0);
	assert_string_equal(hdr(&r, "Content-Length"), len);
	assert_string_equal(hdr(&r, "Docker-Content-Digest"), digest);
	resp_free(&r);

	/* Resumed pulls: one range, open-ended, suffix; unsatisfiable; If-Range with a stale validator. */
	const char *h1[] = { "Range: bytes=1000-1999", NULL };
	http(NULL, path, h1, &r);
	assert_int_equal(r.code, 206);
	assert_int_equal(r.len, 1000);
	assert_int_equal((uint8_t)r.body[0], pattern(1000, 5));
	char cr[80];
	snprintf(cr, sizeof cr, "bytes 1000-1999/%u", LAYER_SIZE);
	assert_string_equal(hdr(&r, "Content-Range"), cr);
	resp_free(&r);
	const char *h2[] = { "Range: bytes=3145000-", NULL };
	http(NULL, path, h2, &r);
	assert_int_equal(r.code, 206);
	assert_int_equal(r.len, LAYER_SIZE - 3145000);
	resp_free(&r);
	const char *h3[] = { "Range: bytes=-10", NULL };
	http(NULL, path, h3, &r);
	assert_int_equal(r.code, 206);
	assert_int_equal(r.len, 10);
	assert_int_equal((uint8_t)r.body[9], pattern(LAYER_SIZE - 1, 5));
	resp_free(&r);
	const char *h4[] = { "Range: bytes=99999999-", NULL };
	http(NULL, path, h4, &r);
	assert_int_equal(r.code, 416);
	snprintf(cr, sizeof cr, "bytes */%u", LAYER_SIZE);
	assert_string_equal(hdr(&r, "Content-Range"), cr);
	resp_free(&r);
	const char *h5[] = { "Range: bytes=0-9", "If-Range: \"sha256:0000\"", NULL };
	http(NULL, path, h5, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, LAYER_SIZE);
	resp_free(&r);
	const char *h6[] = { "Range: bytes=0-9,20-29", NULL };   /* several ranges: the whole blob */
	http(NULL, path, h6, &r);
	assert_int_equal(r.code, 200);
	resp_free(&r);
	char inm[100];
	snprintf(inm, sizeof inm, "If-None-Match: \"%s\"", digest);
	const char *h7[] = { inm, NULL };
	http(NULL, path, h7, &r);
	assert_int_equal(r.code, 304);
	resp_free(&r);

	/* files.c's answer with the registry's validator: the unsatisfiable range still names the blob, the
	 * digest is the only validator (no Last-Modified, so no date can stand for it), and a current
	 * If-Range keeps the range. */
	http(NULL, path, h4, &r);
	assert_int_equal(r.code, 416);
	expect_header(&r, "Docker-Content-Digest", digest);
	expect_header(&r, "Docker-Distribution-API-Version", "registry/2.0");
	resp_free(&r);
	http(NULL, path, NULL, &r);
	assert_null(hdr(&r, "Last-Modified"));
	resp_free(&r);
	const char *h8[] = { "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT", NULL };
	http(NULL, path, h8, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, LAYER_SIZE);
	resp_free(&r);
	char ifr[100];
	snprintf(ifr, sizeof ifr, "If-Range: \"%s\"", digest);
	const char *h9[] = { "Range: bytes=0-9", ifr, NULL };
	http(NULL, path, h9, &r);
	assert_int_equal(r.code, 206);
	assert_int_equal(r.len, 10);
	resp_free(&r);
	const char *h10[] = { "Range: bytes=0-9", "If-Range: Fri, 01 Jan 2100 00:00:00 GMT", NULL };
	http(NULL, path, h10, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.len, LAYER_SIZE);
	resp_free(&r);
	http(NULL, path, h7, &r);
	assert_int_equal(r.code, 304);
	assert_int_equal(r.len, 0);
	expect_header(&r, "Docker-Content-Digest", digest);
	expect_header(&r, "Docker-Distribution-API-Version", "registry/2.0");
	expect_header(&r, "Cache-Control", "public, max-age=31536000, immutable");
	resp_free(&r);

	snprintf(path, sizeof path, "/v2/hub/library/alpine/blobs/sha256:%s", cfg_hex);
	expect_digest(path, cfg_hex, "application/octet-stream");
	/* A small blob (read and sent with its headers) by range. */
	const char *h11[] = { "Range: bytes=1-12", NULL };
	http(NULL, path, h11, &r);
	assert_int_equal(r.code, 206);
	assert_int_equal(r.len, 12);
	assert_memory_equal(r.body, "\"architecture", 12);
	snprintf(digest, sizeof digest, "sha256:%s", cfg_hex);
	expect_header(&r, "Docker-Content-Digest", digest);
	resp_free(&r);
	/* A manifest through the blob endpoint, as registries allow. */
	snprintf(path, sizeof path, "/v2/hub/library/alpine/blobs/sha256:%s", img_hex);
	expect_digest(path, img_hex, "application/octet-stream");
}

static void test_blob_visibility(void **st)
{
	char path[256];
	/* In the store and served for nginx, but no published image of alpine references it. */
	snprintf(path, sizeof path, "/v2/hub/library/nginx/blobs/sha256:%s", nginx_blob_hex);
	expect_digest(path, nginx_blob_hex, NULL);
	snprintf(path, sizeof path, "/v2/hub/library/alpine/blobs/sha256:%s", nginx_blob_hex);
	expect_error(NULL, path, 404, "BLOB_UNKNOWN");
	expect_error("HEAD", path, 404, "BLOB_UNKNOWN");
	snprintf(path, sizeof path, "/v2/hub/library/nginx/blobs/sha256:%s", layer_hex);
	expect_error(NULL, path, 404, "BLOB_UNKNOWN");
	/* A symlink in _blobs is never followed. */
	expect_error(NULL, "/v2/hub/library/alpine/blobs/"
			   "sha256:3333333333333333333333333333333333333333333333333333333333333333", 404, "BLOB_UNKNOWN");
	expect_error(NULL, "/v2/hub/library/alpine/blobs/"
			   "sha256:4444444444444444444444444444444444444444444444444444444444444444", 404, "BLOB_UNKNOWN");
}

static void test_unpublished_invisible(void **st)
{
	expect_error(NULL, "/v2/hub/library/alpine/manifests/nope", 404, "MANIFEST_UNKNOWN");
	expect_error("HEAD", "/v2/hub/library/alpine/manifests/nope", 404, "MANIFEST_UNKNOWN");
	expect_error(NULL, "/v2/hub/library/alpine/manifests/"
			   "sha256:5555555555555555555555555555555555555555555555555555555555555555", 404, "MANIFEST_UNKNOWN");
	/* A manifest of nginx is unknown under alpine. */
	char path[256];
	snprintf(path, sizeof path, "/v2/hub/library/alpine/manifests/sha256:%s", nginx_hex);
	expect_error(NULL, path, 404, "MANIFEST_UNKNOWN");
	/* Publisher mistakes: a tag without its manifest, a manifest whose bytes do not match its digest. */
	expect_error(NULL, "/v2/hub/library/alpine/manifests/ghost", 404, "MANIFEST_UNKNOWN");
	expect_error(NULL, "/v2/hub/library/alpine/manifests/tampered", 404, "MANIFEST_UNKNOWN");
	expect_error(NULL, "/v2/hub/library/alpine/manifests/"
			   "sha256:2222222222222222222222222222222222222222222222222222222222222222", 404, "MANIFEST_UNKNOWN");
	expect_error(NULL, "/v2/hub/library/redis/manifests/latest", 404, "NAME_UNKNOWN");
	expect_error(NULL, "/v2/hub/orphan/repo/manifests/1", 404, "NAME_UNKNOWN");    /* not in _catalog */
	expect_error(NULL, "/v2/unpub/x/y/manifests/1", 404, "NAME_UNKNOWN");          /* never switched to */
	expect_error(NULL, "/v2/local/team/app/manifests/latest", 404, "MANIFEST_UNKNOWN");
	/* An apt source is no registry: the name falls through to the Docker Hub source, which lacks it. */
	expect_error(NULL, "/v2/deb/team/app/manifests/v1", 404, "NAME_UNKNOWN");
	expect_error(NULL, "/v2/hub/library/alpine/tags/list/x", 404, "UNSUPPORTED");
	expect_error(NULL, "/v2/hub/library/alpine/referrers/sha256:" "5555555555555555555555555555555555555555555555555555555555555555", 404, "UNSUPPORTED");
	expect_error(NULL, "/v2/hub/library/alpine/blobs/uploads/", 404, "BLOB_UPLOAD_UNKNOWN");
}

static void test_hostile_names_and_digests(void **st)
{
	static const char *const bad_names[] = {
		"/v2/hub/Library/alpine/manifests/3.20",     "/v2/hub//alpine/manifests/3.20",
		"/v2/hub/library/alpine./manifests/3.20",    "/v2/hub/-x/manifests/3.20",
		"/v2/hub/a..b/manifests/3.20",               "/v2/hub/a___b/manifests/3.20",
		"/v2/hub/library/alpine/../nginx/manifests/1.27", "/v2/../../etc/manifests/passwd",
		"/v2/hub/%2e%2e/manifests/x",                "/v2/hub/a%2fb/manifests/x",
		"/v2/hub/a%00b/manifests/x",                 "/v2/hub/a%zz/manifests/x",
		"/v2/hub/.gen/manifests/x",                  "/v2/hub/a\\b/manifests/x",
		"/v2//manifests/x",
	};
	for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
		expect_error(NULL, bad_names[i], 400, "NAME_INVALID");
	static const char *const bad_digests[] = {
		"/v2/hub/library/alpine/blobs/sha256:../../../../etc/passwd",
		"/v2/hub/library/alpine/blobs/sha256:%2e%2e",
		"/v2/hub/library/alpine/blobs/sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
		"/v2/hub/library/alpine/blobs/sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
		"/v2/hub/library/alpine/blobs/sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"/v2/hub/library/alpine/blobs/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"/v2/hub/library/alpine/blobs/sha256:",
		"/v2/hub/library/alpine/manifests/sha256:xyz",
		"/v2/hub/library/alpine/manifests/sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
	};
	for (size_t i = 0; i < sizeof bad_digests / sizeof bad_digests[0]; i++)
		expect_error(NULL, bad_digests[i], 400, "DIGEST_INVALID");
	expect_error(NULL, "/v2/hub/library/alpine/manifests/.hidden", 400, "TAG_INVALID");
	expect_error(NULL, "/v2/hub/library/alpine/manifests/-x", 400, "TAG_INVALID");
	char longtag[200] = "/v2/hub/library/alpine/manifests/";
	memset(longtag + strlen(longtag), 'a', 129);
	expect_error(NULL, longtag, 400, "TAG_INVALID");
	expect_error(NULL, "/v2/hub/library/alpine/manifests/3.20?ns=evil/host", 400, "NAME_INVALID");
	/* Raw forms curl would normalise. */
	char buf[4096];
	assert_int_equal(raw_get("/v2/hub/library/alpine/blobs/sha256:..%2f..%2fetc", buf, sizeof buf), 400);
	assert_int_equal(raw_get("/v2/hub/library/alpine/../alpine/manifests/3.20", buf, sizeof buf), 400);
	assert_non_null(strstr(buf, "NAME_INVALID"));
}

static void test_tags_pagination(void **st)
{
	struct resp r;
	http(NULL, "/v2/hub/library/alpine/tags/list", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "{\"name\":\"hub/library/alpine\",\"tags\":[\"3.20\",\"a\",\"b\",\"big\",\"c\","
				    "\"latest\",\"multi\"]}\n");
	assert_null(hdr(&r, "Link"));
	assert_string_equal(hdr(&r, "Content-Type"), "application/json");
	resp_free(&r);

	http(NULL, "/v2/hub/library/alpine/tags/list?n=2", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "{\"name\":\"hub/library/alpine\",\"tags\":[\"3.20\",\"a\"]}\n");
	assert_string_equal(hdr(&r, "Link"), "</v2/hub/library/alpine/tags/list?n=2&last=a>; rel=\"next\"");
	resp_free(&r);
	http(NULL, "/v2/hub/library/alpine/tags/list?n=2&last=a", NULL, &r);
	assert_string_equal(r.body, "{\"name\":\"hub/library/alpine\",\"tags\":[\"b\",\"big\"]}\n");
	resp_free(&r);
	/* The last page has no Link; `last` need not be a tag; past the end is empty. */
	http(NULL, "/v2/hub/library/alpine/tags/list?n=3&last=bz", NULL, &r);
	assert_string_equal(r.body, "{\"name\":\"hub/library/alpine\",\"tags\":[\"c\",\"latest\",\"multi\"]}\n");
	assert_null(hdr(&r, "Link"));
	resp_free(&r);
	http(NULL, "/v2/hub/library/alpine/tags/list?last=zzz", NULL, &r);
	assert_string_equal(r.body, "{\"name\":\"hub/library/alpine\",\"tags\":[]}\n");
	resp_free(&r);
	http(NULL, "/v2/hub/library/alpine/tags/list?n=0", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "{\"name\":\"hub/library/alpine\",\"tags\":[]}\n");
	assert_null(hdr(&r, "Link"));
	resp_free(&r);
	http(NULL, "/v2/hub/library/alpine/tags/list?n=999999999999", NULL, &r);   /* clamped, not refused */
	assert_int_equal(r.code, 200);
	resp_free(&r);
	expect_error(NULL, "/v2/hub/library/alpine/tags/list?n=-1", 400, "PAGINATION_NUMBER_INVALID");
	expect_error(NULL, "/v2/hub/library/alpine/tags/list?n=abc", 400, "PAGINATION_NUMBER_INVALID");
	expect_error(NULL, "/v2/hub/library/alpine/tags/list?n=99999999999999999999999", 400,
		     "PAGINATION_NUMBER_INVALID");
	expect_error(NULL, "/v2/hub/library/alpine/tags/list?last=%zz", 400, "PAGINATION_NUMBER_INVALID");
	expect_error(NULL, "/v2/hub/library/redis/tags/list", 404, "NAME_UNKNOWN");
	http(NULL, "/v2/local/team/app/tags/list", NULL, &r);
	assert_string_equal(r.body, "{\"name\":\"local/team/app\",\"tags\":[\"v1\"]}\n");
	resp_free(&r);
	/* Following the Link through every page yields every tag once, in order. */
	char next[512] = "/v2/hub/library/alpine/tags/list?n=1";
	char seen[512] = "";
	for (int pages = 0; next[0] != '\0'; pages++) {
		assert_true(pages < 10);
		http(NULL, next, NULL, &r);
		assert_int_equal(r.code, 200);
		char *t = strstr(r.body, "\"tags\":[");
		strncat(seen, t + 8, strcspn(t + 8, "]"));
		strcat(seen, ";");
		const char *link = hdr(&r, "Link");
		next[0] = '\0';
		if (link != NULL)
			snprintf(next, sizeof next, "%.*s", (int)(strchr(link, '>') - link - 1), link + 1);
		resp_free(&r);
	}
	assert_string_equal(seen, "\"3.20\";\"a\";\"b\";\"big\";\"c\";\"latest\";\"multi\";");
}

static void test_catalog(void **st)
{
	struct resp r;
	http(NULL, "/v2/_catalog", NULL, &r);
	assert_int_equal(r.code, 200);
	/* Sorted across sources; the invalid _catalog line, the orphan and the unpublished source are absent. */
	assert_string_equal(r.body, "{\"repositories\":[\"hub/library/alpine\",\"hub/library/nginx\","
				    "\"local/team/app\"]}\n");
	assert_string_equal(hdr(&r, "Docker-Distribution-API-Version"), "registry/2.0");
	resp_free(&r);
	http(NULL, "/v2/_catalog?n=1&last=hub/library/alpine", NULL, &r);
	assert_string_equal(r.body, "{\"repositories\":[\"hub/library/nginx\"]}\n");
	assert_string_equal(hdr(&r, "Link"), "</v2/_catalog?n=1&last=hub/library/nginx>; rel=\"next\"");
	resp_free(&r);
	http(NULL, "/v2/_catalog?n=5&last=hub%2Flibrary%2Fnginx", NULL, &r);   /* encoded, as clients send it */
	assert_string_equal(r.body, "{\"repositories\":[\"local/team/app\"]}\n");
	assert_null(hdr(&r, "Link"));
	resp_free(&r);
	expect_error(NULL, "/v2/_catalog?n=x", 400, "PAGINATION_NUMBER_INVALID");
	/* A catalogue entry is "<source>/<repository>", up to SL_MAX_NAME + 1 + SL_MAX_OCI_REPO bytes: a Link's
	 * last= that long is accepted (it sorts before every entry here), one byte more is not. */
	char path[SL_MAX_NAME + SL_MAX_OCI_REPO + 64];
	int n = snprintf(path, sizeof path, "/v2/_catalog?last=hub/");
	memset(path + n, 'a', SL_MAX_NAME + 1 + SL_MAX_OCI_REPO - 4);
	path[n + SL_MAX_NAME + 1 + SL_MAX_OCI_REPO - 4] = '\0';
	http(NULL, path, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "{\"repositories\":[\"hub/library/alpine\",\"hub/library/nginx\","
				    "\"local/team/app\"]}\n");
	resp_free(&r);
	strcat(path, "a");
	expect_error(NULL, path, 400, "PAGINATION_NUMBER_INVALID");
}

static void test_mirror_forms(void **st)
{
	/* containerd hosts.toml: the upstream name plus ?ns=<registry host>. */
	expect_digest("/v2/library/alpine/manifests/3.20?ns=docker.io", img_hex, OCI_MANIFEST);
	expect_digest("/v2/team/app/manifests/v1?ns=127.0.0.1:5000", app_hex, NULL);
	expect_digest("/v2/team/app/manifests/v1?ns=127.0.0.1%3A5000", app_hex, NULL);
	char path[256];
	snprintf(path, sizeof path, "/v2/library/alpine/blobs/sha256:%s?ns=docker.io", cfg_hex);
	expect_digest(path, cfg_hex, NULL);
	expect_error(NULL, "/v2/library/alpine/manifests/3.20?ns=quay.io", 404, "NAME_UNKNOWN");
	expect_error(NULL, "/v2/team/app/manifests/v1?ns=docker.io", 404, "NAME_UNKNOWN");
	/* Docker's registry-mirrors: Docker Hub names without a prefix, library/ added when left out. */
	expect_digest("/v2/library/alpine/manifests/3.20", img_hex, OCI_MANIFEST);
	expect_digest("/v2/alpine/manifests/3.20", img_hex, OCI_MANIFEST);
	expect_digest("/v2/library/nginx/manifests/1.27", nginx_hex, DOCKER_MANIFEST);
	struct resp r;
	http(NULL, "/v2/library/alpine/tags/list?n=1&ns=docker.io", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "{\"name\":\"library/alpine\",\"tags\":[\"3.20\"]}\n");
	assert_string_equal(hdr(&r, "Link"), "</v2/library/alpine/tags/list?n=1&last=3.20&ns=docker.io>; rel=\"next\"");
	resp_free(&r);
}

/* The registry is read-only: every write method gets 405 with the spec's UNSUPPORTED error JSON, on
 * upload, manifest and base paths alike, with or without a body, and nothing changes. Other routes keep
 * the plain-text 405 (test_served.c). */
static void test_write_methods_refused(void **st)
{
	static const char *const methods[] = { "POST", "PUT", "PATCH", "DELETE" };
	static const char *const paths[] = { "/v2/hub/library/alpine/blobs/uploads/",
					     "/v2/hub/library/alpine/manifests/3.20", "/v2/", "/v2/_catalog",
					     "/v2/no/such/repo/blobs/uploads/" };
	for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
		for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
			expect_error(methods[m], paths[p], 405, "UNSUPPORTED");
			struct resp r;
			http(methods[m], paths[p], NULL, &r);
			expect_header(&r, "Allow", "GET, HEAD");
			expect_header(&r, "Cache-Control", "no-store");
			char len[24];
			snprintf(len, sizeof len, "%zu", r.len);
			expect_header(&r, "Content-Length", len);
			assert_string_equal(r.body, "{\"errors\":[{\"code\":\"UNSUPPORTED\",\"message\":"
						    "\"this registry is a read-only mirror\"}]}\n");
			resp_free(&r);
		}
	}
	/* What `docker push` sends: a manifest PUT with its body. Refused before the body is read. */
	char req[1024], buf[8192];
	int n = snprintf(req, sizeof req,
			 "PUT /v2/hub/library/alpine/manifests/3.20 HTTP/1.1\r\nHost: t\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 OCI_MANIFEST, strlen("{\"schemaVersion\":2}"), "{\"schemaVersion\":2}");
	assert_int_equal(raw(req, (size_t)n, buf, sizeof buf), 405);
	assert_non_null(strstr(buf, "\r\n\r\n{\"errors\":[{\"code\":\"UNSUPPORTED\","));
	assert_non_null(strcasestr(buf, "\r\nContent-Type: application/json\r\n"));
	/* Nothing was written anywhere: the tag still names the same manifest. */
	expect_digest("/v2/hub/library/alpine/manifests/3.20", img_hex, OCI_MANIFEST);
}

static void test_status_snippet(void **st)
{
	struct resp r;
	http(NULL, "/", NULL, &r);
	assert_int_equal(r.code, 200);
	char want[128];
	snprintf(want, sizeof want, "skopeo inspect docker://127.0.0.1:%u/hub/REPOSITORY:TAG", (unsigned)port);
	assert_non_null(strstr(r.body, want));
	assert_non_null(strstr(r.body, "/etc/containerd/certs.d/docker.io/hosts.toml"));
	assert_non_null(strstr(r.body, "/etc/containerd/certs.d/127.0.0.1:5000/hosts.toml"));
	assert_non_null(strstr(r.body, "registry-mirrors"));
	resp_free(&r);
}

/* ---- generation switches under load ---- */

struct hammer {
	atomic_bool stop;
	atomic_int bad, ok;
	char hex_a[SL_SHA256_HEX], hex_b[SL_SHA256_HEX];
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	while (!atomic_load(&h->stop)) {
		struct resp r;
		http(NULL, "/v2/hub/library/alpine/manifests/latest", NULL, &r);
		char got[SL_SHA256_HEX], want[120];
		sl_digest_sha256(r.body != NULL ? r.body : "", r.len, got);
		/* hdr() has one static buffer: not for threads. */
		snprintf(want, sizeof want, "\nDocker-Content-Digest: sha256:%s\r\n", got);
		if (r.code != 200 || strstr(r.headers, want) == NULL ||
		    (strcmp(got, h->hex_a) != 0 && strcmp(got, h->hex_b) != 0)) {
			if (atomic_fetch_add(&h->bad, 1) == 0)
				print_message("during switches: %ld %s\n", r.code, r.body != NULL ? r.body : "");
		} else {
			atomic_fetch_add(&h->ok, 1);
		}
		resp_free(&r);
	}
	return NULL;
}

static void test_generation_switch(void **st)
{
	/* Generation 2: "latest" moved to a new manifest, nginx gone. */
	const char *g2 = "oci-hub-2", *alp = "library/alpine";
	char body2[1024], hex2[SL_SHA256_HEX];
	make_image(g2, alp, body2, sizeof body2);
	snprintf(body2 + strlen(body2) - 1, sizeof body2 - strlen(body2) + 1, ",\"annotations\":{\"v\":\"2\"}}");
	put_manifest(g2, alp, body2, OCI_MANIFEST, hex2);
	put_tag(g2, alp, "latest", hex2);
	write_str("public/.gen/oci-hub-2/_catalog", "library/alpine\n");

	struct hammer h = { .stop = false };
	snprintf(h.hex_a, sizeof h.hex_a, "%s", img_hex);
	snprintf(h.hex_b, sizeof h.hex_b, "%s", hex2);
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer_thread, &h), 0);
	for (int i = 0; i < 40; i++) {
		publish("hub", i % 2 == 0 ? g2 : "oci-hub-1");
		usleep(5000);
	}
	publish("hub", g2);
	usleep(20000);
	atomic_store(&h.stop, true);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&h.bad), 0);
	assert_true(atomic_load(&h.ok) > 0);

	expect_digest("/v2/hub/library/alpine/manifests/latest", hex2, OCI_MANIFEST);
	expect_error(NULL, "/v2/hub/library/alpine/manifests/3.20", 404, "MANIFEST_UNKNOWN");
	expect_error(NULL, "/v2/hub/library/nginx/manifests/1.27", 404, "NAME_UNKNOWN");
	/* The old generation goes (publisher's grace over): nothing of it is served. */
	xsystem("rm -rf '%s/public/.gen/oci-hub-1'", state);
	expect_digest("/v2/hub/library/alpine/manifests/latest", hex2, OCI_MANIFEST);
	/* Unpublishing the source hides all of it. */
	xsystem("rm '%s/public/oci/hub'", state);
	expect_error(NULL, "/v2/hub/library/alpine/manifests/latest", 404, "NAME_UNKNOWN");
	expect_error(NULL, "/v2/library/alpine/manifests/latest", 404, "NAME_UNKNOWN");
	/* A link of another shape is not followed. */
	xsystem("ln -s /tmp '%s/public/oci/hub'", state);
	expect_error(NULL, "/v2/hub/library/alpine/manifests/latest", 404, "NAME_UNKNOWN");
	xsystem("rm '%s/public/oci/hub'", state);
	publish("hub", g2);
	expect_digest("/v2/hub/library/alpine/manifests/latest", hex2, OCI_MANIFEST);
	/* A generation that cannot be indexed (two identical repositories) is a server error, not a guess. */
	write_str("public/.gen/oci-hub-3/_catalog", "library/alpine\nlibrary/alpine\n");
	xsystem("mkdir -p '%s/public/.gen/oci-hub-3/library/alpine'", state);
	publish("hub", "oci-hub-3");
	expect_error(NULL, "/v2/hub/library/alpine/manifests/latest", 500, "UNKNOWN");
	publish("hub", g2);
	expect_digest("/v2/hub/library/alpine/manifests/latest", hex2, OCI_MANIFEST);
}

int main(void)
{
	sl_log_open("test_served_oci", true, getenv("SL_TEST_VERBOSE") != NULL ? SL_LOG_DEBUG : SL_LOG_ERR);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base),
		cmocka_unit_test(test_manifests),
		cmocka_unit_test(test_blobs),
		cmocka_unit_test(test_blob_visibility),
		cmocka_unit_test(test_unpublished_invisible),
		cmocka_unit_test(test_hostile_names_and_digests),
		cmocka_unit_test(test_tags_pagination),
		cmocka_unit_test(test_catalog),
		cmocka_unit_test(test_mirror_forms),
		cmocka_unit_test(test_write_methods_refused),
		cmocka_unit_test(test_status_snippet),
		cmocka_unit_test(test_generation_switch),
	};
	int rc = cmocka_run_group_tests(tests, oci_setup, teardown);
	curl_global_cleanup();
	return rc;
}
