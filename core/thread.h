/* thread: background threads that take no signals, and helpers that do not preempt their producer. Every
 * signal stays with the thread that started them: the processes' stop flags are set by handlers on the main
 * thread, and a SIGTERM must not land on a writer, a decoder or a flush and go unseen.
 *
 * Failure: pthread_create's error as a negative code; nothing is logged (callers fall back to doing the
 * work themselves). */
#ifndef SL_THREAD_H
#define SL_THREAD_H
#include <pthread.h>

/* Start fn(arg) on a new joinable thread with every signal blocked; the caller's mask is unchanged.
 * 0 (*t set) or a negative code. */
int sl_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* Mark the calling thread as batch work (SCHED_BATCH, a normal policy: same share of the CPU, no privilege
 * needed, SCHED_OTHER can be taken back): waking it does not preempt the thread that woke it. For helpers
 * that a busy producer wakes once per item (the store's write-behind threads: 60,000 wake-ups in a
 * Debian-main sync, each of which otherwise switched the producer out on a busy machine). 0 or -errno. */
int sl_thread_batch(void);

#endif
