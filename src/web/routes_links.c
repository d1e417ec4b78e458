/*
 * routes_links.c - the pages the e-mails link to: one-time links and a
 * minimal sign-in page.
 *
 *   GET  /link/{kind}/{token}  a small HTML form (the token is NOT used up:
 *                              a link preview must not burn it)
 *   POST /link/{kind}/{token}  the form sent back (urlencoded, 8 KiB): in
 *                              one transaction the token is consumed and
 *                              the step done (identity_form, set_passphrase)
 *                              or the password set (activation,
 *                              password_reset); any failure rolls back, so
 *                              the link stays usable and the error is shown
 *   GET  /login, POST /login   sign-in with a session cookie
 *
 * Pages: Indonesian first, English second; no JavaScript; every text
 * HTML-escaped; CSP default-src 'none'; no-store; no referrer.  Passwords
 * and passphrases are wiped from the request body after use, never logged.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "webInt.h"

#define LINK_BODY (8 * 1024)
#define FORM_MAX_FIELDS 16

/* ---- HTML ---- */

static void esc(oa_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': oa_buf_append(b, "&amp;", 5); break;
		case '<': oa_buf_append(b, "&lt;", 4); break;
		case '>': oa_buf_append(b, "&gt;", 4); break;
		case '"': oa_buf_append(b, "&quot;", 6); break;
		case '\'': oa_buf_append(b, "&#39;", 5); break;
		default: oa_buf_append(b, s, 1);
		}
	}
}

static void page_start(oa_buf *b, const char *title_id, const char *title_en)
{
	oa_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n"
	                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	                 "<meta name=\"robots\" content=\"noindex\">\n<title>");
	esc(b, title_id);
	oa_buf_printf(b, " / ");
	esc(b, title_en);
	oa_buf_printf(b, "</title>\n<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;"
	                 "padding:0 1em}label{display:block;margin-top:.8em}input{width:100%%;"
	                 "padding:.3em;box-sizing:border-box}button{margin-top:1em;padding:.4em 1.2em}"
	                 ".en{color:#555}.err{color:#a00}</style>\n</head>\n<body>\n<h1>");
	esc(b, title_id);
	oa_buf_printf(b, " <span class=\"en\">/ ");
	esc(b, title_en);
	oa_buf_printf(b, "</span></h1>\n");
}

/* A paragraph: Indonesian, then English. */
static void para(oa_buf *b, const char *cls, const char *id, const char *en)
{
	oa_buf_printf(b, "<p%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	esc(b, id);
	oa_buf_printf(b, "<br><span class=\"en\">");
	esc(b, en);
	oa_buf_printf(b, "</span></p>\n");
}

static void field(oa_buf *b, const char *name, const char *type, const char *id, const char *en,
    const char *autocomplete, int required)
{
	oa_buf_printf(b, "<label for=\"f_%s\">", name);
	esc(b, id);
	oa_buf_printf(b, " <span class=\"en\">/ ");
	esc(b, en);
	oa_buf_printf(b, "</span></label>\n<input id=\"f_%s\" name=\"%s\" type=\"%s\"%s%s%s%s>\n",
	    name, name, type, autocomplete ? " autocomplete=\"" : "", autocomplete ? autocomplete : "",
	    autocomplete ? "\"" : "", required ? " required" : "");
}

/* Sends b (freed here) as an HTML page with the security headers. */
static void page_send(web_req *r, unsigned status, oa_buf *b)
{
	oa_err rc = oa_buf_printf(b, "</body>\n</html>\n");

	if (rc || b->data == NULL) {
		oa_buf_free(b);
		web_reply_err(r, rc ? rc : oa_fail(OA_ERR_NOMEM, "out of memory"));
		return;
	}
	web_reply(r, status, "text/html; charset=utf-8", b->data, b->len, MHD_RESPMEM_MUST_COPY);
	oa_buf_free(b);
	web_header(r, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	web_header(r, "Referrer-Policy", "no-referrer");
	web_header(r, "X-Content-Type-Options", "nosniff");
	web_header(r, "X-Frame-Options", "DENY");
}

/* A page with a title and one message. */
static void page_msg(web_req *r, unsigned status, const char *tid, const char *ten,
    const char *mid, const char *men, int login_link)
{
	oa_buf b = {0};

	page_start(&b, tid, ten);
	para(&b, status >= 400 ? "err" : NULL, mid, men);
	if (login_link)
		oa_buf_printf(&b, "<p><a href=\"/login\">Masuk <span class=\"en\">/ Sign in</span>"
		                  "</a></p>\n");
	page_send(r, status, &b);
}

/* ---- forms ---- */

typedef struct form {
	const char *k[FORM_MAX_FIELDS], *v[FORM_MAX_FIELDS];
	size_t n;
} form;

/* Decodes s in place; 0 if malformed or it decodes to a NUL. */
static int unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '+')
			*o++ = ' ';
		else if (*s == '%') {
			int h = oa_hexval((unsigned char)s[1]), l = h < 0 ? -1 : oa_hexval((unsigned char)s[2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return 0;
			*o++ = (char)(h * 16 + l);
			s += 2;
		} else
			*o++ = *s;
	}
	*o = 0;
	return 1;
}

/* Parses the urlencoded body in place (r->body); replies and returns 0 on
 * a refusal. */
static int form_parse(web_req *r, form *f)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	char *p, *save = NULL;

	memset(f, 0, sizeof *f);
	if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
	    (ct[33] != 0 && ct[33] != ';')) {
		page_msg(r, 415, "Jenis isi tidak didukung", "Unsupported media type",
		    "Kirim formulir sebagai application/x-www-form-urlencoded.",
		    "Send the form as application/x-www-form-urlencoded.", 0);
		return 0;
	}
	if (r->body == NULL)
		return 1;
	for (p = strtok_r((char *)r->body, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');
		if (eq == NULL)
			continue;
		*eq = 0;
		if (!unescape(p) || !unescape(eq + 1) || !oa_is_clean_utf8(p) ||
		    !oa_is_clean_utf8(eq + 1) || f->n == FORM_MAX_FIELDS) {
			page_msg(r, 400, "Formulir tidak valid", "Invalid form",
			    "Isi formulir tidak dapat dibaca.", "The form could not be read.", 0);
			return 0;
		}
		f->k[f->n] = p;
		f->v[f->n++] = eq + 1;
	}
	return 1;
}

static const char *form_get(const form *f, const char *k)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->k[i], k) == 0)
			return f->v[i];
	return NULL;
}

static void body_wipe(web_req *r)
{
	if (r->body)
		oa_wipe(r->body, r->body_len);
}

/* ---- one-time links ---- */

static const struct {
	const char *name, *id, *en;
} identity_fields[] = {
	{"name", "Nama lengkap", "Full name"},
	{"nik", "NIK (16 digit)", "NIK (16 digits)"},
	{"nip", "NIP (18 digit, bila ada)", "NIP (18 digits, if any)"},
	{"email", "Alamat e-mail", "E-mail address"},
	{"organization", "Instansi", "Agency"},
	{"unit", "Unit kerja", "Unit"},
	{"position", "Jabatan", "Position"},
	{"locality", "Kabupaten/Kota", "Locality"},
	{"province", "Provinsi", "Province"},
};
#define N_IDENTITY (sizeof identity_fields / sizeof identity_fields[0])

static int token_ok(const char *t)
{
	size_t n = 0;

	for (; t[n]; n++) {
		char c = t[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return 0;
	}
	return n == AUTH_TOKEN_LEN;
}

static void not_found(web_req *r)
{
	page_msg(r, 404, "Tautan tidak ditemukan", "Link not found",
	    "Tautan ini tidak dikenal. Periksa kembali alamat pada e-mail Anda.",
	    "This link is not known. Check the address in your e-mail.", 0);
}

/* The link's kind from the path, or -1 after a 404 page. */
static int link_kind(web_req *r)
{
	int k = auth_link_kind_parse(r->param[0]);

	if (k < 0 || !token_ok(r->param[1])) {
		not_found(r);
		return -1;
	}
	return k;
}

static void link_form(web_req *r, int kind, const char *err_id, const char *err_en,
    unsigned status)
{
	oa_buf b = {0};

	switch (kind) {
	case AUTH_LINK_IDENTITY_FORM:
		page_start(&b, "Formulir data diri", "Identity form");
		para(&b, NULL, "Lengkapi data diri dan data kedinasan Anda untuk permohonan sertifikat "
		                "elektronik.",
		    "Fill in your personal and employment data for your electronic certificate "
		    "application.");
		break;
	case AUTH_LINK_SET_PASSPHRASE:
		page_start(&b, "Atur passphrase", "Set passphrase");
		para(&b, NULL, "Passphrase melindungi kunci privat sertifikat Anda. Simpan baik-baik: "
		                "passphrase tidak disimpan dan tidak dapat dipulihkan.",
		    "The passphrase protects your certificate's private key. Keep it safe: it is "
		    "not stored and cannot be recovered.");
		break;
	case AUTH_LINK_ACTIVATION:
		page_start(&b, "Aktivasi akun", "Account activation");
		para(&b, NULL, "Buat kata sandi untuk akun Anda.", "Choose a password for your account.");
		break;
	default:
		page_start(&b, "Atur ulang kata sandi", "Password reset");
		para(&b, NULL, "Buat kata sandi baru untuk akun Anda.",
		    "Choose a new password for your account.");
		break;
	}
	if (err_id)
		para(&b, "err", err_id, err_en);
	oa_buf_printf(&b, "<form method=\"post\" action=\"/link/%s/%s\">\n",
	    auth_link_kind_name((auth_link_kind)kind), r->param[1]);
	switch (kind) {
	case AUTH_LINK_IDENTITY_FORM:
		for (size_t i = 0; i < N_IDENTITY; i++)
			field(&b, identity_fields[i].name,
			    strcmp(identity_fields[i].name, "email") == 0 ? "email" : "text",
			    identity_fields[i].id, identity_fields[i].en, NULL,
			    strcmp(identity_fields[i].name, "nip") != 0);
		oa_buf_printf(&b, "<button type=\"submit\">Kirim <span class=\"en\">/ Send</span>"
		                  "</button>\n");
		break;
	case AUTH_LINK_SET_PASSPHRASE:
		field(&b, "passphrase", "password", "Passphrase", "Passphrase", "new-password", 1);
		field(&b, "confirm", "password", "Ulangi passphrase", "Repeat the passphrase",
		    "new-password", 1);
		oa_buf_printf(&b, "<button type=\"submit\">Simpan <span class=\"en\">/ Save</span>"
		                  "</button>\n");
		break;
	default:
		field(&b, "password", "password", "Kata sandi baru", "New password", "new-password", 1);
		field(&b, "confirm", "password", "Ulangi kata sandi", "Repeat the password",
		    "new-password", 1);
		oa_buf_printf(&b, "<button type=\"submit\">Simpan <span class=\"en\">/ Save</span>"
		                  "</button>\n");
		break;
	}
	oa_buf_printf(&b, "</form>\n");
	page_send(r, status, &b);
}

static void h_link_get(web_req *r)
{
	int kind = link_kind(r);

	if (kind >= 0)
		link_form(r, kind, NULL, NULL, 200);
}

/* The refusal of a module call, as the form again with the message. */
static void link_fail(web_req *r, int kind, oa_err rc)
{
	unsigned st = web_status_of(rc);

	if (st >= 500 || kind < 0) {
		if (st < 500)
			st = 500;
		snprintf(r->errmsg, sizeof r->errmsg, "%s: %s", oa_err_name(rc), oa_errmsg());
		page_msg(r, st, "Terjadi kesalahan", "Something went wrong",
		    "Permintaan tidak dapat diproses. Silakan coba lagi nanti.",
		    "The request could not be processed. Please try again later.", 0);
		return;
	}
	if (rc == OA_ERR_INVALID)
		st = 422;
	link_form(r, kind, "Data ditolak:", oa_errmsg(), st);
}

/* Checks that the case is open at a step of action act for person; fills
 * the step and the role to act in.  0 after a refusal (rc set). */
static oa_err case_step(web_req *r, int64_t case_id, const char *person, sop_action act,
    engine_case *c, const char **role)
{
	const sop_def *def;
	oa_err rc;

	if ((rc = engine_case_get(r->engine, case_id, c)) ||
	    (rc = engine_case_def(r->engine, case_id, &def)))
		return rc;
	if (strcmp(c->state, "open") != 0 || strcmp(c->applicant, person) != 0)
		return oa_fail(OA_ERR_STATE, "the case is no longer waiting for this link");
	for (size_t i = 0; i < def->n_steps; i++) {
		const sop_step *s = &def->steps[i];
		if (strcmp(s->id, c->step) != 0)
			continue;
		if (s->action != act || s->n_actors == 0)
			break;
		*role = def->actors[s->actors[0]].id;
		return OA_OK;
	}
	return oa_fail(OA_ERR_STATE, "the case is not at the step of this link");
}

static void h_link_post(web_req *r)
{
	int kind = link_kind(r);
	store *db = ca_store(r->ca);
	form f;
	const char *keys[N_IDENTITY], *vals[N_IDENTITY];
	const char *secret = NULL;
	char person[AUTH_MAX_ID + 1];
	int64_t case_id = 0;
	engine_case c;
	engine_result res;
	auth_who *w = NULL;
	size_t nd = 0;
	oa_err rc;

	if (kind < 0 || !form_parse(r, &f))
		goto out;
	if (kind == AUTH_LINK_IDENTITY_FORM) {
		for (size_t i = 0; i < N_IDENTITY; i++) {
			const char *v = form_get(&f, identity_fields[i].name);
			if (v && *v) {
				keys[nd] = identity_fields[i].name;
				vals[nd++] = v;
			}
		}
	} else {
		const char *name = kind == AUTH_LINK_SET_PASSPHRASE ? "passphrase" : "password";
		const char *again = form_get(&f, "confirm");
		secret = form_get(&f, name);
		if (secret == NULL || *secret == 0) {
			link_form(r, kind, "Isian wajib kosong.", "A required field is empty.", 422);
			goto out;
		}
		if (again == NULL || strcmp(secret, again) != 0) {
			link_form(r, kind, "Kedua isian tidak sama.", "The two entries do not match.", 422);
			goto out;
		}
	}
	if ((w = web_alloc(r, sizeof *w)) == NULL) {
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		goto out;
	}
	/* Consume and act in one transaction: a refusal leaves the link usable. */
	if ((rc = store_begin(db))) {
		link_fail(r, kind, rc);
		goto out;
	}
	if ((rc = auth_link_consume(r->auth, (auth_link_kind)kind, r->param[1], person,
	         &case_id))) {
		store_rollback(db);
		if (rc == OA_ERR_STATE)
			page_msg(r, 410, "Tautan sudah tidak berlaku", "Link no longer valid",
			    "Tautan ini sudah dipakai, diganti dengan yang lebih baru, atau kedaluwarsa.",
			    "This link was already used, superseded by a newer one, or has expired.", 0);
		else if (rc == OA_ERR_NOTFOUND || rc == OA_ERR_DENIED)
			not_found(r);
		else
			link_fail(r, kind, rc);
		goto out;
	}
	r->user = web_printf(r, "%s", person);
	if (kind == AUTH_LINK_IDENTITY_FORM || kind == AUTH_LINK_SET_PASSPHRASE) {
		engine_act a = {0};
		const char *role = NULL;
		const char *pk[1] = {"passphrase"};
		if ((rc = case_step(r, case_id, person, kind == AUTH_LINK_IDENTITY_FORM ?
		             SOP_ACT_FILL_IDENTITY : SOP_ACT_SET_PASSPHRASE, &c, &role)) ||
		    (rc = auth_who_get(r->auth, person, c.org, w)))
			goto fail;
		a.case_id = case_id;
		a.step = c.step;
		a.role = role;
		if (kind == AUTH_LINK_IDENTITY_FORM) {
			a.keys = keys;
			a.values = vals;
			a.ndata = nd;
		} else {
			a.keys = pk;
			a.values = &secret;
			a.ndata = 1;
		}
		memset(&res, 0, sizeof res);
		if ((rc = engine_case_act(r->engine, &w->who, &a, &res)))
			goto fail;
	} else if ((rc = auth_password_set(r->auth, person, secret, NULL, person)))
		goto fail;
	if ((rc = store_commit(db))) {
		store_rollback(db);
		link_fail(r, kind, rc);
		goto out;
	}
	switch (kind) {
	case AUTH_LINK_IDENTITY_FORM:
		page_msg(r, 200, "Data terkirim", "Data sent",
		    "Terima kasih. Data Anda telah dikirim dan akan diperiksa oleh verifikator.",
		    "Thank you. Your data has been sent and will be checked by the verifier.", 0);
		break;
	case AUTH_LINK_SET_PASSPHRASE:
		page_msg(r, 200, "Passphrase tersimpan", "Passphrase set",
		    "Passphrase Anda telah diatur. Anda akan menerima e-mail setelah sertifikat "
		    "diterbitkan.",
		    "Your passphrase has been set. You will receive an e-mail once the certificate "
		    "is issued.", 0);
		break;
	default:
		page_msg(r, 200, "Kata sandi tersimpan", "Password set",
		    "Kata sandi Anda telah disimpan. Silakan masuk.",
		    "Your password has been saved. Please sign in.", 1);
		break;
	}
	goto out;
fail:
	store_rollback(db);
	link_fail(r, kind, rc);
out:
	oa_wipe(person, sizeof person);
	body_wipe(r);
}

/* ---- sign-in ---- */

static void login_form(web_req *r, unsigned status, const char *err_id, const char *err_en)
{
	oa_buf b = {0};

	page_start(&b, "Masuk", "Sign in");
	if (err_id)
		para(&b, "err", err_id, err_en);
	oa_buf_printf(&b, "<form method=\"post\" action=\"/login\">\n");
	field(&b, "username", "text", "Nama pengguna atau e-mail", "User name or e-mail",
	    "username", 1);
	field(&b, "password", "password", "Kata sandi", "Password", "current-password", 1);
	field(&b, "totp", "text", "Kode autentikator (bila diaktifkan)",
	    "Authenticator code (if enrolled)", "one-time-code", 0);
	oa_buf_printf(&b, "<button type=\"submit\">Masuk <span class=\"en\">/ Sign in</span>"
	                  "</button>\n</form>\n");
	page_send(r, status, &b);
}

static void h_login_get(web_req *r)
{
	login_form(r, 200, NULL, NULL);
}

static void h_login_post(web_req *r)
{
	form f;
	auth_login_req lr = {0};
	auth_session_new s;
	char cookie[256];
	oa_err rc;

	if (!form_parse(r, &f))
		goto out;
	lr.login = form_get(&f, "username");
	lr.password = form_get(&f, "password");
	lr.code = form_get(&f, "totp");
	if (lr.code && *lr.code == 0)
		lr.code = NULL;
	if (lr.login == NULL || *lr.login == 0 || strlen(lr.login) > AUTH_MAX_LOGIN ||
	    lr.password == NULL || *lr.password == 0 || strlen(lr.password) > 1024 ||
	    (lr.code && strlen(lr.code) > AUTH_MAX_TOTP_CODE)) {
		login_form(r, 422, "Isi nama pengguna dan kata sandi.",
		    "Enter your user name and password.");
		goto out;
	}
	memset(&s, 0, sizeof s);
	rc = auth_login(r->auth, &lr, &s);
	if (rc == OA_ERR_DENIED) {
		oa_err_clear();
		login_form(r, 401, "Nama pengguna, kata sandi atau kode salah, atau akun terkunci "
		                   "sementara.",
		    "Wrong user name, password or code, or the account is locked for a while.");
		goto out;
	}
	if (rc) {
		link_fail(r, -1, rc);
		goto out;
	}
	r->user = web_printf(r, "%s", s.person);
	rc = auth_cookie_header(cookie, sizeof cookie, s.token, web_srv ? web_srv->tls : 0,
	    s.expires_at - oa_now());
	{
		char who[AUTH_MAX_ID + 1];
		snprintf(who, sizeof who, "%s", s.person);
		auth_session_new_wipe(&s);
		if (rc) {
			web_reply_err(r, rc);
			goto out;
		}
		oa_buf b = {0};
		page_start(&b, "Berhasil masuk", "Signed in");
		oa_buf_printf(&b, "<p>Anda masuk sebagai <strong>");
		esc(&b, who);
		oa_buf_printf(&b, "</strong>.<br><span class=\"en\">You are signed in as <strong>");
		esc(&b, who);
		oa_buf_printf(&b, "</strong>.</span></p>\n");
		page_send(r, 200, &b);
	}
	web_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	oa_wipe(cookie, sizeof cookie);
out:
	body_wipe(r);
}

static const web_route routes[] = {
	{WEB_GET, "/link/{kind}/{token}", h_link_get, 0},
	{WEB_POST, "/link/{kind}/{token}", h_link_post, LINK_BODY},
	{WEB_GET, "/login", h_login_get, 0},
	{WEB_POST, "/login", h_login_post, LINK_BODY},
};

const web_route_table web_links_table = {"links", routes, sizeof routes / sizeof routes[0]};
