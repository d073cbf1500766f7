/* units: sizes and durations, parsed one way everywhere (config, CLI).
 * Sizes: "1024", "10K", "10M", "2G", "1T" (binary multiples: K = 1024); an optional trailing "B" or "iB".
 * Letters are case-insensitive ("10k", "10MiB", "10mb").
 * Durations: "90s", "10m", "2h", "7d", "500ms", or compounds such as "1h30m"; a bare number is seconds.
 * Units are lowercase and a compound goes from the largest unit down, each unit at most once.
 * Results are exact: fractions ("1.5M"), signs ("-1"), blanks, overflow or garbage are -SL_E_PARSE, and
 * the output is untouched on failure. Accepted forms are listed in schemas/sluice.conf.5.md. */
#ifndef SL_UNITS_H
#define SL_UNITS_H

#include <stddef.h>
#include <stdint.h>

int sl_units_parse_size(const char *s, uint64_t *bytes);
int sl_units_parse_duration(const char *s, int64_t *ms);
/* "HH:MM-HH:MM" (local time) as minutes after midnight; end may be before start (window across midnight).
 * The hour may have one digit; "24:00" is accepted as an end (stored as 0); start == end is refused. */
int sl_units_parse_window(const char *s, int *start_min, int *end_min);
/* Human forms for output: "1.5 MiB", "2h30m". Always NUL-terminated (nothing is written if cap is 0).
 * Sizes are rounded to one decimal; durations are exact and parse back to the same value. */
void sl_units_format_size(uint64_t bytes, char *buf, size_t cap);
void sl_units_format_duration(int64_t ms, char *buf, size_t cap);

#endif
