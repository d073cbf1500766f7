/* thread: a started thread has every signal blocked, runs its function with its argument, and the
 * caller's own mask is left as it was. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals_blocked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
