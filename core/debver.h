/* debver: Debian version strings ("[epoch:]upstream[-revision]"), compared exactly as dpkg does
 * (epoch numerically, then upstream and revision with dpkg's verrevcmp: digit runs numerically, other
 * characters by ASCII with letters before non-letters and '~' before everything, even the end), and
 * validated with dpkg's rules (parseversion), where dpkg's warnings count as errors too: upstream must
 * start with a digit and use only [A-Za-z0-9.+~:-], the revision only [A-Za-z0-9.+~].
 * Everything works on borrowed blobs; nothing allocates. Comparing an invalid version gives a stable
 * but unspecified order: validate untrusted versions first. */
#ifndef SL_DEBVER_H
#define SL_DEBVER_H

#include <stdbool.h>

#include "core/blob.h"
#include "core/limits.h"

/* The parts of a version; blobs point into the input. revision is empty when there is no '-'. */
struct sl_debver {
	unsigned long epoch;
	struct sl_blob upstream;
	struct sl_blob revision;
};

/* Split and validate: 0, or -SL_E_PARSE with *why (static text, may be NULL) saying what is wrong. */
int sl_debver_parse(struct sl_blob v, struct sl_debver *out, const char **why);
/* True when sl_debver_parse accepts v. */
bool sl_debver_valid(struct sl_blob v);
/* <0, 0, >0 as a sorts before, equal to, after b (dpkg --compare-versions a lt/eq/gt b). */
int sl_debver_cmp(struct sl_blob a, struct sl_blob b);
int sl_debver_cmp_str(const char *a, const char *b);

#endif
