/*
 * routes_links.c - the pages the e-mails link to: one-time links
 * (docs/PORTAL.md, "Sign-in and account"; the routes are in
 * docs/openapi.yaml).
 *
 *   GET  /link/{kind}/{token}  the form (the token is NOT used up: a link
 *                              preview must not burn it)
 *   POST /link/{kind}/{token}  the form sent back: in one transaction the
 *                              token is consumed and the step done
 *                              (identity_form: multipart with the photo;
 *                              set_passphrase) or the password set
 *                              (activation, password_reset: urlencoded);
 *                              any failure rolls back, so the link stays
 *                              usable and the form is shown again with
 *                              the error
 *
 * Pages are built with the portal's page builder (portalInt.h): Indonesian
 * first, English second, no JavaScript, everything escaped, the strict
 * CSP.  Every form carries a csrf field bound to the form cookie
 * (pg_pre_csrf).  Passwords and passphrases are wiped from the request
 * body after use and never logged.  The identity form's photo (JPEG or
 * PNG, judged by content, at most OA_MAX_UPLOAD_BYTES) is stored like any
 * case document and attached under the reserved id "photo"
 * (engine_case_photo) in the same transaction as the identity data.
 */
#include <stdio.h>
#include <string.h>

#include "msgcat.h"
#include "portalInt.h"

#define LINK_FORM_BODY (8 * 1024)  /* the urlencoded forms */
#define IDENTITY_BODY (OA_MAX_UPLOAD_BYTES + 32 * 1024)

/* ---- the forms ---- */

static const struct {
	const char *name, *id, *en, *type, *autocomplete;
	int required;
	int group; /* 0 personal data, 1 employment data, 2 address */
} identity_fields[] = {
	{"name", "Nama lengkap", "Full name", "text", "name", 1, 0},
	{"nik", "NIK (16 digit)", "NIK (16 digits)", "text", "off", 1, 0},
	{"email", "Alamat e-mail", "E-mail address", "email", "email", 1, 0},
	{"nip", "NIP (18 digit, bila ada)", "NIP (18 digits, if any)", "text", "off", 0, 1},
	{"organization", "Instansi", "Agency", "text", "organization", 1, 1},
	{"unit", "Unit kerja", "Unit", "text", "off", 1, 1},
	{"position", "Jabatan", "Position", "text", "organization-title", 1, 1},
	{"locality", "Kabupaten/Kota", "Locality", "text", "address-level2", 1, 2},
	{"province", "Provinsi", "Province", "text", "address-level1", 1, 2},
};
#define N_IDENTITY (sizeof identity_fields / sizeof identity_fields[0])

static const char *const photo_types[] = {"image/jpeg", "image/png", NULL};

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
	const msgcat_entry *m = msgcat_find("link_unknown");

	r->errcode = oa_err_name(OA_ERR_NOTFOUND);
	pg_msg(r, NULL, 404, "Tautan tidak ditemukan", "Link not found", m->id, m->en, "");
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

/* The values typed so far (shown again after a refusal; never secrets),
 * and the applicant's account, which gives the form its first values and
 * the NIK, NIP and e-mail it may not change (security review, finding 1). */
typedef struct typed {
	const char *v[N_IDENTITY];
	const auth_person *acct;
	int sent;                 /* v is what the form sent: a field left empty stays empty */
} typed;

/* The account's value of field i that the applicant may not change, or NULL. */
static const char *locked_value(const typed *t, size_t i)
{
	const char *n = identity_fields[i].name;

	if (t == NULL || t->acct == NULL)
		return NULL;
	if (strcmp(n, "nik") == 0 && t->acct->nik[0])
		return t->acct->nik;
	if (strcmp(n, "nip") == 0 && t->acct->nip[0])
		return t->acct->nip;
	if (strcmp(n, "email") == 0 && t->acct->email[0])
		return t->acct->email;
	return NULL;
}

/* The account's value of field i to start from, or NULL. */
static const char *account_start(const typed *t, size_t i)
{
	const char *n = identity_fields[i].name;

	if (t == NULL || t->acct == NULL)
		return NULL;
	if (strcmp(n, "name") == 0)
		return t->acct->name;
	if (strcmp(n, "unit") == 0 && t->acct->unit[0])
		return t->acct->unit;
	if (strcmp(n, "position") == 0 && t->acct->position[0])
		return t->acct->position;
	return NULL;
}

static void identity_fields_html(pg *p, const typed *t)
{
	static const char *const legend[3][2] = {{"Data diri", "Personal data"},
	    {"Data kedinasan", "Employment data"}, {"Alamat kantor", "Office address"}};

	for (int g = 0; g < 3; g++) {
		pg_raw(p, "<fieldset><legend>");
		pg_bi(p, legend[g][0], legend[g][1]);
		pg_raw(p, "</legend>\n");
		for (size_t i = 0; i < N_IDENTITY; i++) {
			const char *lock = locked_value(t, i), *v = t ? t->v[i] : NULL;
			if (identity_fields[i].group != g)
				continue;
			if (lock) {
				pg_field_locked(p, identity_fields[i].name, identity_fields[i].type,
				    identity_fields[i].id, identity_fields[i].en, lock,
				    "Dari akun Anda; tidak dapat diubah di sini.",
				    "From your account; it cannot be changed here.");
				continue;
			}
			if ((v == NULL || *v == 0) && !(t && t->sent))
				v = account_start(t, i);
			pg_field(p, identity_fields[i].name, identity_fields[i].type, identity_fields[i].id,
			    identity_fields[i].en, v, identity_fields[i].autocomplete,
			    identity_fields[i].required);
		}
		pg_raw(p, "</fieldset>\n");
	}
	pg_raw(p, "<fieldset><legend>");
	pg_bi(p, "Pasfoto", "Photo");
	pg_raw(p, "</legend>\n<div class=\"field\"><label for=\"f_photo\">");
	pg_bi(p, "Pasfoto (JPEG atau PNG, paling besar 10 MB)", "Photo (JPEG or PNG, at most 10 MB)");
	pg_raw(p, "</label>\n<input id=\"f_photo\" name=\"photo\" type=\"file\" "
	          "accept=\"image/jpeg,image/png\" required");
	pg_field_aria(p, "photo");
	pg_raw(p, ">");
	pg_field_msgs(p, "photo");
	pg_raw(p, "</div>\n</fieldset>\n");
}

static void secret_fields_html(pg *p, int kind)
{
	const conf *cfg = inst_conf(p->r->in);

	if (kind == AUTH_LINK_SET_PASSPHRASE) {
		pg_field(p, "passphrase", "password", "Passphrase", "Passphrase", NULL, "new-password",
		    1);
		pg_field(p, "confirm", "password", "Ulangi passphrase", "Repeat the passphrase", NULL,
		    "new-password", 1);
		pg_raw(p, "<div class=\"note\" id=\"rule\"><p>Aturan: minimal %lld karakter; bukan "
		          "hanya angka; paling sedikit 5 karakter berbeda; tidak memuat nama, nama "
		          "pengguna, e-mail, NIK, NIP atau tanggal lahir Anda. Panjang lebih penting "
		          "daripada simbol: beberapa kata acak mudah diingat dan kuat.<br><span "
		          "class=\"en\" lang=\"en\">Rule: at least %lld characters; not only digits; at "
		          "least 5 different characters; none of your name, user name, e-mail, NIK, NIP "
		          "or birth date. Length matters more than symbols: a few random words are easy "
		          "to remember and strong.</span></p></div>\n",
		    (long long)conf_int(cfg, "keys.passphrase_min_length"),
		    (long long)conf_int(cfg, "keys.passphrase_min_length"));
		return;
	}
	pg_field(p, "password", "password", "Kata sandi baru", "New password", NULL, "new-password",
	    1);
	pg_field(p, "confirm", "password", "Ulangi kata sandi", "Repeat the password", NULL,
	    "new-password", 1);
	pg_raw(p, "<div class=\"note\" id=\"rule\"><p>Minimal %lld karakter, tidak memuat nama "
	          "pengguna, NIK, NIP, e-mail atau kata dari nama Anda.<br><span class=\"en\" "
	          "lang=\"en\">At least %lld characters, without your user name, NIK, NIP, e-mail or "
	          "a word of your name.</span></p></div>\n",
	    (long long)conf_int(cfg, "auth.password_min_length"),
	    (long long)conf_int(cfg, "auth.password_min_length"));
}

static void link_form(web_req *r, int kind, const pg_errs *errs, unsigned status,
    const typed *t)
{
	pg p;

	switch (kind) {
	case AUTH_LINK_IDENTITY_FORM:
		pg_start(&p, r, NULL, "Formulir data diri", "Identity form");
		pg_para(&p, NULL, "Lengkapi data diri, data kedinasan dan pasfoto Anda untuk permohonan "
		                  "sertifikat elektronik.",
		    "Fill in your personal data, employment data and photo for your electronic "
		    "certificate application.");
		break;
	case AUTH_LINK_SET_PASSPHRASE:
		pg_start(&p, r, NULL, "Atur passphrase", "Set passphrase");
		pg_para(&p, NULL, "Passphrase melindungi kunci privat sertifikat Anda. Simpan baik-baik: "
		                  "passphrase tidak disimpan dan tidak dapat dipulihkan.",
		    "The passphrase protects your certificate's private key. Keep it safe: it is "
		    "not stored and cannot be recovered.");
		break;
	case AUTH_LINK_ACTIVATION:
		pg_start(&p, r, NULL, "Aktivasi akun", "Account activation");
		pg_para(&p, NULL, "Buat kata sandi untuk akun Anda.", "Choose a password for your account.");
		break;
	default:
		pg_start(&p, r, NULL, "Atur ulang kata sandi", "Password reset");
		pg_para(&p, NULL, "Buat kata sandi baru untuk akun Anda.",
		    "Choose a new password for your account.");
		break;
	}
	p.errs = errs;
	pg_errs_summary(&p);
	pg_raw(&p, "<form method=\"post\" action=\"/link/%s/%s\"%s>\n",
	    auth_link_kind_name((auth_link_kind)kind), r->param[1],
	    kind == AUTH_LINK_IDENTITY_FORM ? " enctype=\"multipart/form-data\"" : "");
	pg_pre_csrf(&p);
	pg_csrf(&p);
	if (kind == AUTH_LINK_IDENTITY_FORM) {
		identity_fields_html(&p, t);
		pg_button(&p, NULL, NULL, "Kirim", "Send", NULL);
	} else {
		secret_fields_html(&p, kind);
		pg_button(&p, NULL, NULL, "Simpan", "Save", NULL);
	}
	pg_raw(&p, "</form>\n");
	pg_send(&p, status);
}

/* The page of a link that cannot be used (auth_link_peek/consume's refusal). */
static void link_unusable(web_req *r, oa_err rc)
{
	if (rc == OA_ERR_STATE) {
		const msgcat_entry *m = msgcat_find("link_used");
		r->errcode = oa_err_name(rc);
		pg_msg(r, NULL, 410, "Tautan sudah tidak berlaku", "Link no longer valid", m->id, m->en,
		    "");
	} else if (rc == OA_ERR_NOTFOUND || rc == OA_ERR_DENIED || rc == OA_ERR_INVALID)
		not_found(r);
	else
		pg_err(r, NULL, rc, "");
	oa_err_clear();
}

/* The account of the link's person into t (the identity form starts from
 * it); 0 (after the refusal page) if the link cannot be used. */
static int link_account(web_req *r, int kind, typed *t)
{
	char person[AUTH_MAX_ID + 1];
	int64_t case_id;
	auth_person *a;
	oa_err rc;

	if ((rc = auth_link_peek(r->auth, (auth_link_kind)kind, r->param[1], person, &case_id))) {
		link_unusable(r, rc);
		return 0;
	}
	if (kind == AUTH_LINK_IDENTITY_FORM && (a = web_alloc(r, sizeof *a)) != NULL &&
	    auth_person_get(r->auth, person, a) == OA_OK)
		t->acct = a;
	oa_err_clear();
	oa_wipe(person, sizeof person);
	return 1;
}

static void h_link_get(web_req *r)
{
	int kind = link_kind(r);
	typed t = {0};

	if (kind >= 0 && link_account(r, kind, &t))
		link_form(r, kind, NULL, 200, &t);
}

/* The refusal of a module call, as the form again with the message. */
static void link_fail(web_req *r, int kind, oa_err rc, const typed *t)
{
	unsigned st = web_status_of(rc);
	pg_errs e = {.n = 0};

	if (st >= 500) {
		pg_err(r, NULL, rc, "");
		return;
	}
	if (rc == OA_ERR_INVALID || rc == OA_ERR_POLICY)
		st = 422;
	r->errcode = oa_err_name(rc);
	pg_errs_take(r, &e, rc, NULL, kind == AUTH_LINK_IDENTITY_FORM ? NULL :
	    kind == AUTH_LINK_SET_PASSPHRASE ? "passphrase" : "password");
	link_form(r, kind, &e, st, t);
}

/* What the form sent, bounded and checked before anything changes. */
typedef struct link_input {
	const char *keys[N_IDENTITY], *vals[N_IDENTITY];
	size_t nd;
	typed t;
	docs_multipart m;          /* the parsed identity form (photo points into it) */
	const docs_part *photo;
	const char *secret;
} link_input;

/* Reads the form of kind into in; 0 after a refusal page. */
static int link_read(web_req *r, int kind, link_input *in)
{
	web_form f;
	docs_multipart *m = &in->m;
	const char *csrf;

	memset(in, 0, sizeof *in);
	if (kind == AUTH_LINK_IDENTITY_FORM) {
		if (!portal_multipart(r, m))
			return 0;
		csrf = docs_multipart_get(m, "csrf");
	} else {
		if (r->body_len > LINK_FORM_BODY) {
			r->errcode = oa_err_name(OA_ERR_LIMIT);
			pg_refused(r, NULL, 413, "Formulir terlalu besar", "Form too large",
			    "form_too_large", "");
			return 0;
		}
		if (!web_form_parse(r, &f))
			return 0;
		csrf = web_form_get(&f, "csrf");
	}
	if (!portal_pre_csrf_ok(r, csrf)) {
		portal_csrf_refused(r, NULL, web_printf(r, "/link/%s/%s", r->param[0], r->param[1]));
		return 0;
	}
	if (kind == AUTH_LINK_IDENTITY_FORM) {
		/* Every field checked before anything changes, all problems shown
		 * at once; the engine checks again (the final authority). */
		pg_errs *e = web_alloc(r, sizeof *e);
		if (e == NULL) {
			pg_err(r, NULL, oa_fail(OA_ERR_NOMEM, "out of memory"), "");
			return 0;
		}
		e->n = 0;
		in->t.sent = 1;
		for (size_t i = 0; i < N_IDENTITY; i++) {
			const char *n = identity_fields[i].name;
			const char *v = docs_multipart_get(m, n);
			oa_err rc = OA_OK;
			if (v && strlen(v) > 4 * AUTH_MAX_TEXT) {
				pg_errs_add(r, e, n, "too_long", NULL, NULL);
				v = NULL;
			}
			in->t.v[i] = v;
			if (v && *v) {
				in->keys[in->nd] = n;
				in->vals[in->nd++] = v;
				if (!oa_is_clean_utf8(v) || oa_utf8_chars(v) > 128)
					pg_errs_add(r, e, n, "text_bad", NULL, NULL);
				else if (strcmp(n, "nik") == 0)
					rc = auth_check_nik(v);
				else if (strcmp(n, "nip") == 0)
					rc = auth_check_nip(v);
				else if (strcmp(n, "email") == 0)
					rc = auth_check_email(v, NULL);
				if (rc)
					pg_errs_take(r, e, rc, NULL, n);
			} else if (identity_fields[i].required)
				pg_errs_add(r, e, n, "required", NULL, NULL);
		}
		in->photo = docs_multipart_file(m, "photo");
		if (in->photo == NULL || in->photo->len == 0)
			pg_errs_add(r, e, "photo", "required", NULL, NULL);
		if (e->n) {
			r->errcode = "validation";
			if (link_account(r, kind, &in->t))
				link_form(r, kind, e, 422, &in->t);
			return 0;
		}
		return 1;
	} else {
		const char *name = kind == AUTH_LINK_SET_PASSPHRASE ? "passphrase" : "password";
		const char *again = web_form_get(&f, "confirm");
		pg_errs e = {.n = 0};
		in->secret = web_form_get(&f, name);
		if (in->secret == NULL || *in->secret == 0)
			pg_errs_add(r, &e, name, "required", NULL, NULL);
		if (again == NULL || *again == 0)
			pg_errs_add(r, &e, "confirm", "required", NULL, NULL);
		else if (in->secret && *in->secret && strcmp(in->secret, again) != 0)
			pg_errs_add(r, &e, "confirm", "mismatch", NULL, NULL);
		if (e.n) {
			r->errcode = "validation";
			link_form(r, kind, &e, 422, NULL);
			return 0;
		}
	}
	return 1;
}

static void link_done(web_req *r, int kind)
{
	switch (kind) {
	case AUTH_LINK_IDENTITY_FORM:
		pg_msg(r, NULL, 200, "Data terkirim", "Data sent",
		    "Terima kasih. Data Anda telah dikirim dan akan diperiksa oleh verifikator.",
		    "Thank you. Your data has been sent and will be checked by the verifier.", "");
		break;
	case AUTH_LINK_SET_PASSPHRASE:
		pg_msg(r, NULL, 200, "Passphrase tersimpan", "Passphrase set",
		    "Passphrase Anda telah diatur. Anda akan menerima e-mail setelah sertifikat "
		    "diterbitkan.",
		    "Your passphrase has been set. You will receive an e-mail once the certificate "
		    "is issued.", "");
		break;
	default: {
		pg p;
		pg_start(&p, r, NULL, "Kata sandi tersimpan", "Password set");
		pg_para(&p, "ok", "Kata sandi Anda telah disimpan. Silakan masuk.",
		    "Your password has been saved. Please sign in.");
		pg_raw(&p, "<p>");
		pg_link(&p, "/login", "Masuk", "Sign in");
		pg_raw(&p, "</p>\n");
		pg_send(&p, 200);
		break;
	}
	}
}

static void h_link_post(web_req *r)
{
	int kind = link_kind(r);
	link_input in;
	char person[AUTH_MAX_ID + 1] = "";
	docs_info doc = {0};
	engine_link_req u = {0};
	int refused = 0;
	oa_err rc;

	if (kind < 0 || !link_read(r, kind, &in))
		goto out;
	if (kind == AUTH_LINK_IDENTITY_FORM && !link_account(r, kind, &in.t))
		goto out;
	/* The photo's bytes first (content addressed; removed again if this
	 * request created them and the transaction is refused). */
	if (in.photo && (rc = docs_store(inst_dir(r->in), in.photo->data, in.photo->len, photo_types,
	                     &doc))) {
		if (rc == OA_ERR_INVALID || rc == OA_ERR_LIMIT) {
			r->errcode = rc == OA_ERR_LIMIT ? oa_err_name(rc) : "unsupported_media_type";
			oa_err_clear();
			pg_errs e = {.n = 0};
			pg_errs_add(r, &e, "photo", "photo_type", NULL, NULL);
			link_form(r, kind, &e, rc == OA_ERR_LIMIT ? 413 : 415, &in.t);
		} else
			pg_err(r, NULL, rc, "");
		goto out;
	}
	/* Consume and act in one transaction (engine_link_use): a refusal
	 * leaves the link usable. */
	u.kind = (auth_link_kind)kind;
	u.token = r->param[1];
	if (kind == AUTH_LINK_IDENTITY_FORM) {
		const char *fname = in.photo->filename;
		if (*fname == 0 || strpbrk(fname, "/\\") || !oa_is_clean_utf8(fname))
			fname = "photo";
		u.photo_sha256 = doc.sha256;
		u.photo_name = fname;
		u.keys = in.keys;
		u.values = in.vals;
		u.ndata = in.nd;
	} else
		u.secret = in.secret;
	rc = engine_link_use(r->engine, &u, person, &refused);
	if (person[0])
		r->user = web_printf(r, "%s", person);
	if (rc) {
		if (refused && (rc == OA_ERR_STATE || rc == OA_ERR_NOTFOUND || rc == OA_ERR_DENIED))
			link_unusable(r, rc);
		else
			link_fail(r, kind, rc, &in.t);
		goto unstore;
	}
	link_done(r, kind);
	goto out;
unstore:
	docs_unstore(&doc);
	oa_err_clear();
out:
	oa_wipe(person, sizeof person);
	web_body_wipe(r);
}

static const web_route routes[] = {
	{WEB_GET, "/link/{kind}/{token}", h_link_get, 0},
	{WEB_POST, "/link/{kind}/{token}", h_link_post, IDENTITY_BODY},
};

const web_route_table web_links_table = {"links", routes, sizeof routes / sizeof routes[0]};
