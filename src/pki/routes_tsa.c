/*
 * routes_tsa.c - the time-stamping authority over HTTP (RFC 3161 section
 * 3.4):
 *
 *   POST /tsa    body: DER TimeStampReq, Content-Type
 *                application/timestamp-query, at most OA_MAX_TSQ_BYTES
 *
 * answered with application/timestamp-reply from ca_timestamp(): a request
 * OpenSSL cannot parse, or asks for an algorithm, policy or extension the
 * TSA does not give, is an HTTP 200 carrying a rejection (PKIStatusInfo
 * with its failInfo), as the RFC has it; an instance without a TSA answers
 * 503 with the JSON error.  Responses are never cached (each token is
 * unique).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pki.h"

static void h_post(web_req *r)
{
	const char *t = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	uint8_t *resp = NULL;
	size_t n, rlen = 0;
	oa_err rc;

	n = t ? strcspn(t, "; \t") : 0;
	if (!t || n != strlen("application/timestamp-query") ||
	    strncasecmp(t, "application/timestamp-query", n) != 0) {
		web_reply_fail(r, 415, "unsupported_media_type",
		    "Content-Type harus application/timestamp-query",
		    "Content-Type must be application/timestamp-query (RFC 3161 3.4)");
		web_header(r, "Accept-Post", "application/timestamp-query");
		return;
	}
	if ((rc = ca_timestamp(r->ca, r->body, r->body_len, &resp, &rlen))) {
		if (rc == OA_ERR_STATE)
			web_reply_fail(r, 503, "tsa_unavailable",
			    "Instans ini tidak menjalankan otoritas cap waktu (TSA)",
			    "This instance runs no time-stamping authority");
		else
			web_reply_err(r, rc);
		return;
	}
	web_reply(r, 200, "application/timestamp-reply", resp, rlen, MHD_RESPMEM_MUST_FREE);
	if (r->resp == NULL)
		free(resp);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

static const web_route routes[] = {
	{WEB_POST, "/tsa", h_post, OA_MAX_TSQ_BYTES},
};

const web_route_table web_tsa_table = {"tsa", routes, sizeof routes / sizeof routes[0]};
