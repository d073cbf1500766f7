/* chaincheck: sluice-syncd's scheduled offline integrity audit ([syncd] verify_every). Each source's
 * published snapshot has its whole upstream chain re-verified from the store (verify/recheck.h) once per
 * interval; the outcome lands in the catalogue's chain_checks, which `sluice sources`, /metrics and the
 * status page show. The re-check runs in a child of the daemon, holding the source's sync lock (never at
 * the same time as a sync of that source), and makes no network request.
 *
 * Failure: sl_chaincheck_due() is false on any catalogue error (the next tick asks again);
 * sl_chaincheck_run() returns a process exit code (0 passed or skipped, 1 failed or could not run) and
 * logs what it found. */
#ifndef SL_CHAINCHECK_H
#define SL_CHAINCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct sl_config;
struct sl_source;
struct sl_catalog;

/* Whether the source has a published snapshot whose last re-check is older than verify_every (or none);
 * otherwise *wake is lowered to when it will be due. */
bool sl_chaincheck_due(const struct sl_config *cfg, struct sl_catalog *cat, const struct sl_source *src, time_t now,
		       int64_t *wake);
/* The child's job: open the state, lock the source, re-check its published snapshot. */
int sl_chaincheck_run(const struct sl_config *cfg, const struct sl_source *src);

#endif
