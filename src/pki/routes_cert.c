/*
 * routes_cert.c - /certificates/...: public status lookup by serial, and the
 * certificate itself when the operator allows it.
 *
 *   GET /certificates/{serial}      JSON {serial, status, not_after,
 *                                   revoked_at, reason}: nothing personal
 *   GET /certificates/{serial}.pem  application/x-pem-file
 *   GET /certificates/{serial}.der  application/pkix-cert
 *
 * Certificates are public in most PKIs, but ours carry the holder's name,
 * NIK and e-mail address (personal data under UU 27/2022), and the serials
 * of revoked certificates are listed on the public CRL, so anyone could
 * collect those.  Downloads are therefore off unless web.public_certificates
 * = yes (403 "denied" otherwise); the holder gets theirs through the portal.
 * Status lookups only reveal what OCSP already answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "pki.h"

static void h_status(web_req *r)
{
	ca_cert_info ci;
	char na[24], ra[24], serial[41];
	int64_t now = oa_now();
	const char *status;
	json_t *j;
	oa_err rc;

	if ((rc = ca_serial_normalize(r->param[0], serial)) || (rc = ca_status(r->ca, serial, &ci))) {
		web_reply_err(r, rc);
		return;
	}
	status = ci.status;
	if (strcmp(status, "active") == 0 && ci.not_after <= now)
		status = "expired"; /* expiry is judged by time (ca.h) */
	oa_time_iso(na, sizeof na, ci.not_after);
	j = json_pack("{s:s,s:s,s:s}", "serial", ci.serial, "status", status, "not_after", na);
	if (j && ci.revoked_at > 0) {
		oa_time_iso(ra, sizeof ra, ci.revoked_at);
		json_object_set_new(j, "revoked_at", json_string(ra));
		json_object_set_new(j, "reason", json_string(ca_reason_name(ci.reason)));
	} else if (j) {
		json_object_set_new(j, "revoked_at", json_null());
		json_object_set_new(j, "reason", json_null());
	}
	web_reply_json(r, 200, j);
}

static int allowed(web_req *r)
{
	if (web_srv && web_srv->public_certs)
		return 1;
	web_reply_fail(r, 403, oa_err_name(OA_ERR_DENIED),
	    "Unduhan sertifikat tidak dibuka untuk umum; pemegang dapat mengunduhnya melalui portal",
	    "Certificate downloads are not public here (web.public_certificates = no); "
	    "the holder can download theirs through the portal");
	return 0;
}

static void reply_cert(web_req *r, int pem)
{
	uint8_t *der = NULL;
	size_t len = 0;
	char etag[67];
	oa_err rc;

	if (!allowed(r))
		return;
	if ((rc = ca_cert_der(r->ca, r->param[0], &der, &len))) {
		web_reply_err(r, rc);
		return;
	}
	web_etag(etag, der, len);
	if (web_not_modified(r, etag)) {
		free(der);
		return;
	}
	web_reply_cert(r, der, len, pem);
	web_header(r, MHD_HTTP_HEADER_ETAG, etag);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=3600");
}

static void h_pem(web_req *r) { reply_cert(r, 1); }
static void h_der(web_req *r) { reply_cert(r, 0); }

static const web_route routes[] = {
	{WEB_GET, "/certificates/{serial}.pem", h_pem, 0},
	{WEB_GET, "/certificates/{serial}.der", h_der, 0},
	{WEB_GET, "/certificates/{serial}", h_status, 0},
};

const web_route_table web_cert_table = {"certificates", routes,
    sizeof routes / sizeof routes[0]};
