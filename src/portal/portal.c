/*
 * portal.c - the page builder and sign-in checks shared by the portal's
 * pages (see portalInt.h), and the static stylesheet; the forms' bodies
 * are parsed in forms.c.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "msgcat.h"
#include "portalInt.h"

/* ---- the page builder ---- */

void pg_esc(oa_buf *b, const char *s)
{
	if (s)
		(void)oa_buf_html(b, s, strlen(s)); /* a failure shows when the page is sent */
}

void pg_raw(pg *p, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		p->failed = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		if (oa_buf_append(&p->b, small, (size_t)n))
			p->failed = 1;
		return;
	}
	{
		char *big = web_alloc(p->r, (size_t)n + 1);
		if (big == NULL) {
			p->failed = 1;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		if (oa_buf_append(&p->b, big, (size_t)n))
			p->failed = 1;
	}
}

void pg_text(pg *p, const char *s)
{
	pg_esc(&p->b, s);
}

void pg_bi(pg *p, const char *id, const char *en)
{
	pg_text(p, id);
	if (en && *en && strcmp(id, en) != 0) {
		pg_raw(p, " <span class=\"en\" lang=\"en\">/ ");
		pg_text(p, en);
		pg_raw(p, "</span>");
	}
}

void pg_para(pg *p, const char *cls, const char *id, const char *en)
{
	if (cls)
		pg_raw(p, "<p class=\"%s\"%s>", cls, strcmp(cls, "err") == 0 ? " role=\"alert\"" : "");
	else
		pg_raw(p, "<p>");
	pg_text(p, id);
	if (en && *en) {
		pg_raw(p, "<br><span class=\"en\" lang=\"en\">");
		pg_text(p, en);
		pg_raw(p, "</span>");
	}
	pg_raw(p, "</p>\n");
}

void pg_h2(pg *p, const char *id, const char *en)
{
	pg_raw(p, "<h2>");
	pg_bi(p, id, en);
	pg_raw(p, "</h2>\n");
}

void pg_csrf(pg *p)
{
	if (p->csrf[0])
		pg_raw(p, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n", p->csrf);
}

void pg_form(pg *p, const char *action, int multipart)
{
	pg_raw(p, "<form method=\"post\" action=\"");
	pg_text(p, action);
	pg_raw(p, "\"%s>\n", multipart ? " enctype=\"multipart/form-data\"" : "");
	pg_csrf(p);
}

void pg_button(pg *p, const char *name, const char *value, const char *id, const char *en,
    const char *cls)
{
	pg_raw(p, "<button type=\"submit\"");
	if (cls) {
		pg_raw(p, " class=\"");
		pg_text(p, cls);
		pg_raw(p, "\"");
	}
	if (name) {
		pg_raw(p, " name=\"");
		pg_text(p, name);
		pg_raw(p, "\" value=\"");
		pg_text(p, value ? value : "");
		pg_raw(p, "\"");
	}
	pg_raw(p, ">");
	pg_bi(p, id, en);
	pg_raw(p, "</button>\n");
}

void pg_link(pg *p, const char *href, const char *id, const char *en)
{
	pg_raw(p, "<a href=\"");
	pg_text(p, href);
	pg_raw(p, "\">");
	pg_bi(p, id, en);
	pg_raw(p, "</a>");
}

void pg_time(pg *p, int64_t t)
{
	char iso[32], shown[40];
	time_t w = (time_t)(t + 7 * 3600);
	struct tm tm;

	if (t <= 0) {
		pg_raw(p, "-");
		return;
	}
	oa_time_iso(iso, sizeof iso, t);
	gmtime_r(&w, &tm);
	strftime(shown, sizeof shown, "%d-%m-%Y %H:%M WIB", &tm);
	pg_raw(p, "<time datetime=\"%s\">%s</time>", iso, shown);
}

void pg_duration(pg *p, int64_t s)
{
	int64_t d, h, m;

	if (s < 0)
		s = -s;
	d = s / 86400;
	h = (s % 86400) / 3600;
	m = (s % 3600) / 60;
	if (d > 0)
		pg_raw(p, "%lld hari %lld jam", (long long)d, (long long)h);
	else if (h > 0)
		pg_raw(p, "%lld jam %lld menit", (long long)h, (long long)m);
	else if (m > 0)
		pg_raw(p, "%lld menit", (long long)m);
	else
		pg_raw(p, "%lld detik", (long long)s);
}

struct staff_scan {
	engine *e;
	const web_user *u;
	int staff;
};

static int staff_scan(const engine_sop_info *in, void *arg)
{
	struct staff_scan *sc = arg;
	const sop_def *d = NULL;

	if (engine_sop_version(sc->e, in->version_id, NULL, 0, &d) != OA_OK || d == NULL ||
	    d->n_steps == 0 || d->steps[0].n_actors == 0) {
		oa_err_clear();
		return 0;
	}
	/* A role acting at a step, other than the applicant's role. */
	for (size_t i = 0; i < d->n_steps && !sc->staff; i++)
		for (size_t j = 0; j < d->steps[i].n_actors; j++) {
			int a = d->steps[i].actors[j];
			if (a != d->steps[0].actors[0] && web_holds(sc->u, d->actors[a].id)) {
				sc->staff = 1;
				break;
			}
		}
	return sc->staff;
}

int portal_is_staff(web_req *r, const web_user *u)
{
	struct staff_scan sc = {r->engine, u, 0};

	if (u == NULL || u->w.who.nroles == 0)
		return 0;
	if (web_holds(u, AUTH_ROLE_ADMIN) || web_holds(u, AUTH_ROLE_CA_OPERATOR))
		return 1;
	if (engine_sop_list(r->engine, u->w.org, 1, staff_scan, &sc) != OA_OK)
		oa_err_clear();
	return sc.staff;
}

static void nav(pg *p)
{
	const web_user *u = p->u;
	int staff = portal_is_staff(p->r, u);

	pg_raw(p, "<header class=\"top\"><div class=\"wrap\">"
	          "<a class=\"brand\" href=\"/\">openams</a>\n");
	if (u == NULL) {
		pg_raw(p, "<nav aria-label=\"Menu\"><ul>"
		          "<li><a href=\"/ca\">Sertifikat CA <span class=\"en\" lang=\"en\">/ CA</span>"
		          "</a></li><li><a href=\"/status\">Cek status <span class=\"en\" lang=\"en\">/ "
		          "Status</span></a></li><li><a href=\"/verify\">Verifikasi <span class=\"en\" "
		          "lang=\"en\">/ Verify</span></a></li><li><a href=\"/login\">Masuk <span class=\"en\" "
		          "lang=\"en\">/ Sign in</span></a></li></ul></nav>");
	} else {
		pg_raw(p, "<nav aria-label=\"Menu\"><ul>");
		pg_raw(p, "<li><a href=\"/portal\">Beranda <span class=\"en\" lang=\"en\">/ Home</span>"
		          "</a></li>");
		if (staff)
			pg_raw(p, "<li><a href=\"/portal/inbox\">Kotak tugas <span class=\"en\" "
			          "lang=\"en\">/ Inbox</span></a></li>");
		pg_raw(p, "<li><a href=\"/portal/cases\">Permohonan <span class=\"en\" lang=\"en\">/ "
		          "Requests</span></a></li>"
		          "<li><a href=\"/portal/certificates\">Sertifikat saya <span class=\"en\" "
		          "lang=\"en\">/ My certificates</span></a></li>"
		          "<li><a href=\"/portal/sign\">Tanda tangan <span class=\"en\" "
		          "lang=\"en\">/ Sign</span></a></li>");
		if (staff)
			pg_raw(p, "<li><a href=\"/portal/sla\">SLA</a></li>");
		if (web_holds(u, AUTH_ROLE_ADMIN) || web_holds(u, AUTH_ROLE_CA_OPERATOR))
			pg_raw(p, "<li><a href=\"/portal/registry/cases\">Daftar <span class=\"en\" "
			          "lang=\"en\">/ Registry</span></a></li>");
		if (web_holds(u, AUTH_ROLE_ADMIN))
			pg_raw(p, "<li><a href=\"/portal/admin\">Administrasi <span class=\"en\" "
			          "lang=\"en\">/ Admin</span></a></li>");
		pg_raw(p, "<li><a href=\"/portal/account\">Akun <span class=\"en\" lang=\"en\">/ "
		          "Account</span></a></li></ul></nav>\n");
		pg_raw(p, "<form class=\"logout\" method=\"post\" action=\"/logout\">");
		pg_csrf(p);
		pg_raw(p, "<span class=\"who\">");
		pg_text(p, u->w.person);
		pg_raw(p, "</span> <button type=\"submit\" class=\"secondary\">Keluar <span "
		          "class=\"en\" lang=\"en\">/ Sign out</span></button></form>");
	}
	pg_raw(p, "</div></header>\n");
}

void pg_start(pg *p, web_req *r, const web_user *u, const char *title_id, const char *title_en)
{
	memset(p, 0, sizeof *p);
	p->r = r;
	p->u = u;
	if (u && u->session && auth_csrf_token(u->session, p->csrf) != OA_OK) {
		oa_err_clear();
		p->csrf[0] = 0;
	}
	pg_raw(p, "<!DOCTYPE html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n"
	          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	          "<meta name=\"robots\" content=\"noindex\">\n<title>");
	pg_text(p, title_id);
	if (title_en && *title_en) {
		pg_raw(p, " / ");
		pg_text(p, title_en);
	}
	pg_raw(p, " - openams</title>\n<link rel=\"stylesheet\" href=\"/static/portal.css\">\n"
	          "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\n"
	          "</head>\n<body>\n<a class=\"skip\" href=\"#main\">Langsung ke isi <span "
	          "lang=\"en\">/ Skip to content</span></a>\n");
	nav(p);
	pg_raw(p, "<main id=\"main\" class=\"wrap\">\n<h1>");
	pg_bi(p, title_id, title_en);
	pg_raw(p, "</h1>\n");
}

static void free_wiped(void *q)
{
	if (q) {
		oa_wipe(q, strlen(q));
		free(q);
	}
}

void pg_send(pg *p, unsigned status)
{
	web_req *r = p->r;

	pg_raw(p, "</main>\n<footer class=\"wrap\"><p>openams &middot; "
	          "<a href=\"/ca\">Sertifikat CA dan CRL <span class=\"en\" lang=\"en\">/ CA "
	          "certificates and CRL</span></a> &middot; <a href=\"/status\">Cek status sertifikat "
	          "<span class=\"en\" lang=\"en\">/ Certificate status</span></a></p></footer>\n"
	          "</body>\n</html>\n");
	if (p->failed || p->b.data == NULL) {
		oa_buf_free(&p->b);
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		return;
	}
	if (p->secret) {
		/* The sent copy is wiped when MHD releases it. */
		char *copy = malloc(p->b.len + 1);
		if (copy == NULL) {
			oa_wipe(p->b.data, p->b.len);
			oa_buf_free(&p->b);
			web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
			return;
		}
		memcpy(copy, p->b.data, p->b.len);
		copy[p->b.len] = 0;
		web_reply_owned(r, status, "text/html; charset=utf-8", copy, p->b.len, free_wiped,
		    copy);
		if (r->resp == NULL)
			free_wiped(copy);
		oa_wipe(p->b.data, p->b.len);
	} else
		web_reply(r, status, "text/html; charset=utf-8", p->b.data, p->b.len,
		    MHD_RESPMEM_MUST_COPY);
	oa_buf_free(&p->b);
	if (p->cookie[0]) {
		web_header(r, MHD_HTTP_HEADER_SET_COOKIE, p->cookie);
		oa_wipe(p->cookie, sizeof p->cookie);
	}
	oa_wipe(p->csrf, sizeof p->csrf);
	web_header(r, "Content-Security-Policy",
	    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
	    "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	web_header(r, "Referrer-Policy", "no-referrer");
	web_header(r, "X-Content-Type-Options", "nosniff");
	web_header(r, "X-Frame-Options", "DENY");
}

void pg_msg(web_req *r, const web_user *u, unsigned status, const char *tid, const char *ten,
    const char *mid, const char *men, const char *back)
{
	pg p;

	pg_start(&p, r, u, tid, ten);
	pg_para(&p, status >= 400 ? "err" : "ok", mid, men);
	if (back && *back) {
		pg_raw(&p, "<p>");
		pg_link(&p, back, "Kembali", "Back");
		pg_raw(&p, "</p>\n");
	}
	pg_send(&p, status);
}

void pg_refused(web_req *r, const web_user *u, unsigned status, const char *tid, const char *ten,
    const char *key, const char *back)
{
	const msgcat_entry *m = msgcat_find(key);

	if (m == NULL)
		m = msgcat_generic(OA_ERR_INVALID);
	pg_msg(r, u, status, tid, ten, m->id, m->en, back);
}

void pg_err(web_req *r, const web_user *u, oa_err rc, const char *back)
{
	unsigned st = web_status_of(rc);

	if (st >= 500) {
		snprintf(r->errmsg, sizeof r->errmsg, "%s: %s", oa_err_name(rc), oa_errmsg());
		pg_msg(r, u, st, "Terjadi kesalahan", "Something went wrong",
		    "Permintaan tidak dapat diproses. Silakan coba lagi nanti.",
		    "The request could not be processed. Please try again later.", back);
		return;
	}
	if (rc == OA_ERR_INVALID)
		st = 422;
	r->errcode = oa_err_name(rc);
	if (msgcat_find(oa_errid())) {
		/* a refusal the module named: the catalogue's words */
		pg_errs e = {.n = 0};
		pg_errs_take(r, &e, rc, NULL, NULL);
		pg_msg(r, u, st, "Permintaan ditolak", "Request refused", e.e[0].id, e.e[0].en, back);
		return;
	}
	/* no id: the catalogue's words for its code first, the module's
	 * English detail second */
	pg_msg(r, u, st, "Permintaan ditolak", "Request refused", msgcat_generic(rc)->id,
	    *oa_errmsg() ? oa_errmsg() : msgcat_generic(rc)->en, back);
}

void pg_abort(pg *p, oa_err rc, const char *back)
{
	if (p->b.data)
		oa_wipe(p->b.data, p->b.len);
	oa_buf_free(&p->b);
	oa_wipe(p->cookie, sizeof p->cookie);
	oa_wipe(p->csrf, sizeof p->csrf);
	pg_err(p->r, p->u, rc, back);
}

void web_redirect(web_req *r, const char *location)
{
	static const char body[] = "See Other\n";

	web_reply(r, 303, "text/plain; charset=utf-8", body, sizeof body - 1, MHD_RESPMEM_PERSISTENT);
	web_header(r, MHD_HTTP_HEADER_LOCATION, location);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

/* ---- who is asking ---- */

/* The session's person, or NULL (no reply made). */
static web_user *session_user(web_req *r)
{
	web_user *u = web_alloc(r, sizeof *u);
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
	    auth_cookie_name(web_srv ? web_srv->tls : 0));

	if (u == NULL || cookie == NULL || strlen(cookie) > 2 * AUTH_TOKEN_LEN)
		return NULL;
	memset(u, 0, sizeof *u);
	if (auth_session_who_at(r->auth, cookie, &u->w, &u->authenticated_at) != OA_OK) {
		oa_err_clear();
		return NULL;
	}
	u->session = web_printf(r, "%s", cookie);
	r->user = web_printf(r, "%s", u->w.person);
	return u->session ? u : NULL;
}

web_user *portal_user(web_req *r)
{
	web_user *u = session_user(r);
	oa_buf loc = {0};

	if (u)
		return u;
	/* Back to this page after signing in (the path only, percent-encoded). */
	oa_buf_printf(&loc, "/login?next=");
	for (const char *s = r->path; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '/' || c == '-' || c == '_' || c == '.')
			oa_buf_append(&loc, (const char *)&c, 1);
		else
			oa_buf_printf(&loc, "%%%02X", c);
	}
	if (loc.data == NULL || loc.len > 2048)
		web_redirect(r, "/login");
	else
		web_redirect(r, web_printf(r, "%.*s", (int)loc.len, loc.data));
	oa_buf_free(&loc);
	return NULL;
}

int portal_csrf_ok(const web_user *u, const char *submitted)
{
	if (u == NULL || u->session == NULL || submitted == NULL ||
	    strlen(submitted) > 2 * AUTH_TOKEN_LEN)
		return 0;
	if (auth_csrf_check(u->session, submitted) != OA_OK) {
		oa_err_clear();
		return 0;
	}
	return 1;
}

void portal_csrf_refused(web_req *r, const web_user *u, const char *back)
{
	r->errcode = "csrf";
	pg_refused(r, u, 403, "Formulir kedaluwarsa", "Form expired", "csrf_expired",
	    back);
}

static void csrf_refused(web_req *r, const web_user *u)
{
	portal_csrf_refused(r, u, "/portal");
}

web_user *portal_session(web_req *r)
{
	web_user *u = session_user(r);

	if (u == NULL) {
		r->errcode = "unauthenticated";
		pg_refused(r, NULL, 401, "Sesi berakhir", "Session ended",
		    "session_ended", "/login");
	}
	return u;
}

web_user *portal_post(web_req *r, web_form *f)
{
	web_user *u = portal_session(r);

	if (u == NULL)
		return NULL;
	if (!web_form_parse(r, f))
		return NULL;
	if (!portal_csrf_ok(u, web_form_get(f, "csrf"))) {
		csrf_refused(r, u);
		return NULL;
	}
	return u;
}

/* ---- pre-session forms (the sign-in, account and link pages) ---- */

static const char *form_cookie_name(void)
{
	return web_srv && web_srv->tls ? "__Host-openams_form" : "openams_form";
}

/* The browser's form cookie, or NULL when absent or malformed. */
static const char *form_cookie(web_req *r)
{
	const char *c = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, form_cookie_name());

	return c && strlen(c) == AUTH_TOKEN_LEN ? c : NULL;
}

void pg_pre_csrf(pg *p)
{
	const char *c = form_cookie(p->r);
	char fresh[AUTH_TOKEN_LEN + 1];
	uint8_t raw[32];
	int tls = web_srv ? web_srv->tls : 0;

	if (p->csrf[0])
		return; /* signed in: the session's own token */
	if (c && auth_csrf_token(c, p->csrf) == OA_OK)
		return;
	oa_err_clear();
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(fresh, sizeof fresh, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	oa_wipe(raw, sizeof raw);
	if (auth_csrf_token(fresh, p->csrf) != OA_OK) {
		oa_err_clear();
		p->csrf[0] = 0;
		p->failed = 1;
	} else
		snprintf(p->cookie, sizeof p->cookie, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s",
		    form_cookie_name(), fresh, tls ? "; Secure" : "");
	oa_wipe(fresh, sizeof fresh);
}

int portal_pre_csrf_ok(web_req *r, const char *submitted)
{
	const char *c = form_cookie(r);

	if (c == NULL || submitted == NULL || strlen(submitted) != AUTH_TOKEN_LEN)
		return 0;
	if (auth_csrf_check(c, submitted) != OA_OK) {
		oa_err_clear();
		return 0;
	}
	return 1;
}

web_user *portal_user_opt(web_req *r)
{
	return session_user(r);
}

int portal_local_path(const char *s)
{
	size_t n = 0;

	if (s == NULL || s[0] != '/' || s[1] == '/' || s[1] == '\\')
		return 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f || s[n] == '\\')
			return 0;
	return n <= 512;
}

void pg_hidden(pg *p, const char *name, const char *value)
{
	pg_raw(p, "<input type=\"hidden\" name=\"");
	pg_text(p, name);
	pg_raw(p, "\" value=\"");
	pg_text(p, value ? value : "");
	pg_raw(p, "\">\n");
}

/* ---- static files ---- */

static const char css[] =
    ":root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--line:#d0d7de;--accent:#0b5cad;"
    "--ok:#1a7f37;--warn:#9a6700;--bad:#b42318;--soft:#f6f8fa}\n"
    "*{box-sizing:border-box}\n"
    "html{font-size:100%;-webkit-text-size-adjust:100%}\n"
    "body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',"
    "Arial,sans-serif;line-height:1.5;color:var(--fg);background:var(--bg)}\n"
    ".wrap{max-width:72rem;margin:0 auto;padding:0 1rem}\n"
    ".skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;"
    "padding:.5rem;z-index:9}\n"
    "header.top{background:#0d2a4a;color:#fff}\n"
    "header.top .wrap{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;"
    "padding-top:.5rem;padding-bottom:.5rem}\n"
    "header.top a{color:#fff}.brand{font-weight:700;text-decoration:none;font-size:1.15rem}\n"
    "header.top nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}\n"
    "header.top .en{color:#c9d6e3}\n"
    /* the menu in Indonesian only, on one line at 1280 px (issue 21, item 8) */
    "header.top nav .en,header.top .logout .en{display:none}\n"
    "header.top .wrap{flex-wrap:nowrap}header.top nav{flex:1 1 auto;min-width:0;font-size:.95rem}\n"
    "header.top nav ul{gap:.25rem .75rem}\n"
    "@media (max-width:60rem){header.top .wrap{flex-wrap:wrap}}\n"
    ".logout{margin-left:auto;display:flex;align-items:center;gap:.5rem}\n"
    ".who{font-size:.9rem}\n"
    "main{padding-top:1rem;padding-bottom:2rem}\n"
    "h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}\n"
    ".en{color:var(--muted);font-weight:normal}\n"
    "a{color:var(--accent)}\n"
    ":focus-visible{outline:3px solid #f5a623;outline-offset:2px}\n"
    ".field{margin:.75rem 0}\n"
    "label{display:block;font-weight:600;margin-bottom:.25rem}\n"
    "input,select,textarea{font:inherit;width:100%;max-width:32rem;padding:.45rem .5rem;"
    "border:1px solid #8c959f;border-radius:4px;background:#fff;color:inherit}\n"
    "input[type=radio],input[type=checkbox]{width:auto}\n"
    "button,.button{font:inherit;display:inline-block;padding:.5rem 1rem;margin:.5rem .5rem .5rem 0;"
    "border:1px solid var(--accent);border-radius:4px;background:var(--accent);color:#fff;"
    "cursor:pointer;text-decoration:none}\n"
    "button .en,.button .en{color:#dbe7f3}\n"
    "button.secondary{background:#fff;color:var(--accent)}button.secondary .en{color:var(--muted)}\n"
    "button.danger{background:var(--bad);border-color:var(--bad)}\n"
    "header.top button.secondary{padding:.2rem .6rem;margin:0}\n"
    "table{border-collapse:collapse;width:100%;margin:.5rem 0}\n"
    ".table{overflow-x:auto}\n"
    "th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}\n"
    "th{background:var(--soft)}\n"
    ".err{color:var(--bad);border-left:4px solid var(--bad);padding:.5rem .75rem;background:#fef3f2}\n"
    "#errors ul{margin:.25rem 0 0;padding-left:1.25rem}#errors a{color:var(--bad)}\n"
    ".field-err{color:var(--bad);font-weight:600}.field-err p{margin:.25rem 0 0}\n"
    "[aria-invalid=true]{border:2px solid var(--bad)}\n"
    ".ok{color:var(--ok);border-left:4px solid var(--ok);padding:.5rem .75rem;background:#f0fdf4}\n"
    ".note{border-left:4px solid var(--line);padding:.5rem .75rem;background:var(--soft)}\n"
    ".badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.85rem;"
    "border:1px solid currentColor}\n"
    ".badge.ok,.badge.late,.badge.due{border-left-width:1px;background:none;padding:0 .5rem}\n"
    ".badge.ok{color:var(--ok)}.badge.due{color:var(--warn)}.badge.late{color:var(--bad)}\n"
    ".timeline{list-style:none;padding:0;margin:0;border-left:3px solid var(--line)}\n"
    ".timeline li{margin:0 0 .75rem;padding-left:1rem}\n"
    ".timeline li.current{font-weight:600}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:1rem}\n"
    ".card{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem}\n"
    ".preview{width:100%;height:32rem;border:1px solid var(--line)}\n"
    "img.preview{height:auto;max-height:32rem;object-fit:contain}\n"
    "pre,code{font-family:ui-monospace,monospace;font-size:.9rem}\n"
    "pre{overflow-x:auto;background:var(--soft);padding:.5rem}\n"
    "svg{max-width:100%;height:auto}\n"
    "footer{border-top:1px solid var(--line);color:var(--muted);font-size:.9rem}\n"
    "@media (max-width:40rem){h1{font-size:1.25rem}.logout{margin-left:0}"
    "th,td{padding:.3rem .2rem}table{font-size:.75rem}td{overflow-wrap:anywhere}"
    "thead th .en{display:none}td .en{display:block}}\n";

/* The sign-in, account and public pages (routes_portal_public/account.c,
 * routes_links.c).  A second literal: ISO C bounds one string literal to
 * 4095 bytes (-Woverlength-strings); h_css sends css then css_account. */
static const char css_account[] =
    "fieldset{border:1px solid var(--line);border-radius:6px;margin:1rem 0;"
    "padding:.25rem 1rem .5rem}\n"
    "legend{font-weight:600;padding:0 .25rem}\n"
    "input[type=file]{border:none;padding:.25rem 0}\n"
    "img.qr{display:block;width:15rem;height:15rem;max-width:100%;background:#fff;"
    "border:1px solid var(--line);image-rendering:pixelated}\n"
    "code.fp,code.secret{word-break:break-all;overflow-wrap:anywhere}\n"
    "code.secret{font-size:1.05rem;letter-spacing:.05em}\n"
    ".status{font-size:1.15rem;padding:.5rem .75rem;border-left:4px solid var(--line)}\n"
    ".status.good{color:var(--ok);border-color:var(--ok);background:#f0fdf4}\n"
    ".status.revoked{color:var(--bad);border-color:var(--bad);background:#fef3f2}\n"
    ".status.expired,.status.unknown{color:var(--warn);border-color:var(--warn)}\n"
    "th[scope=row]{width:14rem;font-weight:600}\n"
    "td form{margin:0}td button{margin:0}\n"
    /* admin, sla */
    ".subnav ul{list-style:none;margin:0 0 1rem;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}\n"
    "label.inline{display:inline;font-weight:normal}\n"
    "textarea.code{font-family:ui-monospace,monospace;font-size:.9rem}\n"
    "ol.errors{margin:.25rem 0;padding-left:1.5rem}\n"
    "img.swimlane{max-width:100%;height:auto;border:1px solid var(--line)}\n"
    "svg.chart{display:block;margin:.5rem 0;background:#fff}\n"
    ".legend .key{display:inline-block;width:1em;height:.7em;margin:0 .25em 0 .75em;"
    "vertical-align:middle}.legend .key.line{width:3px;height:1.1em}\n"
    "section.sla summary{cursor:pointer}section.sla summary h2{display:inline}\n"
    "table.audit td{word-break:break-word}\n";

static char css_etag[80];
static char css_all[sizeof css + sizeof css_account - 1];

static void css_etag_init(void)
{
	memcpy(css_all, css, sizeof css - 1);
	memcpy(css_all + sizeof css - 1, css_account, sizeof css_account);
	web_etag(css_etag, css_all, sizeof css_all - 1);
}

static void h_css(web_req *r)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const char *etag = css_etag;

	pthread_once(&once, css_etag_init);
	if (web_not_modified(r, etag))
		return;
	web_reply(r, 200, "text/css; charset=utf-8", css_all, sizeof css_all - 1,
	    MHD_RESPMEM_PERSISTENT);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=3600");
	web_header(r, MHD_HTTP_HEADER_ETAG, etag);
	web_header(r, "X-Content-Type-Options", "nosniff");
}

/* The icon: a seal (a ring and a check mark) in the portal's colour; also at
 * /favicon.ico, where browsers look when a page names none. */
static const char favicon[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">"
    "<circle cx=\"16\" cy=\"16\" r=\"14\" fill=\"#0b4f8a\"/>"
    "<circle cx=\"16\" cy=\"16\" r=\"10.5\" fill=\"none\" stroke=\"#fff\" stroke-width=\"1.5\"/>"
    "<path d=\"M10.5 16.5l3.5 3.5 7.5-8\" fill=\"none\" stroke=\"#fff\" stroke-width=\"2.5\""
    " stroke-linecap=\"round\" stroke-linejoin=\"round\"/></svg>\n";

static void h_favicon(web_req *r)
{
	web_reply(r, 200, "image/svg+xml", favicon, sizeof favicon - 1, MHD_RESPMEM_PERSISTENT);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=86400");
	web_header(r, "X-Content-Type-Options", "nosniff");
}

static const web_route routes[] = {
	{WEB_GET, "/static/portal.css", h_css, 0},
	{WEB_GET, "/static/favicon.svg", h_favicon, 0},
	{WEB_GET, "/favicon.ico", h_favicon, 0},
};

const web_route_table web_portal_static_table = {"static", routes,
    sizeof routes / sizeof routes[0]};
