/*
 * portalInt.h - private to the portal (src/portal): what its HTML pages
 * (routes_portal_*.c) and the pages the e-mails link to (routes_links.c)
 * share: the page builder, forms, sign-in checks, the administration
 * pages' helpers and the case pages' helpers.
 *
 * Every page is built in a pg (page builder), sent once by pg_send().
 * Texts: Indonesian first, English second, as "<id> <span class=en>/ en</span>".
 * Escaping: pg_text()/pg_esc() escape; pg_raw() writes markup the caller
 * wrote itself (never data).  No inline script or style: the strict CSP
 * (pg_send) allows only /static/portal.css and /static/portal.js.
 *
 * Pages that need a person use portal_user() (GET: redirects to /login
 * when there is no valid session) or portal_post() (POST: parses the
 * urlencoded body and checks its "csrf" field against the session).
 * Both reply themselves on a refusal and return NULL.
 */
#ifndef OA_PORTALINT_H
#define OA_PORTALINT_H

#include <stdint.h>

#include "../docs/docs.h"
#include "portal.h"

#define PORTAL_FORM_BODY (64 * 1024)       /* urlencoded forms */
#define PORTAL_FORM_FIELDS 64

/* A parsed urlencoded form (points into the request body). */
typedef struct web_form {
	const char *k[PORTAL_FORM_FIELDS], *v[PORTAL_FORM_FIELDS];
	unsigned char multiline[PORTAL_FORM_FIELDS]; /* value has line breaks (a textarea) */
	size_t n;
} web_form;

/* Parses r->body (application/x-www-form-urlencoded) in place.  Replies
 * 415/400 (an HTML page) and returns 0 on a refusal. */
int web_form_parse(web_req *r, web_form *f);
/* The first value of k, or NULL.  A value with line breaks is never
 * returned here (single-line fields must not carry CR/LF further). */
const char *web_form_get(const web_form *f, const char *k);
/* The first value of k, line breaks allowed (CR LF folded to LF), or NULL:
 * for textareas (notes). */
const char *web_form_text(const web_form *f, const char *k);
/* Wipes the request body (forms carrying passwords). */
void web_body_wipe(web_req *r);

/* ---- Refusals about a form's fields (issue 21, item 1) ----
 * Every message comes from the catalogue (msgcat.h); a form collects all
 * its problems in a pg_errs, sets pg.errs, and each field shows its own
 * messages under it (aria-invalid, aria-describedby), with a summary at
 * the top (pg_errs_summary) linking to the fields. */
#define PG_MAX_ERRS 24
typedef struct pg_ferr {
	const char *field;        /* the form field's name ("" none) */
	const char *id, *en;      /* the message, filled in (request memory) */
} pg_ferr;
typedef struct pg_errs {
	pg_ferr e[PG_MAX_ERRS];
	size_t n;
} pg_errs;

/* The page builder. */
typedef struct pg {
	web_req *r;
	oa_buf b;
	const web_user *u;        /* the signed-in person, or NULL */
	char csrf[80];            /* the form token of u's session ("" if none) */
	int failed;               /* out of memory while building */
	/* Added for the sign-in and link pages (portal-account): */
	char cookie[160];         /* a Set-Cookie value pg_send adds ("" none) */
	int secret;               /* the page shows a secret: its buffers are wiped */
	char field_names[512];    /* the fields' names so far, each followed by ' ' */
	unsigned field_extra;     /* fields past what field_names holds */
	const pg_errs *errs;      /* the form's problems to show (NULL none) */
} pg;

/* Adds the catalogue's message key about field: "{}" is arg_id / arg_en
 * when given, else the field's label (msgcat_field_label). */
void pg_errs_add(web_req *r, pg_errs *e, const char *field, const char *key,
    const char *arg_id, const char *arg_en);
/* The current refusal rc into e, worded by the catalogue: its id and field
 * as the module gave them (oa_fail_id; a document by its title in d, never
 * its id), else the generic message of its code on the field fallback
 * (may be NULL), the module's English message only logged (r->errmsg).
 * Clears the error. */
void pg_errs_take(web_req *r, pg_errs *e, oa_err rc, const sop_def *d, const char *fallback);
/* The summary of p->errs at the top of a form's page (nothing if none). */
void pg_errs_summary(pg *p);
/* For inputs the caller writes itself: the aria attributes of field name
 * (aria-invalid, aria-describedby) and, after the input, its messages. */
void pg_field_aria(pg *p, const char *name);
void pg_field_msgs(pg *p, const char *name);

/* Escapes s for HTML text and attribute values (& < > " '). */
void pg_esc(oa_buf *b, const char *s);
/* Starts a page: head, header with the navigation for u (may be NULL),
 * <main>, and an <h1> with both titles. */
void pg_start(pg *p, web_req *r, const web_user *u, const char *title_id, const char *title_en);
/* Markup written by the caller (printf); never put data in fmt. */
void pg_raw(pg *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Escaped text. */
void pg_text(pg *p, const char *s);
/* "<id> <span class=en>/ <en></span>", escaped. */
void pg_bi(pg *p, const char *id, const char *en);
/* A paragraph with both texts; cls NULL, "err", "ok" or "note". */
void pg_para(pg *p, const char *cls, const char *id, const char *en);
/* <h2> with both texts. */
void pg_h2(pg *p, const char *id, const char *en);
/* A labelled input.  value may be NULL; autocomplete may be NULL. */
void pg_field(pg *p, const char *name, const char *type, const char *id, const char *en,
    const char *value, const char *autocomplete, int required);
/* A field the person may not change (readonly), with a hint saying why. */
void pg_field_locked(pg *p, const char *name, const char *type, const char *id, const char *en,
    const char *value, const char *hint_id, const char *hint_en);
/* A labelled textarea. */
void pg_textarea(pg *p, const char *name, const char *id, const char *en, const char *value,
    int required, size_t maxlen);
/* The hidden CSRF field of u's session (call inside every POST form). */
void pg_csrf(pg *p);
/* <form method=post action=...> with the CSRF field; action escaped.
 * multipart: enctype multipart/form-data.  Close with pg_raw("</form>"). */
void pg_form(pg *p, const char *action, int multipart);
/* A submit button: name/value may be NULL; cls NULL or "secondary"/"danger". */
void pg_button(pg *p, const char *name, const char *value, const char *id, const char *en,
    const char *cls);
/* A link (href escaped) with both texts. */
void pg_link(pg *p, const char *href, const char *id, const char *en);
/* A time as "22-11-2026 15:05 WIB" in a <time datetime=ISO> element; "-" for 0. */
void pg_time(pg *p, int64_t t);
/* A duration: "3 hari 2 jam", "15 menit" (negative: the absolute value). */
void pg_duration(pg *p, int64_t secs);
/* Ends the page and sends it with the security headers (no-store, CSP,
 * nosniff, frame DENY, no referrer).  p is freed. */
void pg_send(pg *p, unsigned status);

/* A page with a title and one message; status >= 400 shows it as an error.
 * back: a link to show under it ("" none). */
void pg_msg(web_req *r, const web_user *u, unsigned status, const char *tid, const char *ten,
    const char *mid, const char *men, const char *back);
/* A refusal page whose message is the catalogue's entry key (msgcat.h). */
void pg_refused(web_req *r, const web_user *u, unsigned status, const char *tid, const char *ten,
    const char *key, const char *back);
/* A module error as a page (4xx: the message; 5xx: hidden, logged). */
void pg_err(web_req *r, const web_user *u, oa_err rc, const char *back);
/* Drops the page being built and answers pg_err instead: a listing the
 * database could not read is an error, never an empty list. */
void pg_abort(pg *p, oa_err rc, const char *back);
/* 303 See Other to location (a path on this server). */
void web_redirect(web_req *r, const char *location);

/* The signed-in person for a GET page; redirects to /login?next=<path>
 * and returns NULL when there is none. */
web_user *portal_user(web_req *r);
/* For a POST page: the person, the parsed form, and the CSRF check
 * (field "csrf").  NULL after a reply (403 page for a bad token). */
web_user *portal_post(web_req *r, web_form *f);
/* Same for multipart/form-data posts: the CSRF token comes in the
 * X-CSRF-Token header or is checked by the caller with portal_csrf_ok. */
web_user *portal_session(web_req *r);
int portal_csrf_ok(const web_user *u, const char *submitted);

/* 1 if u is staff: admin, CA operator, or holding a role that acts at a
 * step of an active SOP of their organisation other than the applicant's. */
int portal_is_staff(web_req *r, const web_user *u);

/* ---- Pre-session forms (sign-in, password reset, one-time links) ----
 * A form shown before anyone is signed in carries a csrf field bound to a
 * random cookie (openams_form, HttpOnly, SameSite=Lax): the token is the
 * cookie's HMAC (auth_csrf_token), so only the browser holding the cookie
 * can send the form.  pg_pre_csrf() fills p->csrf (the session's token when
 * p->u is set) and, when the browser has no valid cookie yet, a new cookie
 * that pg_send() sets.  portal_pre_csrf_ok() checks a submitted token. */
void pg_pre_csrf(pg *p);
int portal_pre_csrf_ok(web_req *r, const char *submitted);
/* The 403 page of a form without its right token (back: the form's page). */
void portal_csrf_refused(web_req *r, const web_user *u, const char *back);
/* The signed-in person, or NULL; never replies (pages open to everyone). */
web_user *portal_user_opt(web_req *r);
/* 1 if s is a local path to return to after signing in: "/" then
 * printable ASCII, not "//" or "/\", no backslash, at most 512 bytes. */
int portal_local_path(const char *s);
/* A hidden input (value escaped). */
void pg_hidden(pg *p, const char *name, const char *value);

/* ---- multipart/form-data (forms with a file) ---- */

/* Parses r->body as multipart/form-data (docs_multipart_parse; the parts
 * point into the body).  Replies 415/400 (an HTML page) and returns 0 on a
 * refusal. */
int portal_multipart(web_req *r, docs_multipart *m);

/* ---- The portal's administration pages (routes_portal_admin.c, shared
 * with routes_portal_sops.c) ---- */

/* The 403 page of a person who may not administer here. */
void admin_page_denied(web_req *r, const web_user *u);
/* 1 if u may manage org (web_admin_may); otherwise the 403 page and 0. */
int admin_page_may(web_req *r, const web_user *u, const char *org);
/* The signed-in administrator of a GET page about ?org= (default: their
 * own agency, into *org); NULL after a reply (sign-in redirect, 403). */
web_user *admin_page_get(web_req *r, const char **org);
/* The links to the administration sections of org. */
void admin_page_sections(pg *p, const char *org);
/* A refused request: the module error rc as a page with a link back. */
void admin_page_refused(web_req *r, const web_user *u, oa_err rc, const char *back);

/* ---- The case pages (routes_portal_home.c: start page, my requests, new
 * request, inbox, my certificates; routes_portal_cases.c: the case page
 * and its forms): small helpers about cases, their SOP definitions and
 * badges ---- */

#define CASE_FORM_BODY (16 * 1024) /* the urlencoded forms about a case */

/* A case id from a path parameter (1 if valid). */
int pc_parse_id(const char *s, int64_t *id);
/* A query parameter, NULL when absent. */
const char *pc_query(web_req *r, const char *k);
/* The case if u may see it; otherwise a 404 page and 0. */
int pc_visible(web_req *r, web_user *u, const char *param, engine_case *c);
const char *pc_kind_id(const char *k);
const char *pc_kind_en(const char *k);
void pc_state_badge(pg *p, const char *state);
void pc_sla_badge(pg *p, int64_t due, int64_t now);
/* A table of cases (routes_portal_home.c): its head, then one row per case
 * (the applicant's column with with_applicant). */
void pc_cases_table_head(pg *p, int with_applicant);
void pc_case_row(pg *p, web_req *r, const engine_case *c, int64_t now, int with_applicant);
const sop_def *pc_case_def(web_req *r, int64_t id);
const sop_step *pc_def_step(const sop_def *d, const char *id);
const char *pc_actor_name(const sop_def *d, const char *role);
const char *pc_doc_name(const sop_def *d, const char *doc);
void pc_step_actors(pg *p, const sop_def *d, const sop_step *s);

/* The current step's box (case_step.c). */
/* The revocation reason a records_reason step's actor chooses (the
 * definition's reasons or RFC 5280's), cur preselected. */
void pc_reason_select(pg *p, const sop_def *d, const char *cur, int required);
int pc_has_doc(const engine_doc *v, size_t n, const char *doc);
/* ... attached at step (NULL: at any step): a step's own copy (`own: true`). */
int pc_has_doc_at(const engine_doc *v, size_t n, const char *doc, const char *step);
const char *pc_act_label_id(sop_action a);   /* "Teruskan", "Terbitkan sertifikat", ... */
const char *pc_act_label_en(sop_action a);
/* A decision's two buttons: the definition's yes_label / no_label, else
 * what each branch does. */
void pc_decision_buttons(web_req *r, pg *p, const sop_def *d, const sop_step *s);
/* The upload form (the applicant or a holder of the step's role). */
void pc_upload_form(web_req *r, pg *p, const engine_case *c, const sop_def *d,
    const sop_step *s, const engine_doc *docs, size_t nd);
/* 1 if the step's own action issues or revokes (it needs confirm=1). */
int pc_step_changes_cert(const sop_step *s);
/* Before a step that issues or revokes: the certificate concerned. */
void pc_cert_preview(web_req *r, pg *p, web_user *u, const engine_case *c,
    const sop_def *d, const sop_step *s, const char *role);
const char *pc_acting_role(const web_user *u, const engine_case *c, const sop_def *d,
    const sop_step *s);

#endif
