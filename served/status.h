/* status: the served endpoints that describe the mirror rather than serve content — /healthz and the
 * human status page at / (per source: what is published since when, pending approvals and whether one
 * is overdue, the last sync's outcome, size and time, the next run, the upstream's cool-down; then the
 * client set-up for every source and sluice's public key with its fingerprints), plus each format's
 * client set-up snippet for that page (struct sl_route.snippet). /metrics is served/metrics.h.
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

/* Client snippets (escaped HTML) for one source; base_url is "http(s)://HOST:PORT" as the client sees it.
 * apt: sources.list line(s) and the key download; clamav: freshclam.conf. OCI's is in served/oci.h. */
void sl_status_snippet_apt(struct sl_text *out, const char *base_url, const struct sl_source *src);
void sl_status_snippet_clamav(struct sl_text *out, const char *base_url, const struct sl_source *src);

#endif
