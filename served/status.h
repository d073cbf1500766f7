/* status: the served endpoints that describe the mirror rather than serve content — /healthz, /metrics
 * (Prometheus text) and the human status page at /, plus each format's client set-up snippet for it.
 * They read the catalogue read-only (opened per request: no handle is shared between worker threads)
 * and never fail the process: a missing catalogue is a 503 on /healthz and absent series in /metrics. */
#ifndef SL_STATUS_H
#define SL_STATUS_H

#include <microhttpd.h>

struct sl_request;
struct sl_source;
struct sl_text;

enum MHD_Result sl_status_healthz(struct sl_request *r, const char *rest);
enum MHD_Result sl_status_metrics(struct sl_request *r, const char *rest);
enum MHD_Result sl_status_page(struct sl_request *r, const char *rest);

/* Client snippets for the status page (struct sl_route.snippet). */
void sl_status_snippet_apt(struct sl_text *out, const char *base_url, const struct sl_source *src);
void sl_status_snippet_clamav(struct sl_text *out, const char *base_url, const struct sl_source *src);

#endif
