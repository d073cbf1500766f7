/* schedule: when a source runs — its window, jitter, interval and retry back-off — as pure functions of
 * the configuration and the clock (the next run itself is persisted in the catalogue by the callers). */
#include "syncd/schedule.h"

#include <stdlib.h>
#include <time.h>

#include "core/config.h"

#define RETRY_FIRST_S 300         /* s: first retry after a failed run, doubled per failure, at most `every` */
#define WINDOW_SCAN_MIN (8 * 24 * 60) /* minutes searched for the next window opening (DST-safe, one week+) */

bool sl_schedule_in_window(const struct sl_source *src, time_t t)
{
	if (src->window_start_min < 0)
		return true;
	struct tm tm;
	localtime_r(&t, &tm);
	int m = tm.tm_hour * 60 + tm.tm_min;
	if (src->window_start_min <= src->window_end_min)
		return m >= src->window_start_min && m < src->window_end_min;
	return m >= src->window_start_min || m < src->window_end_min; /* across midnight */
}

int64_t sl_schedule_jitter(int64_t max_s)
{
	return max_s > 0 ? (int64_t)((uint64_t)random() % (uint64_t)(max_s + 1)) : 0;
}

/* The first time >= t at which a run may start: t itself, or the next window opening plus up to `jitter`
 * (kept inside the window, so a fleet spreads out within it rather than all starting as it opens). */
int64_t sl_schedule_fit_window(const struct sl_source *src, int64_t t)
{
	if (sl_schedule_in_window(src, (time_t)t))
		return t;
	t -= t % 60;
	for (int i = 0; i < WINDOW_SCAN_MIN && !sl_schedule_in_window(src, (time_t)t); i++)
		t += 60;
	int64_t j = sl_schedule_jitter(src->jitter_ms / 1000);
	while (j > 0 && !sl_schedule_in_window(src, (time_t)(t + j)))
		j /= 2;
	return t + j;
}

/* When the next run starts after one that ended at `now`: `every` plus jitter on success; after
 * `failures` consecutive failures a shorter, doubling retry delay (never longer than `every`). */
int64_t sl_schedule_next_after(const struct sl_source *src, time_t now, unsigned failures)
{
	int64_t every = src->every_ms / 1000, delay = every;
	if (failures > 0) {
		delay = RETRY_FIRST_S;
		for (unsigned i = 1; i < failures && delay < every; i++)
			delay *= 2;
		if (delay > every)
			delay = every;
	}
	return sl_schedule_fit_window(src, (int64_t)now + delay + sl_schedule_jitter(src->jitter_ms / 1000));
}
