/* text: a small growable text buffer for responses built in memory (status page, metrics), capped at
 * SL_MAX_MEMORY_BODY. Appends after a failure (allocation, cap) are ignored and the buffer reports it once
 * at the end, so builders need not check every call.
 *
 * Ownership: sl_text_init() -> sl_text_release(), or sl_text_take() hands the heap string to the caller. */
#ifndef SL_TEXT_H
#define SL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct sl_text {
	char *p;        /* NUL-terminated when not NULL */
	size_t len, cap;
	bool failed;    /* an append did not fit or could not allocate */
};

void sl_text_init(struct sl_text *t);
void sl_text_release(struct sl_text *t);
void sl_text_printf(struct sl_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_text_append(struct sl_text *t, const char *s, size_t len);
/* Append s with & < > " ' escaped for HTML text and attribute values. */
void sl_text_html(struct sl_text *t, const char *s);
/* Append s escaped for a Prometheus label value (backslash, quote, newline). */
void sl_text_label(struct sl_text *t, const char *s);
/* 0 and the heap string (caller frees; never NULL on success), or -ENOMEM / -SL_E_TOOBIG. */
int sl_text_take(struct sl_text *t, char **out, size_t *len);

#endif
