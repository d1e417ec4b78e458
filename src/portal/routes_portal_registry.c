/*
 * routes_portal_registry.c - an agency's registry for its administrators
 * and CA operators (issue 21, "no dead ends"): every case and every
 * certificate of the agency, searched by NIK, name, serial, case number and
 * status, and the CA operator's revocation of a certificate with a reason.
 *
 *   GET  /portal/registry/cases?q=&state=&org=
 *   GET  /portal/registry/certificates?q=&status=&org=
 *   POST /portal/registry/certificates/{serial}/revoke   reason, note?, confirm=1, org?
 *
 * Who: a holder of "admin" or "ca_operator" in their own agency; revoking
 * is the CA operator's alone.  The instance's administrators (admin in
 * instance.org, as GET /api/v1/orgs decides) may name any agency with org
 * (and revoke in it when they are CA operators too); anyone else naming
 * another agency gets 403, and an unknown agency is a 404 page.  An
 * agency's certificates are its people's (their NIK) and those issued
 * through its cases (ca_filter.org).  A
 * revocation here is outside any SOP case (a key known to be compromised,
 * a holder who left): it is recorded in the audit log with the operator and
 * the note, and the holder is e-mailed (serial, reason, time), in the
 * transaction that revokes; the CRL is published at once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/nik.h"
#include "portalInt.h"

#define REG_ROWS 200   /* rows on a page: the newest, narrowed by the search */
#define REG_QUERY 64   /* the search text, bytes */

/* u if they may see the agency's registry (admin or CA operator); else a
 * 403 page and NULL. */
static web_user *registry_user(web_req *r, web_user *u)
{
	if (u == NULL)
		return NULL;
	if (web_holds(u, AUTH_ROLE_ADMIN) || web_holds(u, AUTH_ROLE_CA_OPERATOR))
		return u;
	r->errcode = "denied";
	pg_refused(r, u, 403, "Akses ditolak", "Access denied", "registry_only", "/portal");
	return NULL;
}

/* 1 if u may view every agency's registry: an administrator of the
 * instance's own agency (web_admin_super, as the API's agency list). */
static int registry_super(web_req *r, const web_user *u)
{
	return web_holds(u, AUTH_ROLE_ADMIN) && web_admin_super(r, u);
}

/*
 * The agency whose registry is asked for: org (?org= or the form's), else
 * u's own, into *o.  Another agency's only for the instance's
 * administrators (else a 403 page); an unknown one is a 404 page.  0 after
 * a reply.
 */
static int registry_org(web_req *r, web_user *u, const char *org, auth_org *o)
{
	oa_err rc;

	if (org == NULL || *org == 0)
		org = u->w.org;
	if (strcmp(org, u->w.org) != 0 && !registry_super(r, u)) {
		r->errcode = "denied";
		pg_refused(r, u, 403, "Akses ditolak", "Access denied", "registry_other_org",
		    "/portal/registry/cases");
		return 0;
	}
	if ((rc = auth_org_get(r->auth, org, o)) == OA_ERR_NOTFOUND) {
		oa_err_clear();
		r->errcode = "not_found";
		pg_refused(r, u, 404, "Instansi tidak ditemukan", "Agency not found", "org_unknown",
		    "/portal/registry/cases");
		return 0;
	}
	if (rc != OA_OK) {
		pg_err(r, u, rc, "/portal/registry/cases");
		return 0;
	}
	return 1;
}

/* "" for u's own agency, else "&org=ID" to carry it in the page's links
 * (agency ids are URL-safe: auth_valid_id). */
static const char *org_arg(web_req *r, const web_user *u, const auth_org *o)
{
	return strcmp(o->id, u->w.org) == 0 ? "" : web_printf(r, "&org=%s", o->id);
}

struct org_opts {
	pg *p;
	const char *cur;
};

static int org_opt(const auth_org *o, void *arg)
{
	struct org_opts *x = arg;

	pg_raw(x->p, "<option value=\"");
	pg_text(x->p, o->id);
	pg_raw(x->p, "\"%s>", strcmp(o->id, x->cur) == 0 ? " selected" : "");
	pg_text(x->p, o->name);
	pg_raw(x->p, "</option>");
	return 0;
}

/* The agency shown, by its name. */
static void org_name(pg *p, const auth_org *o)
{
	pg_raw(p, "<p class=\"agency\" id=\"agency\">");
	pg_bi(p, "Instansi", "Agency");
	pg_raw(p, ": <strong>");
	pg_text(p, o->name);
	pg_raw(p, "</strong></p>\n");
}

/* For the instance's administrators, a select of every agency (in the
 * search form); nothing for others. */
static oa_err org_select(pg *p, web_req *r, web_user *u, const auth_org *o)
{
	struct org_opts x = {p, o->id};
	oa_err rc;

	if (!registry_super(r, u))
		return OA_OK;
	pg_raw(p, "<div class=\"field\"><label for=\"f_org\">");
	pg_bi(p, "Instansi", "Agency");
	pg_raw(p, "</label><select id=\"f_org\" name=\"org\">");
	rc = auth_org_list(r->auth, org_opt, &x);
	pg_raw(p, "</select></div>\n");
	return rc;
}

/* The search text of ?q= (trimmed), or NULL when empty or too long. */
static const char *search_text(web_req *r)
{
	const char *q = web_query(r, "q");
	char *t;
	size_t n;

	if (q == NULL)
		return NULL;
	while (*q == ' ')
		q++;
	n = strlen(q);
	while (n > 0 && q[n - 1] == ' ')
		n--;
	if (n == 0 || n > REG_QUERY || (t = web_alloc(r, n + 1)) == NULL)
		return NULL;
	memcpy(t, q, n);
	t[n] = 0;
	return t;
}

static void tabs(pg *p, int certs, const char *oa)
{
	/* oa is "" or "&org=ID": the tabs' own query is "?org=ID" */
	const char *qs = *oa ? web_printf(p->r, "?%s", oa + 1) : "";

	pg_raw(p, "<p class=\"tabs\">");
	if (certs)
		pg_link(p, web_printf(p->r, "/portal/registry/cases%s", qs), "Semua permohonan",
		    "All cases");
	else
		pg_raw(p, "<strong>Semua permohonan <span class=\"en\" lang=\"en\">/ All cases</span>"
		          "</strong>");
	pg_raw(p, " &middot; ");
	if (certs)
		pg_raw(p, "<strong>Semua sertifikat <span class=\"en\" lang=\"en\">/ All "
		          "certificates</span></strong>");
	else
		pg_link(p, web_printf(p->r, "/portal/registry/certificates%s", qs), "Semua sertifikat",
		    "All certificates");
	pg_raw(p, "</p>\n");
}

/* A select of values (NULL-terminated pairs id, label) with the current one. */
static void select_of(pg *p, const char *name, const char *id, const char *en,
    const char *const *opts, const char *cur)
{
	pg_raw(p, "<div class=\"field\"><label for=\"f_%s\">", name);
	pg_bi(p, id, en);
	pg_raw(p, "</label><select id=\"f_%s\" name=\"%s\"><option value=\"\">", name, name);
	pg_bi(p, "Semua", "All");
	pg_raw(p, "</option>");
	for (size_t i = 0; opts[i]; i += 2) {
		pg_raw(p, "<option value=\"%s\"%s>", opts[i],
		    cur && strcmp(cur, opts[i]) == 0 ? " selected" : "");
		pg_text(p, opts[i + 1]);
		pg_raw(p, "</option>");
	}
	pg_raw(p, "</select></div>\n");
}

/* ---- all cases ---- */

struct case_rows {
	pg *p;
	web_req *r;
	int64_t n, now;
};

static int case_cb(const engine_case *c, void *arg)
{
	struct case_rows *x = arg;

	x->n++;
	pc_case_row(x->p, x->r, c, x->now, 1);
	return 0;
}

static void h_cases(web_req *r)
{
	static const char *const states[] = {"open", "Berjalan / open", "completed",
	    "Selesai / completed", "rejected", "Ditolak / rejected", "withdrawn",
	    "Ditarik / withdrawn", NULL};
	web_user *u = registry_user(r, portal_user(r));
	const char *q, *state = web_query(r, "state");
	engine_case_find f = {0};
	struct case_rows x = {0};
	auth_org o;
	pg p;
	oa_err rc;

	if (u == NULL || !registry_org(r, u, web_query(r, "org"), &o))
		return;
	q = search_text(r);
	if (state && !*state)
		state = NULL;
	pg_start(&p, r, u, "Semua permohonan", "All cases");
	tabs(&p, 0, org_arg(r, u, &o));
	org_name(&p, &o);
	pg_raw(&p, "<form method=\"get\" action=\"/portal/registry/cases\" role=\"search\">");
	if ((rc = org_select(&p, r, u, &o)) != OA_OK) {
		pg_abort(&p, rc, "/portal/registry/cases");
		return;
	}
	pg_field(&p, "q", "search", "Cari (NIK, nama, nomor seri, nomor permohonan)",
	    "Search (NIK, name, serial, case number)", q, "off", 0);
	select_of(&p, "state", "Status", "State", states, state);
	pg_button(&p, NULL, NULL, "Cari", "Search", "secondary");
	pg_raw(&p, "</form>\n");
	f.org = o.id;
	f.state = state;
	f.text = q;
	f.limit = REG_ROWS;
	x.p = &p;
	x.r = r;
	x.now = oa_now();
	pc_cases_table_head(&p, 1);
	if ((rc = engine_cases_find(r->engine, &f, case_cb, &x)) != OA_OK) {
		pg_abort(&p, rc, "/portal/registry/cases");
		return;
	}
	pg_raw(&p, "</tbody></table></div>\n");
	if (x.n == 0)
		pg_para(&p, "note", "Tidak ada permohonan yang cocok.", "No case matches.");
	else
		pg_raw(&p, "<p class=\"pager\" id=\"count\">%" PRId64 "%s <span class=\"en\" "
		           "lang=\"en\">/ cases</span> permohonan</p>\n", x.n,
		    x.n >= REG_ROWS ? "+" : "");
	pg_send(&p, 200);
}

/* ---- all certificates ---- */

struct cert_rows {
	pg *p;
	web_req *r;
	int64_t n;
	int operator;
	const char *org;   /* another agency's id for the revoke form, or NULL */
};

static const char *status_label(const char *s)
{
	return strcmp(s, "active") == 0 ? "Aktif / active" : strcmp(s, "revoked") == 0 ?
	       "Dicabut / revoked" : "Kedaluwarsa / expired";
}

static int cert_cb(const ca_cert_info *c, void *arg)
{
	struct cert_rows *x = arg;
	pg *p = x->p;

	if (x->n++ >= REG_ROWS)
		return 1;
	pg_raw(p, "<tr><td><a href=\"/status?serial=%s\"><code>%s</code></a></td><td>", c->serial,
	    c->serial);
	pg_text(p, c->cn);
	pg_raw(p, "</td><td>");
	pg_text(p, c->nik[0] ? c->nik : "-");
	pg_raw(p, "</td><td>");
	pg_text(p, c->profile);
	pg_raw(p, "</td><td>");
	pg_time(p, c->not_after);
	pg_raw(p, "</td><td><span class=\"badge%s\">", strcmp(c->status, "active") == 0 ? " ok" :
	    " late");
	pg_text(p, status_label(c->status));
	pg_raw(p, "</span>");
	if (x->operator && strcmp(c->status, "active") == 0) {
		/* the CA operator revokes here, with a reason and a confirmation */
		pg_raw(p, "<details class=\"revoke\"><summary>");
		pg_bi(p, "Cabut", "Revoke");
		pg_raw(p, "</summary>");
		pg_form(p, web_printf(x->r, "/portal/registry/certificates/%s/revoke", c->serial), 0);
		if (x->org)
			pg_hidden(p, "org", x->org);
		pg_raw(p, "<div class=\"field\"><label for=\"f_reason_%s\">", c->serial);
		pg_bi(p, "Alasan", "Reason");
		pg_raw(p, "</label><select id=\"f_reason_%s\" name=\"reason\" required>"
		          "<option value=\"\"></option>", c->serial);
		const char *ids[8], *labels[8];
		size_t n = sop_reason_choices(NULL, ids, labels, 8);
		for (size_t i = 0; i < n; i++) {
			pg_raw(p, "<option value=\"%s\">", ids[i]);
			pg_text(p, labels[i]);
			pg_raw(p, "</option>");
		}
		pg_raw(p, "</select></div>\n");
		pg_textarea(p, "note", "Catatan (dicatat di log audit)", "Note (kept in the audit log)",
		    NULL, 0, 512);
		pg_raw(p, "<div class=\"field\"><input type=\"checkbox\" id=\"f_confirm_%s\" "
		          "name=\"confirm\" value=\"1\" required> <label class=\"inline\" "
		          "for=\"f_confirm_%s\">", c->serial, c->serial);
		pg_bi(p, "Saya mencabut sertifikat ini; pencabutan tidak dapat dibatalkan",
		    "I revoke this certificate; a revocation cannot be undone");
		pg_raw(p, "</label></div>\n");
		pg_button(p, NULL, NULL, "Cabut sertifikat", "Revoke the certificate", "danger");
		pg_raw(p, "</form></details>");
	}
	pg_raw(p, "</td></tr>\n");
	return 0;
}

static void certs_page(web_req *r, web_user *u, const auth_org *o, unsigned status,
    const char *msg_cls, const char *msg_id, const char *msg_en)
{
	static const char *const states[] = {"active", "Aktif / active", "revoked",
	    "Dicabut / revoked", "expired", "Kedaluwarsa / expired", NULL};
	const char *q = search_text(r), *st = web_query(r, "status");
	ca_filter f = {0};
	struct cert_rows x = {0};
	char serial[41];
	pg p;
	oa_err rc;

	if (st && strcmp(st, "active") && strcmp(st, "revoked") && strcmp(st, "expired"))
		st = NULL;
	pg_start(&p, r, u, "Semua sertifikat", "All certificates");
	tabs(&p, 1, org_arg(r, u, o));
	if (msg_id)
		pg_para(&p, msg_cls, msg_id, msg_en);
	org_name(&p, o);
	pg_raw(&p, "<form method=\"get\" action=\"/portal/registry/certificates\" role=\"search\">");
	if ((rc = org_select(&p, r, u, o)) != OA_OK) {
		pg_abort(&p, rc, "/portal/registry/certificates");
		return;
	}
	pg_field(&p, "q", "search", "Cari (NIK, nama, nomor seri)", "Search (NIK, name, serial)", q,
	    "off", 0);
	select_of(&p, "status", "Status", "Status", states, st);
	pg_button(&p, NULL, NULL, "Cari", "Search", "secondary");
	pg_raw(&p, "</form>\n");
	f.org = o->id;
	f.status = st;
	f.newest_first = 1;
	if (q) {
		size_t n = strlen(q);
		char why[128];
		if (n == 16 && strspn(q, "0123456789") == 16 && oa_nik_valid(q, why, sizeof why))
			f.nik = q;
		else if (ca_serial_normalize(q, serial) == OA_OK && strspn(q, "0123456789abcdefABCDEF:x") == n &&
		         n >= 8)
			f.serial = serial;
		else
			f.text = q;
		oa_err_clear();
	}
	x.p = &p;
	x.r = r;
	x.operator = web_holds(u, AUTH_ROLE_CA_OPERATOR);
	x.org = strcmp(o->id, u->w.org) == 0 ? NULL : o->id;
	pg_raw(&p, "<div class=\"table\"><table>\n<thead><tr><th scope=\"col\">");
	pg_bi(&p, "Nomor seri", "Serial");
	pg_raw(&p, "</th><th scope=\"col\">");
	pg_bi(&p, "Nama", "Name");
	pg_raw(&p, "</th><th scope=\"col\">NIK</th><th scope=\"col\">");
	pg_bi(&p, "Profil", "Profile");
	pg_raw(&p, "</th><th scope=\"col\">");
	pg_bi(&p, "Berlaku sampai", "Valid until");
	pg_raw(&p, "</th><th scope=\"col\">Status</th></tr></thead>\n<tbody>\n");
	if ((rc = ca_list(r->ca, &f, cert_cb, &x)) != OA_OK) {
		pg_abort(&p, rc, "/portal/registry/certificates");
		return;
	}
	pg_raw(&p, "</tbody></table></div>\n");
	if (x.n == 0)
		pg_para(&p, "note", "Tidak ada sertifikat yang cocok.", "No certificate matches.");
	else
		pg_raw(&p, "<p class=\"pager\" id=\"count\">%" PRId64 "%s sertifikat <span class=\"en\" "
		           "lang=\"en\">/ certificates</span></p>\n", x.n > REG_ROWS ? REG_ROWS : x.n,
		    x.n > REG_ROWS ? "+" : "");
	pg_send(&p, status);
}

static void h_certs(web_req *r)
{
	web_user *u = registry_user(r, portal_user(r));
	const char *done = web_query(r, "done");
	auth_org o;

	if (u == NULL || !registry_org(r, u, web_query(r, "org"), &o))
		return;
	if (done && strcmp(done, "revoked") == 0)
		certs_page(r, u, &o, 200, "ok", "Sertifikat dicabut; CRL diterbitkan ulang.",
		    "The certificate is revoked; the CRL is published again.");
	else
		certs_page(r, u, &o, 200, NULL, NULL, NULL);
}

static void h_revoke(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);
	const char *reason, *note, *confirm, *oa;
	char serial[41];
	auth_org o;
	int code;
	oa_err rc;

	if ((u = registry_user(r, u)) == NULL || !registry_org(r, u, web_form_get(&f, "org"), &o))
		return;
	if (!web_holds(u, AUTH_ROLE_CA_OPERATOR)) {
		r->errcode = "denied";
		pg_refused(r, u, 403, "Akses ditolak", "Access denied",
		    "revoke_ca_only", "/portal/registry/certificates");
		return;
	}
	reason = web_form_get(&f, "reason");
	note = web_form_text(&f, "note");
	confirm = web_form_get(&f, "confirm");
	code = sop_reason_crl(NULL, reason); /* RFC 5280's, by the names SOPs use */
	if (ca_serial_normalize(r->param[0], serial) != OA_OK)
		rc = oa_fail_id(OA_ERR_INVALID, "serial_bad", NULL, "not a serial number");
	else if (code < 0)
		rc = oa_fail_id(OA_ERR_INVALID, "reason_required", NULL, "no revocation reason chosen");
	else if (confirm == NULL || strcmp(confirm, "1") != 0)
		rc = oa_fail_id(OA_ERR_INVALID, "confirm_box", NULL, "the confirmation is not ticked");
	else if (note && (strlen(note) > 512 || !oa_is_clean_utf8(note)))
		rc = oa_fail_id(OA_ERR_LIMIT, "note_long", NULL, "the note is over 512 bytes");
	else
		rc = OA_OK;
	/* The agency's own active certificate, its revocation, the operator's
	 * record with the note and the holder's e-mail, in one transaction (the
	 * engine's, on the CA module's). */
	if (rc == OA_OK)
		rc = engine_revoke_in_org(r->engine, o.id, serial, reason, u->w.person,
		    "portal-registry", note);
	if (rc == OA_ERR_NOTFOUND)
		rc = oa_fail_id(OA_ERR_NOTFOUND, "cert_not_active", NULL,
		    "no active certificate %s in this agency", serial);
	if (rc == OA_OK) {
		if (ca_crl_publish(r->ca, 0, NULL, NULL) != OA_OK)
			fprintf(stderr, "openams: warning: revocation of %s recorded; CRL not republished: "
			                "%s\n", serial, oa_errmsg());
		web_redirect(r, web_printf(r, "/portal/registry/certificates?done=revoked&q=%s%s", serial,
		    org_arg(r, u, &o)));
		return;
	}
	oa = org_arg(r, u, &o);
	pg_err(r, u, rc, web_printf(r, "/portal/registry/certificates%s%s", *oa ? "?" : "",
	    oa + (*oa == '&')));
}

static const web_route routes[] = {
	{WEB_GET, "/portal/registry/cases", h_cases, 0},
	{WEB_GET, "/portal/registry/certificates", h_certs, 0},
	{WEB_POST, "/portal/registry/certificates/{serial}/revoke", h_revoke, 4096},
};

const web_route_table web_portal_registry_table = {"portal_registry", routes,
    sizeof routes / sizeof routes[0]};
