/* Tests for core/oci (manifest and index parsing, name rules, image references, tag globs, platforms),
 * the registry client's Link parsing and the OCI publisher's path-per-role gate. Every refusal is checked
 * with its error code: these are the gates between upstream bytes and file names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin/publish_oci.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/oci.h"
#include "syncd/registry.h"

#define H1 "7b9a53356827d2398550b1162b08e1577aac3d3970cb8c6047146a99dcd42274"
#define H2 "9b08dc8307ed6b89994db2a3df416050345967b93f2490810b6acd1eb01c28f7"
#define H3 "908bf81009b084acb3a869a626f3ad0287d150f5ea8fe61ded91a574eaf40c78"

static const char image_oci[] =
	"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	"\"digest\":\"sha256:" H3 "\",\"size\":384},\"layers\":[{\"mediaType\":"
	"\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:" H1 "\",\"size\":136}]}";

static const char index_oci[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" H1 "\",\"size\":345,"
	"\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" H2 "\",\"size\":345,"
	"\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" H3 "\",\"size\":566,"
	"\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}}]}";

static int parse(const char *text, const char *ct, struct sl_oci_manifest *m)
{
	char *cause = NULL;
	int rc = sl_oci_parse(text, strlen(text), ct, m, &cause);
	if (rc < 0) {
		assert_non_null(cause);   /* every refusal explains itself */
		free(cause);
	}
	return rc;
}

static void test_parse_image(void **state)
{
	(void)state;
	struct sl_oci_manifest m;
	/* umoci writes no mediaType: the Content-Type decides, and without one the shape does. */
	assert_int_equal(parse(image_oci, SL_OCI_MT_OCI_MANIFEST "; charset=utf-8", &m), 0);
	assert_int_equal(m.kind, SL_OCI_IMAGE);
	assert_string_equal(m.media_type, SL_OCI_MT_OCI_MANIFEST);
	assert_string_equal(m.config.digest, H3);
	assert_int_equal(m.config.size, 384);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.descs[0].digest, H1);
	sl_oci_manifest_release(&m);
	assert_int_equal(parse(image_oci, NULL, &m), 0);
	assert_string_equal(m.media_type, SL_OCI_MT_OCI_MANIFEST);
	sl_oci_manifest_release(&m);
	sl_oci_manifest_release(&m);   /* twice is harmless */
}

static void test_parse_index(void **state)
{
	(void)state;
	struct sl_oci_manifest m;
	assert_int_equal(parse(index_oci, SL_OCI_MT_OCI_INDEX, &m), 0);
	assert_int_equal(m.kind, SL_OCI_INDEX);
	assert_int_equal(m.n, 3);
	assert_true(m.descs[1].has_platform);
	assert_string_equal(m.descs[1].platform.arch, "arm64");
	assert_string_equal(m.descs[1].platform.variant, "v8");
	char buf[64];
	assert_int_equal(sl_oci_platform_format(&m.descs[1].platform, buf, sizeof buf), 0);
	assert_string_equal(buf, "linux/arm64/v8");
	assert_true(sl_oci_platform_match(&m.descs[1].platform, "linux/arm64"));
	assert_true(sl_oci_platform_match(&m.descs[1].platform, "linux/arm64/v8"));
	assert_false(sl_oci_platform_match(&m.descs[1].platform, "linux/arm64/v7"));
	assert_false(sl_oci_platform_match(&m.descs[0].platform, "linux/arm64"));
	assert_true(sl_oci_platform_match(&m.descs[0].platform, "linux/amd64"));
	assert_int_equal(sl_oci_platform_format(&m.descs[1].platform, buf, 5), -SL_E_TOOBIG);
	sl_oci_manifest_release(&m);
}

/* Platform narrowing of index_oci (amd64, arm64/v8, an attestation): all, one (narrowed), none. */
static void test_index_plan(void **state)
{
	(void)state;
	struct sl_oci_manifest m;
	struct sl_oci_index_plan p;
	assert_int_equal(parse(index_oci, SL_OCI_MT_OCI_INDEX, &m), 0);
	assert_int_equal(sl_oci_index_plan(&m, NULL, 0, &p), 0);
	assert_true(p.all);
	assert_false(p.narrowed);
	assert_int_equal(p.nreal, 2);
	for (size_t i = 0; i < m.n; i++)
		assert_true(sl_oci_index_loads(&p, &m, i, NULL, 0));
	/* Both real platforms configured: still everything, the attestation included. */
	const char *both[] = { "linux/amd64", "linux/arm64" };
	assert_int_equal(sl_oci_index_plan(&m, both, 2, &p), 0);
	assert_true(p.all);
	assert_true(sl_oci_index_loads(&p, &m, 2, both, 2));
	/* One: narrowed to it; neither the other platform nor the attestation is loaded. */
	const char *arm[] = { "linux/arm64" };
	assert_int_equal(sl_oci_index_plan(&m, arm, 1, &p), 0);
	assert_false(p.all);
	assert_true(p.narrowed);
	assert_int_equal(p.narrowed_to, 1);
	assert_false(sl_oci_index_loads(&p, &m, 0, arm, 1));
	assert_true(sl_oci_index_loads(&p, &m, 1, arm, 1));
	assert_false(sl_oci_index_loads(&p, &m, 2, arm, 1));
	assert_false(sl_oci_index_loads(&p, &m, 3, arm, 1));
	/* None: refused. */
	const char *s390[] = { "linux/s390x" };
	assert_int_equal(sl_oci_index_plan(&m, s390, 1, &p), -SL_E_MISMATCH);
	sl_oci_manifest_release(&m);
}

/* Replace the first `from` in `base` with `to`, parse, and return the code. */
static int parse_edit(const char *base, const char *from, const char *to, const char *ct)
{
	const char *at = strstr(base, from);
	assert_non_null(at);
	size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);
	assert_non_null(s);
	snprintf(s, n, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
	struct sl_oci_manifest m;
	int rc = parse(s, ct, &m);
	sl_oci_manifest_release(&m);
	free(s);
	return rc;
}

static void test_parse_refusals(void **state)
{
	(void)state;
	const char *ct = SL_OCI_MT_OCI_MANIFEST;
	/* Digests: path characters, other algorithms, wrong length, uppercase. */
	assert_int_equal(parse_edit(image_oci, "sha256:" H1, "sha256:../../../etc/passwd", ct), -SL_E_BADNAME);
	assert_int_equal(parse_edit(image_oci, "sha256:" H1, "sha512:" H1 H1, ct), -SL_E_UNSUPPORTED);
	assert_int_equal(parse_edit(image_oci, "sha256:" H1, "sha256:" H1 "0", ct), -SL_E_BADNAME);
	assert_int_equal(parse_edit(image_oci, "sha256:7b9a", "sha256:7B9A", ct), -SL_E_BADNAME);
	assert_int_equal(parse_edit(image_oci, "\"digest\":\"sha256:" H1 "\",", "", ct), -SL_E_PARSE);
	/* Sizes and media types. */
	assert_int_equal(parse_edit(image_oci, "\"size\":136", "\"size\":-1", ct), -SL_E_PARSE);
	assert_int_equal(parse_edit(image_oci, "\"size\":136", "\"size\":\"136\"", ct), -SL_E_PARSE);
	assert_int_equal(parse_edit(image_oci, "\"size\":136", "\"size\":99999999999999999", ct), -SL_E_PARSE);
	assert_int_equal(parse_edit(image_oci, "tar+gzip", "x-unknown", ct), -SL_E_UNSUPPORTED);
	/* A Content-Type that names no manifest kind (text/html from a proxy) is not trusted either way. */
	struct sl_oci_manifest m;
	assert_int_equal(parse(image_oci, "text/html", &m), 0);
	sl_oci_manifest_release(&m);
	/* Schema 1, wrong schemaVersion, not JSON, duplicate keys, not an object. */
	assert_int_equal(parse_edit(image_oci, "\"schemaVersion\":2", "\"schemaVersion\":1", ct), -SL_E_UNSUPPORTED);
	assert_int_equal(parse_edit(image_oci, "\"schemaVersion\":2", "\"schemaVersion\":3", ct), -SL_E_PARSE);
	assert_int_equal(parse_edit(image_oci, "{\"schemaVersion\":2,", "{\"schemaVersion\":2,\"schemaVersion\":2,", ct),
			 -SL_E_PARSE);
	assert_int_equal(parse_edit(image_oci, "{", "[", ct), -SL_E_PARSE);
	assert_int_equal(parse("[]", ct, &m), -SL_E_PARSE);
	/* Content-Type and body disagree; a shape that contradicts the type. */
	assert_int_equal(parse(index_oci, SL_OCI_MT_DOCKER_LIST, &m), -SL_E_MISMATCH);
	assert_int_equal(parse_edit(index_oci, "\"manifests\":[", "\"config\":{},\"manifests\":[", NULL), -SL_E_PARSE);
	/* Index children: nested index, platform with '/', over-sized child, unknown type. */
	assert_int_equal(parse_edit(index_oci, "image.manifest.v1+json\",\"digest\":\"sha256:" H1,
				    "image.index.v1+json\",\"digest\":\"sha256:" H1, NULL), -SL_E_UNSUPPORTED);
	assert_int_equal(parse_edit(index_oci, "\"arm64\"", "\"arm/64\"", NULL), -SL_E_PARSE);
	assert_int_equal(parse_edit(index_oci, "\"size\":345", "\"size\":5000000", NULL), -SL_E_TOOBIG);
	assert_int_equal(parse_edit(index_oci, "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}",
				    "\"platform\":{\"os\":\"linux\"}", NULL), -SL_E_PARSE);
}

static void test_parse_caps(void **state)
{
	(void)state;
	/* Over 4 MiB: refused before parsing. */
	size_t big = SL_MAX_OCI_MANIFEST + 1;
	char *s = malloc(big);
	assert_non_null(s);
	memset(s, ' ', big);
	memcpy(s, image_oci, strlen(image_oci));
	struct sl_oci_manifest m;
	char *cause = NULL;
	assert_int_equal(sl_oci_parse(s, big, NULL, &m, &cause), -SL_E_TOOBIG);
	assert_non_null(strstr(cause, "cap"));
	free(cause);
	free(s);
	/* More descriptors than the cap. */
	size_t n = SL_MAX_OCI_DESCRIPTORS + 1, cap = n * 200 + 512, len = 0;
	s = malloc(cap);
	assert_non_null(s);
	len += (size_t)snprintf(s + len, cap - len, "{\"schemaVersion\":2,\"config\":{\"mediaType\":"
			       "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" H3 "\",\"size\":1},\"layers\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
				       "\"digest\":\"sha256:" H1 "\",\"size\":1}", i ? "," : "");
	len += (size_t)snprintf(s + len, cap - len, "]}");
	cause = NULL;
	assert_int_equal(sl_oci_parse(s, len, NULL, &m, &cause), -SL_E_TOOBIG);
	free(cause);
	free(s);
	/* An embedded NUL in a string is refused by jansson (never a truncated media type). */
	static const char nul[] = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\\u0000x\"}";
	assert_int_equal(parse(nul, NULL, &m), -SL_E_PARSE);
}

static void test_repo_names(void **state)
{
	(void)state;
	const char *good[] = { "alpine", "library/alpine", "a/b/c", "my-app", "my--app", "a.b", "a_b", "a__b",
			       "0", "quay.io/x", "x9/y9z", NULL };
	const char *bad[] = { "", "Alpine", "/alpine", "alpine/", "a//b", "_catalog", "a/_tags", "a/.x", "a/..",
			      "..", ".", "a.", "a-", "a_", "a___b", "a..b", "a._b", "a b", "a/b:c", "a@b", "a\\b",
			      "a\nb", "-a", NULL };
	for (size_t i = 0; good[i]; i++)
		assert_true(sl_oci_valid_repo(good[i]));
	for (size_t i = 0; bad[i]; i++) {
		if (sl_oci_valid_repo(bad[i]))
			fail_msg("accepted repository name '%s'", bad[i]);
	}
	assert_false(sl_oci_valid_repo(NULL));
	char longname[SL_MAX_OCI_REPO + 2];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_false(sl_oci_valid_repo(longname));
	longname[SL_MAX_OCI_REPO] = '\0';
	assert_true(sl_oci_valid_repo(longname));
}

static void test_tags(void **state)
{
	(void)state;
	assert_true(sl_oci_valid_tag("v1"));
	assert_true(sl_oci_valid_tag("_x"));
	assert_true(sl_oci_valid_tag("sha256-" H1 ".sig"));
	assert_true(sl_oci_valid_tag("3.20.1-r0_beta"));
	assert_false(sl_oci_valid_tag(".hidden"));
	assert_false(sl_oci_valid_tag("-x"));
	assert_false(sl_oci_valid_tag(""));
	assert_false(sl_oci_valid_tag("a/b"));
	assert_false(sl_oci_valid_tag("a:b"));
	assert_false(sl_oci_valid_tag(".."));
	char t[130];
	memset(t, 'a', 129);
	t[129] = '\0';
	assert_false(sl_oci_valid_tag(t));
	t[128] = '\0';
	assert_true(sl_oci_valid_tag(t));

	assert_true(sl_oci_tag_match("16.*", "16.4"));
	assert_false(sl_oci_tag_match("16.*", "15.4"));
	assert_true(sl_oci_tag_match("*", "anything"));
	assert_true(sl_oci_tag_match("v*-alpine", "v1.2-alpine"));
	assert_false(sl_oci_tag_match("v*-alpine", "v1.2-alpine-x"));
	assert_true(sl_oci_tag_match("a*b*c", "aXbYbZc"));
	assert_true(sl_oci_tag_match("exact", "exact"));
	assert_false(sl_oci_tag_match("exact", "exactly"));
}

static void test_refs(void **state)
{
	(void)state;
	struct sl_oci_ref r;
	char *cause = NULL;
	assert_int_equal(sl_oci_ref_parse("library/alpine:3.20", &r, &cause), 0);
	assert_int_equal(r.kind, SL_OCI_REF_TAG);
	assert_string_equal(r.repo, "library/alpine");
	assert_string_equal(r.tag, "3.20");
	assert_int_equal(sl_oci_ref_parse("library/postgres:16.*", &r, &cause), 0);
	assert_int_equal(r.kind, SL_OCI_REF_PATTERN);
	assert_int_equal(sl_oci_ref_parse("vendor/app@sha256:" H1, &r, &cause), 0);
	assert_int_equal(r.kind, SL_OCI_REF_DIGEST);
	assert_string_equal(r.digest, H1);
	const char *bad[] = { "library/alpine", "Library/alpine:1", "a:", "a@sha256:xyz", "a@sha512:" H1,
			      "../x:1", "a:b/c", "a:.x", "_x:1", NULL };
	for (size_t i = 0; bad[i]; i++) {
		cause = NULL;
		if (sl_oci_ref_parse(bad[i], &r, &cause) != -SL_E_BADNAME)
			fail_msg("accepted image reference '%s'", bad[i]);
		assert_non_null(cause);
		free(cause);
	}
}

static void test_link_next(void **state)
{
	(void)state;
	const char *base = "https://reg.example:5000";
	char out[256];
	assert_int_equal(sl_registry_link_next(base, "</v2/a/tags/list?n=2&last=b>; rel=\"next\"", out, sizeof out), 0);
	assert_string_equal(out, "https://reg.example:5000/v2/a/tags/list?n=2&last=b");
	assert_int_equal(sl_registry_link_next(base, "<https://reg.example:5000/v2/a/tags/list?last=c>; rel=next", out,
					       sizeof out), 0);
	assert_string_equal(out, "https://reg.example:5000/v2/a/tags/list?last=c");
	assert_int_equal(sl_registry_link_next(base, "</x>; rel=\"prev\", </y>; rel=\"next\"", out, sizeof out), 0);
	assert_string_equal(out, "https://reg.example:5000/y");
	assert_int_equal(sl_registry_link_next(base, "</x>; rel=\"prev\"", out, sizeof out), -SL_E_NOTFOUND);
	/* Another origin (or a look-alike prefix), protocol-relative, control characters, garbage. */
	assert_int_equal(sl_registry_link_next(base, "<https://evil.example/v2/>; rel=\"next\"", out, sizeof out),
			 -SL_E_BADNAME);
	assert_int_equal(sl_registry_link_next(base, "<https://reg.example:50001/v2/>; rel=\"next\"", out, sizeof out),
			 -SL_E_BADNAME);
	assert_int_equal(sl_registry_link_next(base, "<//evil.example/v2/>; rel=\"next\"", out, sizeof out),
			 -SL_E_BADNAME);
	assert_int_equal(sl_registry_link_next(base, "</v2/a b>; rel=\"next\"", out, sizeof out), -SL_E_BADNAME);
	assert_int_equal(sl_registry_link_next(base, "no brackets; rel=\"next\"", out, sizeof out), -SL_E_PARSE);
	assert_int_equal(sl_registry_link_next(base, "</v2/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>; rel=\"next\"", out, 20),
			 -SL_E_TOOBIG);
}

static void test_publish_paths(void **state)
{
	(void)state;
	assert_int_equal(sl_publish_oci_check_path("catalog", "_catalog"), 0);
	assert_int_equal(sl_publish_oci_check_path("tag", "library/alpine/_tags/3.20"), 0);
	assert_int_equal(sl_publish_oci_check_path("tag", "a/_tags/sha256-" H1 ".sig"), 0);
	assert_int_equal(sl_publish_oci_check_path("manifest", "a/b/_manifests/" H1), 0);
	assert_int_equal(sl_publish_oci_check_path("manifest-type", "a/_manifests/" H1 ".type"), 0);
	assert_int_equal(sl_publish_oci_check_path("blob", "a/_blobs/" H2), 0);
	assert_int_equal(sl_publish_oci_check_path("signature", "a/_signatures/" H2 "/signature-1"), 0);
	assert_int_equal(sl_publish_oci_check_path("evidence", "a/b/_evidence/" H2), 0);
	const char *bad[][2] = {
		{ "catalog", "a/_catalog" },
		{ "tag", "a/_tags/../x" },
		{ "tag", "../_tags/x" },
		{ "tag", "a/_tags/x/y" },
		{ "tag", "A/_tags/x" },
		{ "manifest", "a/_manifests/" H1 ".type" },
		{ "manifest", "a/_blobs/" H1 },
		{ "manifest-type", "a/_manifests/" H1 },
		{ "blob", "a/_blobs/../../etc/passwd" },
		{ "blob", "a/_blobs/sha256:" H1 },
		{ "signature", "a/_signatures/" H2 "/signature-0" },
		{ "signature", "a/_signatures/" H2 "/signature-1/x" },
		{ "signature", "a/_signatures/" H2 "/../../x" },
		{ "evidence", "a/_evidence/../../x" },
		{ "evidence", "a/_manifests/" H2 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (sl_publish_oci_check_path(bad[i][0], bad[i][1]) != -SL_E_BADNAME)
			fail_msg("accepted %s at %s", bad[i][0], bad[i][1]);
	}
	assert_int_equal(sl_publish_oci_check_path("pool", "a/b"), -SL_E_UNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_image),
		cmocka_unit_test(test_parse_index),
		cmocka_unit_test(test_index_plan),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_caps),
		cmocka_unit_test(test_repo_names),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_link_next),
		cmocka_unit_test(test_publish_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
