/* syncdpid: is a sluice-syncd running for this state directory? The daemon holds an exclusive flock on
 * STATE/run/syncd.pid, with its pid in it, for its whole life (syncd/main.c lock_state). Readers do not
 * take that lock, even briefly, since a daemon starting at that instant would refuse to start: they read
 * the pid and check that the process exists and is a sluice-syncd (a stale file names a dead or reused
 * pid). For `sluice sources` and the status page, which otherwise show "next sync -" with no reason. */
#ifndef SL_SYNCDPID_H
#define SL_SYNCDPID_H

#include <sys/types.h>

enum sl_syncdpid_state {
	SL_SYNCD_UNKNOWN = -1,     /* the pid file or /proc cannot be read (permissions) */
	SL_SYNCD_NOT_RUNNING = 0,
	SL_SYNCD_RUNNING = 1,
};

/* *pid_out (may be NULL) gets the daemon's pid when running. */
enum sl_syncdpid_state sl_syncdpid_check(const char *state_dir, pid_t *pid_out);

#endif
