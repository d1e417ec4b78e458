/*
 * routes_api_auth.c - /api/v1/session: sign-in and sign-out.
 *
 *   POST   /api/v1/session  {username, password, totp?, org?} -> Set-Cookie
 *                           and {person, org, roles, csrf, expires_at}
 *   GET    /api/v1/session  who is signed in (csrf again for a cookie)
 *   DELETE /api/v1/session  ends the cookie's session (CSRF needed)
 *   POST   /api/v1/session/reauth {password}  the session's person proves their
 *                           password again (credential changes need a sign-in
 *                           or re-authentication within OA_REAUTH_WINDOW_S)
 *
 * Sign-in failures are one generic 401 "denied" (auth never says which
 * factor was wrong); an account locked after too many failures is 429.
 * The password, code, session and CSRF tokens are never logged; the
 * buffers holding them are wiped.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "apiInt.h"

static json_t *roles_json(const auth_who *w)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < w->who.nroles; i++)
		json_array_append_new(a, json_string(w->who.roles[i]));
	return a;
}

static void h_login(web_req *r)
{
	json_t *j = api_body(r), *out;
	const char *user, *pass, *totp, *org;
	auth_login_req lr = {0};
	auth_session_new s;
	auth_who *w;
	char cookie[256];
	oa_err rc;

	if (j == NULL)
		return;
	if (!api_str(r, j, "username", 1, AUTH_MAX_LOGIN, &user) ||
	    !api_str(r, j, "password", 1, 1024, &pass) ||
	    !api_str(r, j, "totp", 0, AUTH_MAX_TOTP_CODE, &totp) ||
	    !api_str(r, j, "org", 0, AUTH_MAX_ID, &org)) {
		json_decref(j);
		return;
	}
	lr.login = user;
	lr.password = pass;
	lr.code = totp;
	lr.org = org;
	memset(&s, 0, sizeof s);
	rc = auth_login(r->auth, &lr, &s);
	if (rc == OA_ERR_DENIED) {
		int locked;
		oa_err_clear();
		locked = web_locked(r, user);
		json_object_clear(j); /* wipes nothing, but drops the password early */
		json_decref(j);
		if (locked)
			web_reply_fail(r, 429, "locked",
			    "Terlalu banyak percobaan gagal; coba lagi nanti",
			    "Too many failed attempts; try again later");
		else
			web_reply_fail(r, 401, oa_err_name(OA_ERR_DENIED),
			    "Nama pengguna, kata sandi atau kode salah",
			    "Wrong user name, password or code");
		return;
	}
	json_decref(j);
	if (rc) {
		api_err(r, rc);
		return;
	}
	r->user = web_printf(r, "%s", s.person);
	if ((w = web_alloc(r, sizeof *w)) == NULL ||
	    (rc = auth_who_get(r->auth, s.person, s.org, w))) {
		auth_session_new_wipe(&s);
		web_reply_err(r, rc ? rc : oa_fail(OA_ERR_NOMEM, "out of memory"));
		return;
	}
	out = json_pack("{s:s,s:s,s:o,s:s,s:o}", "person", s.person, "org", s.org, "roles",
	    roles_json(w), "csrf", s.csrf, "expires_at", api_time(s.expires_at));
	rc = auth_cookie_header(cookie, sizeof cookie, s.token, web_srv ? web_srv->tls : 0,
	    s.expires_at - oa_now());
	auth_session_new_wipe(&s);
	if (rc) {
		json_decref(out);
		web_reply_err(r, rc);
		return;
	}
	web_reply_json(r, 200, out);
	web_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	oa_wipe(cookie, sizeof cookie);
}

static void h_whoami(web_req *r)
{
	web_user *u = api_auth(r);
	char csrf[AUTH_TOKEN_LEN + 1];
	json_t *out;

	if (u == NULL)
		return;
	out = json_pack("{s:s,s:s,s:o,s:s}", "person", u->w.person, "org", u->w.org, "roles",
	    roles_json(&u->w), "auth", u->token ? "token" : "session");
	if (out && u->session && auth_csrf_token(u->session, csrf) == OA_OK) {
		json_object_set_new(out, "csrf", json_string(csrf));
		oa_wipe(csrf, sizeof csrf);
	}
	web_reply_json(r, 200, out);
}

static void h_logout(web_req *r)
{
	web_user *u = api_auth(r);
	char cookie[256];
	oa_err rc;

	if (u == NULL)
		return;
	if (u->session == NULL) {
		web_reply_fail(r, 400, "no_session", "Permintaan ini tidak memakai sesi",
		    "This request is not authenticated with a session");
		return;
	}
	if ((rc = auth_session_revoke(r->auth, u->session, u->w.person)) && rc != OA_ERR_NOTFOUND) {
		web_reply_err(r, rc);
		return;
	}
	web_reply(r, 204, NULL, "", 0, MHD_RESPMEM_PERSISTENT);
	if (auth_cookie_header(cookie, sizeof cookie, NULL, web_srv ? web_srv->tls : 0, 0) == OA_OK)
		web_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
}

static void h_reauth(web_req *r)
{
	web_user *u = api_auth(r);
	const char *pass = NULL;
	json_t *j = NULL;
	oa_err rc;

	if (u == NULL)
		goto out;
	if (u->session == NULL) {
		web_reply_fail(r, 403, "session_required", "Permintaan ini memerlukan sesi masuk",
		    "This request needs a signed-in session, not an API token");
		goto out;
	}
	if ((j = api_body(r)) == NULL || !api_str(r, j, "password", 1, 1024, &pass))
		goto out;
	if ((rc = auth_session_reauth(r->auth, u->session, pass)) == OA_OK) {
		web_reply(r, 204, NULL, "", 0, MHD_RESPMEM_PERSISTENT);
		goto out;
	}
	oa_err_clear();
	if (rc != OA_ERR_DENIED)
		web_reply_err(r, rc);
	else if (web_locked(r, u->w.person))
		web_reply_fail(r, 429, "locked", "Terlalu banyak percobaan gagal; coba lagi nanti",
		    "Too many failed attempts; try again later");
	else
		web_reply_fail(r, 403, oa_err_name(OA_ERR_DENIED), "Kata sandi salah", "Wrong password");
out:
	if (pass)
		oa_wipe((void *)(uintptr_t)pass, strlen(pass));
	json_decref(j);
	if (r->body)
		oa_wipe(r->body, r->body_len);
}

static const web_route routes[] = {
	{WEB_POST, "/api/v1/session", h_login, 8 * 1024},
	{WEB_POST, "/api/v1/session/reauth", h_reauth, 8 * 1024},
	{WEB_GET, "/api/v1/session", h_whoami, 0},
	{WEB_DELETE, "/api/v1/session", h_logout, 0},
};

const web_route_table web_api_auth_table = {"api-session", routes,
    sizeof routes / sizeof routes[0]};
