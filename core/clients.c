/* clients: client set-up snippets; each format's generator is its row's `clients` (core/clients_<format>.c). */
#include "core/clients.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/format.h"

void sl_clients_put(struct sl_clients_out *o, const char *fmt, ...)
{
	if (o->oom)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *piece = NULL;
	int n = vasprintf(&piece, fmt, ap);
	va_end(ap);
	char *grown = n >= 0 ? realloc(o->s, o->len + (size_t)n + 1) : NULL;
	if (grown == NULL) {
		free(piece);
		free(o->s);
		o->s = NULL;
		o->oom = true;
		return;
	}
	memcpy(grown + o->len, piece, (size_t)n + 1);
	o->s = grown;
	o->len += (size_t)n;
	free(piece);
}

char *sl_clients_snippet(const struct sl_source *src, const char *base_url, bool *unsupported)
{
	*unsupported = src->format->clients == NULL;
	if (*unsupported)
		return NULL;
	struct sl_clients_out o = { 0 };
	src->format->clients->write(&o, src, base_url);
	return o.s;
}

void sl_clients_base_url(const struct sl_config *cfg, char *buf, size_t cap)
{
	const char *listen = cfg->listen != NULL ? cfg->listen : "127.0.0.1:8080";
	const char *colon = strrchr(listen, ':');
	size_t hlen = colon != NULL ? (size_t)(colon - listen) : strlen(listen);
	const char *port = colon != NULL ? colon + 1 : "8080";
	char host[256];
	snprintf(host, sizeof host, "%.*s", (int)hlen, listen);
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0 || host[0] == '\0') {
		if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
			snprintf(host, sizeof host, "SLUICE-HOST");
		host[sizeof host - 1] = '\0';
	}
	snprintf(buf, cap, "%s://%s:%s", cfg->tls_cert != NULL ? "https" : "http", host, port);
}
