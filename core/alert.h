/* alert: raising an event a person should hear of. Any stage raises (syncd: a snapshot pending, a
 * verification failure, a source failing N runs in a row, an approval overdue; verify: malware found, a
 * chain re-check failing); raising only queues it in the catalogue (catalog.h, alert queue) with one
 * delivery per channel configured in [alert], so it never waits on a receiver. sluice-syncd delivers the
 * queue with retries and backoff (syncd/alert_send.h).
 *
 * The webhook body is one JSON object: "text" (a readable paragraph a chat tool shows as it is), "event",
 * "source", "snapshot", "at", plus the caller's structured fields (counts, findings).
 *
 * Failure: 0 when queued, a duplicate (same dedup key), or when [alert] has no channel; a negative code
 * when the catalogue refused (logged by the caller, never fatal to the work that raised it). */
#ifndef SL_ALERT_H
#define SL_ALERT_H

#include <jansson.h>
#include <stdint.h>

struct sl_config;
struct sl_catalog;

/* extra (may be NULL) is merged into the body and released. */
int sl_alert_raise(const struct sl_config *cfg, struct sl_catalog *cat, const char *event, const char *source,
		   int64_t snapshot_id, const char *dedup, json_t *extra, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

#endif
