/* units: sizes and durations, parsed one way everywhere (config, CLI).
 * Sizes: "1024", "10K", "10M", "2G", "1T" (binary multiples: K = 1024); an optional trailing "B" or "iB".
 * Durations: "90s", "10m", "2h", "7d", "500ms", or compounds such as "1h30m"; a bare number is seconds.
 * Results are exact; overflow or garbage is -SL_E_PARSE. */
#ifndef SL_UNITS_H
#define SL_UNITS_H

#include <stddef.h>
#include <stdint.h>

int sl_units_parse_size(const char *s, uint64_t *bytes);
int sl_units_parse_duration(const char *s, int64_t *ms);
/* "HH:MM-HH:MM" (local time) as minutes after midnight; end may be before start (window across midnight). */
int sl_units_parse_window(const char *s, int *start_min, int *end_min);
/* Human forms for output: "1.5 MiB", "2h30m". Always NUL-terminated. */
void sl_units_format_size(uint64_t bytes, char *buf, size_t cap);
void sl_units_format_duration(int64_t ms, char *buf, size_t cap);

#endif
