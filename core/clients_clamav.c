/* clients_clamav: the client set-up of a ClamAV source (its format row's `clients`, sl_clients_clamav). */
#include "core/clients.h"
#include "core/config.h"

/* DatabaseMirror with DNS off and scripted updates: freshclam takes the CDIFFs sluice keeps (a few KiB a
 * day instead of daily.cvd whole). PrivateMirror would override ScriptedUpdates and fetch whole files. */
static void write_clamav(struct sl_clients_out *o, const struct sl_source *src, const char *base)
{
	sl_clients_put(o, "# /etc/clamav/freshclam.conf (remove its other DatabaseMirror lines)\n"
			  "DatabaseMirror %s/clamav/%s\n"
			  "DNSDatabaseInfo no\n"
			  "ScriptedUpdates yes\n", base, src->name);
}

const struct sl_clients_gen sl_clients_clamav = { .write = write_clamav };
