/*
 * api.c - shared helpers of the JSON API (see apiInt.h).
 *
 * Authentication: an "Authorization: Bearer oat_..." header (API token,
 * no CSRF: a browser never sends it by itself) or the session cookie
 * (CSRF token in X-CSRF-Token for every method but GET and HEAD).  A
 * request carrying a bearer token is judged on the token alone.  Neither
 * token nor cookie value is ever logged or echoed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiInt.h"

static void unauthenticated(web_req *r)
{
	web_reply_fail(r, 401, "unauthenticated", "Silakan masuk terlebih dahulu",
	    "Sign in first (session cookie or API token)");
	web_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"openams\"");
}

web_user *api_auth(web_req *r)
{
	web_user *u = web_alloc(r, sizeof *u);
	const char *authz = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie;

	if (u == NULL) {
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		return NULL;
	}
	memset(u, 0, sizeof *u);
	if (authz != NULL) {
		if (strncasecmp(authz, "Bearer ", 7) != 0 || strlen(authz + 7) > 2 * AUTH_API_TOKEN_LEN ||
		    auth_token_verify(r->auth, authz + 7, &u->w, NULL) != OA_OK) {
			oa_err_clear();
			unauthenticated(r);
			return NULL;
		}
		u->token = 1;
		r->user = web_printf(r, "%s", u->w.person);
		return u;
	}
	cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
	    auth_cookie_name(web_srv ? web_srv->tls : 0));
	if (cookie == NULL || strlen(cookie) > 2 * AUTH_TOKEN_LEN ||
	    auth_session_who_at(r->auth, cookie, &u->w, &u->authenticated_at) != OA_OK) {
		oa_err_clear();
		unauthenticated(r);
		return NULL;
	}
	r->user = web_printf(r, "%s", u->w.person);
	u->session = web_printf(r, "%s", cookie);
	if (!(r->method & (WEB_GET | WEB_HEAD))) {
		const char *csrf = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
		if (csrf == NULL || strlen(csrf) > 2 * AUTH_TOKEN_LEN ||
		    auth_csrf_check(cookie, csrf) != OA_OK) {
			oa_err_clear();
			web_reply_fail(r, 403, "csrf", "Token CSRF tidak ada atau salah",
			    "Missing or wrong X-CSRF-Token header");
			return NULL;
		}
	}
	return u;
}

web_user *api_auth_credentials(web_req *r)
{
	web_user *u = api_auth(r);

	if (u == NULL)
		return NULL;
	if (u->token || u->session == NULL) {
		web_reply_fail(r, 403, "session_required",
		    "Perubahan kredensial memerlukan sesi masuk, bukan token API",
		    "Credential changes need a signed-in session; an API token never changes credentials");
		return NULL;
	}
	if (oa_now() - u->authenticated_at > OA_REAUTH_WINDOW_S) {
		web_reply_fail(r, 403, "reauth_required",
		    "Konfirmasi kata sandi Anda dahulu (POST /api/v1/session/reauth)",
		    "Confirm your password first (POST /api/v1/session/reauth): credential changes need "
		    "a recent sign-in");
		return NULL;
	}
	return u;
}

json_t *api_body(web_req *r)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	json_t *j = NULL;

	/* A body without Content-Type, or with another one, is refused: a
	 * cross-site "simple request" (no type, text/plain, a form) cannot
	 * reach a JSON endpoint (security review, finding 5). */
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != 0 && ct[16] != ';' && ct[16] != ' ' && ct[16] != '\t')) {
		web_reply_fail(r, 415, "unsupported_media_type", "Isi harus berupa JSON",
		    "The body must be application/json");
		return NULL;
	}
	if (r->body == NULL || r->body_len == 0 ||
	    web_json_parse((const char *)r->body, r->body_len, &j) != OA_OK) {
		oa_err_clear();
		web_reply_fail(r, 400, "malformed_json", "JSON tidak sah atau terlalu dalam",
		    "Malformed JSON, or nested deeper than the limit");
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		web_reply_fail(r, 400, "invalid_type", "Isi harus berupa objek JSON",
		    "The body must be a JSON object");
		return NULL;
	}
	return j;
}

int api_str(web_req *r, json_t *o, const char *key, int required, size_t max, const char **out)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	char *id, *en;

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 1;
		id = web_printf(r, "Kolom '%s' wajib diisi", key);
		en = web_printf(r, "Field '%s' is required", key);
		web_reply_fail(r, 422, "missing_field", id ? id : "Kolom wajib diisi",
		    en ? en : "A field is required");
		return 0;
	}
	if (!json_is_string(v)) {
		id = web_printf(r, "Kolom '%s' harus berupa teks", key);
		en = web_printf(r, "Field '%s' must be a string", key);
		web_reply_fail(r, 400, "invalid_type", id ? id : "Tipe salah", en ? en : "Wrong type");
		return 0;
	}
	s = json_string_value(v);
	if (json_string_length(v) > max) {
		id = web_printf(r, "Kolom '%s' melebihi %zu bita", key, max);
		en = web_printf(r, "Field '%s' is longer than %zu bytes", key, max);
		web_reply_fail(r, 422, "field_too_long", id ? id : "Terlalu panjang",
		    en ? en : "Too long");
		return 0;
	}
	if (strlen(s) != json_string_length(v)) {
		id = web_printf(r, "Kolom '%s' memuat karakter NUL", key);
		en = web_printf(r, "Field '%s' contains a NUL character", key);
		web_reply_fail(r, 400, oa_err_name(OA_ERR_INVALID), id ? id : "Tidak sah",
		    en ? en : "Invalid");
		return 0;
	}
	if (required && *s == 0) {
		id = web_printf(r, "Kolom '%s' wajib diisi", key);
		en = web_printf(r, "Field '%s' is required", key);
		web_reply_fail(r, 422, "missing_field", id ? id : "Kolom wajib diisi",
		    en ? en : "A field is required");
		return 0;
	}
	*out = *s ? s : NULL;
	return 1;
}

void api_err(web_req *r, oa_err rc)
{
	web_reply_err(r, rc);
	if (rc == OA_ERR_INVALID)
		r->status = 422;
}

int api_case_id(web_req *r, const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (*s < '1' || *s > '9' || strlen(s) > 18) {
		web_reply_fail(r, 404, oa_err_name(OA_ERR_NOTFOUND), "Perkara tidak ditemukan",
		    "No such case");
		return 0;
	}
	v = strtoll(s, &end, 10);
	if (*end) {
		web_reply_fail(r, 404, oa_err_name(OA_ERR_NOTFOUND), "Perkara tidak ditemukan",
		    "No such case");
		return 0;
	}
	*id = v;
	return 1;
}

json_t *api_time(int64_t t)
{
	char buf[32];

	if (t <= 0)
		return json_null();
	oa_time_iso(buf, sizeof buf, t);
	return json_string(buf);
}

void api_denied(web_req *r)
{
	web_reply_fail(r, 403, oa_err_name(OA_ERR_DENIED), "Akses ditolak",
	    "You do not hold a role that may do this");
}
