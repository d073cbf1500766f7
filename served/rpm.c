/* rpm: the RPM tree route (/rpm/<source>/..., files.c serves the published tree) and its status-page
 * snippet, a dnf .repo file. */
#include <stdbool.h>

#include "core/config.h"
#include "served/files.h"
#include "served/request.h"
#include "served/text.h"

/* Packages are served byte-identical, so gpgcheck=1 always trusts the vendor's package key (the source's
 * package_keyring, else keyring, which the administrator copies to each host). repomd.xml is signed by the
 * upstream (verbatim: its metadata key) or by sluice (resign: the key published at /keys/sluice.asc). */
static void snippet(struct sl_text *out, const char *base_url, const struct sl_source *src)
{
	const char *pkgkey = src->package_keyring != NULL ? src->package_keyring : src->keyring;
	bool resign = src->publish == SL_PUBLISH_RESIGN;
	bool repo_gpg = resign || src->repo_signed;
	sl_text_printf(out, "cat &gt;/etc/yum.repos.d/sluice-");
	sl_text_html(out, src->name);
	sl_text_printf(out, ".repo &lt;&lt;EOF\n[sluice-");
	sl_text_html(out, src->name);
	sl_text_printf(out, "]\nname=");
	sl_text_html(out, src->name);
	sl_text_printf(out, " (sluice)\nbaseurl=");
	sl_text_html(out, base_url);
	sl_text_printf(out, "/rpm/");
	sl_text_html(out, src->name);
	sl_text_printf(out, "/\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=%d\ngpgkey=file://", repo_gpg ? 1 : 0);
	sl_text_html(out, pkgkey != NULL ? pkgkey : "/etc/pki/rpm-gpg/UPSTREAM-KEY");
	if (resign) {
		sl_text_printf(out, "\n       ");
		sl_text_html(out, base_url);
		sl_text_printf(out, "/keys/sluice.asc");
	} else if (src->repo_signed && src->package_keyring != NULL && src->keyring != NULL) {
		sl_text_printf(out, "\n       file://");
		sl_text_html(out, src->keyring);
	}
	sl_text_printf(out, "\nEOF\n");
}

const struct sl_route sl_rpm_route = {
	.name = "rpm", .handle = sl_files_serve_tree, .snippet = snippet,
};
