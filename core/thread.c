/* thread: the new thread inherits the mask in force when it is created, so all signals are blocked around
 * pthread_create and the caller's mask is put back at once. The batch policy is set by the thread on itself,
 * so the thread that started it keeps its own. */
#include "core/thread.h"

#include <sched.h>
#include <signal.h>

int sl_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}

int sl_thread_batch(void)
{
	struct sched_param sp = { 0 };
	return -pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
}
