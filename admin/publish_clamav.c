/* publish_clamav: the verbatim ClamAV tree. */
#include "admin/publish_clamav.h"

#include "admin/publish_tree.h"

const struct sl_publisher sl_clamav_publisher = {
	.build = sl_publish_tree_link_all,
};
