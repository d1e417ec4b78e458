/*
 * routes_api_me.c - the caller's own credentials: API tokens and the TOTP
 * second factor.
 *
 *   GET    /api/v1/tokens       the caller's tokens (never the token itself)
 *   POST   /api/v1/tokens       {name, roles, expires_days} -> the token,
 *                               shown once (session only, not a token)
 *   DELETE /api/v1/tokens/{id}  revokes one of the caller's tokens
 *   POST   /api/v1/totp/enrol   {password} -> {secret, uri, qr_svg}
 *   POST   /api/v1/totp/confirm {code}
 *   DELETE /api/v1/totp         {password}: removes the authenticator
 *
 * These are credential changes: a session (cookie + CSRF), never an API
 * token; token creation also a session authenticated within
 * OA_REAUTH_WINDOW_S (api_auth_credentials), the TOTP routes the password
 * in the request.  Passwords, codes, secrets and tokens are never logged;
 * the request body and the reply buffers holding them are wiped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiInt.h"

#define ME_MAX_TOKEN_NAME 64

/* Wipes the request body (it may hold a password or a code). */
static void wipe_body(web_req *r)
{
	if (r->body)
		oa_wipe(r->body, r->body_len);
}

/* Wipes the string values of o (jansson frees them without wiping). */
static void wipe_json(json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
		if (json_is_string(v))
			oa_wipe((char *)(uintptr_t)json_string_value(v), json_string_length(v));
}

static void done_body(web_req *r, json_t *j)
{
	if (j) {
		wipe_json(j);
		json_decref(j);
	}
	wipe_body(r);
}

static void free_wiped(void *p)
{
	if (p) {
		oa_wipe(p, strlen(p));
		free(p);
	}
}

/* A JSON reply holding a secret: the serialized buffer is wiped when sent,
 * the object's strings now.  Steals j. */
static void reply_secret(web_req *r, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (j) {
		wipe_json(j);
		json_decref(j);
	}
	if (s == NULL) {
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		return;
	}
	web_reply_owned(r, status, "application/json", s, strlen(s), free_wiped, s);
	if (r->resp == NULL)
		free_wiped(s);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

/* The caller with a session (cookie, CSRF checked), or NULL after a reply. */
static web_user *session_user(web_req *r)
{
	web_user *u = api_auth(r);

	if (u == NULL)
		return NULL;
	if (u->session == NULL) {
		web_reply_fail(r, 403, "session_required",
		    "Permintaan ini memerlukan sesi masuk, bukan token API",
		    "This request needs a signed-in session, not an API token");
		return NULL;
	}
	return u;
}

/* Re-authentication: 1 if password is the caller's, else replies. */
static int reauth(web_req *r, const web_user *u, const char *password)
{
	oa_err rc = auth_password_verify(r->auth, u->w.person, password);

	if (rc == OA_OK)
		return 1;
	if (rc != OA_ERR_DENIED) {
		web_reply_err(r, rc);
		return 0;
	}
	oa_err_clear();
	if (web_locked(r, u->w.person)) {
		web_reply_fail(r, 429, "locked", "Terlalu banyak percobaan gagal; coba lagi nanti",
		    "Too many failed attempts; try again later");
		return 0;
	}
	oa_err_clear();
	web_reply_fail(r, 403, oa_err_name(OA_ERR_DENIED), "Kata sandi salah", "Wrong password");
	return 0;
}

/* ---- API tokens ---- */

typedef struct tok_list {
	const web_user *u;
	json_t *arr;
} tok_list;

static json_t *roles_of(const char *spaced)
{
	json_t *a = json_array();
	const char *p = spaced;

	while (a && *p) {
		size_t n = strcspn(p, " ");
		if (n)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
		while (*p == ' ')
			p++;
	}
	return a;
}

static int tok_one(const auth_token_info *t, void *arg)
{
	tok_list *l = arg;

	if (strcmp(t->person, l->u->w.person) != 0)
		return 0;
	json_array_append_new(l->arr,
	    json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:b}", "id", (json_int_t)t->id, "name",
	        t->name, "roles", roles_of(t->roles), "created", api_time(t->created_at),
	        "expires", api_time(t->expires_at), "last_used", api_time(t->last_used_at),
	        "revoked_at", api_time(t->revoked_at), "revoked", t->revoked_at != 0));
	return 0;
}

static void h_tokens_list(web_req *r)
{
	web_user *u = api_auth(r);
	tok_list l;
	oa_err rc;

	if (u == NULL)
		return;
	l.u = u;
	l.arr = json_array();
	if (l.arr == NULL) {
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		return;
	}
	if ((rc = auth_token_list(r->auth, u->w.org, tok_one, &l))) {
		json_decref(l.arr);
		web_reply_err(r, rc);
		return;
	}
	web_reply_json(r, 200, json_pack("{s:o}", "tokens", l.arr));
}

static void h_tokens_create(web_req *r)
{
	web_user *u = api_auth_credentials(r);
	json_t *j, *jr, *jd, *out;
	const char *name, *roles[AUTH_MAX_ROLES];
	char tok[AUTH_API_TOKEN_LEN + 1];
	auth_token_req tr;
	json_int_t days;
	int64_t id = 0;
	size_t i, n;
	oa_err rc;

	if (u == NULL || (j = api_body(r)) == NULL)
		return;
	if (!api_str(r, j, "name", 1, ME_MAX_TOKEN_NAME * 4, &name)) {
		json_decref(j);
		return;
	}
	jr = json_object_get(j, "roles");
	jd = json_object_get(j, "expires_days");
	if (jr == NULL || jd == NULL) {
		json_decref(j);
		web_reply_fail(r, 422, "missing_field", "Kolom roles dan expires_days wajib diisi",
		    "roles and expires_days are required");
		return;
	}
	if (!json_is_array(jr) || !json_is_integer(jd)) {
		json_decref(j);
		web_reply_fail(r, 400, "invalid_type",
		    "roles harus berupa larik teks dan expires_days bilangan bulat",
		    "roles must be an array of strings and expires_days an integer");
		return;
	}
	n = json_array_size(jr);
	days = json_integer_value(jd);
	if (n == 0 || n > AUTH_MAX_ROLES || days < 1 || days > 3650) {
		json_decref(j);
		web_reply_fail(r, 422, "validation",
		    "roles: 1 sampai 40 peran; expires_days: 1 sampai 3650",
		    "roles: 1 to 40 roles; expires_days: 1 to 3650");
		return;
	}
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(jr, i);
		if (!json_is_string(e)) {
			json_decref(j);
			web_reply_fail(r, 400, "invalid_type", "roles harus berupa larik teks",
			    "roles must be an array of strings");
			return;
		}
		roles[i] = json_string_value(e);
		if (!auth_valid_role(roles[i])) {
			json_decref(j);
			web_reply_fail(r, 422, "validation", "Nama peran tidak sah",
			    "A role name is not valid");
			return;
		}
		if (!web_holds(u, roles[i])) {
			json_decref(j);
			web_reply_fail(r, 403, oa_err_name(OA_ERR_DENIED),
			    "Token hanya boleh memuat peran yang Anda pegang",
			    "A token may only carry roles you hold in your agency");
			return;
		}
	}
	memset(&tr, 0, sizeof tr);
	tr.name = name;
	tr.person = u->w.person;
	tr.org = u->w.org;
	tr.roles = roles;
	tr.nroles = n;
	tr.expires_at = oa_now() + (int64_t)days * 86400;
	rc = auth_token_create(r->auth, &tr, u->w.person, tok, &id);
	if (rc) {
		json_decref(j);
		api_err(r, rc);
		return;
	}
	out = json_pack("{s:I,s:s,s:o,s:o,s:s}", "id", (json_int_t)id, "name", name, "roles",
	    json_deep_copy(jr), "expires", api_time(tr.expires_at), "token", tok);
	oa_wipe(tok, sizeof tok);
	json_decref(j);
	reply_secret(r, 201, out);
}

typedef struct tok_find {
	int64_t id;
	const char *person, *org;
	int found, revoked;
} tok_find;

static int tok_match(const auth_token_info *t, void *arg)
{
	tok_find *f = arg;

	if (t->id != f->id)
		return 0;
	f->found = strcmp(t->person, f->person) == 0 && strcmp(t->org, f->org) == 0;
	f->revoked = t->revoked_at != 0;
	return 1;
}

static void h_tokens_revoke(web_req *r)
{
	web_user *u = session_user(r);
	tok_find f;
	oa_err rc;

	if (u == NULL)
		return;
	memset(&f, 0, sizeof f);
	if (!api_case_id(r, r->param[0], &f.id))
		return;
	f.person = u->w.person;
	f.org = u->w.org;
	if ((rc = auth_token_list(r->auth, u->w.org, tok_match, &f))) {
		web_reply_err(r, rc);
		return;
	}
	if (!f.found) {
		web_reply_fail(r, 404, oa_err_name(OA_ERR_NOTFOUND), "Token tidak ditemukan",
		    "No such token of yours");
		return;
	}
	if ((rc = auth_token_revoke(r->auth, f.id, u->w.person))) {
		api_err(r, rc);
		return;
	}
	web_reply(r, 204, NULL, "", 0, MHD_RESPMEM_PERSISTENT);
}

/* ---- TOTP ---- */

static void h_totp_enrol(web_req *r)
{
	web_user *u = session_user(r);
	auth_totp_enrolment e = {0};
	const char *pass;
	json_t *j, *out;
	oa_err rc;

	if (u == NULL) {
		wipe_body(r);
		return;
	}
	if ((j = api_body(r)) == NULL) {
		wipe_body(r);
		return;
	}
	if (!api_str(r, j, "password", 1, 1024, &pass)) {
		done_body(r, j);
		return;
	}
	if (!reauth(r, u, pass)) {
		done_body(r, j);
		return;
	}
	done_body(r, j);
	if ((rc = auth_totp_enrol(r->auth, u->w.person, u->w.person, &e))) {
		auth_totp_enrolment_free(&e);
		api_err(r, rc);
		return;
	}
	out = json_pack("{s:s,s:s,s:s}", "secret", e.secret_b32, "uri", e.uri, "qr_svg", e.svg);
	auth_totp_enrolment_free(&e);
	reply_secret(r, 200, out);
}

static void h_totp_confirm(web_req *r)
{
	web_user *u = session_user(r);
	const char *code;
	json_t *j;
	oa_err rc;

	if (u == NULL || (j = api_body(r)) == NULL) {
		wipe_body(r);
		return;
	}
	if (!api_str(r, j, "code", 1, AUTH_MAX_TOTP_CODE, &code)) {
		done_body(r, j);
		return;
	}
	rc = auth_totp_confirm(r->auth, u->w.person, code, u->w.person);
	done_body(r, j);
	if (rc) {
		api_err(r, rc);
		return;
	}
	web_reply(r, 204, NULL, "", 0, MHD_RESPMEM_PERSISTENT);
}

static void h_totp_disable(web_req *r)
{
	web_user *u = session_user(r);
	const char *pass;
	json_t *j;
	oa_err rc;

	if (u == NULL || (j = api_body(r)) == NULL) {
		wipe_body(r);
		return;
	}
	if (!api_str(r, j, "password", 1, 1024, &pass) || !reauth(r, u, pass)) {
		done_body(r, j);
		return;
	}
	done_body(r, j);
	if ((rc = auth_totp_disable(r->auth, u->w.person, u->w.person))) {
		api_err(r, rc);
		return;
	}
	web_reply(r, 204, NULL, "", 0, MHD_RESPMEM_PERSISTENT);
}

static const web_route routes[] = {
	{WEB_GET, "/api/v1/tokens", h_tokens_list, 0},
	{WEB_POST, "/api/v1/tokens", h_tokens_create, 8 * 1024},
	{WEB_DELETE, "/api/v1/tokens/{id}", h_tokens_revoke, 0},
	{WEB_POST, "/api/v1/totp/enrol", h_totp_enrol, 8 * 1024},
	{WEB_POST, "/api/v1/totp/confirm", h_totp_confirm, 1024},
	{WEB_DELETE, "/api/v1/totp", h_totp_disable, 8 * 1024},
};

const web_route_table web_api_me_table = {"api-me", routes, sizeof routes / sizeof routes[0]};
