/* limits: sluice's hard caps, with the few sizing constants that go with them (write-behind buffers,
 * lock waits). Untrusted input (network, upstream metadata, config, client requests, published files read
 * back) is bounded by these; exceeding one is refused (-SL_E_TOOBIG, or the protocol's own answer such as
 * HTTP 414), never a crash. Only sizes fixed by one wire format stay beside its parser (core/cvd.h,
 * core/oci.h); policy intervals (backoffs) stay with their code. */
#ifndef SL_LIMITS_H
#define SL_LIMITS_H

/* Configuration */
#define SL_MAX_CONFIG_BYTES      (1u << 20)        /* bytes: a config file larger than 1 MiB is a mistake */
#define SL_MAX_CONFIG_LINE       4096              /* upper bound; Debian's libinih r55 limits lines to 198 bytes, enforced in config_scan.c */
#define SL_MAX_CONFIG_ERRORS     50                /* problems listed per config file; more are summarised */
#define SL_MAX_SOURCES           256               /* sources per appliance */
#define SL_MAX_LIST_ITEMS        4096              /* items in one list-valued key (packages, images) */
#define SL_MAX_NAME              64                /* bytes in a source name ([a-z0-9][a-z0-9._-]*) */
#define SL_MAX_PASSWORD_FILE     4096              /* bytes of a registry password_file: one secret, not a document */
#define SL_MAX_PEM_KEY           (64u << 10)       /* bytes of a cosign PEM public key file: real ones are < 1 KiB */
#define SL_MAX_TLS_PEM           (1u << 20)        /* bytes of [served] tls_cert/key/client_ca: a larger chain is a mistake */

/* Paths and names */
#define SL_MAX_PATH              4096              /* bytes in any path sluice builds */
#define SL_MAX_REL_PATH          1024              /* bytes in a repository-relative path (Filename:) */
#define SL_MAX_PATH_DEPTH        32                /* components in a repository-relative path */
#define SL_MAX_URL               2048              /* bytes in a URL */

/* Upstream metadata */
#define SL_MAX_RELEASE_BYTES     (16u << 20)       /* bytes: Debian's largest InRelease is ~ 200 KiB */
#define SL_MAX_INDEX_BYTES       (1024ull << 20)   /* bytes decompressed per Packages index (main ~ 100 MB) */
#define SL_MAX_INDEX_COMPRESSED  (256ull << 20)    /* bytes of one compressed index download */
#define SL_MAX_RPM_REPOMD_BYTES  (4u << 20)        /* bytes of repomd.xml: RHEL's is ~ 4 KiB, with every delta and zchunk record < 64 KiB */
#define SL_MAX_RPM_SIG_BYTES     (64u << 10)       /* bytes of repomd.xml.asc: one armored signature is < 1 KiB */
#define SL_MAX_RPM_RECORDS       64                /* <data> records in one repomd.xml: createrepo_c writes at most ~ 20 */
#define SL_MAX_RPM_META_COMPRESSED (2ull << 30)    /* bytes of one compressed metadata file: RHEL AppStream filelists ~ 200 MB */
#define SL_MAX_RPM_META_BYTES    (4ull << 30)      /* bytes decompressed per metadata file, also when open-size says more (AppStream primary ~ 600 MB) */
#define SL_MAX_RPM_PACKAGES      1000000           /* <package> entries in one primary: EPEL has ~ 25,000, AppStream ~ 60,000 */
#define SL_MAX_RPM_FIELD         4096              /* bytes of one element's text or attribute the parsers keep (href, version...) */
#define SL_MAX_RPM_XML_DEPTH     64                /* element nesting in repodata: primary nests 5 deep */
#define SL_MAX_RPM_KEYFILE_BYTES (4u << 20)        /* bytes of a package key file: a keyring of 100 keys is ~ 200 KiB */
#define SL_MAX_RPM_ADVISORY_PKGS 20000            /* packages one advisory lists: RHEL kernel advisories list ~ 300 per arch */
#define SL_MAX_RPM_ADVISORY_CVES 2000             /* CVE references of one advisory: the largest RHSA cite ~ 200 */
#define SL_MAX_RPM_MODULES_BYTES (256u << 20)     /* bytes of modules.yaml decompressed, read whole by libmodulemd: RHEL 8 AppStream ~ 15 MB */
#define SL_MAX_RPM_COMPS_GROUPS  1000000           /* <group> elements of one comps file: Fedora has ~ 600 */
#define SL_RPM_SIG_SKEW_S        (24 * 3600)       /* s: a package signature dated this far in the future is still accepted (clock skew, time zones) */
#define SL_MAX_DEB822_PARA       (1u << 20)        /* bytes in one deb822 paragraph (stanza) */
#define SL_MAX_DEB822_FIELDS     256               /* fields in one paragraph */
#define SL_MAX_PACKAGES          1000000           /* package stanzas per index */
#define SL_APT_MAX_SUITES        32                /* suites per APT source */
#define SL_APT_MAX_INDICES       512               /* suite x component x architecture per APT source */
#define SL_APT_MAX_POOL          (4u << 20)        /* pool entries one APT snapshot may hold (64 B each to verify) */
#define SL_MAX_ARTIFACT_BYTES    (16ull << 30)     /* bytes in one pool file / blob / database */
#define SL_MAX_MEMORY_BODY       (16u << 20)       /* bytes of a response kept in memory (metadata) */
#define SL_MAX_CVD_HEADER        512               /* bytes: ClamAV's fixed CVD header */
#define SL_MAX_CVD_ENTRIES       100000            /* files in one CVD's tar: main.cvd has < 50 */
#define SL_MAX_CVD_UNPACKED      (8ull << 30)      /* bytes unpacked from one CVD: main.cvd unpacks to ~ 400 MB */
#define SL_MAX_CDIFF_BYTES       (64u << 20)       /* bytes of one .cdiff: daily's are < 1 MiB */
#define SL_MAX_CVD_SIGN_BYTES    (64u << 10)       /* bytes of one .sign file: ClamAV's are ~ 2 KiB */
#define SL_MAX_CVD_INFO          (4u << 20)        /* bytes of a CVD's .info member: daily.info is ~ 10 KiB */
#define SL_MAX_CLAMAV_ENTRIES    100000            /* entries of one ClamAV snapshot: databases x cdiffs x 2 are < 1000 */
#define SL_MAX_OCI_MANIFEST      (4u << 20)        /* bytes: registries cap manifests at 4 MiB */
#define SL_MAX_OCI_REPO          255               /* bytes in a repository name: distribution's own limit */
#define SL_MAX_OCI_DESCRIPTORS   1024              /* layers or child manifests in one manifest: Docker caps layers at 127 */
#define SL_MAX_OCI_LOOKASIDE     16                /* simple-signing signatures fetched per image (signature-1..N) */
#define SL_MAX_OCI_CONFIG        (4u << 20)        /* bytes of an image config read back for its platform: real ones are < 64 KiB */
#define SL_MAX_COSIGN_PAYLOAD    (64u << 10)       /* bytes of signed JSON: real payloads are < 1 KiB; bounds zip bombs */
#define SL_MAX_COSIGN_B64        4096              /* bytes of a base64 cosign signature: ECDSA P-521 DER is < 200 */
#define SL_MAX_DEBVER            256               /* bytes in a Debian version string: Debian's longest is < 100 */
#define SL_MAX_DEBIAN_ARCHS      16                /* architectures one APT mirror resolves for: Debian has ~ 10 */
#define SL_MAX_KEYRING_BYTES     (8u << 20)        /* bytes of one OpenPGP keyring file: Debian's is ~ 100 KiB */
#define SL_MAX_SIGNATURE_BYTES   (1u << 20)        /* bytes of one detached signature: several sigs are < 4 KiB */
#define SL_MAX_SIGNATURES        64                /* signatures inspected on one file: Debian uses 2-3 */

/* Network */
#define SL_MAX_REDIRECTS         5                 /* HTTP redirects followed per request */
#define SL_MAX_HEADER_VALUE      1024              /* bytes kept from one response header (ETag, Date) */
#define SL_MAX_FETCH_CAPTURE     16                /* response headers one fetch request may capture: the registry client uses 6 */
#define SL_FETCH_RESUME_MIN_BYTES (4u << 20)      /* bytes: smaller downloads restart from 0 after a failure instead of keeping a named partial (a .deb is ~ 300 KiB) */
#define SL_MAX_COOLDOWN_S        (7 * 86400)       /* s: longest Retry-After / cool-down honoured (hostile upstream) */
#define SL_MAX_DNS_ANSWER        4096              /* bytes of ClamAV's DNS TXT answer (stack buffer): the record is < 100 bytes */
#define SL_MAX_REGISTRY_PAGES    1000              /* tag-list pages followed per OCI repository: a loop guard */
#define SL_MAX_REGISTRY_TOKEN    (16u << 10)       /* bytes of a registry bearer token: Docker Hub's JWTs are ~ 2 KiB */
#define SL_MAX_REGISTRY_TOKEN_BODY (64u << 10)     /* bytes of a token endpoint's JSON answer */
#define SL_MAX_REGISTRY_PING_BODY (64u << 10)      /* bytes of a registry's /v2/ answer: only its status and headers matter */
#define SL_MAX_REGISTRY_TAGS_PAGE (4u << 20)       /* bytes of one tags/list page */

/* Store writes */
#define SL_WRITEQ_BUFS           12                /* write-behind buffers per fetch engine: one filling per download, the rest queued */
#define SL_WRITEQ_BUF_BYTES      (256u << 10)      /* bytes per write-behind buffer: one pwrite; 12 x 256 KiB = 3 MiB of RSS */
#define SL_WRITEQ_THREADS        2                 /* write-behind threads: the page-cache copy and ext4's inode allocation outweigh receiving and hashing */
#define SL_WRITEQ_SPARES         16                /* temp files opened ahead: several per download in flight */
#define SL_WRITEQ_DIRECT_MAX     (64u << 10)       /* bytes: a file no larger is written at flush by its producer: a hand-over to a thread costs more */

/* Serving */
#define SL_MAX_REQUEST_PATH      2048              /* bytes in a request path after decoding */
#define SL_MAX_REQUEST_HEADERS   (16u << 10)       /* bytes of request headers per connection */
#define SL_MAX_REQUEST_FIELD     (8u << 10)        /* bytes of one request header line, name included (nginx's) */
#define SL_MAX_OCI_REPOS         4096              /* repositories in one published OCI generation indexed by served */
#define SL_MAX_OCI_TAGS          65536             /* tags per repository in served's index: Docker Hub's largest have ~ 10^4 */
#define SL_MAX_OCI_MANIFESTS     65536             /* manifests per repository in served's index (tags plus platform children) */
#define SL_MAX_OCI_INLINE_MANIFEST (256u << 10)    /* bytes: manifests up to this are held in memory; larger ones are sent from disk */
#define SL_MAX_OCI_INDEX_BYTES   (64u << 20)       /* bytes of manifests held in memory per published generation; the rest from disk */
#define SL_MAX_OCI_PAGE          1000              /* entries per tags/list or _catalog page, also without n: Link gives the rest */
#define SL_MAX_MAPPED_FILES      64                /* files sent from shared mappings at once (served/mapcache.h); more use sendfile */
#define SL_MAX_MAP_BUDGET        (1u << 30)        /* bytes: largest [served] map_budget; mapped pages count in served's RSS */
#define SL_MAX_OCI_TAG_FILE      80                /* bytes in a published _tags file: 64 hex digits and a newline */
#define SL_MAX_STATUS_KEYRING    (1u << 20)        /* bytes of public/keys/sluice.asc read for the status page's fingerprints: a few KiB */

/* Admin */
#define SL_MAX_CHAIN_SNAPSHOTS   4096              /* snapshots one `verify --chain --all` re-checks: kept snapshots are far fewer */
#define SL_MAX_DIFF_KINDS        16                /* kinds of change one diff emits (added, removed, upgraded...) */
#define SL_MAX_DIFF_LINE         (64u << 10)       /* bytes of one change spilled by an ordered differ: a package's fields are far shorter */
#define SL_MAX_QUERY_FIELDS      8                 /* meta fields one ordered projection of snapshot entries sorts by */

/* Findings */
#define SL_MAX_ADVISORY_CVES     64                /* CVE IDs kept per upgraded package: a large security upload lists ~ 30 */
#define SL_MAX_CHANGELOG_LINES   200000            /* lines of one changelog.Debian read: the longest are ~ 60,000 */
#define SL_MAX_CHANGELOG_BYTES   (8u << 20)        /* bytes of a decompressed changelog.Debian: the largest are ~ 3 MiB */
#define SL_MAX_SCAN_LINE         (2 * SL_MAX_REL_PATH + 1024) /* bytes of one line of the scan child's pipe protocol (verify/scan.c): a path and a verdict */
#define SL_SCAN_MEM_MEMBER       (32u << 20)       /* bytes of one archive member scanned from memory; larger ones (up to max_filesize) go through a temporary file. 99.9% of .deb members are far smaller */
#define SL_SCAN_MEM_HELD         (96u << 20)       /* bytes of members held in memory at once by nested archives (a member of a member...): beyond, members go through temporary files */
#define SL_SCAN_MAGIC_PEEK       (128u << 10)      /* bytes looked at to decide whether a member may be an archive: libarchive's uudecode bidder reads as far */
#define SL_SCAN_MAX_WORKERS      16                /* scanner children: one per online CPU, at most this many (each maps the engine copy-on-write) */
#define SL_SCAN_WORKER_BUF       (2 * SL_MAX_SCAN_LINE) /* bytes buffered from one scanner child: its answers are read line by line */

/* Alerts */
#define SL_MAX_ALERT_BYTES       (64u << 10)       /* bytes of one alert's text or JSON body: a chat message, not a report */
#define SL_ALERT_ATTEMPTS        12                /* deliveries tried per alert and channel: with the backoff below, about a day */
#define SL_ALERT_BACKOFF_S       30                /* s before the first retry; doubled per attempt, capped at 6 h */

/* Catalogue */
#define SL_SQLITE_BUSY_MS        10000             /* ms to wait for a catalogue lock held by another process */
#define SL_MAX_REASON            4096              /* bytes in an approval/rejection/verification reason */

/* Transfer bundles (sluice export / import) */
#define SL_MAX_BUNDLE_MANIFEST   (64u << 20)       /* bytes: ~ 200 B per entry, a 60,000-package snapshot needs ~ 15 MiB; held once in memory to check its signature */
#define SL_MAX_BUNDLE_LINE       (64u << 10)       /* bytes in one manifest line: an entry's meta is < 1 KiB, a summary < 4 KiB */
#define SL_MAX_BUNDLE_ENTRIES    4000000           /* entries per source in one bundle: Debian main all archs is ~ 600,000 files */
#define SL_MAX_BUNDLE_VOLUMES    100000            /* volumes of one bundle: 4 GB volumes of a 2 TB mirror are 500 */
#define SL_MAX_BUNDLE_ACK        (1u << 20)        /* bytes of an acknowledgement: one line per held snapshot */
#define SL_BUNDLE_COPY_BYTES     (256u << 10)      /* bytes per read and write when streaming one object */
#define SL_MAX_BUNDLE_BUILDS     100000            /* build steps in one bundle: ~ 3 per changed index file; Debian main has ~ 2,000 index files */
#define SL_MAX_BUNDLE_TOKEN      SL_MAX_RECOMPRESS_TOKEN /* bytes of a recompression token (core/recompress.h) in a manifest */
#define SL_BUNDLE_DELTA_MIN      (16u << 10)       /* bytes: objects smaller than this are carried whole (a patch would save too little) */

/* Deltas and recompression of changed indices in transfer bundles (core/delta.c, core/recompress.c) */
#define SL_DELTA_CHUNK_MAX       (64u << 10)       /* bytes: hard end of one content-defined chunk (binary data without newlines); also the I/O unit */
#define SL_MAX_DELTA_CHUNKS      (1u << 20)        /* chunks of an old file indexed by sl_delta_make: ~ 500 B each covers ~ 500 MB; table <= 32 MiB */
#define SL_MAX_RECOMPRESS_TOKEN  256               /* bytes of a recompression token with its NUL: a gzip header with a file name */
#define SL_MAX_RECOMPRESS_GZIP_HEADER 96           /* bytes of a gzip header carried in a token: 10 fixed plus a file name */
#define SL_MAX_RECOMPRESS_XZ_DICT (64u << 20)      /* bytes: largest xz dictionary tried or run (xz -9's); encoder memory ~ 11x this */

/* Publishing */
#define SL_MAX_RELEASE_FIELD     1024              /* bytes of one upstream field (Description...) copied into a generated Release */
#define SL_MAX_KEY_UID           256               /* bytes in the signing key's user ID (name + e-mail) given to sluice keys */
#define SL_MAX_GPGCONF_OUT       4096              /* bytes read from one gpgconf query */

/* Store and filesystem */
#define SL_MAX_RMTREE_DEPTH      256               /* directory levels sl_fs_rmtree descends (one fd each) */

#endif
