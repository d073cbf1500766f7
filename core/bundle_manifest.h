/* bundle_manifest: the signed table of contents of a transfer bundle (`sluice export` / `sluice import`),
 * written canonically and read defensively, one line at a time, so neither side ever holds the object list
 * of a big snapshot in memory. The text is ASCII, one record per line, fields separated by one TAB:
 *
 *   sluice-bundle  1
 *   exporter       FPR                  40 uppercase hex: the exporting sluice's signing key
 *   sequence       N                    grows per exporter, never reused (1..2^53)
 *   created        UNIX
 *   valid-until    UNIX                 the inside refuses the bundle after this instant
 *   base           full | since N | ack SHA256     what the objects are a delta against
 *   source  NAME TYPE SNAPSHOT DIGEST UPSTREAM_DATE N_ENTRIES TOTAL_BYTES SUMMARY     (sorted by NAME)
 *   entry   PATH SHA256 SIZE ROLE META                    N_ENTRIES lines after their source, by PATH
 *   object  SHA256 SIZE VOLUME                            every object carried, by SHA256; VOLUME 1..
 *   end     N_SOURCES N_OBJECTS OBJECT_BYTES VOLUMES
 *
 * Format 2 (written only when a bundle uses them) adds deltas against what the inside already holds:
 *
 *   delta-of BASE_SNAPSHOT BASE_DIGEST N_LISTED       right after a source: its entries are those of the
 *                                                     inside's snapshot with content digest BASE_DIGEST
 *                                                     (the exporter's BASE_SNAPSHOT), changed by the
 *                                                     N_LISTED `entry` (added or replaced) and
 *   drop    PATH                                      (removed) lines that follow, together by PATH
 *   build   TARGET SIZE OP IN1 IN2 TOKEN              after the objects, in the order they must run: an
 *                                                     object made on the inside from objects it holds or
 *                                                     received: OP patch (IN1 base, IN2 the patch,
 *                                                     core/delta.h), unpack (IN1 compressed), pack (IN1
 *                                                     plain, TOKEN core/recompress.h); IN2/TOKEN "-" when
 *                                                     unused. A result is stored only if it hashes to TARGET.
 *   end     N_SOURCES N_OBJECTS OBJECT_BYTES VOLUMES N_BUILDS
 *
 * A source's N_ENTRIES and TOTAL_BYTES always describe the whole snapshot, so the inside checks the
 * rebuilt entry list against the signed content digest either way.
 *
 * Text fields (PATH, ROLE, META, SUMMARY) are percent-encoded: bytes 0x21..0x7e other than '%' stand for
 * themselves, every other byte is %XX (uppercase). META and SUMMARY are "-" when absent (a value that is
 * "-" itself is written %2D). Exactly one encoding is accepted, so one bundle has one manifest text.
 * A parser refuses anything else: unknown records, out-of-order or duplicate names, counts that do not add
 * up, numbers out of range, lines past SL_MAX_BUNDLE_LINE, anything after `end`, a missing `end`.
 *
 * Tar members of a volume are named by sl_bundle_member_parse(): MANIFEST, MANIFEST.sig, VOLUME,
 * objects/SHA256, END; every other name (absolute, "..", anything else) is refused.
 *
 * Ownership: a reader borrows its input (buffer or FILE) and owns the record it hands out until the next
 * call. Failure: -SL_E_PARSE (malformed), -SL_E_TOOBIG (a cap), -ENOMEM, -errno (I/O), each with *cause
 * naming the line. */
#ifndef SL_BUNDLE_MANIFEST_H
#define SL_BUNDLE_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/catalog.h"
#include "core/digest.h"
#include "core/limits.h"

#define SL_BUNDLE_FORMAT 1         /* no delta records: what older importers read */
#define SL_BUNDLE_FORMAT_DELTA 2   /* delta-of, drop and build records */

enum sl_bundle_base { SL_BASE_FULL, SL_BASE_SINCE, SL_BASE_ACK };

struct sl_bundle_header {
	int format;                      /* SL_BUNDLE_FORMAT or SL_BUNDLE_FORMAT_DELTA */
	char exporter[41];
	uint64_t sequence;
	int64_t created, valid_until;
	enum sl_bundle_base base;
	uint64_t base_since;             /* SL_BASE_SINCE */
	char base_ack[SL_SHA256_HEX];    /* SL_BASE_ACK: SHA-256 of the acknowledgement file */
};

struct sl_bundle_source {
	char name[SL_MAX_NAME + 1];
	char type[32];
	int64_t snapshot_id;             /* the exporter's id: the identity an acknowledgement names */
	char content_digest[SL_SHA256_HEX];
	int64_t upstream_date;
	uint64_t n_entries, total_bytes;
	const char *summary;             /* NULL when absent */
};

/* A source's entries as changes to a snapshot the inside holds. */
struct sl_bundle_delta {
	int64_t base_snapshot;           /* the exporter's id of the base */
	char base_digest[SL_SHA256_HEX]; /* its content digest: how the inside finds its own copy */
	uint64_t n_listed;               /* entry and drop records that follow */
};

enum sl_bundle_op { SL_BUILD_PATCH = 1, SL_BUILD_UNPACK, SL_BUILD_PACK };

struct sl_bundle_build {
	char target[SL_SHA256_HEX];
	uint64_t size;
	enum sl_bundle_op op;
	char in1[SL_SHA256_HEX];
	char in2[SL_SHA256_HEX];         /* "" unless patch */
	char token[SL_MAX_BUNDLE_TOKEN + 1];   /* "" unless pack */
};

struct sl_bundle_object {
	char sha256[SL_SHA256_HEX];
	uint64_t size;
	unsigned volume;
};

struct sl_bundle_end {
	uint64_t n_sources, n_objects, object_bytes;
	unsigned volumes;
	uint64_t n_builds;               /* 0 in format 1 */
};

/* ---- writing (the caller emits records in canonical order; the parser is the judge) ---- */
int sl_bundle_write_header(FILE *f, const struct sl_bundle_header *h);
int sl_bundle_write_source(FILE *f, const struct sl_bundle_source *s);
int sl_bundle_write_entry(FILE *f, const struct sl_entry *e);
int sl_bundle_write_delta_of(FILE *f, const struct sl_bundle_delta *d);
int sl_bundle_write_drop(FILE *f, const char *path);
int sl_bundle_write_object(FILE *f, const struct sl_bundle_object *o);
int sl_bundle_write_build(FILE *f, const struct sl_bundle_build *b);
/* format: the header's; the build count is written in format 2 only. */
int sl_bundle_write_end(FILE *f, int format, const struct sl_bundle_end *e);

/* ---- reading ---- */
enum sl_bundle_rec {
	SL_BREC_EOF = 0,      /* after `end`: the manifest is complete and consistent */
	SL_BREC_HEADER,       /* once, first */
	SL_BREC_SOURCE,
	SL_BREC_ENTRY,        /* belongs to the last SOURCE */
	SL_BREC_DELTA,        /* the last SOURCE is a delta: its ENTRY and DROP records are changes */
	SL_BREC_DROP,         /* sl_bundle_entry()->path is removed (the other fields are NULL/0) */
	SL_BREC_OBJECT,
	SL_BREC_BUILD,
	SL_BREC_END,
};

struct sl_bundle_reader;

/* Over a buffer (len bytes, need not be NUL-terminated) or an open stream (read from its position). */
struct sl_bundle_reader *sl_bundle_reader_mem(const void *data, size_t len);
struct sl_bundle_reader *sl_bundle_reader_file(FILE *f);
void sl_bundle_reader_free(struct sl_bundle_reader *r);

/* The next record: a positive enum sl_bundle_rec, SL_BREC_EOF once after END, or a negative code with
 * *cause. The pointers below stay valid until the next call. */
int sl_bundle_next(struct sl_bundle_reader *r, char **cause);
const struct sl_bundle_header *sl_bundle_header(const struct sl_bundle_reader *r);
const struct sl_bundle_source *sl_bundle_source(const struct sl_bundle_reader *r);
const struct sl_entry *sl_bundle_entry(const struct sl_bundle_reader *r);
const struct sl_bundle_delta *sl_bundle_delta(const struct sl_bundle_reader *r);
const struct sl_bundle_object *sl_bundle_object(const struct sl_bundle_reader *r);
const struct sl_bundle_build *sl_bundle_build(const struct sl_bundle_reader *r);
const struct sl_bundle_end *sl_bundle_end(const struct sl_bundle_reader *r);

/* Whole-manifest check: every record parses and the counts add up. 0 or negative with *cause. Fills
 * h and e (either may be NULL). */
int sl_bundle_manifest_check(const void *data, size_t len, struct sl_bundle_header *h, struct sl_bundle_end *e,
			     char **cause);

/* ---- tar members ---- */
enum sl_bundle_member {
	SL_MEMBER_MANIFEST = 1,
	SL_MEMBER_SIGNATURE,
	SL_MEMBER_VOLUME,
	SL_MEMBER_OBJECT,     /* sha_out gets the digest */
	SL_MEMBER_END,
};
/* Classify a member name; -SL_E_BADNAME (with *why, static text) for anything a bundle never contains. */
int sl_bundle_member_parse(const char *name, char sha_out[SL_SHA256_HEX], const char **why);

/* The VOLUME and END members' one line each: "SEQUENCE K N" and "K N_OBJECTS". */
int sl_bundle_volume_parse(const char *text, size_t len, uint64_t *seq, unsigned *k, unsigned *n);
int sl_bundle_end_parse(const char *text, size_t len, unsigned *k, uint64_t *n_objects);

#endif
