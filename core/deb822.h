/* deb822: a streaming parser for Debian control data (Release, Packages, Sources): feed it bytes in
 * chunks of any size, get a callback per paragraph. Memory is bounded by the largest paragraph
 * (SL_MAX_DEB822_PARA), never by the file, so a 100 MB Packages index parses in constant space.
 * Field names are matched case-insensitively; values keep continuation lines (with their leading space)
 * so multi-line fields (SHA256 lists, Description) can be walked with sl_deb822_lines().
 * Malformed input (line without colon outside a continuation, too-long paragraph, too many fields, NUL)
 * is -SL_E_PARSE / -SL_E_TOOBIG with the line number in the parser; never a crash.
 *
 * Ownership: sl_deb822_new() -> sl_deb822_free(). The paragraph passed to the callback and all blobs in
 * it are borrowed for the duration of the callback only. */
#ifndef SL_DEB822_H
#define SL_DEB822_H

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
void sl_deb822_free(struct sl_deb822 *d);

/* Parse a whole buffer (convenience over new/feed/finish/free). */
int sl_deb822_parse(const void *data, size_t len, sl_deb822_cb cb, void *arg);

/* Field lookup; returns false when absent. */
bool sl_deb822_get(const struct sl_deb822_para *p, const char *name, struct sl_blob *value);
/* Iterate the lines of a multi-line value: call with *it = value first; each call yields one trimmed,
 * non-empty line. False at the end. */
bool sl_deb822_lines(struct sl_blob *it, struct sl_blob *line);

#endif
