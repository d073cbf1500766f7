/* clients: what a client host puts in its configuration to use one source through sluice-served — apt's
 * key download and sources.list lines, freshclam.conf's lines — as plain text. Generated here only, so
 * the status page (served/status.c, which HTML-escapes it), `sluice clients` and contrib/run.sh's banner
 * (which runs `sluice clients`) say the same thing. Formats are looked up in the one table in clients.c;
 * OCI's set-up (registries.conf, containerd hosts.toml) is served/oci.c's and contrib/clients/.
 *
 * Ownership: sl_clients_snippet() returns a heap string the caller frees. */
#ifndef SL_CLIENTS_H
#define SL_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>

struct sl_config;
struct sl_source;

/* The set-up for `src`, base_url being "http(s)://HOST:PORT" as clients reach sluice-served. NULL when
 * this format has none here (*unsupported set) or when out of memory (*unsupported clear). */
char *sl_clients_snippet(const struct sl_source *src, const char *base_url, bool *unsupported);

/* "http(s)://HOST:PORT" from [served] listen (https with tls_cert). A wildcard listen address (0.0.0.0,
 * [::]) is replaced by this host's name, which clients are more likely to reach. */
void sl_clients_base_url(const struct sl_config *cfg, char *buf, size_t cap);

#endif
