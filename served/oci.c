/* oci: the read-only registry at /v2/ — the per-generation index, name mapping, and the answers. */
#include "served/oci.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/blob.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/oci.h"
#include "core/path.h"
#include "served/files.h"
#include "served/httpparse.h"
#include "served/oci_index.h"
#include "served/request.h"
#include "served/text.h"

#define API_HEADER "Docker-Distribution-API-Version"
#define API_VERSION "registry/2.0"
#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define JSON_TYPE "application/json"

/* ---- answers ---- */

static void common_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, API_HEADER, API_VERSION);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

static enum MHD_Result oci_error(struct sl_request *r, unsigned status, const char *code, const char *message)
{
	char body[256];
	int n = snprintf(body, sizeof body, "{\"errors\":[{\"code\":\"%s\",\"message\":\"%s\"}]}\n", code, message);
	if (n < 0 || (size_t)n >= sizeof body) {
		/* The codes and messages are this file's constants: a longer one is a bug, never client input. */
		sl_log_err(NULL, "%s: error body for %s does not fit %zu bytes", r->uri, code, sizeof body);
		return MHD_NO;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	common_headers(resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, JSON_TYPE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return sl_request_respond(r, status, resp, (uint64_t)n);
}

static enum MHD_Result index_error(struct sl_request *r, int err)
{
	if (err == -ENOENT)
		return oci_error(r, MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN", "repository name not known to registry");
	if (err == -ENOMEM || err == -EMFILE || err == -ENFILE)
		return oci_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "UNAVAILABLE", "try again later");
	return oci_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", "the published tree cannot be read");
}

enum MHD_Result sl_oci_refuse(struct sl_request *r)
{
	return oci_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED", "this registry is a read-only mirror");
}

static void content_headers(struct MHD_Response *resp, const char *type, const char *hex, const char *cache)
{
	char digest[SL_SHA256_HEX + 8], etag[SL_SHA256_HEX + 10];
	snprintf(digest, sizeof digest, "sha256:%s", hex);
	snprintf(etag, sizeof etag, "\"sha256:%s\"", hex);
	common_headers(resp);
	if (type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "Docker-Content-Digest", digest);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
}

static enum MHD_Result answer_not_modified(struct sl_request *r, const char *hex, const char *cache)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	content_headers(resp, NULL, hex, cache);
	return sl_request_respond(r, MHD_HTTP_NOT_MODIFIED, resp, 0);
}

/* Send the open regular file `fd` (consumed) with the registry's headers. files.c makes the HTTP answer
 * (If-None-Match, Range and If-Range, 416, sendfile) exactly as for the other trees; the digest is the
 * entity-tag, so no Last-Modified. */
static enum MHD_Result send_fd(struct sl_request *r, int fd, const struct stat *st, const char *type, const char *hex,
			       const char *cache)
{
	char digest[SL_SHA256_HEX + 8], etag[SL_SHA256_HEX + 10];
	snprintf(digest, sizeof digest, "sha256:%s", hex);
	snprintf(etag, sizeof etag, "\"sha256:%s\"", hex);
	const char *const headers[] = { API_HEADER, API_VERSION, "Docker-Content-Digest", digest, NULL };
	const struct sl_files_reply how = {
		.content_type = type,
		.cache_control = cache,
		.etag = etag,
		.headers = headers,
	};
	return sl_files_send(r, fd, st, &how);
}

/* Takes the caller's reference to ix. `type` NULL: the manifest's own media type. */
static enum MHD_Result answer_manifest(struct sl_request *r, struct sl_oci_index *ix, const struct sl_oci_index_repo *rp,
				       const struct sl_oci_index_manifest *m, const char *cache, const char *type)
{
	char etag[SL_SHA256_HEX + 10];
	snprintf(etag, sizeof etag, "\"sha256:%s\"", m->hex);
	if (type == NULL)
		type = m->type;
	if (sl_files_if_none_match(r, etag)) {
		enum MHD_Result ret = answer_not_modified(r, m->hex, cache);
		sl_oci_index_release(ix);
		return ret;
	}
	if (m->data == NULL) {
		int fd = sl_oci_index_open(ix, rp, "_manifests", m->hex);
		uint64_t len = m->len;
		char hex[SL_SHA256_HEX], t[SL_OCI_MT_MAX];
		snprintf(hex, sizeof hex, "%s", m->hex);
		snprintf(t, sizeof t, "%s", type);
		sl_oci_index_release(ix);   /* the fd pins the file */
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) < 0 || (uint64_t)st.st_size != len)) {
			close(fd);
			fd = -EIO;
		}
		if (fd < 0)
			return oci_error(r, MHD_HTTP_NOT_FOUND, "MANIFEST_UNKNOWN", "manifest unknown");
		return send_fd(r, fd, &st, t, hex, cache);
	}
	/* Zero copy: the response points into the index and holds our reference until it is sent. */
	struct MHD_Response *resp =
		MHD_create_response_from_buffer_with_free_callback_cls(m->len, m->data, sl_oci_index_release_cb, ix);
	if (resp == NULL) {
		sl_oci_index_release(ix);
		return MHD_NO;
	}
	content_headers(resp, type, m->hex, cache);
	return sl_request_respond(r, MHD_HTTP_OK, resp, m->len);
}

/* Takes the caller's reference to ix. */
static enum MHD_Result answer_blob(struct sl_request *r, struct sl_oci_index *ix, const struct sl_oci_index_repo *rp,
				   const char *hex)
{
	int fd = sl_oci_index_open(ix, rp, "_blobs", hex);
	if (fd < 0) {
		/* Registries serve a manifest through the blob endpoint too (it is content like any other). */
		const struct sl_oci_index_manifest *m = sl_oci_index_find_manifest(rp, hex);
		if (m != NULL)
			return answer_manifest(r, ix, rp, m, CACHE_IMMUTABLE, "application/octet-stream");
		sl_oci_index_release(ix);
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM)
			return oci_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "UNAVAILABLE", "try again later");
		if (fd != -ENOENT && fd != -ELOOP && fd != -EXDEV && fd != -ENOTDIR)
			sl_log_err(NULL, "%s: %s", r->uri, sl_strerror(fd));
		return oci_error(r, MHD_HTTP_NOT_FOUND, "BLOB_UNKNOWN", "blob unknown to registry");
	}
	sl_oci_index_release(ix);   /* the fd pins the file, even if its generation goes */
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SL_MAX_ARTIFACT_BYTES) {
		close(fd);
		return oci_error(r, MHD_HTTP_NOT_FOUND, "BLOB_UNKNOWN", "blob unknown to registry");
	}
	return send_fd(r, fd, &st, "application/octet-stream", hex, CACHE_IMMUTABLE);
}

static enum MHD_Result answer_json(struct sl_request *r, struct sl_text *t, const char *link)
{
	char *body;
	size_t len;
	int rc = sl_text_take(t, &body, &len);
	if (rc < 0)
		return oci_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "UNAVAILABLE", "answer too large");
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	common_headers(resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, JSON_TYPE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	if (link != NULL)
		MHD_add_response_header(resp, "Link", link);
	return sl_request_respond(r, MHD_HTTP_OK, resp, len);
}

static enum MHD_Result answer_base(struct sl_request *r)
{
	struct sl_text t;
	sl_text_init(&t);
	sl_text_printf(&t, "{}");
	return answer_json(r, &t, NULL);
}

/* A query argument, %-decoded (MHD hands them over raw): 1 present, 0 absent, -1 malformed or too long. */
static int query_arg(const struct sl_request *r, const char *key, char *buf, size_t cap)
{
	const char *raw = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
	buf[0] = '\0';
	return raw == NULL ? 0 : sl_httpparse_query_value(raw, buf, cap);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One page of a sorted list, spec pagination: `n` (bounded by SL_MAX_OCI_PAGE, which is also the page
 * without n), `last` (entries sorting after it), and a Link to the next page when there is one. */
static enum MHD_Result answer_page(struct sl_request *r, const char *const *items, size_t count,
				   const char *name, const char *link_path, const char *ns)
{
	/* `last` is an entry of a page we sent: a tag, or in the catalogue "<source>/<repository>". */
	char nbuf[24], last[SL_MAX_NAME + 1 + SL_MAX_OCI_REPO + 1];
	uint64_t n = SL_MAX_OCI_PAGE;
	int has_n = query_arg(r, "n", nbuf, sizeof nbuf);
	if (has_n < 0 || (has_n > 0 && sl_blob_to_u64(sl_blob_str(nbuf), &n) < 0))
		return oci_error(r, MHD_HTTP_BAD_REQUEST, "PAGINATION_NUMBER_INVALID", "invalid number of results requested");
	if (n > SL_MAX_OCI_PAGE)
		n = SL_MAX_OCI_PAGE;
	int has_last = query_arg(r, "last", last, sizeof last);
	if (has_last < 0)
		return oci_error(r, MHD_HTTP_BAD_REQUEST, "PAGINATION_NUMBER_INVALID", "invalid last entry");
	size_t lo = 0, hi = count;   /* first entry > last */
	while (has_last > 0 && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(items[mid], last) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = count - lo > n ? lo + (size_t)n : count;
	/* Names and tags passed the spec's grammars: nothing in them needs JSON escaping. */
	struct sl_text t;
	sl_text_init(&t);
	if (name != NULL)
		sl_text_printf(&t, "{\"name\":\"%s\",\"tags\":[", name);
	else
		sl_text_printf(&t, "{\"repositories\":[");
	for (size_t i = lo; i < end; i++)
		sl_text_printf(&t, "%s\"%s\"", i > lo ? "," : "", items[i]);
	sl_text_printf(&t, "]}\n");
	char link[SL_MAX_URL];
	bool more = end < count && end > lo;
	/* Path, entry and ns are bounded by their grammars far below SL_MAX_URL; a Link cut short would send
	 * clients to the wrong page, so should that ever change, fail loudly rather than truncate. */
	if (more && snprintf(link, sizeof link, "<%s?n=%" PRIu64 "&last=%s%s%s>; rel=\"next\"", link_path, n,
			     items[end - 1], ns != NULL ? "&ns=" : "", ns != NULL ? ns : "") >= (int)sizeof link) {
		sl_text_release(&t);
		return oci_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", "pagination link too long");
	}
	return answer_json(r, &t, more ? link : NULL);
}

/* Takes the caller's reference to ix. */
static enum MHD_Result answer_tags(struct sl_request *r, struct sl_oci_index *ix, const struct sl_oci_index_repo *rp,
				   const char *name, const char *ns)
{
	char link_path[sizeof "/v2/" + SL_MAX_OCI_REPO + sizeof "/tags/list"];
	if (snprintf(link_path, sizeof link_path, "/v2/%s/tags/list", name) >= (int)sizeof link_path) {
		sl_oci_index_release(ix);   /* not a name sl_oci_valid_repo lets through */
		return oci_error(r, MHD_HTTP_BAD_REQUEST, "NAME_INVALID", "invalid repository name");
	}
	const char **items = rp->ntags > 0 ? malloc(rp->ntags * sizeof *items) : NULL;
	if (rp->ntags > 0 && items == NULL) {
		sl_oci_index_release(ix);
		return oci_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "UNAVAILABLE", "try again later");
	}
	for (size_t i = 0; i < rp->ntags; i++)
		items[i] = rp->tags[i].name;
	enum MHD_Result ret = answer_page(r, items, rp->ntags, name, link_path, ns);
	free(items);
	sl_oci_index_release(ix);
	return ret;
}

static bool is_oci(const struct sl_source *src)
{
	return src->format->serve == &sl_oci_route;
}

static enum MHD_Result answer_catalog(struct sl_request *r)
{
	const struct sl_config *cfg = r->cfg;
	char **items = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (size_t s = 0; rc == 0 && s < cfg->nsources; s++) {
		const struct sl_source *src = &cfg->sources[s];
		if (!is_oci(src))
			continue;
		int err;
		struct sl_oci_index *ix = sl_oci_index_get(r->public_dir, src->name, &err);
		if (ix == NULL)
			continue;   /* unpublished, or logged by index_get: the other sources still answer */
		for (size_t i = 0; rc == 0 && i < ix->nrepos; i++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				char **v = realloc(items, cap * sizeof *v);
				if (v == NULL) {
					rc = -ENOMEM;
					break;
				}
				items = v;
			}
			if (asprintf(&items[n], "%s/%s", src->name, ix->repos[i].name) < 0)
				rc = -ENOMEM;
			else
				n++;
		}
		sl_oci_index_release(ix);
	}
	enum MHD_Result ret;
	if (rc < 0) {
		ret = oci_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "UNAVAILABLE", "try again later");
	} else {
		if (n > 1)   /* items is NULL for an empty registry */
			qsort(items, n, sizeof *items, cmp_str);
		ret = answer_page(r, (const char *const *)items, n, NULL, "/v2/_catalog", NULL);
	}
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
	return ret;
}

/* ---- names ---- */

/* host[:port] of a registry URL or an `ns` value, lower case, default port dropped. */
static void host_of(const char *url, char *buf, size_t cap)
{
	const char *p = strstr(url, "://");
	bool https = p == NULL || strncasecmp(url, "https", 5) == 0;
	p = p != NULL ? p + 3 : url;
	size_t n = strcspn(p, "/?#");
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] - 'A' + 'a' : p[i]);
	buf[n] = '\0';
	const char *dflt = https ? ":443" : ":80";
	size_t d = strlen(dflt);
	if (n > d && strcmp(buf + n - d, dflt) == 0)
		buf[n - d] = '\0';
}

/* Docker Hub answers under several names; clients call it docker.io. */
static bool is_docker_hub(const char *host)
{
	static const char *const hub[] = { "docker.io", "registry-1.docker.io", "index.docker.io",
					   "registry.hub.docker.com" };
	for (size_t i = 0; i < sizeof hub / sizeof hub[0]; i++)
		if (strcmp(host, hub[i]) == 0)
			return true;
	return false;
}

static bool registry_matches(const struct sl_source *src, const char *ns_host)
{
	if (src->registry == NULL)
		return false;
	char host[SL_MAX_NAME * 4];
	host_of(src->registry, host, sizeof host);
	return strcmp(host, ns_host) == 0 || (is_docker_hub(host) && is_docker_hub(ns_host));
}

/* Map a requested name to a source and repository: ?ns= (containerd), then "<source>/<repo>", then
 * Docker Hub names without prefix (Docker's registry-mirrors). NULL when no source serves it, or when the
 * repository would not fit `cap` (no published repository is that long). */
static const struct sl_source *map_name(const struct sl_config *cfg, const char *name, const char *ns,
					char *repo, size_t cap)
{
	const struct sl_source *src = NULL;
	char host[SL_MAX_NAME * 4];
	if (ns != NULL) {
		host_of(ns, host, sizeof host);
		for (size_t i = 0; i < cfg->nsources && src == NULL; i++)
			if (is_oci(&cfg->sources[i]) && registry_matches(&cfg->sources[i], host))
				src = &cfg->sources[i];
	} else {
		const char *slash = strchr(name, '/');
		char first[SL_MAX_NAME + 1];
		if (slash != NULL && (size_t)(slash - name) < sizeof first) {
			memcpy(first, name, (size_t)(slash - name));
			first[slash - name] = '\0';
			const struct sl_source *s = sl_config_source(cfg, first);
			if (s != NULL && is_oci(s))
				return snprintf(repo, cap, "%s", slash + 1) < (int)cap ? s : NULL;
		}
		for (size_t i = 0; i < cfg->nsources && src == NULL; i++)
			if (is_oci(&cfg->sources[i]) && registry_matches(&cfg->sources[i], "docker.io"))
				src = &cfg->sources[i];
	}
	if (src == NULL)
		return NULL;
	/* Docker Hub's official images live under library/ even when a client leaves it out. */
	host_of(src->registry, host, sizeof host);
	const char *lib = is_docker_hub(host) && strchr(name, '/') == NULL ? "library/" : "";
	return snprintf(repo, cap, "%s%s", lib, name) < (int)cap ? src : NULL;
}

enum MHD_Result sl_oci_serve(struct sl_request *r, const char *rest)
{
	char path[SL_MAX_REQUEST_PATH];
	if (sl_path_url_decode(rest, path, sizeof path) < 0)
		return oci_error(r, MHD_HTTP_BAD_REQUEST, "NAME_INVALID", "malformed request path");
	if (path[0] == '\0')
		return answer_base(r);
	if (strcmp(path, "_catalog") == 0)
		return answer_catalog(r);

	/* <name>/tags/list, <name>/manifests/<reference>, <name>/blobs/<digest>. */
	const char *name, *arg;
	enum sl_httpparse_oci_op op = sl_httpparse_oci_path(path, &name, &arg);
	if (op == SL_OCI_OP_NONE)
		return oci_error(r, MHD_HTTP_NOT_FOUND, "UNSUPPORTED", "no such endpoint in this registry");
	if (!sl_oci_valid_repo(name))
		return oci_error(r, MHD_HTTP_BAD_REQUEST, "NAME_INVALID", "invalid repository name");
	char hex[SL_SHA256_HEX];
	hex[0] = '\0';
	if (op == SL_OCI_OP_BLOB && (strcmp(arg, "uploads") == 0 || strncmp(arg, "uploads/", 8) == 0))
		return oci_error(r, MHD_HTTP_NOT_FOUND, "BLOB_UPLOAD_UNKNOWN", "this registry is a read-only mirror");
	if ((op == SL_OCI_OP_BLOB || (op == SL_OCI_OP_MANIFEST && strchr(arg, ':') != NULL)) && sl_digest_parse_oci(arg, hex) < 0)
		return oci_error(r, MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", "invalid or unsupported digest");
	if (op == SL_OCI_OP_MANIFEST && hex[0] == '\0' && !sl_oci_valid_tag(arg))
		return oci_error(r, MHD_HTTP_BAD_REQUEST, "TAG_INVALID", "invalid tag");

	char nsbuf[256];
	int has_ns = query_arg(r, "ns", nsbuf, sizeof nsbuf);
	if (has_ns < 0 || (has_ns > 0 && !sl_httpparse_oci_ns(nsbuf)))
		return oci_error(r, MHD_HTTP_BAD_REQUEST, "NAME_INVALID", "invalid ns parameter");
	const char *ns = has_ns > 0 ? nsbuf : NULL;
	char repo[SL_MAX_OCI_REPO + 1];
	const struct sl_source *src = map_name(r->cfg, name, ns, repo, sizeof repo);
	if (src == NULL)
		return index_error(r, -ENOENT);
	int err;
	struct sl_oci_index *ix = sl_oci_index_get(r->public_dir, src->name, &err);
	if (ix == NULL)
		return index_error(r, err);
	const struct sl_oci_index_repo *rp = sl_oci_index_find_repo(ix, repo);
	if (rp == NULL) {
		sl_oci_index_release(ix);
		return index_error(r, -ENOENT);
	}
	switch (op) {
	case SL_OCI_OP_TAGS:
		return answer_tags(r, ix, rp, name, ns);
	case SL_OCI_OP_BLOB:
		return answer_blob(r, ix, rp, hex);
	case SL_OCI_OP_MANIFEST:
	case SL_OCI_OP_NONE:   /* refused above */
		break;
	}
	const struct sl_oci_index_manifest *m = NULL;
	if (hex[0] != '\0') {
		m = sl_oci_index_find_manifest(rp, hex);
	} else {
		m = sl_oci_index_find_tag(rp, arg);
	}
	if (m == NULL) {
		sl_oci_index_release(ix);
		return oci_error(r, MHD_HTTP_NOT_FOUND, "MANIFEST_UNKNOWN", "manifest unknown");
	}
	/* A tag may move with the next publication; a digest names the same bytes forever. */
	return answer_manifest(r, ix, rp, m, hex[0] != '\0' ? CACHE_IMMUTABLE : "no-cache", NULL);
}

void sl_oci_snippet(struct sl_text *out, const char *base_url, const struct sl_source *src)
{
	const char *authority = strstr(base_url, "://");
	authority = authority != NULL ? authority + 3 : base_url;
	char host[SL_MAX_NAME * 4];
	host_of(src->registry != NULL ? src->registry : "REGISTRY", host, sizeof host);
	bool hub = is_docker_hub(host);
	sl_text_printf(out, "# pull by name (plain HTTP: the client's insecure-registries list, or TLS in [served])\n");
	sl_text_printf(out, "skopeo inspect docker://");
	sl_text_html(out, authority);
	sl_text_printf(out, "/");
	sl_text_html(out, src->name);
	sl_text_printf(out, "/REPOSITORY:TAG\n\n# containerd mirror: /etc/containerd/certs.d/");
	sl_text_html(out, hub ? "docker.io" : host);
	sl_text_printf(out, "/hosts.toml\nserver = \"");
	sl_text_html(out, src->registry != NULL ? src->registry : "");
	sl_text_printf(out, "\"\n[host.\"");
	sl_text_html(out, base_url);
	sl_text_printf(out, "\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
	if (hub) {
		sl_text_printf(out, "\n# Docker: /etc/docker/daemon.json\n{ \"registry-mirrors\": [\"");
		sl_text_html(out, base_url);
		sl_text_printf(out, "\"] }\n");
	}
}

const struct sl_route sl_oci_route = {
	.name = "oci", .prefix = "/v2/", .handle = sl_oci_serve, .refuse = sl_oci_refuse, .snippet = sl_oci_snippet,
};
