/* test_served_ops: the operational side of sluice-served — status page, /metrics, /healthz against a real
 * catalogue, the access log and its reopening, the allow-list, bad [served] settings, TLS and client
 * certificates. */
#include "test_served_lib.h"
#include "served/status.h"
#include "tests/unit/lib/gpgtest.h"

#include <sys/prctl.h>
#include <sys/wait.h>

/* A process named sluice-syncd whose pid is in STATE/run/syncd.pid: a running daemon as the status page
 * detects one (core/syncdpid.h). Returns its pid; kill it to stop "the daemon". */
static pid_t fake_syncd(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, "sluice-syncd");
		pause();
		_exit(0);
	}
	char path[400], buf[32];
	snprintf(path, sizeof path, "%s/run", state);
	mkdir(path, 0770);
	snprintf(path, sizeof path, "%s/run/syncd.pid", state);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", (int)pid);
	fclose(f);
	/* The name is set by the child: wait until /proc shows it. */
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	for (int i = 0; i < 200; i++) {
		f = fopen(path, "r");
		bool named = f != NULL && fgets(buf, sizeof buf, f) != NULL && strcmp(buf, "sluice-syncd\n") == 0;
		if (f != NULL)
			fclose(f);
		if (named)
			break;
		usleep(5000);
	}
	return pid;
}

static void test_status_page(void **st)
{
	struct resp r;
	http(NULL, "/", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(hdr(&r, "Content-Type"), "text/html; charset=utf-8");
	assert_non_null(strstr(r.body, "<b>deb</b><span class=\"sub\">apt &middot; manual approval</span>"));
	assert_non_null(strstr(r.body, "<b>av</b><span class=\"sub\">clamav &middot; "));
	/* No catalogue in this fixture: said so, and nothing made up. */
	assert_non_null(strstr(r.body, "The catalogue cannot be read"));
	assert_non_null(strstr(r.body, "No readable public key is published yet"));
	char want[256];
	snprintf(want, sizeof want, "deb [signed-by=/etc/apt/keyrings/sluice.asc] http://127.0.0.1:%u/apt/deb bookworm main",
		 (unsigned)port);
	assert_non_null(strstr(r.body, want));
	snprintf(want, sizeof want, "DatabaseMirror http://127.0.0.1:%u/clamav/av\nDNSDatabaseInfo no\nScriptedUpdates yes",
		 (unsigned)port);
	assert_non_null(strstr(r.body, want));
	resp_free(&r);
	/* A hostile Host header never reaches the page. */
	const char *h[] = { "Host: <script>x</script>", NULL };
	http(NULL, "/", h, &r);
	assert_int_equal(r.code, 200);
	assert_null(strstr(r.body, "<script>"));
	resp_free(&r);

}

static uint64_t metric(const char *body, const char *series)
{
	const char *p = strstr(body, series);
	if (p == NULL)
		return 0;
	return strtoull(p + strlen(series), NULL, 10);
}

static void test_metrics(void **st)
{
	struct resp r;
	/* MHD reports the previous test's last request complete only after its answer went out, so curl may
	 * ask again before that: the gauge settles to 1 (this request) within moments. */
	for (int i = 0; i < 100; i++) {
		http(NULL, "/metrics", NULL, &r);
		if (strstr(r.body, "sluice_http_in_flight 1\n") != NULL)
			break;
		resp_free(&r);
		usleep(10000);
	}
	assert_int_equal(r.code, 200);
	uint64_t ok0 = metric(r.body, "sluice_http_requests_total{route=\"apt\",code=\"200\"} ");
	uint64_t nf0 = metric(r.body, "sluice_http_requests_total{route=\"apt\",code=\"404\"} ");
	uint64_t by0 = metric(r.body, "sluice_http_response_bytes_total{route=\"apt\"} ");
	assert_non_null(strstr(r.body, "sluice_http_in_flight 1\n"));
	assert_non_null(strstr(r.body, "# TYPE sluice_http_requests_total counter"));
	resp_free(&r);

	http(NULL, "/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb", NULL, &r);
	resp_free(&r);
	http(NULL, "/apt/deb/nope", NULL, &r);
	resp_free(&r);
	/* Counted on completion, which may follow the answer by moments (as above). */
	for (int i = 0; i < 100; i++) {
		http(NULL, "/metrics", NULL, &r);
		if (metric(r.body, "sluice_http_requests_total{route=\"apt\",code=\"404\"} ") == nf0 + 1)
			break;
		resp_free(&r);
		usleep(10000);
	}
	assert_int_equal(metric(r.body, "sluice_http_requests_total{route=\"apt\",code=\"200\"} "), ok0 + 1);
	assert_int_equal(metric(r.body, "sluice_http_requests_total{route=\"apt\",code=\"404\"} "), nf0 + 1);
	assert_int_equal(metric(r.body, "sluice_http_response_bytes_total{route=\"apt\"} "),
			 by0 + DEB_SIZE + strlen("404 not found\n"));
	assert_true(metric(r.body, "sluice_http_requests_total{route=\"metrics\",code=\"200\"} ") >= 1);
	resp_free(&r);
}

static void test_healthz(void **st)
{
	struct resp r;
	char catalog[600], moved[600];
	snprintf(catalog, sizeof catalog, "%s/catalog.db", state);
	unlink(catalog);
	http(NULL, "/healthz", NULL, &r);
	assert_int_equal(r.code, 503);
	resp_free(&r);

	char *cause = NULL;
	struct sl_catalog *cat = sl_catalog_open(catalog, 0, &cause);
	if (cat == NULL) {
		free(cause);
		skip();   /* core/catalog.c not in this tree yet */
	}
	int64_t id, run, snap;
	assert_int_equal(sl_catalog_source_ensure(cat, "deb", "apt", &id), 0);
	assert_int_equal(sl_catalog_run_begin(cat, id, &run), 0);
	assert_int_equal(sl_catalog_run_end(cat, run, SL_RUN_OK, 10, 1, NULL), 0);
	/* One published snapshot and one waiting for approval, through the legal transitions. */
	int64_t pending;
	assert_int_equal(sl_catalog_snapshot_new(cat, id, run, &snap), 0);
	assert_int_equal(sl_catalog_snapshot_new(cat, id, run, &pending), 0);
	for (int i = 0; i < 2; i++) {
		int64_t sn = i == 0 ? snap : pending;
		assert_int_equal(sl_catalog_snapshot_seal(cat, sn, 0, NULL), 0);
		assert_int_equal(sl_catalog_snapshot_transition(cat, sn, SL_SNAP_SYNCING, SL_SNAP_VERIFIED, NULL), 0);
		assert_int_equal(sl_catalog_snapshot_transition(cat, sn, SL_SNAP_VERIFIED, SL_SNAP_PENDING, NULL), 0);
	}
	assert_int_equal(sl_catalog_snapshot_transition(cat, snap, SL_SNAP_PENDING, SL_SNAP_PUBLISHED, NULL), 0);
	assert_int_equal(sl_catalog_published_set(cat, id, snap, 1), 0);
	int64_t now = (int64_t)time(NULL);
	assert_int_equal(sl_catalog_source_set_next_run(cat, id, now + 3 * 3600 + 600), 0);
	/* The clamav source: a failed run and its upstream host cooling down (syncd keys hosts as they
	 * appear in the URL, lowercase, without port or user). */
	int64_t av, avrun;
	assert_int_equal(sl_catalog_source_ensure(cat, "av", "clamav", &av), 0);
	assert_int_equal(sl_catalog_run_begin(cat, av, &avrun), 0);
	assert_int_equal(sl_catalog_run_end(cat, avrun, SL_RUN_FAILED, 2048, 3, "daily.cvd: 403 <forbidden>"), 0);
	assert_int_equal(sl_catalog_cooldown_set(cat, "127.0.0.4", now + 3600, "HTTP 403"), 0);
	sl_catalog_free(cat);
	sources[0].url = "http://mirror@127.0.0.2:9/debian";
	sources[0].approve_within_ms = 60000;
	sources[1].url = "http://127.0.0.4/clamav";
	/* The pending snapshot has waited an hour: longer than deb's approve_within of a minute. */
	xsystem("sqlite3 '%s' \"UPDATE snapshots SET state_changed_at = state_changed_at - 3600 WHERE id = %lld\"",
		catalog, (long long)pending);

	http(NULL, "/healthz", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "ok\n");
	resp_free(&r);

	http(NULL, "/metrics", NULL, &r);
	assert_non_null(strstr(r.body, "sluice_catalog_up 1\n"));
	char want[128];
	snprintf(want, sizeof want, "sluice_published_snapshot{source=\"deb\"} %lld\n", (long long)snap);
	assert_non_null(strstr(r.body, want));
	assert_non_null(strstr(r.body, "sluice_last_sync_outcome{source=\"deb\",outcome=\"ok\"} 1\n"));
	assert_non_null(strstr(r.body, "sluice_last_sync_outcome{source=\"deb\",outcome=\"failed\"} 0\n"));
	assert_non_null(strstr(r.body, "sluice_last_sync_success_timestamp{source=\"deb\"} "));
	assert_non_null(strstr(r.body, "sluice_pending_snapshots{source=\"deb\"} 1\n"));
	assert_non_null(strstr(r.body, "sluice_pending_snapshots{source=\"av\"} 0\n"));
	assert_non_null(strstr(r.body, "sluice_last_sync_bytes{source=\"deb\"} 10\n"));
	assert_non_null(strstr(r.body, "sluice_last_sync_requests{source=\"deb\"} 1\n"));
	assert_non_null(strstr(r.body, "sluice_last_sync_bytes{source=\"av\"} 2048\n"));
	assert_non_null(strstr(r.body, "sluice_last_sync_outcome{source=\"av\",outcome=\"failed\"} 1\n"));
	assert_null(strstr(r.body, "sluice_last_sync_success_timestamp{source=\"av\"}"));
	snprintf(want, sizeof want, "sluice_next_sync_timestamp{source=\"deb\"} %lld\n", (long long)now + 3 * 3600 + 600);
	assert_non_null(strstr(r.body, want));
	assert_null(strstr(r.body, "sluice_next_sync_timestamp{source=\"av\"}"));
	snprintf(want, sizeof want, "sluice_upstream_cooldown_until_timestamp{source=\"av\",host=\"127.0.0.4\"} %lld\n",
		 (long long)now + 3600);
	assert_non_null(strstr(r.body, want));
	assert_non_null(strstr(r.body, "sluice_upstream_cooldown_until_timestamp{source=\"deb\",host=\"127.0.0.2\"} 0\n"));
	assert_true(metric(r.body, "sluice_pending_oldest_age_seconds{source=\"deb\"} ") >= 3600);
	assert_non_null(strstr(r.body, "sluice_approval_overdue{source=\"deb\"} 1\n"));
	assert_non_null(strstr(r.body, "sluice_approval_overdue{source=\"av\"} 0\n"));
	assert_non_null(strstr(r.body, "sluice_approve_within_seconds{source=\"deb\"} 60\n"));
	resp_free(&r);

	/* Within the deadline: not overdue. */
	sources[0].approve_within_ms = 7 * 86400 * 1000LL;
	http(NULL, "/metrics", NULL, &r);
	assert_non_null(strstr(r.body, "sluice_approval_overdue{source=\"deb\"} 0\n"));
	resp_free(&r);
	sources[0].approve_within_ms = 60000;

	/* sluice's public key, as `sluice init` exports it: the page shows its fingerprint as gpg does. */
	struct sl_gpgtest *g = sl_gpgtest_new();
	char fpr[41], fpr2[41], keyfile[600];
	sl_gpgtest_genkey(g, "sluice signing key <sluice@localhost>", 0, "never", fpr);
	sl_gpgtest_genkey(g, "sluice next key <sluice@localhost>", 0, "never", fpr2);
	const char *fprs[] = { fpr, fpr2, NULL };
	snprintf(keyfile, sizeof keyfile, "%s/keys/sluice.asc", pub);
	sl_gpgtest_export(g, fprs, true, keyfile);
	sl_gpgtest_free(g);

	/* Without a sluice-syncd nothing is scheduled, whatever the catalogue says: the page says so. */
	http(NULL, "/", NULL, &r);
	assert_non_null(strstr(r.body, "not scheduled<span class=\"sub\">no sluice-syncd running</span>"));
	assert_null(strstr(r.body, "<td>in 3 h<span class=\"sub\">"));
	resp_free(&r);

	pid_t daemon = fake_syncd();
	http(NULL, "/", NULL, &r);
	kill(daemon, SIGKILL);
	waitpid(daemon, NULL, 0);
	snprintf(want, sizeof want, "snapshot <b>#%lld</b><span class=\"sub\">since ", (long long)snap);
	assert_non_null(strstr(r.body, want));
	assert_non_null(strstr(r.body, "<span class=\"badge b-ok\">ok</span>"));
	assert_non_null(strstr(r.body, "<span class=\"sub\">10 B in 1 request</span>"));
	assert_non_null(strstr(r.body, "<b>1</b> <span class=\"badge b-bad\">overdue</span><span class=\"sub bad\">oldest "
				       "waits 60 min (approve within 60 s)</span>"));
	assert_non_null(strstr(r.body, "<td>in 3 h<span class=\"sub\">"));
	assert_non_null(strstr(r.body, "<span class=\"badge b-bad\">failed</span>"));
	assert_non_null(strstr(r.body, "daily.cvd: 403 &lt;forbidden&gt;"));   /* escaped, never raw */
	assert_non_null(strstr(r.body, "127.0.0.4<span class=\"sub warn\">cooling down until "));
	assert_non_null(strstr(r.body, "<b>1</b> approval overdue"));
	assert_non_null(strstr(r.body, "<b>1</b> last sync failed"));
	for (int k = 0; k < 2; k++) {
		const char *f = k == 0 ? fpr : fpr2;
		snprintf(want, sizeof want, "<pre class=\"fpr\">%.4s %.4s %.4s %.4s %.4s  %.4s %.4s %.4s %.4s %.4s</pre>", f,
			 f + 4, f + 8, f + 12, f + 16, f + 20, f + 24, f + 28, f + 32, f + 36);
		if (strstr(r.body, want) == NULL)
			fail_msg("fingerprint %s not on the page", f);
	}
	resp_free(&r);
	sources[0].url = NULL;
	sources[0].approve_within_ms = 0;
	sources[1].url = NULL;

	/* The published tree gone: unhealthy even with a catalogue. */
	snprintf(moved, sizeof moved, "%s/public.moved", state);
	assert_int_equal(rename(pub, moved), 0);
	http(NULL, "/healthz", NULL, &r);
	assert_int_equal(r.code, 503);
	resp_free(&r);
	assert_int_equal(rename(moved, pub), 0);
}

/* Start a download of a 48 MiB file, switch the published symlink to a new generation and delete the old
 * one mid-transfer: the client must still get the old bytes, all of them, and the next request the new. */
static void test_access_log(void **st)
{
	char logp[600], rotated[600];
	snprintf(logp, sizeof logp, "%s/access.log", state);
	snprintf(rotated, sizeof rotated, "%s/access.log.1", state);
	cfg.access_log = logp;
	char *cause = NULL;
	struct sl_served *s = start(&cause);
	cfg.access_log = NULL;
	assert_non_null(s);
	struct resp r;
	http_on(sl_served_port(s), NULL, "/apt/deb/dists/bookworm/InRelease?x=\"1\"", NULL, &r);
	resp_free(&r);
	/* With keep-alive the client has its answer a moment before the server's completion callback writes
	 * the line: wait for it, as logrotate's rename could otherwise put it in either file. */
	struct stat lst;
	for (int i = 0; i < 500 && (stat(logp, &lst) != 0 || lst.st_size == 0); i++)
		usleep(10000);
	assert_int_equal(rename(logp, rotated), 0);
	assert_int_equal(sl_served_reopen_log(s), 0);
	http_on(sl_served_port(s), "HEAD", "/nosuch", NULL, &r);
	resp_free(&r);
	sl_served_free(s);   /* completion callbacks have all run once the server is stopped */

	char *old = NULL, *cur = NULL;
	size_t n;
	FILE *f = fopen(rotated, "r");
	assert_non_null(f);
	assert_true(getdelim(&old, &n, '\0', f) > 0);
	fclose(f);
	f = fopen(logp, "r");
	assert_non_null(f);
	assert_true(getdelim(&cur, &n, '\0', f) > 0);
	fclose(f);
	assert_non_null(strstr(old, "127.0.0.1 - - ["));
	assert_non_null(strstr(old, "\"GET /apt/deb/dists/bookworm/InRelease?x=\\x221\\x22 HTTP/1.1\" 200 29 "));
	assert_null(strstr(old, "/nosuch"));
	assert_non_null(strstr(cur, "\"HEAD /nosuch HTTP/1.1\" 404 0 "));
	free(old);
	free(cur);
}

static void test_allow_list(void **st)
{
	allow_v[0] = "10.0.0.0/8";
	cfg.allow = (struct sl_strlist){ allow_v, 1 };
	char *cause = NULL;
	struct sl_served *s = start(&cause);
	assert_non_null(s);
	struct resp r;
	http_on(sl_served_port(s), NULL, "/healthz", NULL, &r);
	assert_true(r.code < 0);   /* connection refused at accept: no HTTP answer at all */
	resp_free(&r);
	sl_served_free(s);

	allow_v[0] = "::ffff:127.0.0.0/104";   /* not IPv4: a v4 peer on a v4 socket does not match */
	s = start(&cause);
	assert_non_null(s);
	http_on(sl_served_port(s), NULL, "/healthz", NULL, &r);
	assert_true(r.code < 0);
	resp_free(&r);
	sl_served_free(s);

	allow_v[0] = "127.0.0.0/8";
	s = start(&cause);
	assert_non_null(s);
	http_on(sl_served_port(s), NULL, "/apt/deb/dists/bookworm/InRelease", NULL, &r);
	assert_int_equal(r.code, 200);
	resp_free(&r);
	sl_served_free(s);
	cfg.allow = (struct sl_strlist){ NULL, 0 };

	struct sl_cidr c;
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.168.1.9", &v6.sin6_addr), 1);
	assert_int_equal(sl_netaddr_parse_cidr("192.168.0.0/16", &c), 0);
	assert_true(sl_netaddr_cidr_match(&c, (struct sockaddr *)&v6));
	assert_int_equal(sl_netaddr_parse_cidr("192.169.0.0/16", &c), 0);
	assert_false(sl_netaddr_cidr_match(&c, (struct sockaddr *)&v6));
	assert_int_equal(sl_netaddr_parse_cidr("fd00::/8", &c), 0);
	assert_int_equal(inet_pton(AF_INET6, "fd12::1", &v6.sin6_addr), 1);
	assert_true(sl_netaddr_cidr_match(&c, (struct sockaddr *)&v6));
	assert_int_equal(sl_netaddr_parse_cidr("10.0.0.0/33", &c), -SL_E_CONFIG);
	assert_int_equal(sl_netaddr_parse_cidr("10.0.0/8", &c), -SL_E_CONFIG);
	assert_int_equal(sl_netaddr_parse_cidr("::1/129", &c), -SL_E_CONFIG);
	assert_int_equal(sl_netaddr_parse_cidr("/8", &c), -SL_E_CONFIG);
	assert_int_equal(sl_netaddr_parse_cidr("10.0.0.1/8", &c), -SL_E_CONFIG);
	assert_int_equal(sl_netaddr_parse_cidr("10.0.0.1", &c), 0);
	assert_int_equal(c.bits, 32);
}

static void expect_bad_config(const char *want)
{
	char *cause = NULL;
	struct sl_served *s = sl_served_new(&cfg, &cause);
	assert_null(s);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	free(cause);
}

static void test_bad_config(void **st)
{
	cfg.listen = "127.0.0.1";
	expect_bad_config("expected HOST:PORT");
	cfg.listen = "[::1:80";
	expect_bad_config("expected HOST:PORT");
	cfg.listen = "127.0.0.1:99999";
	expect_bad_config("expected HOST:PORT");
	cfg.listen = "host.invalid:80";
	expect_bad_config("does not resolve");
	char busy[64];
	snprintf(busy, sizeof busy, "127.0.0.1:%u", (unsigned)port);
	cfg.listen = busy;
	expect_bad_config("Address already in use");
	cfg.listen = "127.0.0.1:0";

	allow_v[0] = "10.0.0.0/40";
	cfg.allow = (struct sl_strlist){ allow_v, 1 };
	expect_bad_config("[served] allow: 10.0.0.0/40");
	cfg.allow = (struct sl_strlist){ NULL, 0 };

	cfg.tls_cert = "/nonexistent/cert.pem";
	expect_bad_config("tls_cert and tls_key go together");
	cfg.tls_key = "/nonexistent/key.pem";
	expect_bad_config("/nonexistent/cert.pem");
	cfg.tls_cert = cfg.tls_key = NULL;
	cfg.tls_client_ca = "/nonexistent/ca.pem";
	expect_bad_config("tls_client_ca needs");
	cfg.tls_client_ca = NULL;

	char logp[600];
	snprintf(logp, sizeof logp, "%s/no/such/dir/access.log", state);
	cfg.access_log = logp;
	expect_bad_config("access log");
	cfg.access_log = NULL;

	/* IPv6 listen, when the host has it. */
	cfg.listen = "[::1]:0";
	char *cause = NULL;
	struct sl_served *s = start(&cause);
	if (s != NULL) {
		assert_non_null(strstr(sl_served_url(s), "http://[::1]:"));
		sl_served_free(s);
	}
	free(cause);
	cfg.listen = "127.0.0.1:0";
}


/* ---- TLS ---- */

static void https_get(uint16_t p, const char *path, const char *cert, const char *key, struct resp *r)
{
	memset(r, 0, sizeof *r);
	char url[512], ca[600];
	snprintf(url, sizeof url, "https://127.0.0.1:%u%s", (unsigned)p, path);
	snprintf(ca, sizeof ca, "%s/tls/ca.pem", state);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	if (cert != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		r->code = -(long)rc;
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_cleanup(c);
}

/* A CA, a server certificate for 127.0.0.1, a client certificate from that CA and one from another. */
static void make_certs(void)
{
	xsystem("set -e; mkdir -p '%s/tls'; cd '%s/tls'; "
		"printf 'subjectAltName=IP:127.0.0.1\\n' >srv.ext; printf 'extendedKeyUsage=clientAuth\\n' >cli.ext; "
		"for ca in ca other; do openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		"-keyout $ca.key -out $ca.pem -days 2 -subj /CN=$ca >/dev/null 2>&1; done; "
		"mk() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr "
		"-subj /CN=$1 >/dev/null 2>&1; openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial "
		"-out $1.pem -days 2 -extfile $3 >/dev/null 2>&1; }; "
		"mk srv ca srv.ext; mk cli ca cli.ext; mk rogue other cli.ext",
		state, state);
}

static void test_tls_client_certs(void **st)
{
	if (system("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	make_certs();
	char cert[600], key[600], ca[600], cli[600], clikey[600], rogue[600], roguekey[600];
	snprintf(cert, sizeof cert, "%s/tls/srv.pem", state);
	snprintf(key, sizeof key, "%s/tls/srv.key", state);
	snprintf(ca, sizeof ca, "%s/tls/ca.pem", state);
	snprintf(cli, sizeof cli, "%s/tls/cli.pem", state);
	snprintf(clikey, sizeof clikey, "%s/tls/cli.key", state);
	snprintf(rogue, sizeof rogue, "%s/tls/rogue.pem", state);
	snprintf(roguekey, sizeof roguekey, "%s/tls/rogue.key", state);

	/* Plain TLS. */
	cfg.tls_cert = cert;
	cfg.tls_key = key;
	char *cause = NULL;
	struct sl_served *s = start(&cause);
	if (s == NULL)
		fail_msg("tls start: %s", cause);
	assert_non_null(strstr(sl_served_url(s), "https://127.0.0.1:"));
	struct resp r;
	https_get(sl_served_port(s), "/apt/deb/dists/bookworm/InRelease", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "Origin: test\nSuite: bookworm\n");
	resp_free(&r);
	http_on(sl_served_port(s), NULL, "/healthz", NULL, &r);   /* plain HTTP on a TLS port */
	assert_true(r.code <= 0 || r.code >= 400);
	resp_free(&r);
	sl_served_free(s);

	/* Client certificates required. */
	cfg.tls_client_ca = ca;
	s = start(&cause);
	if (s == NULL)
		fail_msg("mtls start: %s", cause);
	https_get(sl_served_port(s), "/apt/deb/dists/bookworm/InRelease", cli, clikey, &r);
	assert_int_equal(r.code, 200);
	resp_free(&r);
	https_get(sl_served_port(s), "/apt/deb/dists/bookworm/InRelease", NULL, NULL, &r);
	assert_int_equal(r.code, 403);   /* MHD lets it through the handshake; served refuses it */
	assert_null(strstr(r.body ? r.body : "", "Suite"));
	resp_free(&r);
	https_get(sl_served_port(s), "/apt/deb/dists/bookworm/InRelease", rogue, roguekey, &r);
	assert_int_equal(r.code, 403);   /* MHD lets it through the handshake; served refuses it */
	assert_null(strstr(r.body ? r.body : "", "Suite"));
	resp_free(&r);
	sl_served_free(s);
	cfg.tls_cert = cfg.tls_key = cfg.tls_client_ca = NULL;

	/* A certificate that is not PEM: refused at start, not at the first client. */
	cfg.tls_cert = ca;
	cfg.tls_key = cli;   /* a certificate where the key should be */
	s = start(&cause);
	assert_null(s);
	free(cause);
	cfg.tls_cert = cfg.tls_key = NULL;
}

int main(void)
{
	sl_log_open("test_served", true, SL_LOG_ERR);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_page),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_healthz),
		cmocka_unit_test(test_access_log),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_tls_client_certs),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
