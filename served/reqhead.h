/* reqhead: RFC 9112 checks of a request's head that libmicrohttpd 0.9.75 does not make, run by the access
 * handler before any route: the request line's shape (a token method, single spaces, HTTP/1.x), one size
 * limit for every header line (SL_MAX_REQUEST_FIELD) and for the head (SL_MAX_REQUEST_HEADERS), a single
 * Host, no blank before a colon, no NUL, bare CR or other control byte in a field. MHD parses the head in
 * place into C strings, so a NUL would silently cut a value short; the checks read the bytes MHD left in
 * its read buffer between the fields it reports, which must be only the NULs it wrote over CR LF and
 * colons. When the layout is not the one expected (another MHD version), those byte checks conclude
 * nothing; the others still apply. Internal to served/. */
#ifndef SL_REQHEAD_H
#define SL_REQHEAD_H

struct sl_request;

/* 0 if the head may be answered; else 400 or 431, with r->reason (static text) saying why. Call from the
 * first access-handler call, with MHD's method and version pointers. */
unsigned sl_reqhead_check(struct sl_request *r, const char *method, const char *version);

#endif
