/* status: the served endpoints that describe the mirror rather than serve content — /healthz and the
 * human status page at / (per source: what is published since when, pending approvals and whether one
 * is overdue, the last sync's outcome, size and time, the next run, the upstream's cool-down; then the
 * client set-up for every source and sluice's public key with its fingerprints), plus the client set-up
 * snippet of the formats whose set-up is core/clients.h's text (struct sl_route.snippet). /metrics is served/metrics.h.
 * The catalogue is read read-only per request (served/srcstate.h) and never fails the process: a
 * missing catalogue is a 503 on /healthz and "unknown" on the page. */
#ifndef SL_STATUS_H
#define SL_STATUS_H

#include <microhttpd.h>

struct sl_request;
struct sl_source;
struct sl_text;

enum MHD_Result sl_status_healthz(struct sl_request *r, const char *rest);
enum MHD_Result sl_status_page(struct sl_request *r, const char *rest);

/* A route's `snippet` for formats whose client set-up is core/clients.h's text (the format row's
 * `clients`), as escaped HTML; base_url is "http(s)://HOST:PORT" as the client sees it. Formats with a
 * set-up of their own give their route another snippet (OCI's is in served/oci.h). */
void sl_status_snippet_clients(struct sl_text *out, const char *base_url, const struct sl_source *src);

#endif
