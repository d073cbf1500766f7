/* metrics: /metrics in the Prometheus text format (0.0.4). Request counters by route and status, body
 * bytes by route and requests in flight come from the server's atomics; per source, from the catalogue
 * (served/srcstate.h): published snapshot and its age, last sync outcome, time, bytes and requests, last
 * success, next scheduled run, the upstream host's cool-down, pending approvals, the oldest one's age and
 * whether it is overdue (approve_within). Series whose value is unknown are left out rather than zero, so
 * absent() alerts work; sluice_catalog_up says whether the catalogue could be read at all. */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include <microhttpd.h>

struct sl_request;

/* Route handler for /metrics. */
enum MHD_Result sl_metrics_serve(struct sl_request *r, const char *rest);

#endif
