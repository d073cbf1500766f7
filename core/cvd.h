/* cvd: ClamAV's database containers, parsed strictly. A CVD is a 512-byte text header
 * "ClamAV-VDB:time:version:sigs:flevel:md5:dsig:builder:stime" padded with spaces, followed by a tar.gz
 * body whose MD5 the header names; the header's dsig signs that MD5 (verify/clamav_sig checks it). A CDIFF
 * is "ClamAV-Diff:version:length:", a gzip'd update script of `length` bytes, then ":" and a signature of
 * everything before that colon. Shared by syncd (verification), admin (diff) and the fuzzer.
 *
 * Ownership: parsed results are plain structs filled in place (strings copied into fixed buffers) or
 * borrowed views into the caller's buffer (struct sl_cdiff). Failure: -SL_E_PARSE with a one-line reason in
 * `why` (may be NULL); never reads past the given length. */
#ifndef SL_CVD_H
#define SL_CVD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"
#include "core/limits.h"

#define SL_CVD_HEADER SL_MAX_CVD_HEADER
#define SL_CVD_DSIG_MAX 400       /* characters of a signature: 2048-bit keys need 342 base-64 digits */
#define SL_CVD_FIELD_MAX 64       /* bytes of the time and builder fields (ClamAV's are < 32) */
#define SL_CVD_DBNAME_MAX 64      /* bytes of a database name */

struct sl_cvd_header {
	char time[SL_CVD_FIELD_MAX];  /* as written, e.g. "22 Jun 2021 14-58 -0400" */
	uint32_t version;
	uint32_t sigs;
	uint32_t flevel;
	char md5[33];                 /* 32 lowercase hex digits */
	char dsig[SL_CVD_DSIG_MAX + 1];
	char builder[SL_CVD_FIELD_MAX];
	int64_t stime;                /* build time, Unix seconds */
};

/* Parse the first SL_CVD_HEADER bytes of `p` (len must be at least that). 0 or -SL_E_PARSE. */
int sl_cvd_parse_header(const uint8_t *p, size_t len, struct sl_cvd_header *out, char *why, size_t whycap);

/* The time field as sigtool shows it ("22 Jun 2021 14:58 -0400"). */
void sl_cvd_display_time(const struct sl_cvd_header *h, char *buf, size_t cap);

struct sl_cdiff {
	uint32_t version;             /* the version this update produces */
	uint64_t script_len;          /* bytes of the uncompressed script */
	size_t data_off, data_len;    /* the gzip stream */
	size_t signed_len;            /* bytes covered by the signature: everything before the last ':' */
	const char *dsig;             /* borrowed, dsig_len characters, not NUL-terminated */
	size_t dsig_len;
};

/* Parse a whole CDIFF file. 0 or -SL_E_PARSE. */
int sl_cdiff_parse(const uint8_t *p, size_t len, struct sl_cdiff *out, char *why, size_t whycap);

/* True for ClamAV's signature alphabet (a-z A-Z 0-9 + /). */
bool sl_cvd_sigchar(unsigned char c);
/* Valid database names: [a-z0-9][a-z0-9_-]*, at most SL_CVD_DBNAME_MAX - 1 bytes. */
bool sl_cvd_valid_dbname(const char *name);

struct sl_cvd_file {
	char name[256];
	uint64_t size;
	char sha256[SL_SHA256_HEX];
	bool listed;                  /* named by the .info (set by sl_cvd_check_info) */
};

struct sl_cvd_body {
	uint64_t entries;             /* regular files in the tar */
	uint64_t bytes;               /* their uncompressed size */
	struct sl_cvd_file *files;    /* heap, `entries` of them; sl_cvd_body_release() */
	char *info;                   /* heap: the <db>.info member, NUL-terminated, or NULL */
	size_t info_len;
};
void sl_cvd_body_release(struct sl_cvd_body *b);

/* ClamAV's <db>.info binds the header to the content: its first line repeats the header (MD5 and dsig as
 * "X"), then "name:size:sha256" per file, then "DSIG:<signature>" over the SHA-256 of everything before
 * that line (checked by the caller with verify/clamav_sig). Checks that the repeated fields equal the
 * header's, that every listed file is in the tar with that size and SHA-256, and that every tar member
 * but COPYING and the .info itself is listed. 0 with *signed_len and the signature (borrowed from
 * b->info), or -SL_E_VERIFY with *cause (heap). */
int sl_cvd_check_info(const struct sl_cvd_header *h, struct sl_cvd_body *b, size_t *signed_len,
		      const char **dsig, size_t *dsig_len, char **cause);

/* Check a whole CVD file from fd (read from offset 0): the body after the header must have the MD5 the
 * header names and be a tar (gzip'd or plain) of regular files with flat, safe names. *out gets every
 * member's name, size and SHA-256, and the <db>.info member (release it in every case). 0, -SL_E_DIGEST
 * (MD5), -SL_E_ARCHIVE (not a valid archive, or a bad entry), -SL_E_TOOBIG, -errno; *cause (heap) says
 * which. */
int sl_cvd_check_body(int fd, const struct sl_cvd_header *h, struct sl_cvd_body *out, char **cause);

/* freshclam's DNS TXT record ("0.103.8:62:27000:1690000000:1:90:49191:334"): colon-separated fields,
 * main's version in field 1, daily's in 2, the record's time in 3, safebrowsing's in 6, bytecode's in 7.
 * 0 with the version and record time; -SL_E_NOTFOUND for a database the record does not carry;
 * -SL_E_PARSE for a malformed record. */
int sl_cvd_dns_version(const char *txt, size_t len, const char *db, uint32_t *version, int64_t *record_time);

/* Check that the gzip stream of a CDIFF decompresses to exactly script_len bytes. */
int sl_cdiff_check_script(const uint8_t *p, const struct sl_cdiff *d, char **cause);

#endif
