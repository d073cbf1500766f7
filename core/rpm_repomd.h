/* rpm_repomd: parse repodata/repomd.xml, the signed root of an RPM repository: its revision and one record
 * per metadata file (type, location, checksum, size, open-checksum, open-size, timestamp). The parser only
 * extracts; every judgement (checksum strength, href safety, rollback) is the verifier's, so a record keeps
 * what the upstream said, including an xml:base it must refuse.
 *
 * Ownership: sl_rpm_repomd_parse() fills *out; sl_rpm_repomd_release() frees it (also after a failure).
 * Failure: -SL_E_PARSE (malformed, a DOCTYPE/entity, a record without type or location), -SL_E_TOOBIG past
 * SL_MAX_RPM_REPOMD_BYTES / SL_MAX_RPM_RECORDS / SL_MAX_RPM_FIELD; *cause says where. */
#ifndef SL_RPM_REPOMD_H
#define SL_RPM_REPOMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_RPM_HEX_MAX 129   /* a SHA-512 in hex and its NUL */
#define SL_RPM_SUM_TYPE 16   /* "sha256", "sha512", "md5"... */

struct sl_rpm_record {
	char type[64];                         /* primary, filelists, other, updateinfo, modules, group... */
	char href[1024];                       /* <location href>, as given */
	bool has_base;                         /* <location xml:base> (refused by the verifier) */
	char sum_type[SL_RPM_SUM_TYPE];        /* <checksum type>, "" when absent */
	char sum[SL_RPM_HEX_MAX];              /* lowercase hex */
	char open_sum_type[SL_RPM_SUM_TYPE];
	char open_sum[SL_RPM_HEX_MAX];
	int64_t size, open_size;               /* -1 when absent */
	int64_t timestamp;                     /* 0 when absent */
};

struct sl_rpm_repomd {
	char revision[128];                    /* "" when absent */
	int64_t newest_timestamp;              /* largest <timestamp> of any record, 0 if none */
	struct sl_rpm_record *rec;
	size_t n;
};

int sl_rpm_repomd_parse(const void *data, size_t len, struct sl_rpm_repomd *out, char **cause);
void sl_rpm_repomd_release(struct sl_rpm_repomd *m);
/* The first record of `type`, or NULL. */
const struct sl_rpm_record *sl_rpm_repomd_find(const struct sl_rpm_repomd *m, const char *type);
/* The bit length of a checksum type sluice accepts: 256 ("sha256") or 512 ("sha512"); 0 for anything weak
 * or unsupported (md5, sha, sha1, sha224, sha384, ""). */
unsigned sl_rpm_sum_bits(const char *type);

/* Whether a <location href> (and xml:base) stays under the repository: 0, or -SL_E_BADNAME; `why` gets
 * a sentence either way (absolute, "..", URL, xml:base). */
int sl_rpm_href_check(const char *href, bool has_base, char *why, size_t cap);

#endif
