/* request: answering a request and counting it. */
#include "served/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const unsigned sl_request_codes[SL_CODE_SLOTS - 1] = { SL_CODE_LIST };

unsigned sl_request_code_slot(unsigned status)
{
	for (unsigned i = 0; i < SL_CODE_SLOTS - 1; i++)
		if (sl_request_codes[i] == status)
			return i;
	return SL_CODE_SLOTS - 1;
}

void sl_request_answered(struct sl_request *r, unsigned status, uint64_t body_len)
{
	r->answered = true;
	r->status = status;
	/* Only GET carries a body; HEAD and 304 never do (MHD omits it). */
	r->body_bytes = (r->head || status == MHD_HTTP_NOT_MODIFIED) ? 0 : body_len;
}

enum MHD_Result sl_request_respond_keep(struct sl_request *r, unsigned status, struct MHD_Response *resp,
					uint64_t body_len)
{
	enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
	if (ret == MHD_YES)
		sl_request_answered(r, status, body_len);
	return ret;
}

enum MHD_Result sl_request_respond(struct sl_request *r, unsigned status, struct MHD_Response *resp,
				   uint64_t body_len)
{
	if (resp == NULL)
		return MHD_NO;  /* allocation failure: MHD closes the connection */
	enum MHD_Result ret = sl_request_respond_keep(r, status, resp, body_len);
	MHD_destroy_response(resp);
	return ret;
}

static void common_headers(struct MHD_Response *resp, const char *content_type, const char *cache_control)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

enum MHD_Result sl_request_text(struct sl_request *r, unsigned status, const char *content_type,
				const char *body, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	common_headers(resp, content_type, "no-store");
	return sl_request_respond(r, status, resp, len);
}

enum MHD_Result sl_request_take(struct sl_request *r, unsigned status, const char *content_type,
				char *body, size_t len, const char *cache_control)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	common_headers(resp, content_type, cache_control);
	return sl_request_respond(r, status, resp, len);
}

enum MHD_Result sl_request_error(struct sl_request *r, unsigned status)
{
	static const struct {
		unsigned status;
		const char *text;
	} pages[] = {
		{ 400, "400 bad request\n" },
		{ 403, "403 forbidden\n" },
		{ 404, "404 not found\n" },
		{ 405, "405 method not allowed\n" },
		{ 408, "408 request timeout\n" },
		{ 414, "414 URI too long\n" },
		{ 431, "431 request header fields too large\n" },
		{ 500, "500 internal server error\n" },
		{ 503, "503 service unavailable\n" },
	};
	const char *text = "error\n";
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
		if (pages[i].status == status)
			text = pages[i].text;
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
								    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	common_headers(resp, "text/plain; charset=utf-8", "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return sl_request_respond(r, status, resp, strlen(text));
}

const char *sl_request_header(const struct sl_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

bool sl_request_has_body(const struct sl_request *r)
{
	const char *cl = sl_request_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	return sl_request_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL || (cl != NULL && strcmp(cl, "0") != 0);
}

/* A Host header is echoed into the status page, so only plain host[:port] forms are used. */
static bool sane_host(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
		if (!ok)
			return false;
	}
	return true;
}

void sl_request_base_url(const struct sl_request *r, char *buf, size_t cap)
{
	const char *host = sl_request_header(r, MHD_HTTP_HEADER_HOST);
	if (host == NULL || !sane_host(host))
		host = r->authority;
	snprintf(buf, cap, "%s://%s", r->tls ? "https" : "http", host);
}
