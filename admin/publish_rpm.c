/* publish_rpm: lay out an RPM snapshot (see publish_rpm.h). */
#include "admin/publish_rpm.h"

#include <stdbool.h>

#include "admin/publish_tree.h"
#include "core/config.h"
#include "core/error.h"

static int build(const struct sl_publish_ctx *ctx, int64_t snap_id, const char *dir, char **cause)
{
	if (ctx->src->publish == SL_PUBLISH_RESIGN)
		return sl_rpm_publish_resign(ctx, snap_id, dir, cause);
	return sl_publish_tree_link_all(ctx, snap_id, dir, cause);
}

static bool needs_key(const struct sl_source *src)
{
	return src->publish == SL_PUBLISH_RESIGN;
}

const struct sl_publisher sl_rpm_publisher = {
	.build = build,
	.needs_key = needs_key,
};
