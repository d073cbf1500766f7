/* Tests for verify/oci_image: the OCI verifier driven directly from fixture objects placed in a real store
 * and catalogue snapshot (tests/unit/lib/snapfix), no registry. Manifests, indexes and blobs are built
 * here with their true digests, simple-signing signatures are made by the real gpg (opaque signed
 * messages, as skopeo --sign-by writes them), cosign signatures by OpenSSL (ECDSA P-256, as cosign does).
 * The happy paths, and every refusal with the check it is recorded under and its reason: manifest digest,
 * blob size, blob missing, blob altered on disk (RECHECK re-hashes), index child size, simple signing
 * (unsigned, unknown key also in RECHECK, another digest) and cosign (missing, wrong key, another
 * digest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/oci.h"
#include "core/store.h"
#include "tests/unit/lib/gpgtest.h"
#include "tests/unit/lib/snapfix.h"
#include "verify/oci_image.h"
#include "verify/oci_sig.h"
#include "verify/oci_state.h"

#define REPO "test/app"
#define OTHER_HEX "9b08dc8307ed6b89994db2a3df416050345967b93f2490810b6acd1eb01c28f7"

static struct {
	struct sl_gpgtest *t;
	char good[41], unknown[41];
	char keyring[512], unknown_ring[512];
	char cosign_pem[512], other_pem[512];
	EVP_PKEY *cosign, *other;
} K;

/* ---- fixture objects --------------------------------------------------------------------------- */

/* Everything a test allocates for its fixture, freed by fix_free() (the suite also runs under ASan). */
static void *garbage[1024];
static size_t ngarbage;

static void *track(void *p)
{
	assert_non_null(p);
	assert_true(ngarbage < sizeof garbage / sizeof garbage[0]);
	garbage[ngarbage++] = p;
	return p;
}

/* One object of the fixture: its bytes and their digest. */
struct obj {
	char *data;
	size_t len;
	char hex[SL_SHA256_HEX];
};

static struct obj mkobj(char *data)
{
	struct obj o = { track(data), strlen(data), "" };
	sl_digest_sha256(data, o.len, o.hex);
	return o;
}

static struct obj text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static struct obj text(const char *fmt, ...)
{
	char *p = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		fail();
	va_end(ap);
	return mkobj(p);
}

/* An image manifest over a config and one layer, whose declared layer size is off by `size_delta`. */
static struct obj image_manifest(const struct obj *config, const struct obj *layer, int size_delta,
				 const char *layer_mt, const char *annotation)
{
	char ann[700] = "";
	if (annotation != NULL)
		snprintf(ann, sizeof ann, ",\"annotations\":{\"%s\":\"%s\"}", SL_OCI_SIG_COSIGN_ANNOTATION, annotation);
	return text("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
		    "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:%s\",\"size\":%zu},"
		    "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"sha256:%s\",\"size\":%zu%s}]}",
		    SL_OCI_MT_OCI_MANIFEST, config->hex, config->len, layer_mt, layer->hex,
		    (size_t)((long)layer->len + size_delta), ann);
}

/* The entries a syncer leaves for an image, added one by one. */
struct fix {
	struct sl_snapfix *sf;
	struct sl_snapfix_entry e[32];
	char *paths[32], *metas[32];
	size_t n;
	struct sl_config *cfg;
	int64_t snap;
	/* What the verifier recorded. */
	char rec[32][4][1024];
	bool passed[32];
	size_t nrec;
};

static void add(struct fix *f, const char *role, const struct obj *o, const char *meta, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void add(struct fix *f, const char *role, const struct obj *o, const char *meta, const char *fmt, ...)
{
	assert_true(f->n < 32);
	va_list ap;
	va_start(ap, fmt);
	assert_true(vasprintf(&f->paths[f->n], fmt, ap) > 0);
	va_end(ap);
	f->metas[f->n] = meta ? strdup(meta) : NULL;
	f->e[f->n] = (struct sl_snapfix_entry){ .path = f->paths[f->n], .role = role, .meta_json = f->metas[f->n],
						.data = o->data, .len = o->len };
	f->n++;
}

static void add_blob(struct fix *f, const struct obj *o)
{
	add(f, "blob", o, NULL, REPO "/_blobs/%s", o->hex);
}

/* A manifest entry at the path of `hex` (normally o->hex) with its .type. */
static void add_manifest(struct fix *f, const struct obj *o, const char *hex, const char *mt)
{
	add(f, "manifest", o, "{\"repo\":\"" REPO "\"}", REPO "/_manifests/%s", hex);
	struct obj *t = track(malloc(sizeof *t));
	*t = text("%s\n", mt);
	add(f, "manifest-type", t, NULL, REPO "/_manifests/%s.type", hex);
}

static void add_tag(struct fix *f, const char *tag, const char *digest, const char *index, const char *sig_of)
{
	char meta[600], extra[200] = "";
	size_t n = 0;
	if (index != NULL)
		n += (size_t)snprintf(extra + n, sizeof extra - n, ",\"index\":\"%s\"", index);
	if (sig_of != NULL)
		snprintf(extra + n, sizeof extra - n, ",\"signature_of\":\"%s\"", sig_of);
	snprintf(meta, sizeof meta, "{\"repo\":\"" REPO "\",\"tag\":\"%s\",\"digest\":\"%s\",\"media_type\":\"%s\","
		 "\"platforms\":[]%s}", tag, digest, SL_OCI_MT_OCI_MANIFEST, extra);
	struct obj *t = track(malloc(sizeof *t));
	*t = text("%s\n", digest);
	add(f, "tag", t, meta, REPO "/_tags/%s", tag);
}

/* The plain image every test starts from: config, layer, manifest, tag v1. */
struct image {
	struct obj config, layer, man;
};

static struct image plain_image(struct fix *f, int size_delta)
{
	struct image im;
	im.config = text("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}");
	im.layer = text("layer bytes %d", size_delta);
	im.man = image_manifest(&im.config, &im.layer, size_delta, "application/vnd.oci.image.layer.v1.tar", NULL);
	add_blob(f, &im.config);
	add_blob(f, &im.layer);
	add_manifest(f, &im.man, im.man.hex, SL_OCI_MT_OCI_MANIFEST);
	add_tag(f, "v1", im.man.hex, NULL, NULL);
	return im;
}

static void fix_config(struct fix *f, const char *extra)
{
	char *text = NULL, *cause = NULL;
	assert_true(asprintf(&text, "[sluice]\nstate_dir = %s\n[source img]\ntype = oci\nregistry = http://127.0.0.1:9\n"
			     "url = http://127.0.0.1:9/sigs\nimages = " REPO ":v1\n%s", sl_snapfix_state_dir(f->sf),
			     extra ? extra : "") > 0);
	f->cfg = sl_config_parse(text, strlen(text), "t.conf", &cause);
	if (f->cfg == NULL)
		fail_msg("config: %s", cause);
	free(text);
}

static struct fix *fix_new(void)
{
	struct fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->sf = sl_snapfix_new("img", "oci");
	assert_non_null(f->sf);
	return f;
}

static void fix_free(struct fix *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->paths[i]);
		free(f->metas[i]);
	}
	sl_config_free(f->cfg);
	sl_snapfix_free(f->sf);
	free(f);
	while (ngarbage > 0)
		free(garbage[--ngarbage]);
}

static void record(void *arg, const struct sl_check *c)
{
	struct fix *f = arg;
	assert_true(f->nrec < 32);
	snprintf(f->rec[f->nrec][0], sizeof f->rec[0][0], "%s", c->subject);
	snprintf(f->rec[f->nrec][1], sizeof f->rec[0][1], "%s", c->check);
	snprintf(f->rec[f->nrec][2], sizeof f->rec[0][2], "%s", c->reason);
	snprintf(f->rec[f->nrec][3], sizeof f->rec[0][3], "%s", c->key_fpr ? c->key_fpr : "");
	f->passed[f->nrec++] = c->passed;
}

/* Seal the snapshot (config: extra source keys) and run the verifier; its return code, *cause kept. */
static int run(struct fix *f, const char *extra, enum sl_verify_mode mode, char **cause)
{
	if (f->cfg == NULL) {
		fix_config(f, extra);
		assert_int_equal(sl_snapfix_snapshot(f->sf, f->e, f->n, SL_SNAP_SYNCING, &f->snap), 0);
	}
	f->nrec = 0;
	struct sl_verify_ctx v = {
		.cfg = f->cfg, .src = sl_config_source(f->cfg, "img"), .cat = sl_snapfix_catalog(f->sf),
		.store = sl_snapfix_store(f->sf), .source_id = sl_snapfix_source_id(f->sf), .snap_id = f->snap,
		.mode = mode, .now = time(NULL), .record = record, .record_arg = f,
	};
	return sl_oci_verifier.verify(&v, cause);
}

/* The record of `check` about a subject containing `subject`: must exist with `passed` and a reason
 * containing `why`. */
static void expect(struct fix *f, const char *subject, const char *check, bool passed, const char *why)
{
	for (size_t i = 0; i < f->nrec; i++)
		if (strstr(f->rec[i][0], subject) != NULL && strcmp(f->rec[i][1], check) == 0) {
			if (f->passed[i] != passed || strstr(f->rec[i][2], why) == NULL)
				fail_msg("%s %s: %s '%s', expected %s '%s'", f->rec[i][0], check, f->passed[i] ? "pass" : "FAIL",
					 f->rec[i][2], passed ? "pass" : "FAIL", why);
			return;
		}
	for (size_t i = 0; i < f->nrec; i++)
		print_message("record: %s | %s | %s | %s\n", f->rec[i][0], f->rec[i][1], f->passed[i] ? "pass" : "FAIL",
			      f->rec[i][2]);
	fail_msg("no %s record about %s", check, subject);
}

/* The verdict is a refusal whose cause contains `why`. */
static void refused(struct fix *f, const char *extra, enum sl_verify_mode mode, const char *why)
{
	char *cause = NULL;
	int rc = run(f, extra, mode, &cause);
	if (rc != -SL_E_VERIFY || cause == NULL || strstr(cause, why) == NULL)
		fail_msg("verdict %d '%s', expected a refusal saying '%s'", rc, cause ? cause : "", why);
	free(cause);
}

static void passes(struct fix *f, const char *extra, enum sl_verify_mode mode)
{
	char *cause = NULL;
	int rc = run(f, extra, mode, &cause);
	if (rc != 0) {
		for (size_t i = 0; i < f->nrec; i++)
			print_message("record: %s | %s | %s | %s\n", f->rec[i][0], f->rec[i][1],
				      f->passed[i] ? "pass" : "FAIL", f->rec[i][2]);
		fail_msg("refused: %s", cause ? cause : sl_strerror(rc));
	}
	for (size_t i = 0; i < f->nrec; i++)
		assert_true(f->passed[i]);
}

/* ---- structure --------------------------------------------------------------------------------- */

static void test_plain_image(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 0);
	passes(f, NULL, SL_VERIFY_ARRIVAL);
	expect(f, "manifests", "manifest-digest", true, "1 manifest(s) match their digests, sizes and media types");
	expect(f, "blobs", "blob-digest", true, "2 blob(s) match their digests and sizes");
	assert_int_equal(f->nrec, 2);
	passes(f, NULL, SL_VERIFY_RECHECK);

	/* accept records what the references resolved to, in the syncer's unchanged-check format. */
	struct sl_verify_ctx v = {
		.cfg = f->cfg, .src = sl_config_source(f->cfg, "img"), .cat = sl_snapfix_catalog(f->sf),
		.store = sl_snapfix_store(f->sf), .source_id = sl_snapfix_source_id(f->sf), .snap_id = f->snap,
		.mode = SL_VERIFY_ARRIVAL,
	};
	assert_int_equal(sl_oci_verifier.accept(&v, NULL), 0);
	char *got = NULL;
	assert_int_equal(sl_catalog_state_get(v.cat, v.source_id, SL_OCI_STATE_KEY, &got), 0);
	struct sl_oci_state *st = sl_oci_state_new();
	assert_int_equal(sl_oci_state_add(st, REPO, "v1", im.man.hex), 0);
	char *want = sl_oci_state_text(st, v.src);
	assert_string_equal(got, want);
	free(want);
	free(got);
	sl_oci_state_free(st);
	fix_free(f);
}

static void test_manifest_digest(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 0);
	/* Other bytes at the manifest's name (a second, valid manifest). */
	struct obj other = image_manifest(&im.config, &im.layer, 0, "application/vnd.oci.image.layer.v1.tar+gzip", NULL);
	add_manifest(f, &other, OTHER_HEX, SL_OCI_MT_OCI_MANIFEST);
	char want[200];
	snprintf(want, sizeof want, "bytes hash to sha256:%s", other.hex);
	refused(f, NULL, SL_VERIFY_ARRIVAL, want);
	expect(f, REPO "@sha256:" OTHER_HEX, "manifest-digest", false, want);
	fix_free(f);
}

static void test_blob_size(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 1);   /* the manifest declares one byte more than the layer has */
	char want[200];
	snprintf(want, sizeof want, "%zu bytes, the manifest says %zu", im.layer.len, im.layer.len + 1);
	refused(f, NULL, SL_VERIFY_ARRIVAL, want);
	expect(f, im.layer.hex, "blob-digest", false, want);
	fix_free(f);
}

static void test_blob_missing(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 0);
	/* Drop the layer's entry (the second one added). */
	free(f->paths[1]);
	memmove(&f->e[1], &f->e[2], (f->n - 2) * sizeof f->e[0]);
	memmove(&f->paths[1], &f->paths[2], (f->n - 2) * sizeof f->paths[0]);
	memmove(&f->metas[1], &f->metas[2], (f->n - 2) * sizeof f->metas[0]);
	f->n--;
	refused(f, NULL, SL_VERIFY_ARRIVAL, "missing from the snapshot");
	expect(f, im.layer.hex, "blob-digest", false, "missing from the snapshot");
	fix_free(f);
}

/* An object altered on disk after arrival: ARRIVAL trusts the commit-time hash (the size still fits),
 * RECHECK re-hashes and names the object. */
static void test_blob_altered(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 0);
	passes(f, NULL, SL_VERIFY_ARRIVAL);
	char path[1024];
	assert_int_equal(sl_store_object_path(sl_snapfix_store(f->sf), im.layer.hex, path, sizeof path), 0);
	char *flipped = strdup(im.layer.data);
	flipped[0] ^= 0x20;
	assert_int_equal(unlink(path), 0);
	sl_gpgtest_write(path, flipped, im.layer.len);
	free(flipped);
	passes(f, NULL, SL_VERIFY_ARRIVAL);
	char want[200];
	snprintf(want, sizeof want, "store object %s: its bytes no longer match its digest", im.layer.hex);
	refused(f, NULL, SL_VERIFY_RECHECK, want);
	expect(f, im.layer.hex, "blob-digest", false, want);
	/* A published tag file altered on disk: RECHECK names it too. */
	char tag_path[1024];
	struct sl_entry te;
	assert_int_equal(sl_catalog_snapshot_entry(sl_snapfix_catalog(f->sf), f->snap, REPO "/_tags/v1", &te), 0);
	assert_int_equal(sl_store_object_path(sl_snapfix_store(f->sf), te.sha256, tag_path, sizeof tag_path), 0);
	assert_int_equal(unlink(tag_path), 0);
	sl_gpgtest_write(tag_path, OTHER_HEX "\n", SL_SHA256_HEX);
	snprintf(want, sizeof want, "store object %s: its bytes no longer match its digest", te.sha256);
	refused(f, NULL, SL_VERIFY_RECHECK, "(and 2 more failed check(s))");   /* the layer, still; the tag */
	expect(f, REPO "/_tags/v1", "sha256", false, want);
	sl_entry_release(&te);
	/* A torn object (wrong size) is caught on arrival too. */
	assert_int_equal(unlink(path), 0);
	sl_gpgtest_write(path, "x", 1);
	refused(f, NULL, SL_VERIFY_ARRIVAL, "not in the store with");
	fix_free(f);
}

/* An index over two platforms: all kept, narrowed to one (the index is evidence), a child of the wrong
 * size. */
struct two {
	struct image amd, arm;
	struct obj index;
};

static struct two two_platforms(int arm_delta)
{
	struct two t;
	t.amd.config = text("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
	t.amd.layer = text("amd64 layer");
	t.amd.man = image_manifest(&t.amd.config, &t.amd.layer, 0, "application/vnd.oci.image.layer.v1.tar", NULL);
	t.arm.config = text("{\"architecture\":\"arm64\",\"os\":\"linux\"}");
	t.arm.layer = text("arm64 layer");
	t.arm.man = image_manifest(&t.arm.config, &t.arm.layer, 0, "application/vnd.oci.image.layer.v1.tar", NULL);
	t.index = text("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
		       "{\"mediaType\":\"%s\",\"digest\":\"sha256:%s\",\"size\":%zu,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
		       "{\"mediaType\":\"%s\",\"digest\":\"sha256:%s\",\"size\":%zu,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}",
		       SL_OCI_MT_OCI_INDEX, SL_OCI_MT_OCI_MANIFEST, t.amd.man.hex, t.amd.man.len, SL_OCI_MT_OCI_MANIFEST,
		       t.arm.man.hex, (size_t)((long)t.arm.man.len + arm_delta));
	return t;
}

static void add_platform(struct fix *f, struct image *im)
{
	add_blob(f, &im->config);
	add_blob(f, &im->layer);
	add_manifest(f, &im->man, im->man.hex, SL_OCI_MT_OCI_MANIFEST);
}

static void test_index(void **state)
{
	(void)state;
	/* Every platform: the index and both children. */
	struct fix *f = fix_new();
	struct two t = two_platforms(0);
	add_platform(f, &t.amd);
	add_platform(f, &t.arm);
	add_manifest(f, &t.index, t.index.hex, SL_OCI_MT_OCI_INDEX);
	add_tag(f, "v1", t.index.hex, NULL, NULL);
	passes(f, NULL, SL_VERIFY_ARRIVAL);
	expect(f, "manifests", "manifest-digest", true, "3 manifest(s)");
	fix_free(f);

	/* platforms = linux/arm64: the tag publishes the arm64 manifest, the index is evidence. */
	f = fix_new();
	t = two_platforms(0);
	add_platform(f, &t.arm);
	char meta[300];
	snprintf(meta, sizeof meta, "{\"repo\":\"" REPO "\",\"media_type\":\"%s\"}", SL_OCI_MT_OCI_INDEX);
	add(f, "evidence", &t.index, meta, REPO "/_evidence/%s", t.index.hex);
	add_tag(f, "v1", t.arm.man.hex, t.index.hex, NULL);
	passes(f, "platforms = linux/arm64\n", SL_VERIFY_ARRIVAL);
	expect(f, "manifests", "manifest-digest", true, "1 manifest(s)");
	passes(f, NULL, SL_VERIFY_RECHECK);
	fix_free(f);

	/* ... but a tag claiming the amd64 manifest from that index is refused. */
	f = fix_new();
	t = two_platforms(0);
	add_platform(f, &t.amd);
	add(f, "evidence", &t.index, meta, REPO "/_evidence/%s", t.index.hex);
	add_tag(f, "v1", t.amd.man.hex, t.index.hex, NULL);
	refused(f, "platforms = linux/arm64\n", SL_VERIFY_ARRIVAL, "narrows to sha256:");
	expect(f, t.index.hex, "platform", false, "the tag publishes sha256:");
	fix_free(f);

	/* The index declares another size for the arm64 child than its bytes have. */
	f = fix_new();
	t = two_platforms(3);
	add_platform(f, &t.amd);
	add_platform(f, &t.arm);
	add_manifest(f, &t.index, t.index.hex, SL_OCI_MT_OCI_INDEX);
	add_tag(f, "v1", t.index.hex, NULL, NULL);
	char want[200];
	snprintf(want, sizeof want, "%zu bytes, the index says %zu", t.arm.man.len, t.arm.man.len + 3);
	refused(f, NULL, SL_VERIFY_ARRIVAL, want);
	expect(f, t.arm.man.hex, "manifest-size", false, want);
	fix_free(f);

	/* A kept child missing from the snapshot. */
	f = fix_new();
	t = two_platforms(0);
	add_platform(f, &t.amd);
	add_manifest(f, &t.index, t.index.hex, SL_OCI_MT_OCI_INDEX);
	add_tag(f, "v1", t.index.hex, NULL, NULL);
	refused(f, NULL, SL_VERIFY_ARRIVAL, "missing from the snapshot (its index lists it)");
	expect(f, t.arm.man.hex, "manifest-digest", false, "missing from the snapshot");
	fix_free(f);
}

/* ---- simple signing ---------------------------------------------------------------------------- */

static struct obj simple_sig(const char *fpr, const char *hex)
{
	char *p = NULL;
	assert_true(asprintf(&p, "{\"critical\":{\"identity\":{\"docker-reference\":\"reg.example/" REPO ":v1\"},"
			     "\"image\":{\"docker-manifest-digest\":\"sha256:%s\"},\"type\":\"%s\"},"
			     "\"optional\":{\"creator\":\"test\"}}", hex, SL_OCI_SIG_SIMPLE_TYPE) > 0);
	const char *signers[] = { fpr, NULL };
	struct obj o = { NULL, 0, "" };
	o.data = track(sl_gpgtest_sign(K.t, signers, SL_GPGTEST_INLINE, p, strlen(p), 0, &o.len));
	sl_digest_sha256(o.data, o.len, o.hex);
	free(p);
	return o;
}

static void add_sig(struct fix *f, const char *man_hex, unsigned n, const struct obj *sig)
{
	add(f, "signature", sig, NULL, REPO "/_signatures/%s/signature-%u", man_hex, n);
}

static const char *signed_by(const char *ring)
{
	static char line[600];
	snprintf(line, sizeof line, "signed_by = %s\n", ring);
	return line;
}

static void test_simple_good(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 0);
	struct obj bad = simple_sig(K.unknown, im.man.hex), good = simple_sig(K.good, im.man.hex);
	add_sig(f, im.man.hex, 1, &bad);    /* a stranger's signature beside the good one does not matter */
	add_sig(f, im.man.hex, 2, &good);
	passes(f, signed_by(K.keyring), SL_VERIFY_ARRIVAL);
	expect(f, REPO ":v1", "simple-signing", true, "signature-2: good simple-signing signature by");
	for (size_t i = 0; i < f->nrec; i++)
		if (strcmp(f->rec[i][1], "simple-signing") == 0)
			assert_string_equal(f->rec[i][3], K.good);
	passes(f, NULL, SL_VERIFY_RECHECK);
	fix_free(f);
}

static void test_simple_unsigned(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	plain_image(f, 0);
	refused(f, signed_by(K.keyring), SL_VERIFY_ARRIVAL,
		REPO ":v1: simple-signing signature refused: no signature in the lookaside");
	expect(f, REPO ":v1", "simple-signing", false, "no signature in the lookaside");
	fix_free(f);
}

/* A keyring without the signing key: refused on arrival and on a re-check. */
static void test_simple_unknown_key(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 0);
	struct obj sig = simple_sig(K.good, im.man.hex);
	add_sig(f, im.man.hex, 1, &sig);
	refused(f, signed_by(K.unknown_ring), SL_VERIFY_ARRIVAL, "simple-signing signature refused");
	expect(f, REPO ":v1", "simple-signing", false, "unknown key");
	refused(f, NULL, SL_VERIFY_RECHECK, "simple-signing signature refused");
	expect(f, REPO ":v1", "simple-signing", false, "unknown key");
	fix_free(f);
}

static void test_simple_other_digest(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 0);
	struct obj sig = simple_sig(K.good, OTHER_HEX);   /* good key, another image's digest */
	add_sig(f, im.man.hex, 1, &sig);
	char want[300];
	snprintf(want, sizeof want, "signature-1: signature is for manifest sha256:%s, not sha256:%s", OTHER_HEX,
		 im.man.hex);
	refused(f, signed_by(K.keyring), SL_VERIFY_ARRIVAL, want);
	expect(f, REPO ":v1", "simple-signing", false, want);
	fix_free(f);
}

/* ---- cosign ------------------------------------------------------------------------------------ */

static char *cosign_sign(EVP_PKEY *k, const struct obj *payload)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[256];
	size_t len = sizeof sig;
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &len, (const unsigned char *)payload->data, payload->len), 1);
	EVP_MD_CTX_free(md);
	char *b64 = calloc(1, 4 * (len + 2) / 3 + 4);
	assert_non_null(b64);
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)len);
	return b64;
}

/* The cosign signature tag sha256-<image>.sig: a manifest whose layer is the payload (naming
 * `payload_hex`), signed by `key`. */
static void add_cosign(struct fix *f, const char *image_hex, const char *payload_hex, EVP_PKEY *key)
{
	struct obj *payload = track(malloc(sizeof *payload)), *config = track(malloc(sizeof *config)),
		   *man = track(malloc(sizeof *man));
	*payload = text("{\"critical\":{\"identity\":{\"docker-reference\":\"reg.example/" REPO "\"},\"image\":"
			"{\"docker-manifest-digest\":\"sha256:%s\"},\"type\":\"%s\"},\"optional\":null}", payload_hex,
			SL_OCI_SIG_COSIGN_TYPE);
	*config = text("{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"layers\"}}");
	char *b64 = cosign_sign(key, payload);
	*man = image_manifest(config, payload, 0, SL_OCI_SIG_COSIGN_LAYER, b64);
	free(b64);
	add_blob(f, config);
	add_blob(f, payload);
	add_manifest(f, man, man->hex, SL_OCI_MT_OCI_MANIFEST);
	char tag[80];
	snprintf(tag, sizeof tag, "sha256-%s.sig", image_hex);
	add_tag(f, tag, man->hex, NULL, image_hex);
}

static const char *cosign_key(const char *pem)
{
	static char line[600];
	snprintf(line, sizeof line, "cosign_key = %s\n", pem);
	return line;
}

static void test_cosign_good(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 0);
	add_cosign(f, im.man.hex, im.man.hex, K.cosign);
	passes(f, cosign_key(K.cosign_pem), SL_VERIFY_ARRIVAL);
	expect(f, REPO ":v1", "cosign-signature", true, "good cosign signature by cosign_key");
	expect(f, "manifests", "manifest-digest", true, "2 manifest(s)");
	passes(f, NULL, SL_VERIFY_RECHECK);
	fix_free(f);
}

static void test_cosign_missing(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 0);
	char want[200];
	snprintf(want, sizeof want, "cosign signature refused: no cosign signature (tag sha256-%s.sig)", im.man.hex);
	refused(f, cosign_key(K.cosign_pem), SL_VERIFY_ARRIVAL, want);
	expect(f, REPO ":v1", "cosign-signature", false, "no cosign signature");
	fix_free(f);
}

static void test_cosign_wrong_key(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 0);
	add_cosign(f, im.man.hex, im.man.hex, K.other);
	refused(f, cosign_key(K.cosign_pem), SL_VERIFY_ARRIVAL,
		REPO ":v1: cosign signature refused: cosign signature does not verify with cosign_key");
	expect(f, REPO ":v1", "cosign-signature", false, "cosign signature does not verify with cosign_key");
	fix_free(f);
}

static void test_cosign_other_digest(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct image im = plain_image(f, 0);
	add_cosign(f, im.man.hex, OTHER_HEX, K.cosign);   /* the right key over another image's payload */
	char want[300];
	snprintf(want, sizeof want, "signature is for manifest sha256:%s, not sha256:%s", OTHER_HEX, im.man.hex);
	refused(f, cosign_key(K.cosign_pem), SL_VERIFY_ARRIVAL, want);
	expect(f, REPO ":v1", "cosign-signature", false, want);
	fix_free(f);
}

/* ---- setup ------------------------------------------------------------------------------------- */

static EVP_PKEY *ec_key(const char *path)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(k);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_PUBKEY(fp, k), 1);
	fclose(fp);
	return k;
}

static int setup(void **state)
{
	(void)state;
	K.t = sl_gpgtest_new();
	const char *dir = sl_gpgtest_dir(K.t);
	sl_gpgtest_genkey(K.t, "Upstream <u@test>", 0, "never", K.good);
	sl_gpgtest_genkey(K.t, "Stranger <s@test>", 0, "never", K.unknown);
	snprintf(K.keyring, sizeof K.keyring, "%s/good.gpg", dir);
	snprintf(K.unknown_ring, sizeof K.unknown_ring, "%s/unknown.gpg", dir);
	const char *ring[] = { K.good, NULL }, *uring[] = { K.unknown, NULL };
	sl_gpgtest_export(K.t, ring, false, K.keyring);
	sl_gpgtest_export(K.t, uring, false, K.unknown_ring);
	snprintf(K.cosign_pem, sizeof K.cosign_pem, "%s/cosign.pub", dir);
	snprintf(K.other_pem, sizeof K.other_pem, "%s/other.pub", dir);
	K.cosign = ec_key(K.cosign_pem);
	K.other = ec_key(K.other_pem);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(K.cosign);
	EVP_PKEY_free(K.other);
	sl_gpgtest_free(K.t);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_image),
		cmocka_unit_test(test_manifest_digest),
		cmocka_unit_test(test_blob_size),
		cmocka_unit_test(test_blob_missing),
		cmocka_unit_test(test_blob_altered),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_simple_good),
		cmocka_unit_test(test_simple_unsigned),
		cmocka_unit_test(test_simple_unknown_key),
		cmocka_unit_test(test_simple_other_digest),
		cmocka_unit_test(test_cosign_good),
		cmocka_unit_test(test_cosign_missing),
		cmocka_unit_test(test_cosign_wrong_key),
		cmocka_unit_test(test_cosign_other_digest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
