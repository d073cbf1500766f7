/* files: serving published files — the /<format>/<source>/... trees and /keys/ — from STATE/public.
 *
 * Each request is resolved once against the generation current at that instant: the source's symlink is
 * followed (beneath STATE/public only), then the file is opened with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) relative to that directory, and only regular files are
 * sent: files up to 16 KiB are read and sent with their headers in one write, larger ones from a shared
 * read-only mapping (served/mapcache.h) or, beyond its budget and over HTTPS, by sendfile via MHD. The
 * open descriptor (or the bytes read, or the mapping) pins the generation: a publish that switches the symlink
 * or deletes the old directory mid-download does not change the bytes a client is receiving.
 *
 * sl_files_send is the one place a file becomes an HTTP answer (validators, 304, ranges, bodies): the
 * registry (served/oci.c) sends its blobs through it too, with its own entity-tag and headers.
 *
 * Hostile paths (.., encoded / or \, NUL, control bytes, empty or dot-led components) are 400; anything
 * that is simply not there — including symlinks, directories, devices and FIFOs — is 404, never 403
 * (freshclam backs off for hours on 403). */
#ifndef SL_FILES_H
#define SL_FILES_H

#include <stdatomic.h>
#include <stdbool.h>

#include <microhttpd.h>

struct sl_request;
struct stat;

/* Route handler for a format tree: rest = "<source>/<path>" (raw). */
enum MHD_Result sl_files_serve_tree(struct sl_request *r, const char *rest);
/* Route handler for /keys/: rest = "<file>" (raw). */
enum MHD_Result sl_files_serve_keys(struct sl_request *r, const char *rest);

/* Open `rel` (already checked with sl_path_check_relative) beneath dirfd without following any symlink.
 * SL_FILES_COMPAT forces the per-component O_NOFOLLOW walk used where openat2 is missing (kernels < 5.6).
 * Returns the fd or -errno. */
#define SL_FILES_COMPAT 1u
int sl_files_open_beneath(int dirfd, const char *rel, int oflags, unsigned how);

/* STATE/public, opened once and kept (O_PATH): one open and one close fewer per request. `cache` starts
 * at -1; the first caller that finds the directory stores its descriptor there (later callers use it).
 * Returns the descriptor (borrowed: never close it) or -errno. */
int sl_files_public_fd(atomic_int *cache, const char *public_dir);
/* SIGHUP: open the directory again and swap it in under the same descriptor number (dup3), so a worker
 * holding the number mid-request never sees it closed or reused. Keeps the old one if the open fails. */
void sl_files_public_reopen(atomic_int *cache, const char *public_dir);

/* How sl_files_send answers with one file. Every pointer is borrowed for the duration of the call. */
struct sl_files_reply {
	const char *content_type;
	const char *cache_control;
	/* A quoted strong entity-tag naming the bytes (the registry's "\"sha256:<hex>\""). NULL: the file's
	 * own validators, an ETag from inode, size and mtime plus Last-Modified, and with it If-Modified-Since
	 * and dated If-Range. A content digest needs no date: it alone says whether the bytes are the same. */
	const char *etag;
	/* More headers on every answer, 304 and 416 included: name, value, name, value, ..., NULL. May be
	 * NULL. */
	const char *const *headers;
	/* Both set: a whole small file of this immutable generation is kept in r->hot under (gen, rel) for
	 * the next plain GET (served/hotcache.h). */
	const char *hot_gen;
	const char *hot_rel;
};

/* Answer a GET or HEAD with the open regular file `fd` (consumed in every case) whose fstat is `st`:
 * 304 when If-None-Match (else If-Modified-Since) says the client has these bytes; one byte range
 * (Range, honoured only while If-Range still holds) as 206, an unsatisfiable one as 416, malformed or
 * several ranges as the whole file (RFC 9110 allows it); otherwise 200. Up to 16 KiB are read and sent
 * with the headers in one write; a larger GET's body comes from r->maps' shared mapping when it fits
 * (plain HTTP), else by sendfile. MHD_NO when nothing could be queued
 * (MHD then closes the connection). */
enum MHD_Result sl_files_send(struct sl_request *r, int fd, const struct stat *st, const struct sl_files_reply *how);
/* Does the request's If-None-Match list `etag` (weak comparison) or "*"? For answers that are not files. */
bool sl_files_if_none_match(const struct sl_request *r, const char *etag);

/* Content-Type and Cache-Control for a served path (exposed for tests). */
const char *sl_files_content_type(const char *rel);
const char *sl_files_cache_control(const char *rel);

#endif
