/* httpparse: the parsers sluice-served applies to request bytes — request header values (dates,
 * entity-tag lists, If-Range, Range), the request target's path and query arguments. Pure functions over
 * borrowed strings: no I/O, no MHD, so libFuzzer drives them directly (tests/fuzz/fuzz_served_*.c).
 * Internal to served/. Everything here parses untrusted bytes: any input is answered, none crashes. */
#ifndef SL_HTTPPARSE_H
#define SL_HTTPPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* An HTTP-date (IMF-fixdate, or the two obsolete forms RFC 9110 requires recipients to accept) into
 * *out. false if it is none of them. */
bool sl_httpparse_date(const char *s, time_t *out);

/* If-None-Match: does the list (or "*") match `etag` by weak comparison? */
bool sl_httpparse_etag_match(const char *list, const char *etag);

/* If-Range: a strong entity-tag equal to `etag`, or, where Last-Modified was sent (`dated`), a date
 * equal to `mtime`. Anything else (weak tags, other dates, garbage): the Range is ignored. */
bool sl_httpparse_if_range(const char *h, const char *etag, bool dated, time_t mtime);

enum sl_httpparse_range {
	SL_RANGE_NONE,            /* absent, malformed or several ranges: a plain 200, as RFC 9110 allows */
	SL_RANGE_ONE,             /* *start, *len: within the file, len >= 1 */
	SL_RANGE_UNSATISFIABLE,   /* 416 */
};
/* A Range header against a file of `size` bytes. */
enum sl_httpparse_range sl_httpparse_range(const char *h, uint64_t size, uint64_t *start, uint64_t *len);

/* A decoded relative path of a published tree: 0 if it may be looked up, else the status to answer
 * (404 for a directory, 400 for a hostile or dot-led name). */
unsigned sl_httpparse_check_rel(const char *rel);

/* A raw (%-encoded) query argument value into buf: 1, or -1 if malformed, a control/space/non-ASCII
 * byte, or longer than cap - 1. buf is always a string. */
int sl_httpparse_query_value(const char *raw, char *buf, size_t cap);

/* The registry's ?ns= value: a registry host name (letters, digits, ".-:[]"), 1 to 255 bytes. */
bool sl_httpparse_oci_ns(const char *s);

enum sl_httpparse_oci_op {
	SL_OCI_OP_NONE,        /* no endpoint of this registry */
	SL_OCI_OP_TAGS,        /* <name>/tags/list */
	SL_OCI_OP_MANIFEST,    /* <name>/manifests/<reference> */
	SL_OCI_OP_BLOB,        /* <name>/blobs/<digest> */
};
/* Split a decoded /v2/ path (after "/v2/", not "" or "_catalog") in place: *name and *arg point into
 * `path` (arg NULL for tags). The rightmost marker wins: "manifests" or "blobs" may be name components. */
enum sl_httpparse_oci_op sl_httpparse_oci_path(char *path, const char **name, const char **arg);

#endif
