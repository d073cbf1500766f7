/* deb822: a streaming parser for Debian control data (Release, Packages, Sources): feed it bytes in
 * chunks of any size, get a callback per paragraph. Memory is bounded by the largest paragraph
 * (SL_MAX_DEB822_PARA), never by the file, so a 100 MB Packages index parses in constant space.
 * Field names are matched case-insensitively; values keep continuation lines (with their leading space)
 * so multi-line fields (SHA256 lists, Description) can be walked with sl_deb822_lines().
 * Malformed input (line without colon outside a continuation, too-long paragraph, too many fields, NUL)
 * is -SL_E_PARSE / -SL_E_TOOBIG with the line number in the parser; never a crash.
 * Also refused: a field name twice in one paragraph (two SHA256 fields would let a checker and a user
 * of the data disagree), empty or malformed field names, a continuation line with no field before it.
 * Whitespace-only lines separate paragraphs. CRLF line ends are accepted: values never end in CR, but
 * interior lines of a multi-line value keep it (sl_deb822_lines trims it). Comment lines ('#' in column 0)
 * are refused by default, as deb822(5) allows them only in debian/control; sl_deb822_allow_comments()
 * makes them ignored (even between continuation lines) and drops them from raw.
 * Errors are sticky: after one, feed/finish keep returning it.
 *
 * Ownership: sl_deb822_new() -> sl_deb822_free(). The paragraph passed to the callback and all blobs in
 * it are borrowed for the duration of the callback only. */
#ifndef SL_DEB822_H
#define SL_DEB822_H

#include <stdbool.h>
#include <stddef.h>

#include "core/blob.h"

struct sl_deb822_field {
	struct sl_blob name;
	struct sl_blob value;  /* first line after "Name:" trimmed, continuation lines kept verbatim */
};

struct sl_deb822_para {
	const struct sl_deb822_field *fields;
	size_t nfields;
	struct sl_blob raw;    /* the paragraph's exact bytes, without the separating blank line */
	unsigned line;         /* line number of its first line */
};

/* Non-zero return from the callback stops parsing; feed/finish then return that value. */
typedef int (*sl_deb822_cb)(void *arg, const struct sl_deb822_para *p);

struct sl_deb822;
struct sl_deb822 *sl_deb822_new(sl_deb822_cb cb, void *arg);
int sl_deb822_feed(struct sl_deb822 *d, const void *data, size_t len);
/* Flush the last paragraph (input need not end with a newline). */
int sl_deb822_finish(struct sl_deb822 *d);
/* Line where an error was found (for "FILE:LINE: message"). */
unsigned sl_deb822_line(const struct sl_deb822 *d);
/* What the error was ("line without a colon", ...); static text, "" when there was none or when the
 * callback stopped parsing. */
const char *sl_deb822_error(const struct sl_deb822 *d);
/* Ignore '#' comment lines (debian/control syntax). Call before the first feed. */
void sl_deb822_allow_comments(struct sl_deb822 *d, bool on);
void sl_deb822_free(struct sl_deb822 *d);

/* Parse a whole buffer (convenience over new/feed/finish/free). */
int sl_deb822_parse(const void *data, size_t len, sl_deb822_cb cb, void *arg);

/* Field lookup; returns false when absent. */
bool sl_deb822_get(const struct sl_deb822_para *p, const char *name, struct sl_blob *value);
/* Iterate the lines of a multi-line value: call with *it = value first; each call yields one trimmed,
 * non-empty line. False at the end. */
bool sl_deb822_lines(struct sl_blob *it, struct sl_blob *line);

#endif
