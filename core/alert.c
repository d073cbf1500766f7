/* alert: queue an event for the configured channels (see alert.h). */
#include "core/alert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"

int sl_alert_raise(const struct sl_config *cfg, struct sl_catalog *cat, const char *event, const char *source,
		   int64_t snapshot_id, const char *dedup, json_t *extra, const char *fmt, ...)
{
	const char *channels[2];
	size_t n = 0;
	if (cfg->alert_webhook != NULL)
		channels[n++] = "webhook";
	if (cfg->alert_smtp != NULL)
		channels[n++] = "smtp";
	if (n == 0) {
		json_decref(extra);
		return 0;
	}
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	int64_t now = (int64_t)time(NULL);
	json_t *body = json_pack("{s:s, s:s, s:s?, s:I, s:I, s:s}", "text", text, "event", event, "source", source,
				 "snapshot", (json_int_t)snapshot_id, "at", (json_int_t)now, "from", "sluice");
	if (body != NULL && extra != NULL)
		json_object_update(body, extra);
	json_decref(extra);
	char *txt = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(body);
	if (txt == NULL)
		return -ENOMEM;
	struct sl_alert a = {
		.event = event, .source = source, .snapshot_id = snapshot_id, .text = text, .body = txt, .dedup = dedup,
	};
	bool queued = false;
	int rc = sl_catalog_alert_add(cat, &a, channels, n, now, &queued);
	free(txt);
	if (rc == 0 && queued)
		sl_log_info(source, "alert queued (%s): %s", event, text);
	return rc;
}
