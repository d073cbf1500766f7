/* jobs: the work sluice-syncd does in child processes, one call per child: a sync of one source (and
 * what follows it: the next run and the failure count in the catalogue, the sync-failing alert, the
 * auto-approval hand-over), the arrival scans the syncs leave queued, a scheduled chain re-check
 * (syncd/chaincheck.h), a round of alert deliveries.
 * Each runs in a freshly forked child of the daemon (`parent` is the daemon's pid): it stops when the
 * daemon dies, opens its own catalogue and store, and returns the exit status for the child: 0 done,
 * 1 failed, 3 did not run (locked, or the daemon was already gone). Everything is borrowed. */
#ifndef SL_JOBS_H
#define SL_JOBS_H

#include <sys/types.h>

struct sl_config;
struct sl_source;

/* What a job needs of the daemon. */
struct sl_job_env {
	const struct sl_config *cfg;
	const char *config_path;   /* given to `sluice auto-approve` */
	const char *self_dir;      /* where sluice-syncd lives: `sluice` is looked for near it */
};

int sl_jobs_sync(const struct sl_job_env *env, const struct sl_source *src, pid_t parent);
/* The arrival scans (findings, pending alert, auto-approval) of every snapshot waiting for its scan. */
int sl_jobs_scan(const struct sl_job_env *env, pid_t parent);
int sl_jobs_recheck(const struct sl_job_env *env, const struct sl_source *src, pid_t parent);
int sl_jobs_alerts(const struct sl_job_env *env, pid_t parent);

#endif
