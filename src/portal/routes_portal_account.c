/*
 * routes_portal_account.c - sign-in, sign-out, the password-reset request
 * and the person's own account page (docs/PORTAL.md, "Sign-in and
 * account").
 *
 *   GET  /login, POST /login           user name or e-mail, password, TOTP
 *                                      code when enrolled; 303 to next (a
 *                                      local path only) or /portal
 *   POST /logout                       ends the session
 *   GET  /password-reset, POST ...     asks for a reset link: always the
 *                                      same answer (no account enumeration);
 *                                      the link e-mail is written to the
 *                                      outbox in the link's transaction
 *   GET  /portal/account               profile, password, TOTP, API tokens
 *   POST /portal/account/password      current password + new one twice
 *   POST /portal/account/totp/enrol    password again -> the QR code page
 *   POST /portal/account/totp/confirm  a code from the app
 *   POST /portal/account/totp/disable  password again
 *   POST /portal/account/tokens/{id}/revoke
 *
 * Forms before sign-in carry a token bound to the form cookie
 * (pg_pre_csrf), the others the session's (pg_form).  Passwords, codes and
 * the TOTP secret are never logged; request bodies holding them are wiped,
 * and the page showing the secret is wiped once sent (pg.secret).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "portalInt.h"

#define PW_MAX 1024

/* ---- sign-in ---- */

static void login_page(web_req *r, unsigned status, const char *key, const char *username,
    const char *next)
{
	pg_errs e = {.n = 0};
	pg p;

	if (key)
		pg_errs_add(r, &e, NULL, key, NULL, NULL);
	pg_start(&p, r, NULL, "Masuk", "Sign in");
	p.errs = &e;
	pg_errs_summary(&p);
	pg_raw(&p, "<form method=\"post\" action=\"/login\">\n");
	pg_pre_csrf(&p);
	pg_csrf(&p);
	if (next && portal_local_path(next))
		pg_hidden(&p, "next", next);
	pg_field(&p, "username", "text", "Nama pengguna atau e-mail", "User name or e-mail",
	    username, "username", 1);
	pg_field(&p, "password", "password", "Kata sandi", "Password", NULL, "current-password", 1);
	pg_raw(&p, "<div class=\"field\"><label for=\"f_totp\">");
	pg_bi(&p, "Kode autentikator (bila diaktifkan)", "Authenticator code (if enrolled)");
	pg_raw(&p, "</label>\n<input id=\"f_totp\" name=\"totp\" type=\"text\" inputmode=\"numeric\" "
	           "pattern=\"[0-9]{6,8}\" maxlength=\"10\" autocomplete=\"one-time-code\"></div>\n");
	pg_button(&p, NULL, NULL, "Masuk", "Sign in", NULL);
	pg_raw(&p, "</form>\n<p>");
	pg_link(&p, "/password-reset", "Lupa kata sandi?", "Forgot your password?");
	pg_raw(&p, "</p>\n");
	pg_send(&p, status);
}

static void h_login_get(web_req *r)
{
	const char *next = web_query(r, "next");

	if (portal_user_opt(r) != NULL) {
		web_redirect(r, next && portal_local_path(next) ? next : "/portal");
		return;
	}
	login_page(r, 200, NULL, NULL, next);
}

static void h_login_post(web_req *r)
{
	web_form f;
	auth_login_req lr = {0};
	auth_session_new s;
	const char *next;
	char cookie[256];
	oa_err rc;

	if (!web_form_parse(r, &f))
		goto out;
	next = web_form_get(&f, "next");
	if (next && !portal_local_path(next))
		next = NULL; /* never leave this site */
	if (!portal_pre_csrf_ok(r, web_form_get(&f, "csrf"))) {
		portal_csrf_refused(r, NULL, "/login");
		goto out;
	}
	lr.login = web_form_get(&f, "username");
	lr.password = web_form_get(&f, "password");
	lr.code = web_form_get(&f, "totp");
	if (lr.code && *lr.code == 0)
		lr.code = NULL;
	if (lr.login == NULL || *lr.login == 0 || strlen(lr.login) > AUTH_MAX_LOGIN ||
	    lr.password == NULL || *lr.password == 0 || strlen(lr.password) > PW_MAX ||
	    (lr.code && strlen(lr.code) > AUTH_MAX_TOTP_CODE)) {
		r->errcode = "validation";
		login_page(r, 422, "login_empty",
		    lr.login && strlen(lr.login) <= AUTH_MAX_LOGIN ? lr.login : NULL, next);
		goto out;
	}
	memset(&s, 0, sizeof s);
	rc = auth_login(r->auth, &lr, &s);
	if (rc == OA_ERR_DENIED) {
		oa_err_clear();
		if (web_locked(r, lr.login)) {
			r->errcode = "locked";
			login_page(r, 429, "login_locked", lr.login, next);
		} else {
			r->errcode = oa_err_name(OA_ERR_DENIED);
			login_page(r, 401, "login_wrong", lr.login, next);
		}
		goto out;
	}
	if (rc) {
		pg_err(r, NULL, rc, "/login");
		goto out;
	}
	r->user = web_printf(r, "%s", s.person);
	rc = auth_cookie_header(cookie, sizeof cookie, s.token, web_srv ? web_srv->tls : 0,
	    s.expires_at - oa_now());
	auth_session_new_wipe(&s);
	if (rc) {
		pg_err(r, NULL, rc, "/login");
		goto out;
	}
	web_redirect(r, next ? web_printf(r, "%s", next) : "/portal");
	web_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	oa_wipe(cookie, sizeof cookie);
out:
	web_body_wipe(r);
}

static void h_logout(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);
	char cookie[256];
	oa_err rc;

	if (u == NULL)
		return;
	if ((rc = auth_session_revoke(r->auth, u->session, u->w.person)) && rc != OA_ERR_NOTFOUND) {
		pg_err(r, u, rc, "/portal");
		return;
	}
	oa_err_clear();
	web_redirect(r, "/");
	if (auth_cookie_header(cookie, sizeof cookie, NULL, web_srv ? web_srv->tls : 0, 0) == OA_OK)
		web_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
}

/* ---- password reset request ---- */

static void reset_page(web_req *r, unsigned status, const char *key)
{
	pg_errs e = {.n = 0};
	pg p;

	if (key)
		pg_errs_add(r, &e, "login", key, NULL, NULL);
	pg_start(&p, r, NULL, "Lupa kata sandi", "Forgotten password");
	p.errs = &e;
	pg_errs_summary(&p);
	pg_para(&p, NULL, "Masukkan nama pengguna atau alamat e-mail akun Anda. Bila akun itu "
	                  "ada, kami mengirim tautan untuk membuat kata sandi baru ke alamat e-mail "
	                  "yang terdaftar.",
	    "Enter your account's user name or e-mail address. If the account exists, we send a "
	    "link to choose a new password to its registered e-mail address.");
	pg_raw(&p, "<form method=\"post\" action=\"/password-reset\">\n");
	pg_pre_csrf(&p);
	pg_csrf(&p);
	pg_field(&p, "login", "text", "Nama pengguna atau e-mail", "User name or e-mail", NULL,
	    "username", 1);
	pg_button(&p, NULL, NULL, "Kirim tautan", "Send the link", NULL);
	pg_raw(&p, "</form>\n");
	pg_send(&p, status);
}

static void h_reset_get(web_req *r)
{
	reset_page(r, 200, NULL);
}

/* At most one reset e-mail per account per RESET_INTERVAL seconds (a
 * form anyone can send must not flood someone's mailbox).  Kept in memory
 * by a hash of the person id: a restart or a collision only lets one more
 * e-mail through. */
#define RESET_INTERVAL 60
#define RESET_SLOTS 512

static pthread_mutex_t reset_lock = PTHREAD_MUTEX_INITIALIZER;
static struct reset_slot {
	uint64_t h;
	int64_t at;
} reset_seen[RESET_SLOTS];

/* 1 if person may get a reset e-mail now (and records it). */
static int reset_allowed(const char *person)
{
	uint64_t h = 1469598103934665603ULL;
	int64_t now = oa_now();
	struct reset_slot *slot;
	int ok;

	for (const char *q = person; *q; q++)
		h = (h ^ (unsigned char)*q) * 1099511628211ULL;
	pthread_mutex_lock(&reset_lock);
	slot = &reset_seen[h % RESET_SLOTS];
	ok = slot->h != h || now - slot->at >= RESET_INTERVAL || now < slot->at;
	if (ok) {
		slot->h = h;
		slot->at = now;
	}
	pthread_mutex_unlock(&reset_lock);
	return ok;
}

/* Creates the link and writes its e-mail to the outbox, in one
 * transaction (engine_link_mail_reset).  Unknown, disabled accounts or ones
 * without an e-mail address get nothing (the caller answers the same either
 * way). */
static oa_err reset_send(web_req *r, const char *login)
{
	auth_person p;
	oa_err rc;

	rc = strchr(login, '@') ? auth_person_by_email(r->auth, login, &p)
	                        : auth_person_get(r->auth, login, &p);
	if (rc == OA_ERR_NOTFOUND || rc == OA_ERR_INVALID || (rc == OA_OK && (p.disabled ||
	    !p.email[0]))) {
		oa_err_clear();
		return OA_OK;
	}
	if (rc)
		return rc;
	if (!reset_allowed(p.id))
		return OA_OK; /* one was sent a moment ago: its link still works */
	/* The link and its e-mail, in one transaction. */
	return engine_link_mail_reset(r->engine, &p);
}

static void h_reset_post(web_req *r)
{
	web_form f;
	const char *login;
	oa_err rc;

	if (!web_form_parse(r, &f))
		return;
	if (!portal_pre_csrf_ok(r, web_form_get(&f, "csrf"))) {
		portal_csrf_refused(r, NULL, "/password-reset");
		return;
	}
	login = web_form_get(&f, "login");
	if (login == NULL || *login == 0 || strlen(login) > AUTH_MAX_LOGIN) {
		r->errcode = "validation";
		reset_page(r, 422, "reset_empty");
		return;
	}
	if ((rc = reset_send(r, login))) {
		pg_err(r, NULL, rc, "/password-reset");
		return;
	}
	pg_msg(r, NULL, 200, "Periksa e-mail Anda", "Check your e-mail",
	    "Bila akun itu ada, tautan untuk membuat kata sandi baru telah dikirim ke alamat "
	    "e-mail yang terdaftar.",
	    "If that account exists, a link to choose a new password has been sent to its "
	    "registered e-mail address.", "/login");
}

/* ---- my account ---- */

typedef struct tok_rows {
	pg *p;
	const web_user *u;
	int n;
} tok_rows;

static int tok_row(const auth_token_info *t, void *arg)
{
	tok_rows *tr = arg;
	pg *p = tr->p;

	if (strcmp(t->person, tr->u->w.person) != 0)
		return 0;
	if (tr->n++ == 0) {
		pg_raw(p, "<div class=\"table\"><table><thead><tr><th>Nama <span class=\"en\" "
		          "lang=\"en\">/ Name</span></th><th>Peran <span class=\"en\" lang=\"en\">/ "
		          "Roles</span></th><th>Berlaku s.d. <span class=\"en\" lang=\"en\">/ "
		          "Expires</span></th><th>Terakhir dipakai <span class=\"en\" lang=\"en\">/ "
		          "Last used</span></th><th>Tindakan <span class=\"en\" lang=\"en\">/ "
		          "Action</span></th></tr></thead><tbody>\n");
	}
	pg_raw(p, "<tr><td>");
	pg_text(p, t->name);
	pg_raw(p, "</td><td>");
	pg_text(p, t->roles);
	pg_raw(p, "</td><td>");
	pg_time(p, t->expires_at);
	pg_raw(p, "</td><td>");
	pg_time(p, t->last_used_at);
	pg_raw(p, "</td><td>");
	if (t->revoked_at)
		pg_bi(p, "dicabut", "revoked");
	else {
		pg_form(p, web_printf(p->r, "/portal/account/tokens/%" PRId64 "/revoke", t->id), 0);
		pg_button(p, NULL, NULL, "Cabut", "Revoke", "danger");
		pg_raw(p, "</form>");
	}
	pg_raw(p, "</td></tr>\n");
	return 0;
}

static const struct {
	const char *key, *id, *en;
} done_msgs[] = {
	{"password", "Kata sandi telah diganti.", "Your password has been changed."},
	{"totp", "Autentikator telah diaktifkan.", "The authenticator is now active."},
	{"totp_off", "Autentikator telah dinonaktifkan.", "The authenticator has been removed."},
	{"token", "Token telah dicabut.", "The token has been revoked."},
};

static void profile_row(pg *p, const char *id, const char *en, const char *v)
{
	pg_raw(p, "<tr><th scope=\"row\">");
	pg_bi(p, id, en);
	pg_raw(p, "</th><td>");
	pg_text(p, v && *v ? v : "-");
	pg_raw(p, "</td></tr>\n");
}

static void account_page(web_req *r, const web_user *u, unsigned status, const pg_errs *errs)
{
	auth_person per;
	tok_rows tr;
	const char *done = web_query(r, "done");
	char roles[AUTH_MAX_ROLES * (AUTH_MAX_ID + 1)] = "";
	pg p;
	oa_err rc;

	if ((rc = auth_person_get(r->auth, u->w.person, &per))) {
		pg_err(r, u, rc, "/portal");
		return;
	}
	for (size_t i = 0; i < u->w.who.nroles; i++)
		snprintf(roles + strlen(roles), sizeof roles - strlen(roles), "%s%s", i ? ", " : "",
		    u->w.who.roles[i]);
	pg_start(&p, r, u, "Akun saya", "My account");
	p.errs = errs;
	pg_errs_summary(&p);
	for (size_t i = 0; done && !(errs && errs->n) && i < sizeof done_msgs / sizeof done_msgs[0]; i++)
		if (strcmp(done, done_msgs[i].key) == 0)
			pg_para(&p, "ok", done_msgs[i].id, done_msgs[i].en);

	pg_h2(&p, "Profil", "Profile");
	pg_raw(&p, "<div class=\"table\"><table>\n");
	profile_row(&p, "Nama", "Name", per.name);
	profile_row(&p, "Nama pengguna", "User name", per.id);
	profile_row(&p, "E-mail", "E-mail", per.email);
	profile_row(&p, "NIK", "NIK", per.nik);
	profile_row(&p, "NIP", "NIP", per.nip);
	profile_row(&p, "Instansi", "Agency", u->w.org);
	profile_row(&p, "Unit kerja", "Unit", per.unit);
	profile_row(&p, "Jabatan", "Position", per.position);
	profile_row(&p, "Peran", "Roles", roles);
	pg_raw(&p, "</table></div>\n");
	pg_para(&p, "note", "Perubahan data profil dilakukan oleh administrator instansi Anda.",
	    "Your agency's administrator changes profile data.");

	pg_h2(&p, "Ganti kata sandi", "Change password");
	pg_form(&p, "/portal/account/password", 0);
	pg_field(&p, "current", "password", "Kata sandi sekarang", "Current password", NULL,
	    "current-password", 1);
	pg_field(&p, "password", "password", "Kata sandi baru", "New password", NULL,
	    "new-password", 1);
	pg_field(&p, "confirm", "password", "Ulangi kata sandi baru", "Repeat the new password",
	    NULL, "new-password", 1);
	pg_raw(&p, "<p class=\"note\">Minimal %lld karakter, tidak memuat nama pengguna, NIK, NIP, "
	           "e-mail atau kata dari nama Anda.<br><span class=\"en\" lang=\"en\">At least %lld "
	           "characters, without your user name, NIK, NIP, e-mail or a word of your "
	           "name.</span></p>\n",
	    (long long)conf_int(inst_conf(r->in), "auth.password_min_length"),
	    (long long)conf_int(inst_conf(r->in), "auth.password_min_length"));
	pg_button(&p, NULL, NULL, "Ganti kata sandi", "Change password", NULL);
	pg_raw(&p, "</form>\n");

	pg_h2(&p, "Autentikator (TOTP)", "Authenticator (TOTP)");
	if (per.totp_enrolled) {
		pg_para(&p, "ok", "Autentikator aktif: setiap masuk meminta kode dari aplikasi.",
		    "The authenticator is active: every sign-in asks for a code from the app.");
		pg_form(&p, "/portal/account/totp/disable", 0);
		pg_field(&p, "password", "password", "Kata sandi (konfirmasi)",
		    "Password (to confirm)", NULL, "current-password", 1);
		pg_button(&p, NULL, NULL, "Nonaktifkan autentikator", "Remove the authenticator",
		    "danger");
	} else {
		pg_para(&p, NULL, "Lindungi akun dengan kode dari aplikasi autentikator (mis. FreeOTP, "
		                  "Google Authenticator).",
		    "Protect the account with codes from an authenticator app (e.g. FreeOTP, Google "
		    "Authenticator).");
		pg_form(&p, "/portal/account/totp/enrol", 0);
		pg_field(&p, "password", "password", "Kata sandi (konfirmasi)",
		    "Password (to confirm)", NULL, "current-password", 1);
		pg_button(&p, NULL, NULL, "Aktifkan autentikator", "Set up an authenticator", NULL);
	}
	pg_raw(&p, "</form>\n");

	pg_h2(&p, "Token API saya", "My API tokens");
	memset(&tr, 0, sizeof tr);
	tr.p = &p;
	tr.u = u;
	if ((rc = auth_token_list(r->auth, u->w.org, tok_row, &tr)) != OA_OK) {
		pg_abort(&p, rc, "/portal/account"); /* not "no tokens": the list could not be read */
		return;
	}
	if (tr.n)
		pg_raw(&p, "</tbody></table></div>\n");
	else
		pg_para(&p, NULL, "Tidak ada token.", "No tokens.");
	pg_send(&p, status);
}

static void h_account(web_req *r)
{
	web_user *u = portal_user(r);

	if (u)
		account_page(r, u, 200, NULL);
}

/* The account page with one refusal of the catalogue (key) about field. */
static void account_msg(web_req *r, const web_user *u, unsigned status, const char *field,
    const char *key)
{
	pg_errs e = {.n = 0};

	pg_errs_add(r, &e, field, key, NULL, NULL);
	account_page(r, u, status, &e);
}

/* Re-authentication for a page: 1 if password is u's; otherwise the
 * account page again with the refusal (locked: 429). */
static int page_reauth(web_req *r, const web_user *u, const char *password, const char *field)
{
	oa_err rc;

	if (password == NULL || *password == 0 || strlen(password) > PW_MAX) {
		r->errcode = "validation";
		account_msg(r, u, 422, field, "current_empty");
		return 0;
	}
	rc = auth_password_verify(r->auth, u->w.person, password);
	if (rc == OA_OK)
		return 1;
	if (rc != OA_ERR_DENIED) {
		pg_err(r, u, rc, "/portal/account");
		return 0;
	}
	oa_err_clear();
	if (web_locked(r, u->w.person)) {
		r->errcode = "locked";
		account_msg(r, u, 429, field, "locked");
	} else {
		r->errcode = oa_err_name(OA_ERR_DENIED);
		account_msg(r, u, 403, field, "wrong_password");
	}
	return 0;
}

/* A module refusal on the account page (4xx shown with its message). */
static void account_fail(web_req *r, const web_user *u, oa_err rc)
{
	unsigned st = web_status_of(rc);
	pg_errs e = {.n = 0};

	r->errcode = oa_err_name(rc);
	pg_errs_take(r, &e, rc, NULL, NULL);
	account_page(r, u, rc == OA_ERR_INVALID ? 422 : st, &e);
}

/* The end of an account POST: the refusal on the page, or 303 to done. */
static void account_done(web_req *r, const web_user *u, oa_err rc, const char *done)
{
	if (rc)
		account_fail(r, u, rc);
	else
		web_redirect(r, done);
}

static void h_password(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);
	const char *pw, *again;

	if (u == NULL)
		goto out;
	pw = web_form_get(&f, "password");
	again = web_form_get(&f, "confirm");
	{
		/* every problem at once (the passwords never shown again) */
		const char *cur = web_form_get(&f, "current");
		pg_errs e = {.n = 0};
		if (cur == NULL || *cur == 0)
			pg_errs_add(r, &e, "current", "current_empty", NULL, NULL);
		if (pw == NULL || *pw == 0)
			pg_errs_add(r, &e, "password", "required", NULL, NULL);
		else if (strlen(pw) > PW_MAX)
			pg_errs_add(r, &e, "password", "pw_long", NULL, NULL);
		if (again == NULL || *again == 0)
			pg_errs_add(r, &e, "confirm", "required", NULL, NULL);
		else if (pw && *pw && strcmp(pw, again) != 0)
			pg_errs_add(r, &e, "confirm", "mismatch", NULL, NULL);
		if (e.n) {
			r->errcode = "validation";
			account_page(r, u, 422, &e);
			goto out;
		}
	}
	if (!page_reauth(r, u, web_form_get(&f, "current"), "current"))
		goto out;
	account_done(r, u, auth_password_set(r->auth, u->w.person, pw, u->session, u->w.person),
	    "/portal/account?done=password");
out:
	web_body_wipe(r);
}

static void h_totp_enrol(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);
	auth_totp_enrolment e = {0};
	char *img = NULL;
	size_t n;
	pg p;
	oa_err rc;

	if (u == NULL || !page_reauth(r, u, web_form_get(&f, "password"), NULL))
		goto out;
	if ((rc = auth_totp_enrol(r->auth, u->w.person, u->w.person, &e))) {
		account_fail(r, u, rc);
		goto out;
	}
	n = sodium_base64_ENCODED_LEN(strlen(e.svg), sodium_base64_VARIANT_ORIGINAL);
	if ((img = malloc(n)) == NULL) {
		pg_err(r, u, oa_fail(OA_ERR_NOMEM, "out of memory"), "/portal/account");
		goto out;
	}
	sodium_bin2base64(img, n, (const unsigned char *)e.svg, strlen(e.svg),
	    sodium_base64_VARIANT_ORIGINAL);
	pg_start(&p, r, u, "Aktifkan autentikator", "Set up an authenticator");
	p.secret = 1;
	pg_para(&p, NULL, "Pindai kode QR ini dengan aplikasi autentikator, lalu masukkan kode 6 "
	                  "digit yang ditampilkannya.",
	    "Scan this QR code with your authenticator app, then enter the 6-digit code it shows.");
	pg_raw(&p, "<p><img class=\"qr\" width=\"240\" height=\"240\" alt=\"Kode QR / QR code\" "
	           "src=\"data:image/svg+xml;base64,");
	pg_text(&p, img);
	pg_raw(&p, "\"></p>\n<p>");
	pg_bi(&p, "Atau ketik kunci ini:", "Or type this key:");
	pg_raw(&p, " <code class=\"secret\">");
	pg_text(&p, e.secret_b32);
	pg_raw(&p, "</code></p>\n");
	pg_form(&p, "/portal/account/totp/confirm", 0);
	pg_raw(&p, "<div class=\"field\"><label for=\"f_code\">");
	pg_bi(&p, "Kode dari aplikasi", "Code from the app");
	pg_raw(&p, "</label>\n<input id=\"f_code\" name=\"code\" type=\"text\" inputmode=\"numeric\" "
	           "pattern=\"[0-9]{6,8}\" maxlength=\"10\" autocomplete=\"one-time-code\" "
	           "required></div>\n");
	pg_button(&p, NULL, NULL, "Konfirmasi", "Confirm", NULL);
	pg_raw(&p, "</form>\n");
	pg_send(&p, 200);
out:
	if (img) {
		oa_wipe(img, strlen(img));
		free(img);
	}
	auth_totp_enrolment_free(&e);
	web_body_wipe(r);
}

static void h_totp_confirm(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);
	const char *code;

	if (u == NULL)
		goto out;
	code = web_form_get(&f, "code");
	if (code == NULL || *code == 0 || strlen(code) > AUTH_MAX_TOTP_CODE) {
		r->errcode = "validation";
		account_msg(r, u, 422, "code", "totp_code");
		goto out;
	}
	account_done(r, u, auth_totp_confirm(r->auth, u->w.person, code, u->w.person),
	    "/portal/account?done=totp");
out:
	web_body_wipe(r);
}

static void h_totp_disable(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);

	if (u == NULL || !page_reauth(r, u, web_form_get(&f, "password"), NULL))
		goto out;
	account_done(r, u, auth_totp_disable(r->auth, u->w.person, u->w.person),
	    "/portal/account?done=totp_off");
out:
	web_body_wipe(r);
}

typedef struct tok_find {
	int64_t id;
	const char *person;
	int found;
} tok_find;

static int tok_match(const auth_token_info *t, void *arg)
{
	tok_find *tf = arg;

	if (t->id != tf->id)
		return 0;
	tf->found = strcmp(t->person, tf->person) == 0;
	return 1;
}

static void h_token_revoke(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);
	tok_find tf = {0};
	char *end;

	if (u == NULL)
		return;
	tf.id = strtoll(r->param[0], &end, 10);
	tf.person = u->w.person;
	if (*end == 0 && tf.id > 0 && auth_token_list(r->auth, u->w.org, tok_match, &tf) != OA_OK) {
		pg_err(r, u, OA_ERR_STORE, "/portal/account");
		return;
	}
	if (!tf.found) {
		r->errcode = oa_err_name(OA_ERR_NOTFOUND);
		account_msg(r, u, 404, NULL, "token_unknown");
		return;
	}
	account_done(r, u, auth_token_revoke(r->auth, tf.id, u->w.person),
	    "/portal/account?done=token");
}

static const web_route routes[] = {
	{WEB_GET, "/login", h_login_get, 0},
	{WEB_POST, "/login", h_login_post, 8 * 1024},
	{WEB_POST, "/logout", h_logout, 1024},
	{WEB_GET, "/password-reset", h_reset_get, 0},
	{WEB_POST, "/password-reset", h_reset_post, 4 * 1024},
	{WEB_GET, "/portal/account", h_account, 0},
	{WEB_POST, "/portal/account/password", h_password, 8 * 1024},
	{WEB_POST, "/portal/account/totp/enrol", h_totp_enrol, 8 * 1024},
	{WEB_POST, "/portal/account/totp/confirm", h_totp_confirm, 1024},
	{WEB_POST, "/portal/account/totp/disable", h_totp_disable, 8 * 1024},
	{WEB_POST, "/portal/account/tokens/{id}/revoke", h_token_revoke, 1024},
};

const web_route_table web_portal_account_table = {"portal_account", routes,
    sizeof routes / sizeof routes[0]};
