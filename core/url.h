/* url: the host part of an upstream URL, the one parser every stage uses for it (syncd's per-host
 * politeness locks and connection caps, the catalogue's cool-downs, what served and `sluice sources`
 * display), so they always agree on what "the same host" is. Not a validator: syncd's fetch engine
 * checks a URL fully with libcurl before any request.
 *
 * Failure: -SL_E_BADNAME for a URL without "scheme://host", -SL_E_TOOBIG when the host does not fit. */
#ifndef SL_URL_H
#define SL_URL_H

#include <stddef.h>

struct sl_source;

/* Host of "scheme://[user@]host[:port]/...", lowercased; an IPv6 literal keeps its brackets. */
int sl_url_host(const char *url, char *buf, size_t cap);
/* The host a source talks to first (its url, or its registry); "" when it has none or it is malformed. */
void sl_url_source_host(const struct sl_source *src, char *buf, size_t cap);

#endif
