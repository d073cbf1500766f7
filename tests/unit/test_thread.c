/* thread: a started thread has every signal blocked, runs its function with its argument, and the
 * caller's own mask is left as it was; a thread that asks for the batch policy has it, the caller keeps
 * its own, and the normal policy can be taken back. */
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/thread.h"

struct seen {
	int arg;
	int term_blocked, int_blocked, usr1_blocked;
};

static void *probe(void *arg)
{
	struct seen *s = arg;
	sigset_t now;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	s->term_blocked = sigismember(&now, SIGTERM);
	s->int_blocked = sigismember(&now, SIGINT);
	s->usr1_blocked = sigismember(&now, SIGUSR1);
	s->arg++;
	return s;
}

static void test_signals_blocked(void **state)
{
	(void)state;
	sigset_t before, after;
	sigemptyset(&before);
	sigaddset(&before, SIGUSR2);   /* a mask of the caller's own, to see it kept */
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	struct seen s = { .arg = 41 };
	pthread_t t;
	assert_int_equal(sl_thread_start(&t, probe, &s), 0);
	void *ret = NULL;
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_ptr_equal(ret, &s);
	assert_int_equal(s.arg, 42);
	assert_int_equal(s.term_blocked, 1);
	assert_int_equal(s.int_blocked, 1);
	assert_int_equal(s.usr1_blocked, 1);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	assert_int_equal(sigismember(&after, SIGUSR2), 1);
	assert_int_equal(sigismember(&after, SIGTERM), 0);
	assert_int_equal(sigismember(&after, SIGINT), 0);
	sigemptyset(&before);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
}

struct policy {
	int rc, after, back;
};

static void *batch_probe(void *arg)
{
	struct policy *p = arg;
	p->rc = sl_thread_batch();
	p->after = sched_getscheduler(0);
	struct sched_param sp = { 0 };
	p->back = pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp) == 0 &&
		  sched_getscheduler(0) == SCHED_OTHER;
	return NULL;
}

static void test_batch(void **state)
{
	(void)state;
	struct policy p = { .rc = 1 };
	pthread_t t;
	assert_int_equal(sl_thread_start(&t, batch_probe, &p), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.after, SCHED_BATCH);
	assert_true(p.back);   /* the normal policy can be taken back */
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);   /* the caller's own policy is untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals_blocked),
		cmocka_unit_test(test_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
