/* publish_clamav: a ClamAV snapshot is published verbatim: every entry (<db>.cvd, <db>-K.cdiff, .sign
 * files) hard linked at its path, so stock freshclam finds at /clamav/<source>/ exactly what ClamAV's
 * mirrors serve. Nothing is generated or signed: freshclam trusts ClamAV's own signatures, which the
 * syncer verified. Failures are the tree's (publish_tree.h). */
#ifndef SL_PUBLISH_CLAMAV_H
#define SL_PUBLISH_CLAMAV_H

#include "admin/publish.h"

extern const struct sl_publisher sl_clamav_publisher;

#endif
