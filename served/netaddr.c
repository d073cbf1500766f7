/* netaddr: listen address and allow-list parsing and matching. */
#include "served/netaddr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/error.h"

int sl_netaddr_parse_listen(const char *s, struct sockaddr_storage *out, socklen_t *len)
{
	char host[256];
	const char *port;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL || end[1] != ':' || (size_t)(end - s - 1) >= sizeof host)
			return -SL_E_CONFIG;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		port = end + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof host || memchr(s, ':', (size_t)(colon - s)))
			return -SL_E_CONFIG;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = colon + 1;
	}
	uint64_t p;
	if (sl_blob_to_u64(sl_blob_str(port), &p) < 0 || p > 65535)
		return -SL_E_CONFIG;
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = s[0] == '[' ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
		return -SL_E_NOTFOUND;
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int sl_netaddr_parse_cidr(const char *s, struct sl_cidr *out)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof addr)
		return -SL_E_CONFIG;
	memcpy(addr, s, n);
	addr[n] = '\0';
	memset(out, 0, sizeof *out);
	unsigned max;
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return -SL_E_CONFIG;
	}
	uint64_t bits = max;
	if (slash != NULL && (sl_blob_to_u64(sl_blob_str(slash + 1), &bits) < 0 || bits > max))
		return -SL_E_CONFIG;
	out->bits = (unsigned)bits;
	/* Host bits past the prefix are a typo (10.0.0.1/8), as in the config checker. */
	for (unsigned i = out->bits; i < max; i++)
		if (out->addr[i / 8] & (0x80u >> (i % 8)))
			return -SL_E_CONFIG;
	return 0;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *net, unsigned bits)
{
	for (unsigned i = 0; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80u >> (i % 8));
		if ((a[i / 8] & m) != (net[i / 8] & m))
			return false;
	}
	return true;
}

bool sl_netaddr_cidr_match(const struct sl_cidr *c, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return c->family == AF_INET && prefix_eq((const uint8_t *)&in->sin_addr, c->addr, c->bits);
	}
	if (sa->sa_family != AF_INET6)
		return false;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	const uint8_t *a = in6->sin6_addr.s6_addr;
	if (c->family == AF_INET6)
		return prefix_eq(a, c->addr, c->bits);
	return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && prefix_eq(a + 12, c->addr, c->bits);
}

void sl_netaddr_host(const struct sockaddr *sa, bool bracket, char *buf, size_t cap)
{
	char tmp[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, tmp, sizeof tmp);
		snprintf(buf, cap, "%s", tmp);
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, tmp, sizeof tmp);
		snprintf(buf, cap, bracket ? "[%s]" : "%s", tmp);
	} else {
		snprintf(buf, cap, "?");
	}
}

uint16_t sl_netaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}
