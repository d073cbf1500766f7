/* clients_apt: the client set-up of an APT source (its format row's `clients`, sl_clients_apt). */
#include <stddef.h>

#include "core/clients.h"
#include "core/config.h"

/* One sources.list line per suite, with every component; re-signed sources use sluice's key, verbatim ones
 * keep the upstream's (clients keep trusting the upstream). */
static void write_apt(struct sl_clients_out *o, const struct sl_source *src, const char *base)
{
	const char *keyring = "/etc/apt/keyrings/sluice.asc";
	if (src->publish != SL_PUBLISH_VERBATIM)
		sl_clients_put(o, "curl -fsSo %s %s/keys/sluice.asc\n", keyring, base);
	else
		keyring = src->keyring != NULL ? src->keyring : "/usr/share/keyrings/UPSTREAM.gpg";
	sl_clients_put(o, "cat >/etc/apt/sources.list.d/sluice-%s.list <<EOF\n", src->name);
	for (size_t i = 0; i < src->suites.n || i == 0; i++) {
		sl_clients_put(o, "deb [signed-by=%s] %s/apt/%s %s", keyring, base, src->name,
			       src->suites.n > 0 ? src->suites.v[i] : "SUITE");
		if (src->components.n == 0)
			sl_clients_put(o, " main");
		for (size_t c = 0; c < src->components.n; c++)
			sl_clients_put(o, " %s", src->components.v[c]);
		sl_clients_put(o, "\n");
		if (src->suites.n == 0)
			break;
	}
	sl_clients_put(o, "EOF\napt-get update\n");
}

const struct sl_clients_gen sl_clients_apt = { .write = write_apt };
