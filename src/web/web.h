/*
 * web.h - the HTTP server: router, request limits, error mapping, request
 * log, and the public PKI endpoints (CA certificates, CRLs, OCSP,
 * certificate status, health and metrics).
 *
 * Responsible for: turning an oa_err into an HTTP status and a JSON error
 * body exactly once (web_status_of), bounding every input before a module
 * sees it (limits.h, web section), and answering each request from the
 * calling worker thread's own CA handle.
 *
 * Must never: hold a CA private key of its own (signing goes through the
 * ca module and its signer), log a query string, cookie, Authorization
 * header, password or token, or serve a file named by a request path.
 */
#ifndef OA_WEB_H
#define OA_WEB_H

#include <stddef.h>

#include <jansson.h>

#include "../common/err.h"

typedef struct web_opts {
	const char *dir;      /* data directory */
	const char *listen;   /* "ADDR:PORT"; NULL: the configuration's web.listen */
} web_opts;

/*
 * Runs the server until SIGTERM or SIGINT: worker threads (web.threads,
 * each with its own CA handle), and a scheduler thread that publishes the
 * CRLs when ca_crl_due() says so.  On the signal it stops accepting, lets
 * requests in flight finish (at most web.shutdown_grace_seconds), then
 * returns OA_OK.  Refuses (OA_ERR_CONFIG) plain HTTP on a non-loopback
 * address unless web.allow_plain_http = yes.  Prints one line
 * "openams: listening on URL" on stderr once it accepts connections.
 */
oa_err web_serve(const web_opts *o);

/* The HTTP status for a module error code (400, 404, 409, 413, 403, ...). */
unsigned web_status_of(oa_err code);

/*
 * Parses a JSON request body of at most OA_WEB_MAX_JSON_BODY bytes nested
 * at most OA_WEB_MAX_JSON_DEPTH deep (checked before Jansson sees it),
 * rejecting duplicate keys and NUL bytes.  *out is the caller's
 * (json_decref).  OA_ERR_LIMIT for size or depth, OA_ERR_INVALID for
 * anything else.
 */
oa_err web_json_parse(const char *text, size_t len, json_t **out);

/*
 * Decodes the base64 (standard or URL-safe alphabet, padding optional) of
 * an OCSP GET request path (RFC 6960 Appendix A.1) into out (outsz bytes).
 * Returns the decoded length, or -1 if s is not base64 or does not fit.
 */
long web_base64_decode(const char *s, size_t n, unsigned char *out, size_t outsz);

#endif
