/* oci: the OCI distribution vocabulary sluice trusts — image manifests and indexes (OCI and Docker v2
 * schema 2) parsed with jansson from the exact bytes received, descriptors with strictly validated
 * sha256 digests and sizes, platforms, and the name rules of the distribution spec (repository names,
 * tags) checked before any of them becomes part of a path. Docker schema 1, nested indexes, digests of
 * other algorithms and unknown media types are refused, not guessed at.
 *
 * Ownership: sl_oci_parse() fills a caller-owned struct released with sl_oci_manifest_release() (also on
 * failure, and on a zeroed struct). Everything else is a pure function over its arguments.
 * Failure: -SL_E_TOOBIG (over SL_MAX_OCI_MANIFEST or SL_MAX_OCI_DESCRIPTORS), -SL_E_PARSE (not a manifest),
 * -SL_E_BADNAME (malformed digest), -SL_E_UNSUPPORTED (schema 1, other digest algorithm, unknown media
 * type), -SL_E_MISMATCH (Content-Type contradicts the body), -ENOMEM; each with a heap *cause. */
#ifndef SL_OCI_H
#define SL_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"

#define SL_OCI_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define SL_OCI_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define SL_OCI_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define SL_OCI_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"

/* The Accept header value for manifest requests: every manifest kind sluice can verify. */
#define SL_OCI_ACCEPT SL_OCI_MT_OCI_INDEX ", " SL_OCI_MT_OCI_MANIFEST ", " SL_OCI_MT_DOCKER_LIST ", " \
	SL_OCI_MT_DOCKER_MANIFEST

#define SL_OCI_MT_MAX 128      /* bytes of a media type kept (RFC 6838: type and subtype 127 each) */
#define SL_OCI_PLATFORM_MAX 32 /* bytes of os, architecture, variant ("linux", "arm64", "v8") */

enum sl_oci_kind {
	SL_OCI_IMAGE,          /* manifest: config + layers */
	SL_OCI_INDEX,          /* index / manifest list: child manifests, usually one per platform */
};

struct sl_oci_platform {
	char os[SL_OCI_PLATFORM_MAX];
	char arch[SL_OCI_PLATFORM_MAX];
	char variant[SL_OCI_PLATFORM_MAX];   /* "" when absent */
};

struct sl_oci_desc {
	char media_type[SL_OCI_MT_MAX];
	char digest[SL_SHA256_HEX];          /* validated lowercase hex, without "sha256:" */
	uint64_t size;
	bool has_platform;                   /* index children only */
	struct sl_oci_platform platform;
};

struct sl_oci_manifest {
	enum sl_oci_kind kind;
	char media_type[SL_OCI_MT_MAX];      /* effective: the body's mediaType, else the Content-Type */
	struct sl_oci_desc config;           /* SL_OCI_IMAGE only */
	struct sl_oci_desc *descs;           /* layers (image) or child manifests (index) */
	size_t n;
};

/* Parse a manifest or index. content_type (may be NULL) is the registry's Content-Type; when the body
 * names a mediaType too, both must agree (parameters after ';' ignored). A body without mediaType (older
 * OCI writers) takes the Content-Type, or its shape decides ("manifests": index, "config": manifest). */
int sl_oci_parse(const void *data, size_t len, const char *content_type, struct sl_oci_manifest *out,
		 char **cause);
void sl_oci_manifest_release(struct sl_oci_manifest *m);

/* One of the four manifest media types above. */
bool sl_oci_manifest_type_known(const char *mt);
/* A config or layer media type sluice mirrors (image configs, tar layers in every compression, foreign
 * and non-distributable layers, the OCI empty descriptor, cosign payloads, in-toto attestations). */
bool sl_oci_blob_type_known(const char *mt);

/* Repository name by the distribution spec:
 * [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*, at most SL_MAX_OCI_REPO bytes.
 * No component can start with '_' or '.', so the published tree's _tags/_manifests/_blobs never collide. */
bool sl_oci_valid_repo(const char *name);
/* Tag: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}. */
bool sl_oci_valid_tag(const char *tag);

/* One `images =` item of a source. */
enum sl_oci_ref_kind {
	SL_OCI_REF_TAG,        /* repo:tag */
	SL_OCI_REF_PATTERN,    /* repo:pat*tern ('*' matches any run of tag characters) */
	SL_OCI_REF_DIGEST,     /* repo@sha256:hex */
};
struct sl_oci_ref {
	enum sl_oci_ref_kind kind;
	char repo[256];
	char tag[129];                       /* tag or pattern; "" for a digest */
	char digest[SL_SHA256_HEX];          /* hex for a digest reference; "" otherwise */
};
/* 0, or -SL_E_BADNAME with *cause for anything the rules above refuse. */
int sl_oci_ref_parse(const char *item, struct sl_oci_ref *out, char **cause);
/* Glob with '*' only; everything else literal. */
bool sl_oci_tag_match(const char *pattern, const char *tag);

/* "os/arch" or "os/arch/variant". -SL_E_TOOBIG if buf is short. */
int sl_oci_platform_format(const struct sl_oci_platform *p, char *buf, size_t cap);
/* Does the platform match a configured "os/arch[/variant]"? A spec without variant matches every
 * variant; "linux/arm64" also matches the "v8" variant that arm64 images usually carry. */
bool sl_oci_platform_match(const struct sl_oci_platform *p, const char *spec);

/* Platform narrowing of an index (the one decision the syncer makes and the verifier re-makes): which
 * children a source with `platforms` (n 0: all) keeps. A child counts as a platform when it has one and
 * its os is not "unknown" (attestations); with platforms configured, only such children can be kept.
 *   all      every platform kept (or none configured, or the index has no real platform): the index is
 *            published byte-identical with every child;
 *   narrowed exactly one of several platforms kept: the tag points at descs[narrowed_to], the index is
 *            not published;
 *   else     several but not all: the index is published, only the kept children with it.
 * -SL_E_MISMATCH when platforms are configured and none matches (the image is refused). */
struct sl_oci_index_plan {
	bool all, narrowed;
	size_t nreal, nkept;     /* real-platform children; of those, kept */
	size_t narrowed_to;      /* index into descs when narrowed */
};
bool sl_oci_child_kept(const struct sl_oci_desc *d, const char *const *platforms, size_t n);
int sl_oci_index_plan(const struct sl_oci_manifest *ix, const char *const *platforms, size_t n,
		      struct sl_oci_index_plan *out);
/* Does the plan load and keep child i? */
bool sl_oci_index_loads(const struct sl_oci_index_plan *p, const struct sl_oci_manifest *ix, size_t i,
			const char *const *platforms, size_t n);

#endif
