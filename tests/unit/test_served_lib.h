/* test_served_lib: what the sluice-served test programs share — a published tree laid out as the
 * publisher lays it out, a hand-built config, an in-process server on a random loopback port, and
 * libcurl / raw-socket clients. Included by test_served.c and test_served_ops.c only. */
#ifndef TEST_SERVED_LIB_H
#define TEST_SERVED_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/format.h"
#include "core/limits.h"
#include "core/log.h"
#include "served/files.h"
#include "served/mapcache.h"
#include "served/netaddr.h"
#include "served/server.h"
#include "served/text.h"


/* bytes: well beyond loopback socket buffers, so the download is mid-way, and beyond served's mapping
 * budget, so it is sent by sendfile (test_served.c checks both paths) */
#define BIG_SIZE (48u << 20)
#define DEB_SIZE 4000u

static char state[256], pub[300];
static struct sl_source sources[3];
__attribute__((unused)) static char *allow_v[1];
static struct sl_config cfg;
static struct sl_served *srv;
static uint16_t port;

/* ---- fixture helpers ---- */

__attribute__((unused)) static void xsystem(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

__attribute__((unused)) static void write_file(const char *rel, const void *data, size_t len)
{
	char path[1024], dir[1024];
	snprintf(path, sizeof path, "%s/%s", state, rel);
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	xsystem("mkdir -p '%s'", dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

__attribute__((unused)) static void write_str(const char *rel, const char *s)
{
	write_file(rel, s, strlen(s));
}

__attribute__((unused)) static uint8_t pattern(uint64_t i, unsigned seed)
{
	return (uint8_t)((i * 7 + (i >> 12) + seed) & 0xff);
}

__attribute__((unused)) static void write_pattern(const char *rel, size_t len, unsigned seed)
{
	uint8_t *b = malloc(len);
	assert_non_null(b);
	for (size_t i = 0; i < len; i++)
		b[i] = pattern(i, seed);
	write_file(rel, b, len);
	free(b);
}

__attribute__((unused)) static void make_tree(void)
{
	write_str("public/.gen/apt-deb-1/dists/bookworm/InRelease", "Origin: test\nSuite: bookworm\n");
	write_str("public/.gen/apt-deb-1/dists/bookworm/main/binary-amd64/Packages.xz", "xz-data");
	write_str("public/.gen/apt-deb-1/dists/bookworm/main/binary-amd64/by-hash/SHA256/"
		  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "hashed");
	write_pattern("public/.gen/apt-deb-1/pool/main/h/hello/hello_1.0_amd64.deb", DEB_SIZE, 1);
	write_pattern("public/.gen/apt-deb-1/pool/big.bin", BIG_SIZE, 11);
	write_str("public/.gen/apt-deb-1/.hidden", "SECRET hidden\n");
	write_str("public/.gen/apt-deb-1/dists/.tmp", "SECRET tmp\n");
	write_str("public/.gen/apt-deb-1/empty", "");
	write_str("secret.txt", "SECRET outside\n");
	xsystem("cd '%s/public/.gen/apt-deb-1' && ln -s /etc/passwd evil && ln -s ../../../secret.txt evil2 && "
		"ln -s dists/bookworm/InRelease inner-link && mkfifo pipe && mkdir -p dir/sub", state);
	write_pattern("public/.gen/clamav-av-1/daily.cvd", 2048, 2);
	write_pattern("public/.gen/clamav-av-1/daily-2.cdiff", 300, 3);
	write_str("public/keys/sluice.asc", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n");
	xsystem("mkdir -p '%s/public/apt' '%s/public/clamav' && ln -s ../.gen/apt-deb-1 '%s/public/apt/deb' && "
		"ln -s ../.gen/clamav-av-1 '%s/public/clamav/av' && ln -s /etc '%s/public/apt/rogue'",
		state, state, state, state, state);
}

__attribute__((unused)) static void init_config(void)
{
	memset(&cfg, 0, sizeof cfg);
	memset(sources, 0, sizeof sources);
	static char *suites[] = { "bookworm" };
	sources[0].name = "deb";
	sources[0].format = sl_format_find("apt");
	sources[0].suites = (struct sl_strlist){ suites, 1 };
	sources[1].name = "av";
	sources[1].format = sl_format_find("clamav");
	sources[2].name = "rogue";
	sources[2].format = sl_format_find("apt");
	cfg.state_dir = state;
	cfg.listen = "127.0.0.1:0";
	cfg.threads = 2;
	cfg.map_budget = SL_MAPCACHE_BUDGET;
	cfg.connection_timeout_ms = 60000;
	cfg.sources = sources;
	cfg.nsources = 3;
}

static struct sl_served *start(char **cause)
{
	struct sl_served *s = sl_served_new(&cfg, cause);
	if (s != NULL && sl_served_start(s, cause) < 0) {
		sl_served_free(s);
		s = NULL;
	}
	return s;
}

__attribute__((unused)) static int setup(void **st)
{
	snprintf(state, sizeof state, "/tmp/sl-served-XXXXXX");
	assert_non_null(mkdtemp(state));
	snprintf(pub, sizeof pub, "%s/public", state);
	make_tree();
	init_config();
	char *cause = NULL;
	srv = start(&cause);
	if (srv == NULL)
		fail_msg("start: %s", cause);
	port = sl_served_port(srv);
	assert_true(port > 0);
	return 0;
}

__attribute__((unused)) static int teardown(void **st)
{
	sl_served_free(srv);
	xsystem("rm -rf '%s'", state);
	return 0;
}

/* ---- clients ---- */

struct resp {
	long code;
	char *body;
	size_t len;
	char headers[8192];
	size_t hlen;
};

__attribute__((unused)) static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	r->body = realloc(r->body, r->len + sz * n + 1);
	memcpy(r->body + r->len, p, sz * n);
	r->len += sz * n;
	r->body[r->len] = '\0';
	return sz * n;
}

__attribute__((unused)) static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t k = sz * n;
	if (r->hlen + k < sizeof r->headers) {
		memcpy(r->headers + r->hlen, p, k);
		r->hlen += k;
		r->headers[r->hlen] = '\0';
	}
	return k;
}

__attribute__((unused)) static void resp_free(struct resp *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

/* method NULL = GET; headers NULL-terminated. */
__attribute__((unused)) static void http_on(uint16_t p, const char *method, const char *path, const char **headers, struct resp *r)
{
	memset(r, 0, sizeof *r);
	char url[2048];
	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)p, path);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	struct curl_slist *hl = NULL;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (method != NULL && strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (method != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		r->code = -(long)rc;
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
}

__attribute__((unused)) static void http(const char *method, const char *path, const char **headers, struct resp *r)
{
	http_on(port, method, path, headers, r);
}

/* Value of a response header (static buffer), or NULL. */
static const char *hdr(const struct resp *r, const char *name)
{
	static char val[512];
	size_t n = strlen(name);
	for (const char *l = r->headers; l != NULL && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
			const char *v = l + n + 1;
			while (*v == ' ')
				v++;
			size_t k = strcspn(v, "\r\n");
			snprintf(val, sizeof val, "%.*s", (int)k, v);
			return val;
		}
	}
	return NULL;
}

__attribute__((unused)) static int connect_server(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return fd;
}

/* Send raw bytes, read the whole answer; status code (0 if none) and the answer in buf. */
__attribute__((unused)) static int raw(const char *req, size_t len, char *buf, size_t cap)
{
	int fd = connect_server();
	assert_int_equal(write(fd, req, len), (ssize_t)len);
	size_t got = 0;
	ssize_t n;
	while (got + 1 < cap && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	int code = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1)
		return 0;
	return code;
}

__attribute__((unused)) static int raw_get(const char *target, char *buf, size_t cap)
{
	char req[4096];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", target);
	return raw(req, (size_t)n, buf, cap);
}


#endif
