/* alert_send: one delivery attempt per due alert and channel (see alert_send.h). */
#include "syncd/alert_send.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"

#define ALERT_BATCH 32                 /* deliveries tried per call: the rest waits for the next tick */
#define ALERT_CONNECT_TIMEOUT_S 5L     /* s to reach a receiver */
#define ALERT_TIMEOUT_S 15L            /* s for one whole delivery */
#define ALERT_BACKOFF_MAX_S (6 * 3600) /* s: the longest wait between two attempts */

struct deliver {
	const struct sl_config *cfg;
	struct sl_catalog *cat;
	int64_t now;
	unsigned sent, failed;
};

struct msg {
	const char *p;
	size_t left;
};

static size_t read_msg(char *buf, size_t size, size_t n, void *arg)
{
	struct msg *m = arg;
	size_t k = size * n < m->left ? size * n : m->left;
	memcpy(buf, m->p, k);
	m->p += k;
	m->left -= k;
	return k;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static void common(CURL *c, const char *url)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, ALERT_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, ALERT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
}

static int post_webhook(const struct sl_config *cfg, const struct sl_alert_due *d, char *err, size_t cap)
{
	CURL *c = curl_easy_init();
	if (c == NULL)
		return snprintf(err, cap, "out of memory"), -1;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	common(c, cfg->alert_webhook);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return snprintf(err, cap, "webhook: %s", curl_easy_strerror(rc)), -1;
	if (code < 200 || code > 299)
		return snprintf(err, cap, "webhook: HTTP %ld", code), -1;
	return 0;
}

static int send_mail(const struct sl_config *cfg, const struct sl_alert_due *d, char *err, size_t cap)
{
	char date[64], head[1024];
	time_t now = time(NULL);
	struct tm tm;
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", gmtime_r(&now, &tm));
	int n = snprintf(head, sizeof head, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: [sluice] %s%s%s\r\n"
					    "Content-Type: text/plain; charset=utf-8\r\n\r\n",
			 date, cfg->alert_mail_from, cfg->alert_mail_to.v[0], d->event, d->source ? ": " : "",
			 d->source ? d->source : "");
	size_t tlen = strlen(d->text);
	char *full = malloc((size_t)n + tlen + 3);
	if (full == NULL)
		return snprintf(err, cap, "out of memory"), -1;
	memcpy(full, head, (size_t)n);
	memcpy(full + n, d->text, tlen);
	memcpy(full + n + tlen, "\r\n", 3);
	struct msg m = { full, (size_t)n + tlen + 2 };
	CURL *c = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	for (size_t i = 0; i < cfg->alert_mail_to.n; i++)
		rcpt = curl_slist_append(rcpt, cfg->alert_mail_to.v[i]);
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	if (c != NULL) {
		common(c, cfg->alert_smtp);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		curl_easy_setopt(c, CURLOPT_MAIL_FROM, cfg->alert_mail_from);
		curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);   /* STARTTLS when offered */
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_msg);
		curl_easy_setopt(c, CURLOPT_READDATA, &m);
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		rc = curl_easy_perform(c);
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(full);
	if (rc != CURLE_OK)
		return snprintf(err, cap, "smtp: %s", curl_easy_strerror(rc)), -1;
	return 0;
}

static int one(void *arg, const struct sl_alert_due *d)
{
	struct deliver *dl = arg;
	char err[256] = "";
	int rc = strcmp(d->channel, "webhook") == 0 && dl->cfg->alert_webhook != NULL ? post_webhook(dl->cfg, d, err, sizeof err)
		 : strcmp(d->channel, "smtp") == 0 && dl->cfg->alert_smtp != NULL     ? send_mail(dl->cfg, d, err, sizeof err)
		 : (snprintf(err, sizeof err, "%s is no longer configured in [alert]", d->channel), -1);
	int64_t wait = SL_ALERT_BACKOFF_S;
	for (unsigned i = 0; i < d->attempts && wait < ALERT_BACKOFF_MAX_S; i++)
		wait *= 2;
	if (wait > ALERT_BACKOFF_MAX_S)
		wait = ALERT_BACKOFF_MAX_S;
	if (rc == 0) {
		dl->sent++;
	} else {
		dl->failed++;
		sl_log_warn(d->source, "alert %lld (%s) not delivered, retried in %lld s: %s", (long long)d->alert_id,
			    d->event, (long long)wait, err);
	}
	int w = sl_catalog_alert_result(dl->cat, d->alert_id, d->channel, dl->now, rc == 0 ? NULL : err, dl->now + wait);
	return w < 0 ? w : 0;
}

int sl_alert_deliver(const struct sl_config *cfg, struct sl_catalog *cat, unsigned *sent, unsigned *failed)
{
	struct deliver dl = { .cfg = cfg, .cat = cat, .now = (int64_t)time(NULL) };
	int rc = 0;
	if (cfg->alert_webhook != NULL || cfg->alert_smtp != NULL)
		rc = sl_catalog_alerts_due(cat, dl.now, SL_ALERT_ATTEMPTS, ALERT_BATCH, one, &dl);
	if (sent != NULL)
		*sent = dl.sent;
	if (failed != NULL)
		*failed = dl.failed;
	return rc;
}
