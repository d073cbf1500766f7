/* clients: client set-up snippets, one generator per format in one table. */
#include "core/clients.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

/* A growing heap string; a failed allocation leaves it NULL and ends the snippet. */
struct out {
	char *s;
	size_t len;
	bool oom;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
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

/* One sources.list line per suite, with every component; re-signed sources use sluice's key, verbatim ones
 * keep the upstream's (clients keep trusting the upstream). */
static void snippet_apt(struct out *o, const struct sl_source *src, const char *base)
{
	const char *keyring = "/etc/apt/keyrings/sluice.asc";
	if (src->publish != SL_PUBLISH_VERBATIM)
		put(o, "curl -fsSo %s %s/keys/sluice.asc\n", keyring, base);
	else
		keyring = src->keyring != NULL ? src->keyring : "/usr/share/keyrings/UPSTREAM.gpg";
	put(o, "cat >/etc/apt/sources.list.d/sluice-%s.list <<EOF\n", src->name);
	for (size_t i = 0; i < src->suites.n || i == 0; i++) {
		put(o, "deb [signed-by=%s] %s/apt/%s %s", keyring, base, src->name,
		    src->suites.n > 0 ? src->suites.v[i] : "SUITE");
		if (src->components.n == 0)
			put(o, " main");
		for (size_t c = 0; c < src->components.n; c++)
			put(o, " %s", src->components.v[c]);
		put(o, "\n");
		if (src->suites.n == 0)
			break;
	}
	put(o, "EOF\napt-get update\n");
}

/* DatabaseMirror with DNS off and scripted updates: freshclam takes the CDIFFs sluice keeps (a few KiB a
 * day instead of daily.cvd whole). PrivateMirror would override ScriptedUpdates and fetch whole files. */
static void snippet_clamav(struct out *o, const struct sl_source *src, const char *base)
{
	put(o, "# /etc/clamav/freshclam.conf (remove its other DatabaseMirror lines)\n"
	       "DatabaseMirror %s/clamav/%s\n"
	       "DNSDatabaseInfo no\n"
	       "ScriptedUpdates yes\n", base, src->name);
}

static const struct {
	const char *format;   /* sl_format name */
	void (*snippet)(struct out *o, const struct sl_source *src, const char *base);
} snippets[] = {
	{ "apt", snippet_apt },
	{ "clamav", snippet_clamav },
};

char *sl_clients_snippet(const struct sl_source *src, const char *base_url, bool *unsupported)
{
	*unsupported = false;
	for (size_t i = 0; i < sizeof snippets / sizeof snippets[0]; i++) {
		if (strcmp(snippets[i].format, src->format->name) != 0)
			continue;
		struct out o = { 0 };
		snippets[i].snippet(&o, src, base_url);
		return o.s;
	}
	*unsupported = true;
	return NULL;
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
