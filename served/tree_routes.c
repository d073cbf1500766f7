/* tree_routes: the formats served as a plain published tree (/apt/<source>/..., /clamav/<source>/...):
 * files.c serves them; their client snippet is their format's core/clients.h text (status.c). Each is
 * its format's row `serve`. */
#include "served/files.h"
#include "served/request.h"
#include "served/status.h"

const struct sl_route sl_apt_route = {
	.name = "apt", .handle = sl_files_serve_tree, .snippet = sl_status_snippet_clients,
};

const struct sl_route sl_clamav_route = {
	.name = "clamav", .handle = sl_files_serve_tree, .snippet = sl_status_snippet_clients,
};
