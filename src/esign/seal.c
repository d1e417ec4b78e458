/*
 * seal.c - the electronic seal routes of the BSrE API's v2 (guide 6.4,
 * 6.5; seal/pdf is esign_v2.c, it shares the sign request's parsing).
 * A seal (idSubscriber) is an agency's: `openams sign seal add` makes its
 * key and "seal" certificate (src/keys/sealkey.c).  Its use, as the guide
 * draws it:
 *
 *   seal/get/activation {idSubscriber}        an activation code (8 digits,
 *                                             30 days) e-mailed to the seal's
 *                                             address
 *   seal/get/activation {idSubscriber, totp}  "still valid": 30 more days
 *   seal/revoke/activation {idSubscriber, totp}  the activation code ends
 *   seal/get/totp {idSubscriber, data, totp}  with the activation code: a
 *                                             one-time code (6 digits, 5
 *                                             minutes, data documents) in
 *                                             the answer, as the guide shows
 *   seal/pdf {idSubscriber, totp, ...}        seals with that code, once
 *
 * Every code is bound to the client application that asked for it, kept
 * as a salted SHA-256 (otp.c) and audited without its value; only the
 * client applications of the seal's agency see the seal (others get 404).
 */
#include "esignInt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../keys/keys.h"

/* The guide's time form, "2023-08-07T04:24:40.927+0000" (arena). */
static const char *guide_time(web_req *r, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[40];

	if (gmtime_r(&tt, &tm) == NULL)
		return "";
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000+0000", &tm);
	return web_printf(r, "%s", buf);
}

int esign_seal_of_client(web_req *r, const auth_client_info *ci, const char *id)
{
	keys_seal_info si;
	oa_err rc = keys_seal_get(r->in, id, &si);

	if (rc == OA_OK && strcmp(si.org, ci->org) == 0)
		return 1;
	if (rc && rc != OA_ERR_NOTFOUND) {
		esign_fail_internal(r, rc);
		return 0;
	}
	esign_fail(r, 404, "SEAL_NOT_FOUND", "idSubscriber tidak terdaftar",
	    "no electronic seal '%.40s' for this client application's agency", id);
	return 0;
}

void esign_seal_code_fail(web_req *r, oa_err rc)
{
	if (rc == OA_ERR_DENIED || rc == OA_ERR_LIMIT)
		esign_fail(r, 400, "TOTP_INVALID", "TOTP tidak valid atau sudah kedaluwarsa", "%s",
		    oa_errmsg());
	else
		esign_fail_internal(r, rc);
}

/* The request's idSubscriber (and totp), the client, the seal checked:
 * 1, or 0 after a reply.  need_totp: totp is required. */
static int seal_req(web_req *r, auth_client_info *ci, json_t **j, const char **id,
    const char **totp, int need_totp)
{
	int bad = 0;

	*j = NULL;
	if (!esign_client_auth(r, ci))
		return 0;
	if ((*j = esign_json_body(r)) == NULL)
		return 0;
	*id = esign_jstr(*j, "idSubscriber", &bad);
	*totp = esign_jstr(*j, "totp", &bad);
	if (bad || *id == NULL || **id == 0 || (need_totp && (*totp == NULL || **totp == 0))) {
		esign_fail(r, 400, "INVALID_REQUEST", need_totp ? "idSubscriber dan totp wajib diisi"
		                                                : "idSubscriber wajib diisi",
		    need_totp ? "idSubscriber and totp (strings) are required"
		              : "idSubscriber (a string) is required");
		return 0;
	}
	return esign_seal_of_client(r, ci, *id);
}

/* POST /api/v2/seal/get/activation (guide 6.4): without totp, a new
 * activation code by e-mail; with totp, the code's life renewed. */
void esign_v2_seal_activation(web_req *r)
{
	auth_client_info ci;
	json_t *j;
	const char *id, *totp, *actor;
	keys_seal_info si;
	esign_seal_code_req q = {0};
	char code[16];
	int64_t expires = 0;
	oa_err rc;

	if (!seal_req(r, &ci, &j, &id, &totp, 0))
		goto out;
	actor = web_printf(r, "client:%s", ci.username);
	if (totp && *totp) {
		if ((rc = esign_seal_code_use(r->in, id, "activation", ci.username, totp, 0,
		         ESIGN_SEAL_REFRESH, actor, &expires))) {
			esign_seal_code_fail(r, rc);
			goto out;
		}
		web_reply_json(r, 200, json_pack("{s:b,s:n,s:{s:s,s:s,s:s,s:b}}", "success", 1,
		    "message", "data", "message", "TOTP Aktivasi masih berlaku", "totp", totp, "expires",
		    guide_time(r, expires), "result", 1));
		goto out;
	}
	if ((rc = keys_seal_get(r->in, id, &si))) {
		esign_fail_internal(r, rc);
		goto out;
	}
	q.seal = id;
	q.kind = "activation";
	q.client = ci.username;
	q.email = si.email;
	q.seal_name = id;
	q.actor = actor;
	rc = esign_seal_code_issue(r->in, &q, code, &expires);
	OPENSSL_cleanse(code, sizeof code);
	if (rc == OA_ERR_LIMIT) {
		web_header(r, "Retry-After", "3600");
		esign_fail(r, 429, "RATE_LIMITED", "Terlalu banyak permintaan TOTP", "%s", oa_errmsg());
		goto out;
	}
	if (rc) {
		esign_fail_internal(r, rc);
		goto out;
	}
	web_reply_json(r, 200, json_pack("{s:b,s:s,s:n}", "success", 1, "message",
	    "TOTP Aktivasi berhasil dikirim", "data"));
out:
	json_decref(j);
}

/* POST /api/v2/seal/revoke/activation (guide 6.4): the activation code ends. */
void esign_v2_seal_revoke(web_req *r)
{
	auth_client_info ci;
	json_t *j;
	const char *id, *totp;
	oa_err rc;

	if (!seal_req(r, &ci, &j, &id, &totp, 1))
		goto out;
	if ((rc = esign_seal_code_use(r->in, id, "activation", ci.username, totp, 0, ESIGN_SEAL_SPEND,
	         web_printf(r, "client:%s", ci.username), NULL))) {
		esign_seal_code_fail(r, rc);
		goto out;
	}
	web_reply_json(r, 200, json_pack("{s:b,s:s,s:n}", "success", 1, "message",
	    "TOTP Aktivasi berhasil dicabut", "data"));
out:
	json_decref(j);
}

/* POST /api/v2/seal/get/totp (guide 6.5): {idSubscriber, data, totp (the
 * activation code)} -> {"message", "totp", "expires", "result"}. */
void esign_v2_seal_totp(web_req *r)
{
	auth_client_info ci;
	json_t *j, *d;
	const char *id, *totp, *actor;
	esign_seal_code_req q = {0};
	char code[16];
	long long files = ESIGN_MAX_FILES;
	int64_t expires = 0;
	oa_err rc;

	if (!seal_req(r, &ci, &j, &id, &totp, 1))
		goto out;
	/* data: a number, or a string of digits as the guide's example ("2") */
	d = json_object_get(j, "data");
	if (json_is_integer(d))
		files = json_integer_value(d);
	else if (json_is_string(d) && json_string_length(d) > 0 && json_string_length(d) <= 3 &&
	         strspn(json_string_value(d), "0123456789") == json_string_length(d))
		files = atoll(json_string_value(d));
	else if (d && !json_is_null(d))
		files = -1;
	if (files == 0)
		files = ESIGN_MAX_FILES;
	if (files < 1 || files > ESIGN_MAX_FILES) {
		esign_fail(r, 400, "INVALID_REQUEST", "Parameter data tidak valid",
		    "data is the number of documents to seal: 0 to %d", ESIGN_MAX_FILES);
		goto out;
	}
	actor = web_printf(r, "client:%s", ci.username);
	if ((rc = esign_seal_code_use(r->in, id, "activation", ci.username, totp, 0, ESIGN_SEAL_CHECK,
	         actor, NULL))) {
		esign_seal_code_fail(r, rc);
		goto out;
	}
	q.seal = id;
	q.kind = "otp";
	q.client = ci.username;
	q.files = (int)files;
	q.actor = actor;
	if ((rc = esign_seal_code_issue(r->in, &q, code, &expires)) == OA_ERR_LIMIT) {
		web_header(r, "Retry-After", "3600");
		esign_fail(r, 429, "RATE_LIMITED", "Terlalu banyak permintaan TOTP", "%s", oa_errmsg());
		goto out;
	}
	if (rc) {
		esign_fail_internal(r, rc);
		goto out;
	}
	web_reply_json(r, 200, json_pack("{s:s,s:s,s:s,s:b}", "message", "TOTP berhasil dibuat",
	    "totp", code, "expires", guide_time(r, expires), "result", 1));
	OPENSSL_cleanse(code, sizeof code);
out:
	json_decref(j);
}
