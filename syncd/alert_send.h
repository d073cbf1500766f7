/* alert_send: delivering the alert queue (core/alert.h) to the webhook and the SMTP server of [alert], with
 * libcurl. Each due delivery is tried once per call with short timeouts; a failure is recorded with its
 * error and retried later with exponential backoff (SL_ALERT_BACKOFF_S doubling, capped at 6 h, at most
 * SL_ALERT_ATTEMPTS times), so a dead receiver costs one short attempt per backoff step and holds up
 * nothing else: sluice-syncd calls this in a child of its own, `sluice sync` after its run is reported.
 * SMTP uses STARTTLS when the server offers it.
 *
 * Failure: 0 after trying what was due (counts in *sent / *failed); a negative code only when the queue
 * could not be read. */
#ifndef SL_ALERT_SEND_H
#define SL_ALERT_SEND_H

struct sl_config;
struct sl_catalog;

int sl_alert_deliver(const struct sl_config *cfg, struct sl_catalog *cat, unsigned *sent, unsigned *failed);

#endif
