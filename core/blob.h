/* blob: borrowed byte views for parsing untrusted input without copies. A blob never owns memory;
 * it is valid only while the buffer it points into is. Functions never read past p + len. */
#ifndef SL_BLOB_H
#define SL_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_blob {
	const uint8_t *p;
	size_t len;
};

#define SL_BLOB_NULL ((struct sl_blob){ NULL, 0 })

/* View of a NUL-terminated string (without the NUL). */
struct sl_blob sl_blob_str(const char *s);
/* Exact, case-sensitive comparison with a C string. */
bool sl_blob_eq(struct sl_blob b, const char *s);
/* ASCII case-insensitive comparison with a C string. */
bool sl_blob_eq_nocase(struct sl_blob b, const char *s);
/* Strip ASCII spaces, tabs, CR and LF at both ends. */
struct sl_blob sl_blob_trim(struct sl_blob b);
/* Next token separated by any byte of `seps`, skipping leading separators. Advances *b past it.
 * Returns false when no token is left. */
bool sl_blob_token(struct sl_blob *b, const char *seps, struct sl_blob *tok);
/* Split at the first `sep`: *head gets what is before, *b what is after. False if `sep` is absent
 * (then *head = *b and *b becomes empty). */
bool sl_blob_split(struct sl_blob *b, uint8_t sep, struct sl_blob *head);
/* Decimal unsigned integer, whole blob, no sign, no overflow: 0 or -SL_E_PARSE. */
int sl_blob_to_u64(struct sl_blob b, uint64_t *out);
/* Copy into a NUL-terminated buffer; -SL_E_TOOBIG when it does not fit (buffer still terminated). */
int sl_blob_copy(struct sl_blob b, char *buf, size_t cap);
/* Heap copy, NUL-terminated; caller frees. NULL on allocation failure. */
char *sl_blob_strdup(struct sl_blob b);

#endif
