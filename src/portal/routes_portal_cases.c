/*
 * routes_portal_cases.c - the case page of the portal and its forms
 * (docs/PORTAL.md, "Applicant and staff pages"; the lists and the request
 * form are in routes_portal_home.c):
 *
 *   GET  /portal/cases/{id}                   the case: current step with its SLA, the
 *                                             act, upload and close forms, the documents
 *                                             (previewed), the identity data (beside the
 *                                             applicant's account data), the timeline
 *   POST /portal/cases/{id}/act               step, role, note?, decision=yes|no|done
 *   POST /portal/cases/{id}/close             how=withdraw|reject, note?
 *   POST /portal/cases/{id}/documents         multipart: doc, file
 *   GET  /portal/cases/{id}/documents/{sha}   a document inline (the case page's preview)
 *
 * The rules are the engine's (who acts at which step, no self-approval,
 * documents required) and the JSON API's (a case is seen only by its
 * participants: 404 otherwise, existence is not told); this file shows
 * them and turns forms into engine calls, each of which commits on its own
 * before the page redirects (post/redirect/get).  A refused POST shows the
 * case page again with the error and its status.  The helpers the portal's
 * case pages share (pc_*) are in case_util.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "portalInt.h"

#define UPLOAD_BODY (OA_MAX_UPLOAD_BYTES + 16 * 1024)

static const char *const doc_types[] = {"application/pdf", "image/jpeg", "image/png", NULL};

/* ---- the case page ---- */

#define MAX_DOCS 64

struct doclist {
	engine_doc *v;
	size_t n, max;
};

static int doc_cb(const engine_doc *d, void *arg)
{
	struct doclist *l = arg;

	if (l->n >= l->max)
		return 1;
	l->v[l->n++] = *d;
	return 0;
}

/* The case's documents (at most max) into v; -1 (the error logged with the
 * request) when they could not be read. */
static long case_docs(web_req *r, int64_t id, engine_doc *v, size_t max)
{
	struct doclist l = {v, 0, max};
	oa_err rc;

	if ((rc = engine_case_documents(r->engine, id, doc_cb, &l))) {
		snprintf(r->errmsg, sizeof r->errmsg, "%s", oa_errmsg());
		oa_err_clear();
		return -1;
	}
	return (long)l.n;
}

static const struct {
	const char *key, *id, *en;
} data_labels[] = {
	{"name", "Nama lengkap", "Full name"}, {"nik", "NIK", "NIK"}, {"nip", "NIP", "NIP"},
	{"email", "E-mail", "E-mail"}, {"organization", "Instansi", "Agency"},
	{"unit", "Unit kerja", "Unit"}, {"position", "Jabatan", "Position"},
	{"locality", "Kabupaten/Kota", "Locality"}, {"province", "Provinsi", "Province"},
};

/* The account's value of an identity key ("" if the account has none). */
static const char *account_value(const auth_person *a, const engine_case *c, const char *key)
{
	if (strcmp(key, "name") == 0)
		return a ? a->name : "";
	if (strcmp(key, "nik") == 0)
		return c->applicant_nik[0] ? c->applicant_nik : a ? a->nik : "";
	if (strcmp(key, "nip") == 0)
		return c->applicant_nip[0] ? c->applicant_nip : a && a->nip[0] ? a->nip : NULL;
	if (strcmp(key, "email") == 0)
		return c->applicant_email[0] ? c->applicant_email : a ? a->email : "";
	if (strcmp(key, "unit") == 0)
		return a && a->unit[0] ? a->unit : NULL;
	if (strcmp(key, "position") == 0)
		return a && a->position[0] ? a->position : NULL;
	return NULL; /* the account does not say */
}

/*
 * The identity data of the case beside what the applicant's account
 * records, each difference flagged, so that the verifier checking the data
 * (SOP 001 step 8) sees at once whether it names the account's holder.
 */
static void identity_table(pg *p, web_req *r, const engine_case *c)
{
	auth_person acct;
	const auth_person *a = NULL;
	int any = 0, differ = 0;
	char v[4 * 128 + 1]; /* identity values: 1..128 characters */
	oa_err rc;

	if (auth_person_get(r->auth, c->applicant, &acct) == OA_OK)
		a = &acct;
	else
		oa_err_clear();
	for (size_t i = 0; i < sizeof data_labels / sizeof data_labels[0]; i++) {
		const char *av = account_value(a, c, data_labels[i].key);
		int same;
		if ((rc = engine_case_datum(r->engine, c->id, data_labels[i].key, v, sizeof v, NULL, 0,
		         NULL))) {
			pg_para(p, "err", "Data identitas tidak dapat dibaca saat ini.",
			    "The identity data could not be read just now.");
			snprintf(r->errmsg, sizeof r->errmsg, "%s", oa_errmsg());
			oa_err_clear();
			break;
		}
		if (v[0]) {
			if (!any++) {
				pg_h2(p, "Data identitas", "Identity data");
				pg_raw(p, "<div class=\"table\"><table id=\"identity\">\n<thead><tr><th>");
				pg_bi(p, "Data", "Field");
				pg_raw(p, "</th><th>");
				pg_bi(p, "Diisi pemohon", "Submitted");
				pg_raw(p, "</th><th>");
				pg_bi(p, "Data akun", "Account data");
				pg_raw(p, "</th></tr></thead>\n");
			}
			same = av == NULL || (strcmp(data_labels[i].key, "email") == 0 ? strcasecmp(v, av) == 0
			                                                                 : strcmp(v, av) == 0);
			differ += !same;
			pg_raw(p, "<tr%s><th scope=\"row\">", same ? "" : " class=\"differs\"");
			pg_bi(p, data_labels[i].id, data_labels[i].en);
			pg_raw(p, "</th><td>");
			pg_text(p, v);
			pg_raw(p, "</td><td>");
			if (av)
				pg_text(p, *av ? av : "-");
			else
				pg_raw(p, "&middot;");
			if (!same)
				pg_raw(p, " <span class=\"badge late\">berbeda / differs</span>");
			pg_raw(p, "</td></tr>\n");
		}
	}
	if (any) {
		pg_raw(p, "</table></div>\n");
		if (differ)
			pg_para(p, "err", "Data yang diisi berbeda dari data akun pemohon: periksa sebelum "
			                  "menyetujui.",
			    "The submitted data differs from the applicant's account: check it before "
			    "approving.");
	}
}

struct hist {
	pg *p;
	const sop_def *d;
};

static const char *decision_id(const char *dec)
{
	if (strcmp(dec, "yes") == 0)
		return "Ya";
	if (strcmp(dec, "no") == 0)
		return "Tidak";
	if (strcmp(dec, "reject") == 0)
		return "Ditolak";
	if (strcmp(dec, "withdraw") == 0)
		return "Ditarik";
	return dec;
}

static int hist_cb(const engine_transition *t, void *arg)
{
	struct hist *h = arg;
	pg *p = h->p;
	const sop_step *s = pc_def_step(h->d, t->step);
	int64_t took = t->done_at - t->opened_at;

	pg_raw(p, "<li><strong>");
	pg_bi(p, "Langkah", "Step");
	pg_raw(p, " ");
	pg_text(p, t->step);
	pg_raw(p, "</strong> &middot; ");
	pg_text(p, s && s->activity ? s->activity : t->action);
	pg_raw(p, "<br>");
	pg_text(p, strcmp(t->actor, "system") == 0 ? "Sistem / system" : t->actor);
	if (strcmp(t->actor, "system") != 0) {
		pg_raw(p, " (");
		pg_text(p, pc_actor_name(h->d, t->role));
		pg_raw(p, ")");
	}
	pg_raw(p, ", ");
	pg_time(p, t->done_at);
	if (t->decision[0]) {
		pg_raw(p, " &middot; <strong>");
		pg_text(p, decision_id(t->decision));
		pg_raw(p, "</strong>");
	} else if (strcmp(t->action, "turn") == 0) {
		/* one turn of a step done in turn: passed to the next actor */
		pg_raw(p, " &middot; <strong class=\"turn\">");
		pg_bi(p, "Diteruskan", "Passed on");
		pg_raw(p, "</strong>");
	}
	pg_raw(p, "<br><small>");
	pg_bi(p, "Waktu", "Time taken");
	pg_raw(p, ": ");
	pg_duration(p, took);
	if (t->standard_s > 0) {
		pg_raw(p, " / ");
		pg_bi(p, "baku", "standard");
		pg_raw(p, " ");
		pg_duration(p, t->standard_s);
		pg_raw(p, " %s", took <= t->standard_s || t->working ?
		                     "" : "<span class=\"badge late\">lewat / over</span>");
	}
	pg_raw(p, "</small>");
	if (t->note && *t->note) {
		pg_raw(p, "<p class=\"note\">");
		pg_text(p, t->note);
		pg_raw(p, "</p>");
	}
	pg_raw(p, "</li>\n");
	return 0;
}

/* The case page; err_id/err_en: a refused POST's message (status >= 400). */
static void case_page(web_req *r, web_user *u, const engine_case *c, unsigned status,
    const pg_errs *errs)
{
	const sop_def *d = pc_case_def(r, c->id);
	const sop_step *s = strcmp(c->state, "open") == 0 ? pc_def_step(d, c->step) : NULL;
	const char *role = s ? pc_acting_role(u, c, d, s) : NULL;
	const char *done = pc_query(r, "done");
	engine_doc *docs = web_alloc(r, MAX_DOCS * sizeof *docs);
	long ndocs = docs ? case_docs(r, c->id, docs, MAX_DOCS) : -1;
	size_t nd = ndocs > 0 ? (size_t)ndocs : 0;
	int mine = strcmp(u->w.person, c->applicant) == 0;
	int64_t now = oa_now();
	struct hist h;
	auth_person ap;
	char title[96];
	pg p;

	snprintf(title, sizeof title, "Permohonan #%" PRId64, c->id);
	pg_start(&p, r, u, title, web_printf(r, "Case #%" PRId64, c->id));
	p.errs = errs;
	if (errs && errs->n)
		pg_errs_summary(&p);
	else if (done && (strcmp(done, "issued") == 0 || strcmp(done, "revoked") == 0)) {
		const char *sn = pc_query(r, "serial");
		int iss = strcmp(done, "issued") == 0;
		pg_raw(&p, "<p class=\"ok\" id=\"result\">");
		pg_bi(&p, iss ? "Sertifikat diterbitkan:" : "Sertifikat dicabut:",
		    iss ? "Certificate issued:" : "Certificate revoked:");
		if (sn && strlen(sn) <= 40) {
			pg_raw(&p, " ");
			pg_link(&p, web_printf(r, "/status?serial=%s", sn), sn, "");
		}
		pg_raw(&p, " &middot; ");
		pg_link(&p, "/portal/inbox", "Kembali ke kotak tugas", "Back to the inbox");
		pg_raw(&p, "</p>\n");
	} else if (done && strcmp(done, "act") == 0) {
		pg_raw(&p, "<p class=\"ok\" id=\"result\">");
		pg_bi(&p, "Langkah tercatat.", "The step is recorded.");
		pg_raw(&p, " ");
		pg_link(&p, "/portal/inbox", "Kembali ke kotak tugas", "Back to the inbox");
		pg_raw(&p, "</p>\n");
	}
	else if (done && strcmp(done, "doc") == 0)
		pg_para(&p, "ok", "Dokumen diunggah.", "The document is uploaded.");
	else if (done && strcmp(done, "opened") == 0)
		pg_para(&p, "ok", "Permohonan dibuat. Unggah dokumen yang diminta lalu kirim.",
		    "The request is made. Upload the documents asked for, then submit.");
	else if (done && strcmp(done, "closed") == 0)
		pg_para(&p, "ok", "Permohonan ditutup.", "The case is closed.");
	pg_raw(&p, "<div class=\"table\"><table>\n<tr><th scope=\"row\">");
	pg_bi(&p, "Layanan", "Service");
	pg_raw(&p, "</th><td>");
	pg_text(&p, d && d->name ? d->name : c->sop_id);
	pg_raw(&p, " (");
	pg_bi(&p, pc_kind_id(c->kind), pc_kind_en(c->kind));
	pg_raw(&p, ")");
	if (d && d->number && *d->number) {
		pg_raw(&p, "<br><small>SOP ");
		pg_text(&p, d->number);
		pg_raw(&p, "</small>");
	}
	pg_raw(&p, "</td></tr>\n<tr><th scope=\"row\">");
	pg_bi(&p, "Pemohon", "Applicant");
	pg_raw(&p, "</th><td>");
	if (auth_person_get(r->auth, c->applicant, &ap) == OA_OK) {
		pg_text(&p, ap.name);
		pg_raw(&p, " (");
		pg_text(&p, c->applicant);
		pg_raw(&p, ")");
	} else {
		oa_err_clear();
		pg_text(&p, c->applicant);
	}
	pg_raw(&p, "</td></tr>\n<tr><th scope=\"row\">");
	pg_bi(&p, "Status", "Status");
	pg_raw(&p, "</th><td>");
	pc_state_badge(&p, c->state);
	pg_raw(&p, "</td></tr>\n<tr><th scope=\"row\">");
	pg_bi(&p, "Dibuat", "Opened");
	pg_raw(&p, "</th><td>");
	pg_time(&p, c->created_at);
	pg_raw(&p, "</td></tr>\n");
	if (c->serial[0]) {
		pg_raw(&p, "<tr><th scope=\"row\">");
		pg_bi(&p, "Sertifikat", "Certificate");
		pg_raw(&p, "</th><td><code>");
		pg_text(&p, c->serial);
		pg_raw(&p, "</code></td></tr>\n");
	}
	if (c->reason[0]) {
		const char *label = d ? sop_reason_label(d, c->reason) : NULL;
		if (label == NULL)
			label = c->reason;
		pg_raw(&p, "<tr><th scope=\"row\">");
		pg_bi(&p, "Alasan", "Reason");
		pg_raw(&p, "</th><td>");
		pg_text(&p, label);
		pg_raw(&p, "</td></tr>\n");
	}
	if (c->issued[0]) {
		pg_raw(&p, "<tr><th scope=\"row\">");
		pg_bi(&p, "Sertifikat terbit", "Certificate issued");
		pg_raw(&p, "</th><td><code>");
		pg_text(&p, c->issued);
		pg_raw(&p, "</code> ");
		if (mine) {
			pg_link(&p, "/portal/certificates", "Unduh", "Download");
		}
		pg_raw(&p, "</td></tr>\n");
	}
	pg_raw(&p, "</table></div>\n");

	/* The current step, and what u can do at it. */
	if (s) {
		pg_h2(&p, "Langkah saat ini", "Current step");
		pg_raw(&p, "<div class=\"card\"><p><strong>");
		pg_text(&p, s->id);
		pg_raw(&p, ". ");
		pg_text(&p, s->activity ? s->activity : "");
		pg_raw(&p, "</strong></p>\n<p>");
		pg_bi(&p, "Pelaksana", "Done by");
		pg_raw(&p, ": ");
		pc_step_actors(&p, d, s);
		if (s->in_turn && c->turn >= 0 && (size_t)c->turn < s->n_actors) {
			const sop_actor *ta = &d->actors[s->actors[c->turn]];
			pg_raw(&p, "<br><span id=\"turn\">");
			pg_bi(&p, "Bergiliran, giliran sekarang", "In turn, now");
			pg_raw(&p, ": <strong>");
			pg_text(&p, ta->name ? ta->name : ta->id);
			pg_raw(&p, "</strong> (%d/%zu)</span>", c->turn + 1, s->n_actors);
		}
		pg_raw(&p, "<br>");
		pg_bi(&p, "Mulai", "Since");
		pg_raw(&p, ": ");
		pg_time(&p, c->step_opened_at);
		if (c->step_due_at > 0) {
			pg_raw(&p, "<br>");
			pg_bi(&p, "Batas waktu", "Due");
			pg_raw(&p, ": ");
			pg_time(&p, c->step_due_at);
			if (s->time.text) {
				pg_raw(&p, " (");
				pg_text(&p, s->time.text);
				pg_raw(&p, ")");
			}
		}
		pg_raw(&p, " ");
		pc_sla_badge(&p, c->step_due_at, now);
		pg_raw(&p, "</p>\n");
		if (s->n_inputs) {
			int anydoc = 0;
			for (size_t i = 0; i < s->n_inputs; i++) {
				const sop_input *in = &s->inputs[i];
				if (in->doc < 0)
					continue;
				if (!anydoc++) {
					pg_raw(&p, "<p>");
					pg_bi(&p, "Dokumen yang diperlukan", "Documents required");
					pg_raw(&p, ":</p><ul>\n");
				}
				pg_raw(&p, "<li>");
				pg_text(&p, d->documents[in->doc].name);
				pg_raw(&p, " %s</li>\n", pc_has_doc_at(docs, nd, d->documents[in->doc].id,
				                             in->own ? s->id : NULL) ?
				                             "<span class=\"badge ok\">ada / attached</span>" :
				                             "<span class=\"badge late\">belum / missing</span>");
			}
			if (anydoc)
				pg_raw(&p, "</ul>\n");
		}
		if (role && (s->action == SOP_ACT_FILL_IDENTITY || s->action == SOP_ACT_SET_PASSPHRASE)) {
			pg_para(&p, "note", s->action == SOP_ACT_FILL_IDENTITY ?
			    "Isi formulir identitas melalui tautan yang dikirim ke e-mail Anda." :
			    "Tetapkan passphrase melalui tautan yang dikirim ke e-mail Anda.",
			    s->action == SOP_ACT_FILL_IDENTITY ?
			    "Fill in the identity form through the link sent to your e-mail." :
			    "Set your passphrase through the link sent to your e-mail.");
		} else if (role && sop_turn_passes(s, c->turn)) {
			/* an earlier turn: do one's part, then pass the step on */
			const sop_actor *na = &d->actors[s->actors[c->turn + 1]];
			pg_form(&p, web_printf(r, "/portal/cases/%" PRId64 "/act", c->id), 0);
			pg_hidden(&p, "step", s->id);
			pg_hidden(&p, "role", role);
			if (s->records_reason)
				pc_reason_select(&p, d, c->reason, 0);
			pg_textarea(&p, "note", "Catatan", "Note", NULL, 0, OA_MAX_SOP_TEXT);
			pg_button(&p, "decision", "done",
			    web_printf(r, "Selesai - teruskan ke %s", na->name ? na->name : na->id),
			    web_printf(r, "Done - pass on to %s", na->name ? na->name : na->id), NULL);
			pg_raw(&p, "</form>\n");
		} else if (role) {
			if (s->action == SOP_ACT_UPLOAD && d->n_documents)
				pc_upload_form(r, &p, c, d, s, docs, nd);
			pc_cert_preview(r, &p, u, c, d, s, role);
			pg_form(&p, web_printf(r, "/portal/cases/%" PRId64 "/act", c->id), 0);
			pg_hidden(&p, "step", s->id);
			pg_hidden(&p, "role", role);
			if (s->records_reason)
				pc_reason_select(&p, d, c->reason, s->action != SOP_ACT_DECIDE);
			pg_textarea(&p, "note", "Catatan", "Note", NULL, 0, OA_MAX_SOP_TEXT);
			if (pc_step_changes_cert(s)) {
				/* issuing and revoking are confirmed (checked again on POST) */
				pg_raw(&p, "<div class=\"field\"><input type=\"checkbox\" id=\"f_confirm\" "
				           "name=\"confirm\" value=\"1\" required");
				pg_field_aria(&p, "confirm");
				pg_raw(&p, "> <label class=\"inline\" for=\"f_confirm\">");
				pg_bi(&p, s->action == SOP_ACT_ISSUE ?
				    "Saya telah memeriksa data sertifikat di atas dan menerbitkannya" :
				    "Saya telah memeriksa sertifikat di atas dan mencabutnya",
				    s->action == SOP_ACT_ISSUE ? "I have checked the certificate above and "
				    "issue it" : "I have checked the certificate above and revoke it");
				pg_raw(&p, "</label>");
				pg_field_msgs(&p, "confirm");
				pg_raw(&p, "</div>\n");
			}
			if (s->action == SOP_ACT_DECIDE)
				pc_decision_buttons(r, &p, d, s);
			else
				pg_button(&p, "decision", "done", pc_act_label_id(s->action),
				    pc_act_label_en(s->action), s->action == SOP_ACT_REVOKE ? "danger" : NULL);
			pg_raw(&p, "</form>\n");
		} else
			pg_para(&p, "note", "Langkah ini menunggu pelaksananya.",
			    "This step waits for the people who do it.");
		pg_raw(&p, "</div>\n");
	}

	/* Upload: the applicant or a holder of the step's role, while open
	 * (inside the step's box, before its button, on an upload step). */
	if (s && (mine || role) && d->n_documents && (s->action != SOP_ACT_UPLOAD || !role))
		pc_upload_form(r, &p, c, d, s, docs, nd);

	/* The documents, each previewed in the browser. */
	pg_h2(&p, "Dokumen", "Documents");
	if (ndocs < 0)
		pg_para(&p, "err", "Daftar dokumen tidak dapat dibaca saat ini.",
		    "The documents could not be read just now.");
	else if (nd == 0)
		pg_para(&p, "note", "Belum ada dokumen.", "No documents yet.");
	for (size_t i = 0; i < nd; i++) {
		const char *href = web_printf(r, "/portal/cases/%" PRId64 "/documents/%s", c->id,
		    docs[i].sha256);
		int image = strcmp(docs[i].doc, ENGINE_DOC_PHOTO) == 0;
		pg_raw(&p, "<details><summary>");
		pg_text(&p, pc_doc_name(d, docs[i].doc));
		pg_raw(&p, " &middot; ");
		pg_text(&p, docs[i].filename);
		pg_raw(&p, " &middot; ");
		pg_text(&p, docs[i].added_by);
		pg_raw(&p, ", ");
		pg_time(&p, docs[i].added_at);
		pg_raw(&p, "</summary>\n<p>");
		pg_link(&p, href, "Buka di tab baru", "Open");
		pg_raw(&p, " &middot; <code class=\"fp\">%s</code></p>\n", docs[i].sha256);
		if (image)
			pg_raw(&p, "<img class=\"preview\" loading=\"lazy\" alt=\"Pasfoto\" src=\"%s\">\n",
			    href ? href : "");
		else
			pg_raw(&p, "<iframe class=\"preview\" loading=\"lazy\" title=\"Pratinjau\" "
			           "src=\"%s\"></iframe>\n",
			    href ? href : "");
		pg_raw(&p, "</details>\n");
	}

	identity_table(&p, r, c);

	/* The timeline: every step done, then the current one. */
	pg_h2(&p, "Riwayat", "Timeline");
	pg_raw(&p, "<ol class=\"timeline\">\n");
	h.p = &p;
	h.d = d;
	{
		oa_err lrc = engine_case_history(r->engine, c->id, hist_cb, &h);
		if (lrc != OA_OK) {
			pg_abort(&p, lrc, "/portal");
			return;
		}
	}
	if (s) {
		pg_raw(&p, "<li class=\"current\">");
		pg_bi(&p, "Langkah", "Step");
		pg_raw(&p, " ");
		pg_text(&p, s->id);
		pg_raw(&p, " &middot; ");
		pg_text(&p, s->activity ? s->activity : "");
		pg_raw(&p, "<br><small>");
		pg_bi(&p, "sedang berjalan", "in progress");
		pg_raw(&p, ", ");
		pg_bi(&p, "sejak", "since");
		pg_raw(&p, " ");
		pg_time(&p, c->step_opened_at);
		pg_raw(&p, "</small></li>\n");
	}
	pg_raw(&p, "</ol>\n");

	/* Close: the applicant withdraws; a holder of the step's role rejects. */
	if (s && (mine || role)) {
		pg_h2(&p, mine ? "Tarik permohonan" : "Tolak permohonan",
		    mine ? "Withdraw the request" : "Reject the request");
		pg_form(&p, web_printf(r, "/portal/cases/%" PRId64 "/close", c->id), 0);
		pg_hidden(&p, "how", mine ? "withdraw" : "reject");
		pg_raw(&p, "<div class=\"field\"><label for=\"f_close_note\">");
		pg_bi(&p, "Alasan", "Reason");
		pg_raw(&p, "</label><input id=\"f_close_note\" name=\"note\" type=\"text\" "
		           "maxlength=\"1000\"></div>\n");
		pg_button(&p, NULL, NULL, mine ? "Tarik" : "Tolak", mine ? "Withdraw" : "Reject",
		    "danger");
		pg_raw(&p, "</form>\n");
	}
	pg_send(&p, status);
}

static void h_case(web_req *r)
{
	web_user *u = portal_user(r);
	engine_case c;

	if (u && pc_visible(r, u, r->param[0], &c))
		case_page(r, u, &c, 200, NULL);
}

/* After a refused POST on a case: the case page with the problems found
 * (e), each beside its field, status st. */
static void case_problems(web_req *r, web_user *u, int64_t id, unsigned st, const pg_errs *e)
{
	engine_case c;

	if (engine_case_get(r->engine, id, &c) != OA_OK) {
		oa_err_clear();
		pg_msg(r, u, st, "Permintaan ditolak", "Request refused", e->e[0].id, e->e[0].en,
		    "/portal");
		return;
	}
	case_page(r, u, &c, st, e);
}

/* After a module refused a POST on a case: its refusal in the catalogue's
 * words (fallback: the field it is about when the module names none). */
static void case_refused_on(web_req *r, web_user *u, int64_t id, oa_err rc, const char *fallback)
{
	unsigned st = web_status_of(rc);
	pg_errs *e;

	if (st >= 500) {
		pg_err(r, u, rc, web_printf(r, "/portal/cases/%" PRId64, id));
		return;
	}
	r->errcode = oa_err_name(rc);
	if ((e = web_alloc(r, sizeof *e)) == NULL) {
		oa_err_clear();
		pg_err(r, u, oa_fail(OA_ERR_NOMEM, "out of memory"), "/portal");
		return;
	}
	e->n = 0;
	pg_errs_take(r, e, rc, pc_case_def(r, id), fallback);
	case_problems(r, u, id, rc == OA_ERR_INVALID ? 422 : st, e);
}

static void case_refused(web_req *r, web_user *u, int64_t id, oa_err rc)
{
	case_refused_on(r, u, id, rc, NULL);
}

struct misses {
	web_req *r;
	pg_errs *e;
};

static int miss_cb(const sop_document *doc, int own, void *arg)
{
	struct misses *m = arg;
	const char *name = doc->name ? doc->name : "";

	pg_errs_add(m->r, m->e, "doc", own ? "doc_missing_own" : "doc_missing", name, name);
	return 0;
}

/* The portal's own check of an act before the engine's (which stays the
 * final authority): every document the step still needs (as the engine
 * counts them), the reason and the confirmation, all at once, into e. */
static void act_precheck(web_req *r, const engine_case *c, const sop_def *d, const sop_step *s,
    const engine_act *a, const char *confirm, pg_errs *e)
{
	struct misses m = {r, e};
	int passes = sop_turn_passes(s, c->turn);

	if (!passes && engine_case_missing_docs(r->engine, c->id, a, miss_cb, &m) != OA_OK)
		oa_err_clear(); /* the engine's own check will say what is wrong */
	if (s->records_reason && a->reason && sop_reason_label(d, a->reason) == NULL)
		pg_errs_add(r, e, "reason", "reason_unknown", NULL, NULL);
	else if (!passes && s->records_reason && a->reason == NULL && !c->reason[0] &&
	         a->decision != ENGINE_NO)
		pg_errs_add(r, e, "reason", "reason_required", NULL, NULL);
	if (passes)
		return;
	if (pc_step_changes_cert(s) && !(confirm && strcmp(confirm, "1") == 0))
		pg_errs_add(r, e, "confirm", "confirm_box", NULL, NULL);
}

static void h_act(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);
	const char *step, *role, *note, *dec, *reason;
	engine_act a = {0};
	engine_result res;
	engine_case c;
	oa_err rc;

	if (u == NULL || !pc_visible(r, u, r->param[0], &c))
		return;
	step = web_form_get(&f, "step");
	role = web_form_get(&f, "role");
	note = web_form_text(&f, "note");
	dec = web_form_get(&f, "decision");
	if (step == NULL || role == NULL || dec == NULL || strlen(step) > OA_MAX_SOP_ID ||
	    strlen(role) > OA_MAX_SOP_ID) {
		case_refused(r, u, c.id, oa_fail_id(OA_ERR_INVALID, "form_bad", NULL,
		                              "the form lacks step, role or decision"));
		return;
	}
	if (note && strlen(note) > OA_MAX_SOP_TEXT) {
		case_refused(r, u, c.id, oa_fail_id(OA_ERR_INVALID, "too_long", "note",
		                              "the note is longer than %d bytes", OA_MAX_SOP_TEXT));
		return;
	}
	a.case_id = c.id;
	a.step = step;
	a.role = role;
	a.note = note && *note ? note : NULL;
	reason = web_form_get(&f, "reason");
	if (reason && strlen(reason) > OA_MAX_SOP_ID) {
		case_refused(r, u, c.id, oa_fail_id(OA_ERR_INVALID, "reason_unknown", "reason",
		                              "the reason is not one of the list"));
		return;
	}
	a.reason = reason && *reason ? reason : NULL;
	if (strcmp(dec, "yes") == 0)
		a.decision = ENGINE_YES;
	else if (strcmp(dec, "no") == 0)
		a.decision = ENGINE_NO;
	else if (strcmp(dec, "done") == 0)
		a.decision = ENGINE_NO_DECISION;
	else {
		case_refused(r, u, c.id, oa_fail_id(OA_ERR_INVALID, "form_bad", NULL,
		                              "decision must be yes, no or done"));
		return;
	}
	{
		/* every problem of the form at once, before the engine (a step
		 * that issues or revokes by itself is confirmed: the form's box) */
		const sop_def *d = pc_case_def(r, c.id);
		int i = d && strcmp(c.state, "open") == 0 && strcmp(c.step, step) == 0 ?
		    sop_step_index(d, step) : -1;
		pg_errs *e = web_alloc(r, sizeof *e);
		if (i >= 0 && e) {
			e->n = 0;
			act_precheck(r, &c, d, &d->steps[i], &a, web_form_get(&f, "confirm"), e);
			if (e->n) {
				r->errcode = oa_err_name(OA_ERR_INVALID);
				case_problems(r, u, c.id, 422, e);
				return;
			}
		}
	}
	memset(&res, 0, sizeof res);
	if ((rc = engine_case_act(r->engine, &u->w.who, &a, &res))) {
		case_refused(r, u, c.id, rc);
		return;
	}
	if (res.issued[0])
		web_redirect(r, web_printf(r, "/portal/cases/%" PRId64 "?done=issued&serial=%s", c.id,
		                    res.issued));
	else if (res.revoked[0])
		web_redirect(r, web_printf(r, "/portal/cases/%" PRId64 "?done=revoked&serial=%s",
		                    c.id, res.revoked));
	else
		web_redirect(r, web_printf(r, "/portal/cases/%" PRId64 "?done=act", c.id));
}

static void h_close(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);
	const char *how, *note;
	engine_case c;
	oa_err rc;
	int h;

	if (u == NULL || !pc_visible(r, u, r->param[0], &c))
		return;
	how = web_form_get(&f, "how");
	note = web_form_text(&f, "note");
	if (how && strcmp(how, "withdraw") == 0)
		h = ENGINE_WITHDRAW;
	else if (how && strcmp(how, "reject") == 0)
		h = ENGINE_REJECT;
	else {
		case_refused(r, u, c.id, oa_fail_id(OA_ERR_INVALID, "form_bad", NULL,
		                              "how must be withdraw or reject"));
		return;
	}
	if (note && strlen(note) > OA_MAX_SOP_TEXT) {
		case_refused(r, u, c.id, oa_fail_id(OA_ERR_INVALID, "too_long", "note",
		                              "the note is longer than %d bytes", OA_MAX_SOP_TEXT));
		return;
	}
	if ((rc = engine_case_close(r->engine, &u->w.who, c.id, h, note && *note ? note : NULL))) {
		case_refused(r, u, c.id, rc);
		return;
	}
	web_redirect(r, web_printf(r, "/portal/cases/%" PRId64 "?done=closed", c.id));
}

static void h_upload(web_req *r)
{
	web_user *u = portal_session(r);
	docs_multipart m;
	const docs_part *file;
	const char *doc;
	docs_info d;
	engine_case c;
	oa_err rc;

	if (u == NULL || !portal_multipart(r, &m))
		return;
	if (!portal_csrf_ok(u, docs_multipart_get(&m, "csrf"))) {
		portal_csrf_refused(r, u, web_printf(r, "/portal/cases/%s", r->param[0]));
		return;
	}
	if (!pc_visible(r, u, r->param[0], &c))
		return;
	doc = docs_multipart_get(&m, "doc");
	file = docs_multipart_file(&m, "file");
	if (doc == NULL || *doc == 0 || strlen(doc) > OA_MAX_SOP_ID || file == NULL) {
		case_refused_on(r, u, c.id, oa_fail_id(OA_ERR_INVALID, "choose_file",
		                                 file == NULL ? "file" : "doc",
		                                 "choose the document and its file"), NULL);
		return;
	}
	if (!docs_filename_ok(file->filename)) {
		case_refused(r, u, c.id, oa_fail_id(OA_ERR_INVALID, "file_name", "file",
		                              "the file name is not valid (no path, no control characters)"));
		return;
	}
	if ((rc = docs_store(inst_dir(r->in), file->data, file->len, doc_types, &d))) {
		if ((rc == OA_ERR_INVALID || rc == OA_ERR_LIMIT) && file->len > 0) {
			pg_errs e = {.n = 0};
			oa_err_clear();
			r->errcode = rc == OA_ERR_LIMIT ? oa_err_name(rc) : "unsupported_media_type";
			pg_errs_add(r, &e, "file", rc == OA_ERR_LIMIT ? "file_size" : "file_type", NULL,
			    NULL);
			case_page(r, u, &c, rc == OA_ERR_LIMIT ? 413 : 415, &e);
			return;
		}
		case_refused_on(r, u, c.id, rc, "file");
		return;
	}
	if ((rc = engine_case_attach(r->engine, &u->w.who, c.id, doc, d.sha256, file->filename))) {
		docs_unstore(&d);
		case_refused_on(r, u, c.id, rc, "doc");
		return;
	}
	web_redirect(r, web_printf(r, "/portal/cases/%" PRId64 "?done=doc", c.id));
}

static void free_cb(void *q) { free(q); }

static void h_doc(web_req *r)
{
	web_user *u = portal_user(r);
	const char *sha = r->param[1];
	char type[128];
	engine_case c;
	uint8_t *data = NULL;
	size_t len = 0;
	int found = 0;
	oa_err rc;

	if (u == NULL || !pc_visible(r, u, r->param[0], &c))
		return;
	if (oa_is_hex(sha, 64)) {
		engine_doc doc;
		if ((rc = engine_case_document(r->engine, c.id, sha, &doc)) == OA_OK)
			found = 1;
		else if (rc != OA_ERR_NOTFOUND) {
			pg_err(r, u, rc, web_printf(r, "/portal/cases/%" PRId64, c.id));
			return;
		}
	}
	oa_err_clear();
	if (!found || docs_read(inst_dir(r->in), sha, &data, &len, type, sizeof type)) {
		oa_err_clear();
		r->errcode = oa_err_name(OA_ERR_NOTFOUND);
		pg_refused(r, u, 404, "Dokumen tidak ditemukan", "Document not found",
		    "document_unknown",
		    web_printf(r, "/portal/cases/%" PRId64, c.id));
		return;
	}
	/* Stored only after libmagic judged it one of these three. */
	if (!docs_type_in(type, doc_types))
		snprintf(type, sizeof type, "application/octet-stream");
	web_reply_owned(r, 200, type, data, len, free_cb, data);
	if (r->resp == NULL) {
		free(data);
		return;
	}
	web_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, "inline");
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-store");
	web_header(r, "X-Content-Type-Options", "nosniff");
	web_header(r, "X-Frame-Options", "SAMEORIGIN");
	web_header(r, "Referrer-Policy", "no-referrer");
	web_header(r, "Content-Security-Policy",
	    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
	    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'");
}

static const web_route routes[] = {
	{WEB_GET, "/portal/cases/{id}", h_case, 0},
	{WEB_POST, "/portal/cases/{id}/act", h_act, CASE_FORM_BODY},
	{WEB_POST, "/portal/cases/{id}/close", h_close, CASE_FORM_BODY},
	{WEB_POST, "/portal/cases/{id}/documents", h_upload, UPLOAD_BODY},
	{WEB_GET, "/portal/cases/{id}/documents/{sha}", h_doc, 0},
};

const web_route_table web_portal_cases_table = {"portal_cases", routes,
    sizeof routes / sizeof routes[0]};
