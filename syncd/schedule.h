/* schedule: when sluice-syncd runs a source. Window (`window =`, local time, may cross midnight), jitter
 * (`jitter =`, uniform, in seconds), interval (`every =`) and the retry delay after consecutive failures
 * (300 s, doubling, never longer than `every`). Pure functions of the source and the time: nothing is
 * stored, nothing fails. Times are Unix seconds. */
#ifndef SL_SCHEDULE_H
#define SL_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct sl_source;

/* Whether `t` is inside the source's window (always, without one). */
bool sl_schedule_in_window(const struct sl_source *src, time_t t);
/* A uniform random delay in [0, max_s] seconds (0 when max_s <= 0). */
int64_t sl_schedule_jitter(int64_t max_s);
/* The first time >= t at which a run may start (see schedule.c). */
int64_t sl_schedule_fit_window(const struct sl_source *src, int64_t t);
/* When the next run starts after one that ended at `now` with `failures` consecutive failures (0: it
 * succeeded). */
int64_t sl_schedule_next_after(const struct sl_source *src, time_t now, unsigned failures);

#endif
