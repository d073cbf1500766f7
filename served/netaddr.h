/* netaddr: the network addresses in [served] — the listen address ("127.0.0.1:8080", "[::1]:8080",
 * "localhost:8080") and the `allow` list of CIDRs, matched against every accepted connection. IPv4-mapped
 * IPv6 peers (::ffff:a.b.c.d on a dual-stack socket) match IPv4 entries. Pure functions, no logging. */
#ifndef SL_NETADDR_H
#define SL_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct sl_cidr {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t addr[16];    /* network bytes, host bits cleared */
	unsigned bits;
};

/* "HOST:PORT" or "[V6]:PORT" (port 0: any free port). 0, -SL_E_CONFIG (bad form) or -SL_E_NOTFOUND
 * (name does not resolve). */
int sl_netaddr_parse_listen(const char *s, struct sockaddr_storage *out, socklen_t *len);
/* "10.0.0.0/8", "fd00::/8", or a bare address (/32, /128); host bits past the prefix are refused.
 * 0 or -SL_E_CONFIG. */
int sl_netaddr_parse_cidr(const char *s, struct sl_cidr *out);
bool sl_netaddr_cidr_match(const struct sl_cidr *c, const struct sockaddr *sa);
/* Numeric host, "[v6]" bracketed when `bracket`; "?" for other families. */
void sl_netaddr_host(const struct sockaddr *sa, bool bracket, char *buf, size_t cap);
uint16_t sl_netaddr_port(const struct sockaddr *sa);

#endif
