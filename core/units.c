/* units: sizes, durations and time windows, parsed strictly and exactly (integers only, no locale).
 * Every accepted form is listed in schemas/sluice.conf.5.md; anything else is -SL_E_PARSE. */
#include "core/units.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"

#define MS_PER_S   1000LL
#define MS_PER_MIN (60 * MS_PER_S)
#define MS_PER_H   (60 * MS_PER_MIN)
#define MS_PER_D   (24 * MS_PER_H)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Leading decimal digits of *s into *v; advances *s. Refuses no digits and overflow. */
static int parse_digits(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t n = 0;
	if (!is_digit(*p))
		return -SL_E_PARSE;
	while (is_digit(*p)) {
		uint64_t d = (uint64_t)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -SL_E_PARSE;
		n = n * 10 + d;
		p++;
	}
	*s = p;
	*v = n;
	return 0;
}

static char upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - ('a' - 'A')) : c;
}

int sl_units_parse_size(const char *s, uint64_t *bytes)
{
	static const char units[] = "KMGT";
	uint64_t n;
	if (s == NULL || parse_digits(&s, &n) != 0)
		return -SL_E_PARSE;
	unsigned shift = 0;
	const char *u = *s ? strchr(units, upper(*s)) : NULL;
	if (u != NULL) {
		shift = 10 * (unsigned)(u - units + 1);
		s++;
		/* "KiB" or "KB": both binary; SI multiples would make "10M" mean two things. */
		if (*s == 'i' || *s == 'I') {
			s++;
			if (upper(*s) != 'B')
				return -SL_E_PARSE;
		}
		if (upper(*s) == 'B')
			s++;
	} else if (upper(*s) == 'B') {
		s++;
	}
	if (*s != '\0')
		return -SL_E_PARSE;
	if (shift > 0 && n > (UINT64_MAX >> shift))
		return -SL_E_PARSE;
	*bytes = n << shift;
	return 0;
}

struct duration_unit {
	const char *suffix;
	int64_t ms;
};

/* Longest suffix first so "ms" is not read as "m" followed by garbage. Order is also the required
 * order inside a compound ("1h30m", never "30m1h"). */
static const struct duration_unit duration_units[] = {
	{ "d", MS_PER_D },
	{ "h", MS_PER_H },
	{ "ms", 1 },
	{ "m", MS_PER_MIN },
	{ "s", MS_PER_S },
};

static int unit_rank(int64_t ms)
{
	/* Rank by size so compounds must descend: d > h > m > s > ms. */
	if (ms == MS_PER_D)
		return 0;
	if (ms == MS_PER_H)
		return 1;
	if (ms == MS_PER_MIN)
		return 2;
	if (ms == MS_PER_S)
		return 3;
	return 4;
}

int sl_units_parse_duration(const char *s, int64_t *ms)
{
	uint64_t n;
	if (s == NULL || *s == '\0')
		return -SL_E_PARSE;
	const char *p = s;
	if (parse_digits(&p, &n) != 0)
		return -SL_E_PARSE;
	if (*p == '\0') {
		/* A bare number is seconds. */
		if (n > (uint64_t)INT64_MAX / MS_PER_S)
			return -SL_E_PARSE;
		*ms = (int64_t)n * MS_PER_S;
		return 0;
	}
	int64_t total = 0;
	int last_rank = -1;
	p = s;
	while (*p != '\0') {
		if (parse_digits(&p, &n) != 0)
			return -SL_E_PARSE;
		const struct duration_unit *u = NULL;
		for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
			size_t len = strlen(duration_units[i].suffix);
			if (strncmp(p, duration_units[i].suffix, len) == 0) {
				u = &duration_units[i];
				p += len;
				break;
			}
		}
		if (u == NULL)
			return -SL_E_PARSE;
		int rank = unit_rank(u->ms);
		if (rank <= last_rank)
			return -SL_E_PARSE;
		last_rank = rank;
		if (n > (uint64_t)(INT64_MAX / u->ms))
			return -SL_E_PARSE;
		int64_t part = (int64_t)n * u->ms;
		if (part > INT64_MAX - total)
			return -SL_E_PARSE;
		total += part;
	}
	*ms = total;
	return 0;
}

/* "H:MM" or "HH:MM"; 24:00 only when `end`. Advances *s. */
static int parse_clock(const char **s, bool end, int *min)
{
	const char *p = *s;
	int h = 0, m;
	int digits = 0;
	while (is_digit(*p) && digits < 2) {
		h = h * 10 + (*p - '0');
		p++;
		digits++;
	}
	if (digits == 0 || *p != ':')
		return -SL_E_PARSE;
	p++;
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return -SL_E_PARSE;
	m = (p[0] - '0') * 10 + (p[1] - '0');
	p += 2;
	if (m > 59)
		return -SL_E_PARSE;
	if (h == 24 && m == 0 && end)
		h = 0;
	else if (h > 23)
		return -SL_E_PARSE;
	*min = h * 60 + m;
	*s = p;
	return 0;
}

int sl_units_parse_window(const char *s, int *start_min, int *end_min)
{
	int a, b;
	if (s == NULL || parse_clock(&s, false, &a) != 0 || *s != '-')
		return -SL_E_PARSE;
	s++;
	if (parse_clock(&s, true, &b) != 0 || *s != '\0')
		return -SL_E_PARSE;
	/* An empty window would never open; "always" is written by leaving `window` out. */
	if (a == b)
		return -SL_E_PARSE;
	*start_min = a;
	*end_min = b;
	return 0;
}

void sl_units_format_size(uint64_t bytes, char *buf, size_t cap)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	if (buf == NULL || cap == 0)
		return;
	if (bytes < 1024) {
		snprintf(buf, cap, "%" PRIu64 " B", bytes);
		return;
	}
	unsigned u = 0;
	uint64_t whole = bytes;
	while (whole >= 1024 && u + 1 < sizeof names / sizeof names[0]) {
		whole >>= 10;
		u++;
	}
	/* Tenths rounded to nearest, computed in integers so the output is exact and locale-free. */
	uint64_t unit = 1ULL << (10 * u);
	uint64_t rem = bytes - (whole << (10 * u));
	/* rem < unit <= 2^60, so rem * 10 + unit / 2 fits in 64 bits. */
	uint64_t tenths = (rem * 10 + unit / 2) / unit;
	if (tenths >= 10) {
		whole++;
		tenths = 0;
		if (whole == 1024 && u + 1 < sizeof names / sizeof names[0]) {
			whole = 1;
			u++;
		}
	}
	if (tenths == 0)
		snprintf(buf, cap, "%" PRIu64 " %s", whole, names[u]);
	else
		snprintf(buf, cap, "%" PRIu64 ".%" PRIu64 " %s", whole, tenths, names[u]);
}

void sl_units_format_duration(int64_t ms, char *buf, size_t cap)
{
	static const struct duration_unit parts[] = {
		{ "d", MS_PER_D }, { "h", MS_PER_H }, { "m", MS_PER_MIN }, { "s", MS_PER_S }, { "ms", 1 },
	};
	if (buf == NULL || cap == 0)
		return;
	buf[0] = '\0';
	if (ms == 0) {
		snprintf(buf, cap, "0s");
		return;
	}
	size_t used = 0;
	/* Work on the magnitude as unsigned so INT64_MIN does not overflow. */
	uint64_t left = ms < 0 ? (uint64_t)(-(ms + 1)) + 1 : (uint64_t)ms;
	if (ms < 0) {
		snprintf(buf, cap, "-");
		used = 1;
	}
	for (size_t i = 0; i < sizeof parts / sizeof parts[0] && left > 0; i++) {
		uint64_t n = left / (uint64_t)parts[i].ms;
		if (n == 0)
			continue;
		left -= n * (uint64_t)parts[i].ms;
		if (used >= cap)
			break;
		int w = snprintf(buf + used, cap - used, "%" PRIu64 "%s", n, parts[i].suffix);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}
