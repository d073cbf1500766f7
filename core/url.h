/* url: the host part of an upstream URL, the one parser every stage uses for it (syncd's per-host
 * politeness locks and connection caps, the catalogue's cool-downs, what served and `sluice sources`
 * display), so they always agree on what "the same host" is. Not a validator: syncd's fetch engine
 * checks a URL fully with libcurl before any request.
 * Also the one quoting of paths taken from repository metadata (APT Filename:, suite names, RPM
 * location, ...) before they are appended to a base URL, so every format requests what the stock
 * client requests.
 *
 * Failure: -SL_E_BADNAME for a URL without "scheme://host", -SL_E_TOOBIG when the host or the built
 * URL does not fit (buf is "" then). Callers own their buffers; nothing here allocates. */
#ifndef SL_URL_H
#define SL_URL_H

#include <stddef.h>

struct sl_source;

/* Host of "scheme://[user@]host[:port]/...", lowercased; an IPv6 literal keeps its brackets. */
int sl_url_host(const char *url, char *buf, size_t cap);
/* The host a source talks to first (its url, or its registry); "" when it has none or it is malformed. */
void sl_url_source_host(const struct sl_source *src, char *buf, size_t cap);

/* Percent-encode `part` as apt (>= 2.3) encodes every path it appends to a repository's base URI
 * (pkgAcquire::URIEncode: QuoteString(part, "+~ ")): '%', '+', '~', every byte <= 0x20 (space,
 * controls) and every byte >= 0x7f become "%xx" with lowercase hex; everything else, '/' ':' '?' '#'
 * included, is kept as it is. So a pool file named "x_1%3a2.0-1_all.deb" is requested as
 * "x_1%253a2.0-1_all.deb", which an upstream decodes back to the name it stores. 0 or -SL_E_TOOBIG. */
int sl_url_quote(char *buf, size_t cap, const char *part);
/* base + "/" + sl_url_quote(rel), without doubling a trailing '/' of base. 0 or -SL_E_TOOBIG. */
int sl_url_join(char *buf, size_t cap, const char *base, const char *rel);

#endif
