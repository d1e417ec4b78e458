/*
 * case_step.c - the current step's box on the case page
 * (routes_portal_cases.c): what its buttons say (a decision's labels, an
 * action's verb), the upload form placed before an upload step's button,
 * and, before a step that issues or revokes, the certificate concerned and
 * the confirmation that step needs (checked again when the act is posted).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portalInt.h"

int pc_has_doc(const engine_doc *v, size_t n, const char *doc)
{
	return pc_has_doc_at(v, n, doc, NULL);
}

int pc_has_doc_at(const engine_doc *v, size_t n, const char *doc, const char *step)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].doc, doc) == 0 && (step == NULL || strcmp(v[i].step, step) == 0))
			return 1;
	return 0;
}

/* The verb of each action that has one; the others are "Selesai" / "Done". */
static const struct {
	sop_action a;
	const char *id, *en;
} verbs[] = {
	{SOP_ACT_FORWARD, "Teruskan", "Forward"},
	{SOP_ACT_UPLOAD, "Kirim", "Submit"},
	{SOP_ACT_SIGN_LETTER, "Tandatangani", "Sign"},
	{SOP_ACT_ISSUE, "Terbitkan sertifikat", "Issue the certificate"},
	{SOP_ACT_REVOKE, "Cabut sertifikat", "Revoke the certificate"},
};

static int verb_of(sop_action a)
{
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (verbs[i].a == a)
			return (int)i;
	return -1;
}

const char *pc_act_label_id(sop_action a)
{
	int v = verb_of(a);
	return v >= 0 ? verbs[v].id : "Selesai";
}

const char *pc_act_label_en(sop_action a)
{
	int v = verb_of(a);
	return v >= 0 ? verbs[v].en : "Done";
}

/* "Terbitkan sertifikat" -> "terbitkan sertifikat" (ASCII first letters). */
static const char *lower_first(web_req *r, const char *t)
{
	char *c = web_printf(r, "%s", t);

	if (c && c[0] >= 'A' && c[0] <= 'Z')
		c[0] = (char)(c[0] - 'A' + 'a');
	return c ? c : t;
}

/*
 * A decision's buttons say what they do: the definition's yes_label and
 * no_label, else what the branch does ("Ya - terbitkan sertifikat", "Tidak -
 * kembali ke langkah 1 (Pemohon)", "Tidak - akhiri permohonan").  The
 * English half stays Yes / No.
 */
void pc_decision_buttons(web_req *r, pg *p, const sop_def *d, const sop_step *s)
{
	const char *yes = s->yes_label, *no = s->no_label;

	if (yes == NULL) {
		if (verb_of(s->yes_action) >= 0)
			yes = web_printf(r, "Ya - %s", lower_first(r, pc_act_label_id(s->yes_action)));
		else if (s->yes >= 0 && (size_t)s->yes < d->n_steps)
			yes = web_printf(r, "Ya - lanjut ke langkah %s", d->steps[s->yes].id);
		else
			yes = "Ya - selesai";
	}
	if (no == NULL) {
		if (s->no >= 0 && (size_t)s->no < d->n_steps) {
			const sop_step *n = &d->steps[s->no];
			no = web_printf(r, "Tidak - %s langkah %s%s%s%s", n < s ? "kembali ke" : "ke",
			    n->id, n->n_actors ? " (" : "", n->n_actors ?
			    pc_actor_name(d, d->actors[n->actors[0]].id) : "", n->n_actors ? ")" : "");
		} else
			no = "Tidak - akhiri permohonan";
	}
	pg_button(p, "decision", "yes", yes ? yes : "Ya", "Yes", NULL);
	pg_button(p, "decision", "no", no ? no : "Tidak", "No", "danger");
}

/* The upload form of a case (the applicant or a holder of the step's role,
 * while it is open): on an upload step it comes before the step's submit
 * button, so that the button is the last thing done. */
void pc_upload_form(web_req *r, pg *p, const engine_case *c, const sop_def *d,
    const sop_step *s, const engine_doc *docs, size_t nd)
{
	pg_h2(p, "Unggah dokumen", "Upload a document");
	pg_form(p, web_printf(r, "/portal/cases/%" PRId64 "/documents", c->id), 1);
	pg_raw(p, "<div class=\"field\"><label for=\"f_doc\">");
	pg_bi(p, "Jenis dokumen", "Document");
	pg_raw(p, "</label><select id=\"f_doc\" name=\"doc\" required");
	pg_field_aria(p, "doc");
	pg_raw(p, ">\n");
	/* Preselected: the first document the step requires that is missing. */
	int pre = -1;
	for (size_t k = 0; k < s->n_inputs && pre < 0; k++)
		if (s->inputs[k].doc >= 0 && !pc_has_doc_at(docs, nd, d->documents[s->inputs[k].doc].id,
		    s->inputs[k].own ? s->id : NULL))
			pre = s->inputs[k].doc;
	for (size_t i = 0; i < d->n_documents; i++) {
		int req = 0;
		for (size_t k = 0; k < s->n_inputs; k++)
			req |= s->inputs[k].doc == (int)i;
		pg_raw(p, "<option value=\"");
		pg_text(p, d->documents[i].id);
		pg_raw(p, "\"%s>", (int)i == pre ? " selected" : "");
		pg_text(p, d->documents[i].name);
		if (req)
			pg_raw(p, " (diperlukan / required)");
		if (pc_has_doc(docs, nd, d->documents[i].id))
			pg_raw(p, " &#10003;");
		pg_raw(p, "</option>\n");
	}
	pg_raw(p, "</select>");
	pg_field_msgs(p, "doc");
	pg_raw(p, "</div>\n<div class=\"field\"><label for=\"f_file\">");
	pg_bi(p, "Berkas (PDF, JPEG atau PNG, paling besar 10 MB)",
	    "File (PDF, JPEG or PNG, at most 10 MB)");
	pg_raw(p, "</label><input id=\"f_file\" name=\"file\" type=\"file\" "
	           "accept=\"application/pdf,image/jpeg,image/png\" required");
	pg_field_aria(p, "file");
	pg_raw(p, ">");
	pg_field_msgs(p, "file");
	pg_raw(p, "</div>\n");
	pg_button(p, NULL, NULL, "Unggah", "Upload", "secondary");
	pg_raw(p, "</form>\n");
}

/* A row of the preview table (skipped when v is empty). */
static void preview_row(pg *p, const char *id, const char *en, const char *v)
{
	if (v == NULL || *v == 0)
		return;
	pg_raw(p, "<tr><th scope=\"row\">");
	pg_bi(p, id, en);
	pg_raw(p, "</th><td>");
	pg_text(p, v);
	pg_raw(p, "</td></tr>\n");
}

/* 1 if the step issues or revokes by itself (one button, confirmed). */
int pc_step_changes_cert(const sop_step *s)
{
	return s->action == SOP_ACT_ISSUE || s->action == SOP_ACT_REVOKE;
}

/*
 * Before a step that issues or revokes (its own action, or a decision's
 * yes_action): what will happen to which certificate.  Issuing: the
 * certificate the engine would request now (engine_act_cert, nothing
 * changed), with the profile's validity.  Revoking: the case's
 * certificate and the reason.  When the act would be refused, nothing is
 * shown here: pressing the button gives the refusal with its reason.
 */
void pc_cert_preview(web_req *r, pg *p, web_user *u, const engine_case *c,
    const sop_def *d, const sop_step *s, const char *role)
{
	sop_action what = s->action == SOP_ACT_DECIDE ? s->yes_action : s->action;

	if (what == SOP_ACT_ISSUE) {
		engine_act a = {.case_id = c->id, .step = s->id, .role = role,
		    .decision = s->action == SOP_ACT_DECIDE ? ENGINE_YES : ENGINE_NO_DECISION};
		engine_cert_need n;
		int days = 0, months = 0;
		memset(&n, 0, sizeof n);
		if (engine_act_cert(r->engine, &u->w.who, &a, &n) != OA_OK ||
		    n.need != ENGINE_CERT_ISSUE) {
			oa_err_clear();
			engine_cert_need_free(&n);
			return;
		}
		pg_raw(p, "<div class=\"preview-cert\" id=\"cert-preview\"><h3>");
		pg_bi(p, "Sertifikat yang akan diterbitkan", "The certificate to be issued");
		pg_raw(p, "</h3><div class=\"table\"><table>\n");
		preview_row(p, "Nama (CN)", "Name", n.r.cn);
		preview_row(p, "NIK (serialNumber PNOID-)", "NIK", n.r.nik);
		preview_row(p, "NIP (UID)", "NIP", n.r.nip);
		preview_row(p, "E-mail", "E-mail", n.r.email);
		preview_row(p, "Instansi (O)", "Organisation", n.r.o);
		preview_row(p, "Unit kerja (OU)", "Unit", n.r.ou);
		preview_row(p, "Kota (L)", "Locality", n.r.l);
		preview_row(p, "Provinsi (ST)", "Province", n.r.st);
		preview_row(p, "Profil", "Profile", n.r.profile ? n.r.profile : "individual");
		if (n.r.validity_days > 0)
			preview_row(p, "Masa berlaku", "Validity",
			    web_printf(r, "%d hari / days", n.r.validity_days));
		else if (ca_profile_validity(r->ca, n.r.profile, &days, &months) == OA_OK)
			preview_row(p, "Masa berlaku", "Validity", months > 0 ?
			    (months % 12 == 0 ? web_printf(r, "%d tahun kalender / calendar years",
			                            months / 12) :
			                        web_printf(r, "%d bulan / months", months)) :
			    web_printf(r, "%d hari / days", days));
		else
			oa_err_clear();
		pg_raw(p, "</table></div></div>\n");
		engine_cert_need_free(&n);
	} else if (what == SOP_ACT_REVOKE && c->serial[0]) {
		ca_cert_info ci;
		const char *reason = c->reason[0] ? sop_reason_label(d, c->reason) : NULL;
		if (ca_status(r->ca, c->serial, &ci) != OA_OK) {
			oa_err_clear();
			return;
		}
		if (c->reason[0] && reason == NULL)
			reason = c->reason;
		if (reason == NULL && s->records_reason)
			reason = "(dipilih di bawah / chosen below)";
		pg_raw(p, "<div class=\"preview-cert\" id=\"cert-preview\"><h3>");
		pg_bi(p, "Sertifikat yang akan dicabut", "The certificate to be revoked");
		pg_raw(p, "</h3><div class=\"table\"><table>\n");
		preview_row(p, "Nomor seri", "Serial number", ci.serial);
		preview_row(p, "Pemegang", "Holder", ci.cn);
		preview_row(p, "Status", "Status", ci.status);
		pg_raw(p, "<tr><th scope=\"row\">");
		pg_bi(p, "Berlaku sampai", "Valid until");
		pg_raw(p, "</th><td>");
		pg_time(p, ci.not_after);
		pg_raw(p, "</td></tr>\n");
		preview_row(p, "Alasan", "Reason", reason);
		pg_raw(p, "</table></div></div>\n");
	}
}

void pc_reason_select(pg *p, const sop_def *d, const char *cur, int required)
{
	const char *ids[16], *labels[16];
	size_t n = sop_reason_choices(d, ids, labels, 16);

	pg_raw(p, "<div class=\"field\"><label for=\"f_reason\">");
	pg_bi(p, "Alasan pencabutan (dari surat pemohon)",
	    "Revocation reason (from the applicant's letter)");
	pg_raw(p, "</label><select id=\"f_reason\" name=\"reason\"%s", required ? " required" : "");
	pg_field_aria(p, "reason");
	pg_raw(p, ">\n<option value=\"\">-</option>\n");
	for (size_t i = 0; i < n; i++) {
		pg_raw(p, "<option value=\"");
		pg_text(p, ids[i]);
		pg_raw(p, "\"%s>", cur && strcmp(cur, ids[i]) == 0 ? " selected" : "");
		pg_text(p, labels[i]);
		pg_raw(p, "</option>\n");
	}
	pg_raw(p, "</select>");
	pg_field_msgs(p, "reason");
	pg_raw(p, "</div>\n");
}
