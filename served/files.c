/* files: static files from the published tree, one resolution per request, sent with sendfile; and the
 * one HTTP file answer (validators, ranges) the registry shares. */
#include "served/files.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/blob.h"
#include "core/config.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/path.h"
#include "served/hotcache.h"
#include "served/httpparse.h"
#include "served/mapcache.h"
#include "served/request.h"

#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define CACHE_REVALIDATE "no-cache"
#define CACHE_DEFAULT "public, max-age=300"

/* bytes: files up to this size are read and sent with their headers in one write instead of a header
 * write plus a sendfile (InRelease, Release, small indices: the hot, small files of a mirror). Bounded so
 * that max_connections requests in flight hold at most 1024 x 16 KiB = 16 MiB. */
#define SL_FILES_INLINE_MAX (16u << 10)
#define SL_OPENAT2_RETRIES 16   /* EAGAIN retries: a ".." under RESOLVE_BENEATH races with any rename */

/* Set once the kernel says openat2 does not exist; every later open takes the compat walk. */
static atomic_bool sl_files_no_openat2;

/* openat2, retried on EAGAIN: the kernel gives up resolving ".." beneath a root whenever a rename happened
 * anywhere in the system meanwhile (the publisher's own symlink switch included). -errno on failure. */
static long openat2_retry(int dirfd, const char *rel, const struct open_how *oh)
{
	for (int i = 0;; i++) {
		long fd = syscall(SYS_openat2, dirfd, rel, oh, sizeof *oh);
		if (fd >= 0)
			return fd;
		if (errno != EAGAIN || i == SL_OPENAT2_RETRIES)
			return -errno;
	}
}

static int open_compat(int dirfd, const char *rel, int oflags)
{
	char buf[SL_MAX_REL_PATH + 1];
	size_t n = strlen(rel);
	if (n == 0 || n >= sizeof buf)
		return -ENAMETOOLONG;
	memcpy(buf, rel, n + 1);
	int cur = dirfd;
	char *comp = buf;
	for (;;) {
		char *slash = strchr(comp, '/');
		if (slash != NULL)
			*slash = '\0';
		/* Callers checked rel already; this walk must not depend on that. */
		if (comp[0] == '\0' || strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			if (cur != dirfd)
				close(cur);
			return -EXDEV;
		}
		int next = slash != NULL
			? openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			: openat(cur, comp, oflags | O_NOFOLLOW);
		int err = errno;
		if (cur != dirfd)
			close(cur);
		if (next < 0)
			return -err;
		if (slash == NULL)
			return next;
		cur = next;
		comp = slash + 1;
	}
}

int sl_files_open_beneath(int dirfd, const char *rel, int oflags, unsigned how)
{
	if (!(how & SL_FILES_COMPAT) && !atomic_load_explicit(&sl_files_no_openat2, memory_order_relaxed)) {
		struct open_how oh = {
			.flags = (uint64_t)oflags,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
		};
		long fd = openat2_retry(dirfd, rel, &oh);
		if (fd != -ENOSYS)
			return (int)fd;
		atomic_store(&sl_files_no_openat2, true);
	}
	return open_compat(dirfd, rel, oflags);
}

int sl_files_public_fd(atomic_int *cache, const char *public_dir)
{
	int fd = atomic_load_explicit(cache, memory_order_acquire);
	if (fd >= 0)
		return fd;
	fd = open(public_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int expected = -1;
	if (!atomic_compare_exchange_strong(cache, &expected, fd)) {
		close(fd);   /* another worker stored its descriptor first */
		return expected;
	}
	return fd;
}

void sl_files_public_reopen(atomic_int *cache, const char *public_dir)
{
	int fd = open(public_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	int expected = -1;
	if (atomic_compare_exchange_strong(cache, &expected, fd))
		return;
	if (dup3(fd, expected, O_CLOEXEC) < 0)
		sl_log_warn(NULL, "%s: cannot reopen: %s", public_dir, strerror(errno));
	close(fd);
}

/* The published symlink public/<format>/<source> -> ../.gen/<name>: follow it, but never out of public/. */
static int open_source_dir(int publicfd, const char *format, const char *source)
{
	char rel[SL_MAX_NAME * 2 + 2];
	if (snprintf(rel, sizeof rel, "%s/%s", format, source) >= (int)sizeof rel)
		return -ENAMETOOLONG;
	if (!atomic_load_explicit(&sl_files_no_openat2, memory_order_relaxed)) {
		struct open_how oh = {
			.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		long fd = openat2_retry(publicfd, rel, &oh);
		if (fd != -ENOSYS)
			return (int)fd;
		atomic_store(&sl_files_no_openat2, true);
	}
	/* Compat: accept exactly the publisher's shape, ../.gen/<one component>. */
	int fmtfd = openat(publicfd, format, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fmtfd < 0)
		return -errno;
	char target[SL_MAX_PATH];
	ssize_t n = readlinkat(fmtfd, source, target, sizeof target - 1);
	int err = errno;
	if (n < 0 && err == EINVAL) {
		int fd = openat(fmtfd, source, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		err = errno;
		close(fmtfd);
		return fd >= 0 ? fd : -err;
	}
	close(fmtfd);
	if (n < 0)
		return -err;
	target[n] = '\0';
	const char *name = target + strlen("../.gen/");
	if (strncmp(target, "../.gen/", strlen("../.gen/")) != 0 || strchr(name, '/') != NULL ||
	    name[0] == '\0' || name[0] == '.')
		return -EXDEV;
	char genrel[SL_MAX_PATH];
	snprintf(genrel, sizeof genrel, ".gen/%s", name);
	return open_compat(publicfd, genrel, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *base_name(const char *rel)
{
	const char *slash = strrchr(rel, '/');
	return slash != NULL ? slash + 1 : rel;
}

const char *sl_files_content_type(const char *rel)
{
	static const struct {
		const char *suffix, *type;
	} by_suffix[] = {
		{ ".deb", "application/vnd.debian.binary-package" },
		{ ".udeb", "application/vnd.debian.binary-package" },
		{ ".gz", "application/gzip" },
		{ ".xz", "application/x-xz" },
		{ ".bz2", "application/x-bzip2" },
		{ ".zst", "application/zstd" },
		{ ".lz4", "application/x-lz4" },
		{ ".gpg", "application/pgp-signature" },
		{ ".sig", "application/pgp-signature" },
		{ ".asc", "application/pgp-signature" },
		{ ".dsc", "text/plain; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".cvd", "application/octet-stream" },
		{ ".cld", "application/octet-stream" },
		{ ".cdiff", "application/octet-stream" },
	};
	static const char *const text_names[] = { "InRelease", "Release", "Packages", "Sources", "Index" };
	const char *base = base_name(rel);
	for (size_t i = 0; i < sizeof text_names / sizeof text_names[0]; i++)
		if (strcmp(base, text_names[i]) == 0)
			return "text/plain; charset=utf-8";
	for (size_t i = 0; i < sizeof by_suffix / sizeof by_suffix[0]; i++)
		if (has_suffix(base, by_suffix[i].suffix))
			return by_suffix[i].type;
	return "application/octet-stream";
}

const char *sl_files_cache_control(const char *rel)
{
	const char *base = base_name(rel);
	/* Names that can never point at other bytes: APT by-hash and pool, ClamAV's versioned cdiffs. */
	if (strncmp(rel, "by-hash/", 8) == 0 || strstr(rel, "/by-hash/") != NULL || strncmp(rel, "pool/", 5) == 0 ||
	    has_suffix(base, ".cdiff"))
		return CACHE_IMMUTABLE;
	/* Mutable names: a cached Release newer or older than its indices is apt's "Hash Sum mismatch", and
	 * freshclam decides from daily.cvd's header whether to update. Clients revalidate (cheap 304s). */
	if (strncmp(rel, "dists/", 6) == 0 || strcmp(base, "InRelease") == 0 || strcmp(base, "Release") == 0 ||
	    strcmp(base, "Release.gpg") == 0 || has_suffix(base, ".cvd") || has_suffix(base, ".cld") ||
	    has_suffix(base, ".cud"))
		return CACHE_REVALIDATE;
	return CACHE_DEFAULT;
}

bool sl_files_if_none_match(const struct sl_request *r, const char *etag)
{
	const char *inm = sl_request_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
	return inm != NULL && sl_httpparse_etag_match(inm, etag);
}

static void validators(const struct stat *st, char *etag, size_t etag_cap, char *lm, size_t lm_cap)
{
	uint64_t mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
	snprintf(etag, etag_cap, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st->st_ino,
		 (uint64_t)st->st_size, mtime_ns);
	struct tm tm;
	if (gmtime_r(&st->st_mtim.tv_sec, &tm) == NULL || strftime(lm, lm_cap, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		lm[0] = '\0';   /* an mtime no HTTP date can express: no Last-Modified, the ETag still validates */
}

/* What every answer of sl_files_send carries, whatever its status. `lm` "" sends no Last-Modified. */
static void reply_headers(struct MHD_Response *resp, const struct sl_files_reply *how, const char *etag,
			  const char *lm)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (lm[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, lm);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, how->cache_control);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; how->headers != NULL && how->headers[i] != NULL && how->headers[i + 1] != NULL; i += 2)
		MHD_add_response_header(resp, how->headers[i], how->headers[i + 1]);
}

/* The bytes [start, start + len) of fd (consumed) as an in-memory response; NULL on failure (a file that
 * shrank under us included: the publisher never rewrites a published file, so that is corruption). */
static struct MHD_Response *inline_response(int fd, uint64_t start, uint64_t len)
{
	char *buf = malloc(len);
	size_t got = 0;
	while (buf != NULL && got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(start + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (buf == NULL || got < len) {
		free(buf);
		return NULL;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		free(buf);
	return resp;
}

enum MHD_Result sl_files_send(struct sl_request *r, int fd, const struct stat *st, const struct sl_files_reply *how)
{
	char own_etag[80], lm[40] = "";
	const char *etag = how->etag;
	if (etag == NULL) {
		validators(st, own_etag, sizeof own_etag, lm, sizeof lm);
		etag = own_etag;
	}
	bool dated = lm[0] != '\0';
	uint64_t size = (uint64_t)st->st_size;

	const char *inm = sl_request_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *ims = dated ? sl_request_header(r, MHD_HTTP_HEADER_IF_MODIFIED_SINCE) : NULL;
	time_t since;
	bool fresh = inm != NULL ? sl_httpparse_etag_match(inm, etag)
		     : (ims != NULL && sl_httpparse_date(ims, &since) && st->st_mtim.tv_sec <= since);
	if (fresh) {
		close(fd);
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return MHD_NO;
		reply_headers(resp, how, etag, lm);
		return sl_request_respond(r, MHD_HTTP_NOT_MODIFIED, resp, 0);
	}

	uint64_t start = 0, len = size;
	enum sl_httpparse_range kind = SL_RANGE_NONE;
	const char *range = r->get ? sl_request_header(r, MHD_HTTP_HEADER_RANGE) : NULL;
	if (range != NULL) {
		const char *ifr = sl_request_header(r, MHD_HTTP_HEADER_IF_RANGE);
		if (ifr == NULL || sl_httpparse_if_range(ifr, etag, dated, st->st_mtim.tv_sec))
			kind = sl_httpparse_range(range, size, &start, &len);
	}
	/* "bytes " + three 20-digit numbers + "-" + "/" + NUL fits with room to spare. */
	char content_range[96];
	if (kind == SL_RANGE_UNSATISFIABLE) {
		close(fd);
		static const char body[] = "416 range not satisfiable\n";
		struct MHD_Response *resp = MHD_create_response_from_buffer(sizeof body - 1, (void *)body,
									    MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return MHD_NO;
		snprintf(content_range, sizeof content_range, "bytes */%" PRIu64, size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, content_range);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
		reply_headers(resp, how, etag, lm);
		return sl_request_respond(r, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp, sizeof body - 1);
	}

	struct MHD_Response *resp;
	if (len == 0) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	} else if (len <= SL_FILES_INLINE_MAX && r->get) {
		resp = inline_response(fd, start, len);
	} else if (r->get && !r->tls && (resp = sl_mapcache_response(r->maps, fd, st, start, len)) != NULL) {
		close(fd);   /* the mapping keeps the bytes of this generation */
		/* The kernel takes at most ~this much unsent body per send, as MHD's 128 KiB sendfile chunks
		 * do: a connection with a grown send buffer no longer swallows a whole file per turn of the
		 * event loop while the others wait (bench/served.sh: better throughput and tail at 256
		 * connections). Best effort: without it (kernels < 3.12) only the tail is longer. */
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn,
									      MHD_CONNECTION_INFO_CONNECTION_FD);
		int lowat = SL_MAPCACHE_NOTSENT_LOWAT;
		if (ci != NULL)
			(void)setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
	} else {
		/* MHD owns fd from here (closed when the response is destroyed, even on failure). */
		resp = MHD_create_response_from_fd_at_offset64(len, fd, start);
		if (resp == NULL)
			close(fd);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, how->content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	reply_headers(resp, how, etag, lm);
	unsigned status = MHD_HTTP_OK;
	if (kind == SL_RANGE_ONE) {
		snprintf(content_range, sizeof content_range, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start,
			 start + len - 1, size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, content_range);
		status = MHD_HTTP_PARTIAL_CONTENT;
	} else if (how->hot_gen != NULL && how->hot_rel != NULL && r->get && len <= SL_FILES_INLINE_MAX) {
		/* A whole small file of an immutable generation: the same response serves the next clients. */
		enum MHD_Result ret = sl_request_respond_keep(r, status, resp, len);
		if (ret == MHD_YES)
			sl_hotcache_put(r->hot, how->hot_gen, how->hot_rel, resp, len);
		else
			MHD_destroy_response(resp);
		return ret;
	}
	return sl_request_respond(r, status, resp, len);
}

static unsigned errno_status(int err)
{
	switch (-err) {
	case ENOENT: case ENOTDIR: case ELOOP: case EXDEV: case ENAMETOOLONG: case ENXIO:
		return MHD_HTTP_NOT_FOUND;
	case EMFILE: case ENFILE: case ENOMEM: case EAGAIN:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	default:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* Only a GET without Range or validators is answered from the hot cache: the rest needs the file's stat. */
static bool plain_get(const struct sl_request *r)
{
	return r->get && r->hot != NULL && sl_request_header(r, MHD_HTTP_HEADER_RANGE) == NULL &&
	       sl_request_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH) == NULL &&
	       sl_request_header(r, MHD_HTTP_HEADER_IF_MODIFIED_SINCE) == NULL;
}

/* The generation public/<format>/<source> names: "<name>" of "../.gen/<name>", the only shape the
 * publisher writes. Anything else (a directory, another target) is -EXDEV: the caller takes the general
 * path, whose checks decide. */
static int read_gen(int publicfd, const char *format, const char *source, char *gen, size_t cap)
{
	char rel[SL_MAX_NAME * 2 + 2], target[SL_MAX_PATH];
	if (snprintf(rel, sizeof rel, "%s/%s", format, source) >= (int)sizeof rel)
		return -ENAMETOOLONG;
	ssize_t n = readlinkat(publicfd, rel, target, sizeof target - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	const char *name = target + strlen("../.gen/");
	if (strncmp(target, "../.gen/", strlen("../.gen/")) != 0 || name[0] == '\0' || name[0] == '.' ||
	    strchr(name, '/') != NULL || strlen(name) >= cap)
		return -EXDEV;
	memcpy(gen, name, strlen(name) + 1);
	return 0;
}

/* Open public/<dir_rel-or-source-dir>/<rel> and send it. `format` NULL means dir_rel is a plain directory
 * (keys/); else dir_rel is the source and the publisher's symlink is followed. */
static enum MHD_Result serve_from(struct sl_request *r, const char *format, const char *dir_rel, const char *rel,
				  const char *content_type)
{
	int publicfd = sl_files_public_fd(r->public_fd, r->public_dir);
	if (publicfd < 0) {
		sl_log_err(NULL, "%s: %s", r->public_dir, sl_strerror(publicfd));
		return sl_request_error(r, errno_status(publicfd));
	}
	/* A plain GET of a published tree: the generation is named once (readlink), answered from the hot
	 * cache when it has that file, else opened by that name so what gets cached is what the name holds. */
	char gen[SL_MAX_PATH] = "";
	if (format != NULL && plain_get(r) && read_gen(publicfd, format, dir_rel, gen, sizeof gen) == 0) {
		uint64_t cached_len = 0;
		int hit = sl_hotcache_queue(r->hot, r->conn, gen, rel, &cached_len);
		if (hit != 0) {
			if (hit < 0)
				return MHD_NO;
			sl_request_answered(r, MHD_HTTP_OK, cached_len);
			return MHD_YES;
		}
	} else {
		gen[0] = '\0';
	}
	char genrel[SL_MAX_PATH + 8];
	snprintf(genrel, sizeof genrel, ".gen/%s", gen);
	int dirfd = format == NULL ? sl_files_open_beneath(publicfd, dir_rel, O_PATH | O_DIRECTORY | O_CLOEXEC, 0)
		    : gen[0] != '\0' ? sl_files_open_beneath(publicfd, genrel, O_PATH | O_DIRECTORY | O_CLOEXEC, 0)
				     : open_source_dir(publicfd, format, dir_rel);
	if (dirfd < 0) {
		if (errno_status(dirfd) != MHD_HTTP_NOT_FOUND)
			sl_log_err(format != NULL ? dir_rel : NULL, "%s/%s%s%s: %s", r->public_dir,
				   format != NULL ? format : "", format != NULL ? "/" : "", dir_rel,
				   sl_strerror(dirfd));
		return sl_request_error(r, errno_status(dirfd));
	}
	/* O_NONBLOCK: opening a FIFO planted in the tree must not hang a worker. */
	int fd = sl_files_open_beneath(dirfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	close(dirfd);
	if (fd < 0) {
		if (errno_status(fd) != MHD_HTTP_NOT_FOUND)
			sl_log_err(format != NULL ? dir_rel : NULL, "%s: %s", r->uri, sl_strerror(fd));
		return sl_request_error(r, errno_status(fd));
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SL_MAX_ARTIFACT_BYTES) {
		close(fd);
		return sl_request_error(r, MHD_HTTP_NOT_FOUND);
	}
	const struct sl_files_reply how = {
		.content_type = content_type != NULL ? content_type : sl_files_content_type(rel),
		.cache_control = sl_files_cache_control(rel),
		.hot_gen = gen[0] != '\0' ? gen : NULL,
		.hot_rel = rel,
	};
	return sl_files_send(r, fd, &st, &how);
}

static int decode(const char *raw, char *buf, size_t cap, unsigned *status)
{
	int rc = sl_path_url_decode(raw, buf, cap);
	if (rc == -SL_E_TOOBIG)
		*status = MHD_HTTP_URI_TOO_LONG;
	else if (rc < 0)
		*status = MHD_HTTP_BAD_REQUEST;
	return rc;
}

enum MHD_Result sl_files_serve_tree(struct sl_request *r, const char *rest)
{
	char path[SL_MAX_REQUEST_PATH];
	unsigned status = 0;
	if (decode(rest, path, sizeof path, &status) < 0)
		return sl_request_error(r, status);
	char *slash = strchr(path, '/');
	if (slash == NULL)
		return sl_request_error(r, path[0] == '.' ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_NOT_FOUND);
	*slash = '\0';
	const char *source = path, *rel = slash + 1;
	if (source[0] == '.' || source[0] == '\0')
		return sl_request_error(r, MHD_HTTP_BAD_REQUEST);
	status = sl_httpparse_check_rel(rel);
	if (status != 0)
		return sl_request_error(r, status);
	/* Only configured sources of this route's format exist, whatever else lies in public/. */
	const struct sl_source *src = sl_config_valid_name(source) ? sl_config_source(r->cfg, source) : NULL;
	if (src == NULL || src->format->serve != r->route)
		return sl_request_error(r, MHD_HTTP_NOT_FOUND);
	return serve_from(r, src->format->name, source, rel, NULL);
}

enum MHD_Result sl_files_serve_keys(struct sl_request *r, const char *rest)
{
	char rel[SL_MAX_REQUEST_PATH];
	unsigned status = 0;
	if (decode(rest, rel, sizeof rel, &status) < 0)
		return sl_request_error(r, status);
	status = sl_httpparse_check_rel(rel);
	if (status != 0)
		return sl_request_error(r, status);
	const char *type = has_suffix(rel, ".asc") ? "application/pgp-keys" : NULL;
	return serve_from(r, NULL, "keys", rel, type);
}
