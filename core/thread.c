/* thread: the new thread inherits the mask in force when it is created, so all signals are blocked around
 * pthread_create and the caller's mask is put back at once. */
#include "core/thread.h"

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
