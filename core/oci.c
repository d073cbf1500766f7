/* oci: manifest/index parsing over the exact bytes and the distribution spec's name rules. Nothing here
 * re-serialises JSON: digests are always computed by callers over the bytes as received. */
#include "core/oci.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/limits.h"


static const char *const manifest_types[] = {
	SL_OCI_MT_DOCKER_MANIFEST, SL_OCI_MT_DOCKER_LIST, SL_OCI_MT_OCI_MANIFEST, SL_OCI_MT_OCI_INDEX, NULL,
};

static const char *const blob_types[] = {
	/* configs */
	"application/vnd.docker.container.image.v1+json",
	"application/vnd.oci.image.config.v1+json",
	"application/vnd.oci.empty.v1+json",
	"application/vnd.dev.cosign.simplesigning.v1+json",
	"application/vnd.in-toto+json",
	/* layers */
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	NULL,
};

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; s != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

bool sl_oci_manifest_type_known(const char *mt)
{
	return in_list(manifest_types, mt);
}

bool sl_oci_blob_type_known(const char *mt)
{
	return in_list(blob_types, mt);
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*  over [p, end). */
static bool valid_component(const char *p, const char *end)
{
	if (p == end || !is_lower_alnum(*p) || !is_lower_alnum(end[-1]))
		return false;
	while (p < end) {
		if (is_lower_alnum(*p)) {
			p++;
			continue;
		}
		/* A separator run: ".", "_", "__" or "-+", always between alphanumerics. */
		if (*p == '.') {
			p++;
		} else if (*p == '_') {
			p++;
			if (p < end && *p == '_')
				p++;
		} else if (*p == '-') {
			while (p < end && *p == '-')
				p++;
		} else {
			return false;
		}
		if (p == end || !is_lower_alnum(*p))
			return false;
	}
	return true;
}

bool sl_oci_valid_repo(const char *name)
{
	if (name == NULL)
		return false;
	size_t len = strlen(name);
	if (len == 0 || len > SL_MAX_OCI_REPO)
		return false;
	const char *p = name, *end = name + len;
	unsigned depth = 0;
	while (p <= end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *cend = slash != NULL ? slash : end;
		if (!valid_component(p, cend) || ++depth > SL_MAX_PATH_DEPTH / 2)
			return false;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	return true;
}

static bool tag_char(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '-';
}

bool sl_oci_valid_tag(const char *tag)
{
	if (tag == NULL || tag[0] == '\0' || tag[0] == '.' || tag[0] == '-')
		return false;
	size_t len = strlen(tag);
	if (len > 128)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!tag_char(tag[i]))
			return false;
	return true;
}

bool sl_oci_tag_match(const char *pat, const char *tag)
{
	/* Iterative glob with one backtrack point: linear enough for 128-byte tags. */
	const char *star = NULL, *resume = NULL;
	while (*tag != '\0') {
		if (*pat == '*') {
			star = pat++;
			resume = tag;
		} else if (*pat == *tag) {
			pat++;
			tag++;
		} else if (star != NULL) {
			pat = star + 1;
			tag = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

int sl_oci_ref_parse(const char *item, struct sl_oci_ref *out, char **cause)
{
	memset(out, 0, sizeof *out);
	if (item == NULL)
		return -EINVAL;
	const char *at = strchr(item, '@');
	const char *slash = strrchr(item, '/');
	const char *colon = strrchr(item, ':');
	if (at == NULL && (colon == NULL || (slash != NULL && colon < slash)))
		return sl_cause(cause, -SL_E_BADNAME, "%s: needs a tag, tag pattern or digest", item);
	const char *end = at != NULL ? at : colon;
	size_t rlen = (size_t)(end - item);
	if (rlen == 0 || rlen >= sizeof out->repo)
		return sl_cause(cause, -SL_E_BADNAME, "%s: invalid repository name", item);
	memcpy(out->repo, item, rlen);
	out->repo[rlen] = '\0';
	if (!sl_oci_valid_repo(out->repo))
		return sl_cause(cause, -SL_E_BADNAME, "%s: invalid repository name (OCI distribution rules)", item);
	if (at != NULL) {
		out->kind = SL_OCI_REF_DIGEST;
		if (sl_digest_parse_oci(at + 1, out->digest) != 0)
			return sl_cause(cause, -SL_E_BADNAME, "%s: digest is not sha256:<64 hex>", item);
		return 0;
	}
	const char *tag = colon + 1;
	size_t tlen = strlen(tag);
	if (tlen == 0 || tlen >= sizeof out->tag)
		return sl_cause(cause, -SL_E_BADNAME, "%s: invalid tag", item);
	memcpy(out->tag, tag, tlen + 1);
	if (strchr(tag, '*') != NULL) {
		/* A pattern must be a valid tag once its stars stand for one tag character. */
		char probe[sizeof out->tag];
		for (size_t i = 0; i <= tlen; i++)
			probe[i] = tag[i] == '*' ? 'x' : tag[i];
		if (!sl_oci_valid_tag(probe) && !(tag[0] == '*' && sl_oci_valid_tag(probe + 1)))
			return sl_cause(cause, -SL_E_BADNAME, "%s: invalid tag pattern", item);
		out->kind = SL_OCI_REF_PATTERN;
		return 0;
	}
	if (!sl_oci_valid_tag(tag))
		return sl_cause(cause, -SL_E_BADNAME, "%s: invalid tag", item);
	out->kind = SL_OCI_REF_TAG;
	return 0;
}

int sl_oci_platform_format(const struct sl_oci_platform *p, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
	return (n < 0 || (size_t)n >= cap) ? -SL_E_TOOBIG : 0;
}

bool sl_oci_platform_match(const struct sl_oci_platform *p, const char *spec)
{
	char os[SL_OCI_PLATFORM_MAX], arch[SL_OCI_PLATFORM_MAX], variant[SL_OCI_PLATFORM_MAX] = "";
	if (sscanf(spec, "%31[^/]/%31[^/]/%31s", os, arch, variant) < 2)
		return false;
	if (strcmp(os, p->os) != 0 || strcmp(arch, p->arch) != 0)
		return false;
	if (variant[0] == '\0')
		return true;
	if (strcmp(variant, p->variant) == 0)
		return true;
	return strcmp(arch, "arm64") == 0 && strcmp(variant, "v8") == 0 && p->variant[0] == '\0';
}

/* ---- parsing ---- */

static int copy_str(char *dst, size_t cap, json_t *v, const char *what, bool required, char **cause)
{
	dst[0] = '\0';
	if (v == NULL) {
		if (required)
			return sl_cause(cause, -SL_E_PARSE, "%s missing", what);
		return 0;
	}
	const char *s = json_string_value(v);
	if (s == NULL)
		return sl_cause(cause, -SL_E_PARSE, "%s is not a string", what);
	size_t len = json_string_length(v);
	if (len >= cap || strlen(s) != len)
		return sl_cause(cause, -SL_E_PARSE, "%s too long or contains NUL", what);
	memcpy(dst, s, len + 1);
	return 0;
}

static int parse_desc(json_t *o, struct sl_oci_desc *d, bool child, const char *what, char **cause)
{
	if (!json_is_object(o))
		return sl_cause(cause, -SL_E_PARSE, "%s is not an object", what);
	int rc = copy_str(d->media_type, sizeof d->media_type, json_object_get(o, "mediaType"), what, true,
			  cause);
	if (rc < 0)
		return rc;
	const char *digest = json_string_value(json_object_get(o, "digest"));
	if (digest == NULL)
		return sl_cause(cause, -SL_E_PARSE, "%s: digest missing", what);
	if (strchr(digest, ':') != NULL && strncmp(digest, "sha256:", 7) != 0 &&
	    strcspn(digest, "/.\\") == strlen(digest))
		return sl_cause(cause, -SL_E_UNSUPPORTED, "%s: digest algorithm of %.80s is not supported (sha256 only)",
			    what, digest);
	if (sl_digest_parse_oci(digest, d->digest) != 0)
		return sl_cause(cause, -SL_E_BADNAME, "%s: malformed digest %.80s", what, digest);
	json_t *size = json_object_get(o, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0 ||
	    (uint64_t)json_integer_value(size) > SL_MAX_ARTIFACT_BYTES)
		return sl_cause(cause, -SL_E_PARSE, "%s: size missing, negative or over the cap", what);
	d->size = (uint64_t)json_integer_value(size);
	if (child) {
		if (!sl_oci_manifest_type_known(d->media_type))
			return sl_cause(cause, -SL_E_UNSUPPORTED, "%s: unknown manifest media type %s", what, d->media_type);
		if (strcmp(d->media_type, SL_OCI_MT_OCI_INDEX) == 0 || strcmp(d->media_type, SL_OCI_MT_DOCKER_LIST) == 0)
			return sl_cause(cause, -SL_E_UNSUPPORTED, "%s: nested index", what);
		if (d->size > SL_MAX_OCI_MANIFEST)
			return sl_cause(cause, -SL_E_TOOBIG, "%s: child manifest of %llu bytes exceeds the cap", what,
				    (unsigned long long)d->size);
		json_t *pf = json_object_get(o, "platform");
		if (pf != NULL) {
			if (!json_is_object(pf))
				return sl_cause(cause, -SL_E_PARSE, "%s: platform is not an object", what);
			d->has_platform = true;
			rc = copy_str(d->platform.os, sizeof d->platform.os, json_object_get(pf, "os"), "platform.os",
				      true, cause);
			if (rc == 0)
				rc = copy_str(d->platform.arch, sizeof d->platform.arch,
					      json_object_get(pf, "architecture"), "platform.architecture", true, cause);
			if (rc == 0)
				rc = copy_str(d->platform.variant, sizeof d->platform.variant,
					      json_object_get(pf, "variant"), "platform.variant", false, cause);
			if (rc < 0)
				return rc;
			/* Platforms are shown and matched as "os/arch/variant": no separators inside. */
			if (strchr(d->platform.os, '/') || strchr(d->platform.arch, '/') ||
			    strchr(d->platform.variant, '/'))
				return sl_cause(cause, -SL_E_PARSE, "%s: '/' inside a platform field", what);
		}
	} else if (!sl_oci_blob_type_known(d->media_type)) {
		return sl_cause(cause, -SL_E_UNSUPPORTED, "%s: unknown media type %s", what, d->media_type);
	}
	return 0;
}

/* Content-Type without parameters and surrounding blanks, into buf ("" when absent). */
static void bare_type(const char *ct, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (ct == NULL)
		return;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, "; \t");
	if (n < cap) {
		memcpy(buf, ct, n);
		buf[n] = '\0';
	}
}

static int parse_root(json_t *root, const char *content_type, struct sl_oci_manifest *out, char **cause)
{
	if (!json_is_object(root))
		return sl_cause(cause, -SL_E_PARSE, "manifest is not a JSON object");
	json_t *sv = json_object_get(root, "schemaVersion");
	if (json_is_integer(sv) && json_integer_value(sv) == 1)
		return sl_cause(cause, -SL_E_UNSUPPORTED, "Docker schema 1 manifests are not supported");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2)
		return sl_cause(cause, -SL_E_PARSE, "schemaVersion is not 2");
	char body_mt[SL_OCI_MT_MAX], ct[SL_OCI_MT_MAX];
	int rc = copy_str(body_mt, sizeof body_mt, json_object_get(root, "mediaType"), "mediaType", false, cause);
	if (rc < 0)
		return rc;
	bare_type(content_type, ct, sizeof ct);
	json_t *manifests = json_object_get(root, "manifests");
	json_t *config = json_object_get(root, "config");
	const char *mt = body_mt;
	if (mt[0] == '\0') {
		if (sl_oci_manifest_type_known(ct))
			mt = ct;
		else
			mt = manifests != NULL ? SL_OCI_MT_OCI_INDEX : SL_OCI_MT_OCI_MANIFEST;
	} else if (sl_oci_manifest_type_known(ct) && strcmp(ct, body_mt) != 0) {
		return sl_cause(cause, -SL_E_MISMATCH, "Content-Type %s contradicts mediaType %s", ct, body_mt);
	}
	if (!sl_oci_manifest_type_known(mt))
		return sl_cause(cause, -SL_E_UNSUPPORTED, "unknown manifest media type %.100s", mt);
	snprintf(out->media_type, sizeof out->media_type, "%s", mt);
	bool index = strcmp(mt, SL_OCI_MT_OCI_INDEX) == 0 || strcmp(mt, SL_OCI_MT_DOCKER_LIST) == 0;
	out->kind = index ? SL_OCI_INDEX : SL_OCI_IMAGE;
	/* The shape must fit the type: an index with a config, or a manifest with children, is ambiguous
	 * (the "confused deputy" of OCI's mediaType rule). */
	if (index ? config != NULL : manifests != NULL)
		return sl_cause(cause, -SL_E_PARSE, "body shape contradicts media type %s", mt);
	json_t *arr = json_object_get(root, index ? "manifests" : "layers");
	if (!json_is_array(arr))
		return sl_cause(cause, -SL_E_PARSE, "%s is missing or not an array", index ? "manifests" : "layers");
	size_t n = json_array_size(arr);
	if (n > SL_MAX_OCI_DESCRIPTORS)
		return sl_cause(cause, -SL_E_TOOBIG, "%zu descriptors, more than %d", n, SL_MAX_OCI_DESCRIPTORS);
	if (!index) {
		rc = parse_desc(config, &out->config, false, "config", cause);
		if (rc < 0)
			return rc;
	}
	out->descs = calloc(n ? n : 1, sizeof *out->descs);
	if (out->descs == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char what[64];
		snprintf(what, sizeof what, "%s[%zu]", index ? "manifests" : "layers", i);
		rc = parse_desc(json_array_get(arr, i), &out->descs[i], index, what, cause);
		if (rc < 0)
			return rc;
		out->n++;
	}
	return 0;
}

int sl_oci_parse(const void *data, size_t len, const char *content_type, struct sl_oci_manifest *out,
		 char **cause)
{
	memset(out, 0, sizeof *out);
	if (len > SL_MAX_OCI_MANIFEST)
		return sl_cause(cause, -SL_E_TOOBIG, "manifest of %zu bytes exceeds the %u byte cap", len,
			    SL_MAX_OCI_MANIFEST);
	json_error_t jerr;
	/* Duplicate keys would let two parsers (ours, a client's) see different manifests in one body. */
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return sl_cause(cause, -SL_E_PARSE, "not JSON: %s (line %d)", jerr.text, jerr.line);
	int rc = parse_root(root, content_type, out, cause);
	json_decref(root);
	if (rc < 0)
		sl_oci_manifest_release(out);
	return rc;
}

void sl_oci_manifest_release(struct sl_oci_manifest *m)
{
	if (m == NULL)
		return;
	free(m->descs);
	m->descs = NULL;
	m->n = 0;
}

/* ---- platform narrowing ---------------------------------------------------------------------------- */

static bool real_platform(const struct sl_oci_desc *d)
{
	return d->has_platform && strcmp(d->platform.os, "unknown") != 0;
}

bool sl_oci_child_kept(const struct sl_oci_desc *d, const char *const *platforms, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (real_platform(d) && sl_oci_platform_match(&d->platform, platforms[i]))
			return true;
	return false;
}

int sl_oci_index_plan(const struct sl_oci_manifest *ix, const char *const *platforms, size_t n,
		      struct sl_oci_index_plan *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < ix->n; i++) {
		if (!real_platform(&ix->descs[i]))
			continue;
		out->nreal++;
		if (sl_oci_child_kept(&ix->descs[i], platforms, n)) {
			out->nkept++;
			out->narrowed_to = i;
		}
	}
	out->all = n == 0 || out->nkept == out->nreal;
	if (!out->all && out->nkept == 0)
		return -SL_E_MISMATCH;
	out->narrowed = !out->all && out->nkept == 1;
	return 0;
}

bool sl_oci_index_loads(const struct sl_oci_index_plan *p, const struct sl_oci_manifest *ix, size_t i,
			const char *const *platforms, size_t n)
{
	if (i >= ix->n)
		return false;
	return p->all || (real_platform(&ix->descs[i]) && sl_oci_child_kept(&ix->descs[i], platforms, n));
}
