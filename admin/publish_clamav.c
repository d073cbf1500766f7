/* publish_clamav: the verbatim ClamAV tree. */
#include "admin/publish_clamav.h"

#include "admin/publish_tree.h"

const struct sl_publisher sl_publisher_clamav = {
	.format = "clamav",
	.build = sl_publish_tree_link_all,
};
