/* catalog_alerts and core/alert: an alert is queued once per channel configured, a dedup key keeps the
 * second one out, deliveries come back due until delivered, a failure is retried only after its backoff,
 * and the status says what was delivered and the last error. Nothing is sent here (syncd/alert_send.c is
 * exercised against real receivers by tests/integration/test_alerts.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/alert.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "tests/unit/lib/snapfix.h"

struct due {
	unsigned n;
	int64_t id[8];
	char channel[8][16], body[8][512];
};

static int due_cb(void *arg, const struct sl_alert_due *d)
{
	struct due *x = arg;
	if (x->n < 8) {
		x->id[x->n] = d->alert_id;
		snprintf(x->channel[x->n], sizeof x->channel[0], "%s", d->channel);
		snprintf(x->body[x->n], sizeof x->body[0], "%s", d->body);
	}
	x->n++;
	return 0;
}

static void test_queue(void **state)
{
	(void)state;
	struct sl_snapfix *f = sl_snapfix_new("deb", "apt");
	struct sl_catalog *c = sl_snapfix_catalog(f);
	struct sl_config cfg = { 0 };
	/* No channel configured: nothing queued, not an error. */
	assert_int_equal(sl_alert_raise(&cfg, c, "pending", "deb", 3, NULL, NULL, "nothing"), 0);
	struct due d = { 0 };
	assert_int_equal(sl_catalog_alerts_due(c, time(NULL) + 1, 12, 8, due_cb, &d), 0);
	assert_int_equal(d.n, 0);

	cfg.alert_webhook = (char *)"http://127.0.0.1:9/hook";
	cfg.alert_smtp = (char *)"smtp://127.0.0.1:9";
	assert_int_equal(sl_alert_raise(&cfg, c, "malware", "deb", 3, "malware:3",
					json_pack("{s:i}", "malware", 2), "MALWARE in %s", "deb"), 0);
	/* The same condition again: one alert. */
	assert_int_equal(sl_alert_raise(&cfg, c, "malware", "deb", 3, "malware:3", NULL, "again"), 0);
	memset(&d, 0, sizeof d);
	int64_t now = time(NULL);
	assert_int_equal(sl_catalog_alerts_due(c, now + 1, 12, 8, due_cb, &d), 0);
	assert_int_equal(d.n, 2);   /* webhook and smtp */
	json_t *body = json_loads(d.body[0], 0, NULL);
	assert_non_null(body);
	assert_string_equal(json_string_value(json_object_get(body, "text")), "MALWARE in deb");
	assert_string_equal(json_string_value(json_object_get(body, "event")), "malware");
	assert_int_equal(json_integer_value(json_object_get(body, "malware")), 2);
	json_decref(body);

	/* One channel delivered, the other failed with a retry in 60 s. */
	assert_int_equal(sl_catalog_alert_result(c, d.id[0], d.channel[0], now, NULL, 0), 0);
	assert_int_equal(sl_catalog_alert_result(c, d.id[1], d.channel[1], now, "smtp: connection refused", now + 60), 0);
	memset(&d, 0, sizeof d);
	assert_int_equal(sl_catalog_alerts_due(c, now + 1, 12, 8, due_cb, &d), 0);
	assert_int_equal(d.n, 0);   /* the failed one waits for its backoff */
	assert_int_equal(sl_catalog_alerts_due(c, now + 61, 12, 8, due_cb, &d), 0);
	assert_int_equal(d.n, 1);
	/* Given up after max attempts: not due any more. */
	memset(&d, 0, sizeof d);
	assert_int_equal(sl_catalog_alerts_due(c, now + 61, 1, 8, due_cb, &d), 0);
	assert_int_equal(d.n, 0);

	struct sl_alert_status st;
	assert_int_equal(sl_catalog_alert_status(c, "deb", &st), 0);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.queued, 1);
	assert_int_equal(st.last_delivered_at, now);
	assert_non_null(st.last_error);
	assert_non_null(strstr(st.last_error, "connection refused"));
	sl_alert_status_release(&st);
	assert_int_equal(sl_catalog_alert_status(c, "other", &st), 0);
	assert_int_equal(st.delivered + st.queued, 0);
	sl_alert_status_release(&st);
	sl_snapfix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
