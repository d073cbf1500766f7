/* thread: background threads that take no signals. Every signal stays with the thread that started them:
 * the processes' stop flags are set by handlers on the main thread, and a SIGTERM must not land on a
 * writer, a decoder or a flush and go unseen.
 *
 * Failure: pthread_create's error as a negative code; nothing is logged (callers fall back to doing the
 * work themselves). */
#ifndef SL_THREAD_H
#define SL_THREAD_H
#include <pthread.h>

/* Start fn(arg) on a new joinable thread with every signal blocked; the caller's mask is unchanged.
 * 0 (*t set) or a negative code. */
int sl_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
