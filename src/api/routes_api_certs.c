/*
 * routes_api_certs.c - certificates through the JSON API (authenticated).
 *
 *   GET /api/v1/certificates?status=&nik=&expiring=   list (staff: any;
 *                                  others: only their own, by their NIK)
 *   GET /api/v1/certificates/{serial}                 details
 *   GET /api/v1/certificates/{serial}.pem | .der      the certificate
 *
 * Staff are people holding any role besides the applicant roles (pemohon,
 * pengguna): registration staff, BSrE operators, administrators.  Everyone
 * else sees only certificates carrying the NIK of their own account; a
 * certificate they may not see is a 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "../common/nik.h"
#include "apiInt.h"

static int is_staff(const web_user *u)
{
	for (size_t i = 0; i < u->w.who.nroles; i++)
		if (strcmp(u->w.who.roles[i], "pemohon") != 0 && strcmp(u->w.who.roles[i], "pengguna") != 0)
			return 1;
	return 0;
}

/* The caller's NIK ("" if none); 1 on success, 0 after a reply. */
static int own_nik(web_req *r, const web_user *u, char nik[17])
{
	auth_person p;
	oa_err rc;

	if ((rc = auth_person_get(r->auth, u->w.person, &p))) {
		web_reply_err(r, rc);
		return 0;
	}
	snprintf(nik, 17, "%s", p.nik);
	return 1;
}

static json_t *cert_json(const ca_cert_info *ci)
{
	const char *status = ci->status;
	json_t *j;

	if (strcmp(status, "active") == 0 && ci->not_after <= oa_now())
		status = "expired";
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "serial", ci->serial, "status",
	    status, "profile", ci->profile, "subject", ci->subject, "cn", ci->cn, "nik", ci->nik,
	    "email", ci->email, "not_before", api_time(ci->not_before), "not_after",
	    api_time(ci->not_after), "revoked_at", api_time(ci->revoked_at));
	if (j)
		json_object_set_new(j, "reason",
		    ci->revoked_at > 0 ? json_string(ca_reason_name(ci->reason)) : json_null());
	return j;
}

static int list_cb(const ca_cert_info *ci, void *arg)
{
	json_t *a = arg;

	json_array_append_new(a, cert_json(ci));
	return json_array_size(a) >= 1000;
}

static void h_list(web_req *r)
{
	char why[128];
	web_user *u = api_auth(r);
	const char *status = web_query(r, "status"), *nik = web_query(r, "nik"),
	           *exp = web_query(r, "expiring");
	ca_filter f = {0};
	char mine[17];
	json_t *a;
	oa_err rc;

	if (u == NULL)
		return;
	if (status && *status && strcmp(status, "active") && strcmp(status, "revoked") &&
	    strcmp(status, "expired")) {
		web_reply_fail(r, 422, "validation", "status: active, revoked atau expired",
		    "status must be active, revoked or expired");
		return;
	}
	if (nik && *nik && !oa_nik_valid(nik, why, sizeof why)) {
		web_reply_fail(r, 422, "validation", "NIK harus 16 angka sesuai aturan Dukcapil", why);
		return;
	}
	if (exp && *exp) {
		char *end;
		long d = strtol(exp, &end, 10);
		if (*end || d < 1 || d > 3650) {
			web_reply_fail(r, 422, "validation", "expiring: 1..3650 hari",
			    "expiring must be 1..3650 days");
			return;
		}
		f.expiring_days = (int)d;
	}
	f.status = status && *status ? status : NULL;
	f.nik = nik && *nik ? nik : NULL;
	if (!is_staff(u)) {
		if (!own_nik(r, u, mine))
			return;
		if (mine[0] == 0 || (f.nik && strcmp(f.nik, mine) != 0)) {
			api_denied(r);
			return;
		}
		f.nik = mine;
	}
	if ((a = json_array()) == NULL) {
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		return;
	}
	if ((rc = ca_list(r->ca, &f, list_cb, a))) {
		json_decref(a);
		web_reply_err(r, rc);
		return;
	}
	web_reply_json(r, 200, json_pack("{s:o}", "certificates", a));
}

/* Looks the certificate up and checks that u may see it. */
static int visible(web_req *r, const web_user *u, char serial[41], ca_cert_info *ci)
{
	char mine[17];
	oa_err rc;

	if ((rc = ca_serial_normalize(r->param[0], serial)) || (rc = ca_status(r->ca, serial, ci))) {
		if (rc == OA_ERR_STORE) {
			web_reply_err(r, rc);
			return 0;
		}
		oa_err_clear();
		goto notfound;
	}
	if (is_staff(u))
		return 1;
	if (!own_nik(r, u, mine))
		return 0;
	if (mine[0] && strcmp(mine, ci->nik) == 0)
		return 1;
notfound:
	web_reply_fail(r, 404, oa_err_name(OA_ERR_NOTFOUND), "Sertifikat tidak ditemukan",
	    "No such certificate");
	return 0;
}

static void h_get(web_req *r)
{
	web_user *u = api_auth(r);
	ca_cert_info ci;
	char serial[41];

	if (u == NULL || !visible(r, u, serial, &ci))
		return;
	web_reply_json(r, 200, cert_json(&ci));
}

static void reply_cert(web_req *r, int pem)
{
	web_user *u = api_auth(r);
	ca_cert_info ci;
	char serial[41];
	uint8_t *der = NULL;
	size_t len = 0;
	oa_err rc;

	if (u == NULL || !visible(r, u, serial, &ci))
		return;
	if ((rc = ca_cert_der(r->ca, serial, &der, &len))) {
		web_reply_err(r, rc);
		return;
	}
	web_reply_cert(r, der, len, pem);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-store");
}

static void h_pem(web_req *r) { reply_cert(r, 1); }
static void h_der(web_req *r) { reply_cert(r, 0); }

static const web_route routes[] = {
	{WEB_GET, "/api/v1/certificates", h_list, 0},
	{WEB_GET, "/api/v1/certificates/{serial}.pem", h_pem, 0},
	{WEB_GET, "/api/v1/certificates/{serial}.der", h_der, 0},
	{WEB_GET, "/api/v1/certificates/{serial}", h_get, 0},
};

const web_route_table web_api_certs_table = {"api-certificates", routes,
    sizeof routes / sizeof routes[0]};
