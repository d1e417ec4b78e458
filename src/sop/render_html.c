/*
 * render_html.c - the official SOP form as one self-contained HTML page.
 *
 * Layout follows the forms of Permenpan RB 35/2012 that agencies publish:
 * the identity block (agency, NOMOR SOP, dates, DISAHKAN OLEH, NAMA SOP),
 * the six boxes (DASAR HUKUM, KUALIFIKASI PELAKSANA, KETERKAITAN,
 * PERALATAN/PERLENGKAPAN, PERINGATAN, PENCATATAN DAN PENDATAAN), then the
 * activity table: NO, KEGIATAN, one PELAKSANA column per actor with the
 * step's symbol in the acting actor's column, MUTU BAKU (KELENGKAPAN, WAKTU,
 * OUTPUT) and KETERANGAN.
 *
 * The page has inline CSS only, no scripts and no external resources, and
 * every text from the definition goes through sop_w_esc(): a definition is
 * input, and its text must never become markup.  The output is also
 * well-formed XML, so tools such as xmllint can check it.
 */
#include "sopInt.h"

#include <string.h>

static const char css[] =
    "@page{size:A4 landscape;margin:12mm}"
    "body{font-family:Arial,Helvetica,sans-serif;font-size:10pt;color:#000;margin:16px}"
    "h1{font-size:13pt;text-align:center;margin:0 0 2px}"
    "h2{font-size:12pt;text-align:center;margin:0 0 10px}"
    "table{border-collapse:collapse;width:100%;margin-bottom:10px}"
    "th,td{border:1px solid #000;padding:4px 6px;vertical-align:top;text-align:left}"
    "th{background:#e8e8e8}"
    "table.id td.agency{width:45%;text-align:center;vertical-align:middle;font-weight:bold}"
    "table.id td.agency div{margin:3px 0}"
    "table.id td.agency .addr{font-weight:normal;font-size:9pt}"
    "table.id th{width:16%;white-space:nowrap}"
    "table.info td{width:50%}"
    "table.info th{width:50%}"
    "ol{margin:0;padding-left:18px}"
    "ul.plain{margin:0;padding:0;list-style:none}"
    "table.steps th{text-align:center;vertical-align:middle}"
    "table.steps td.no,table.steps td.mark,table.steps td.time{text-align:center}"
    "table.steps td.mark{vertical-align:middle;min-width:70px}"
    "table.steps td.act{min-width:220px}"
    ".mk{display:inline-block;min-width:34px;height:22px;line-height:22px;border:1.5px solid #000;"
    "background:#fff;font-size:9pt;font-weight:bold;text-align:center}"
    ".mk.term{border-radius:11px;min-width:44px}"
    ".mk.dec{min-width:0;width:24px;height:24px;line-height:24px;transform:rotate(45deg);"
    "margin:6px 4px}"
    ".mk.dec span{display:inline-block;transform:rotate(-45deg)}"
    ".lbl{font-size:8pt;color:#333;margin:2px 0}"
    ".src{font-size:8pt;color:#444;margin-top:6px}"
    ".footer{font-size:9pt;margin-top:8px;border-top:1px solid #000;padding-top:4px}"
    "@media print{th{background:none}}";

/* An <ol> of a list, or a single paragraph for one item, or "-" for none. */
static void list(sop_w *w, const sop_list *l, int numbered)
{
	if (l->n == 0) {
		sop_w_put(w, "-");
		return;
	}
	if (l->n == 1 || !numbered) {
		for (size_t i = 0; i < l->n; i++) {
			sop_w_put(w, i ? "<br/>" : "");
			sop_w_esc(w, l->items[i]);
		}
		return;
	}
	sop_w_put(w, "<ol>");
	for (size_t i = 0; i < l->n; i++) {
		sop_w_put(w, "<li>");
		sop_w_esc(w, l->items[i]);
		sop_w_put(w, "</li>");
	}
	sop_w_put(w, "</ol>");
}

static void identity(sop_w *w, const sop_def *d)
{
	const char *dates[3] = {d->made, d->revised, d->effective};
	static const char *const date_names[3] = {"TGL. PEMBUATAN", "TGL. REVISI", "TGL. EFEKTIF"};

	sop_w_put(w, "<h1>STANDAR OPERASIONAL PROSEDUR (SOP)</h1>\n<h2>");
	sop_w_esc(w, d->name);
	sop_w_put(w, "</h2>\n<table class=\"id\">\n<tr><td class=\"agency\" rowspan=\"6\">");
	if (d->agency.government && *d->agency.government) {
		sop_w_put(w, "<div class=\"gov\">");
		sop_w_esc(w, d->agency.government);
		sop_w_put(w, "</div>");
	}
	sop_w_put(w, "<div class=\"ag\">");
	sop_w_esc(w, d->agency.name);
	sop_w_put(w, "</div>");
	if (d->agency.unit && *d->agency.unit) {
		sop_w_put(w, "<div class=\"unit\">");
		sop_w_esc(w, d->agency.unit);
		sop_w_put(w, "</div>");
	}
	if (d->agency.address && *d->agency.address) {
		sop_w_put(w, "<div class=\"addr\">");
		sop_w_esc(w, d->agency.address);
		sop_w_put(w, "</div>");
	}
	sop_w_put(w, "</td><th>NOMOR SOP</th><td>");
	sop_w_esc(w, d->number && *d->number ? d->number : "-");
	sop_w_put(w, "</td></tr>\n");
	for (int i = 0; i < 3; i++) {
		sop_w_putf(w, "<tr><th>%s</th><td>", date_names[i]);
		sop_w_esc(w, dates[i] && *dates[i] ? dates[i] : "-");
		sop_w_put(w, "</td></tr>\n");
	}
	sop_w_put(w, "<tr><th>DISAHKAN OLEH</th><td>");
	if (d->approver.signed_electronically)
		sop_w_put(w, "<div class=\"lbl\">Ditandatangani secara elektronik oleh:</div>");
	sop_w_esc(w, d->approver.title);
	if (d->approver.name && *d->approver.name) {
		sop_w_put(w, "<br/><b>");
		sop_w_esc(w, d->approver.name);
		sop_w_put(w, "</b>");
	}
	if (d->approver.rank && *d->approver.rank) {
		sop_w_put(w, "<br/>");
		sop_w_esc(w, d->approver.rank);
	}
	if (d->approver.nip && *d->approver.nip) {
		sop_w_put(w, "<br/>NIP. ");
		sop_w_esc(w, d->approver.nip);
	}
	sop_w_put(w, "</td></tr>\n<tr><th>NAMA SOP</th><td><b>");
	sop_w_esc(w, d->name);
	sop_w_put(w, "</b></td></tr>\n</table>\n");
}

static void info(sop_w *w, const sop_def *d)
{
	sop_w_put(w, "<table class=\"info\">\n<tr><th>DASAR HUKUM</th><th>KUALIFIKASI PELAKSANA</th></tr>\n<tr><td>");
	list(w, &d->legal_basis, 1);
	sop_w_put(w, "</td><td>");
	list(w, &d->qualifications, 1);
	sop_w_put(w, "</td></tr>\n<tr><th>KETERKAITAN</th><th>PERALATAN/PERLENGKAPAN</th></tr>\n<tr><td>");
	list(w, &d->related, 1);
	sop_w_put(w, "</td><td>");
	list(w, &d->equipment, 1);
	sop_w_put(w, "</td></tr>\n<tr><th>PERINGATAN</th><th>PENCATATAN DAN PENDATAAN</th></tr>\n<tr><td>");
	if (d->warnings_intro && *d->warnings_intro) {
		sop_w_esc(w, d->warnings_intro);
		if (d->warnings.n)
			sop_w_put(w, "<br/>");
	}
	if (d->warnings.n || !(d->warnings_intro && *d->warnings_intro))
		list(w, &d->warnings, 1);
	sop_w_put(w, "</td><td>");
	list(w, &d->records, 1);
	sop_w_put(w, "</td></tr>\n</table>\n");
}

static const char *target_id(const sop_def *d, int t)
{
	return t == SOP_END ? "Selesai" : d->steps[t].id;
}

static void mark(sop_w *w, const sop_def *d, size_t i)
{
	const sop_step *s = &d->steps[i];

	if (i == 0)
		sop_w_put(w, "<div class=\"lbl\">Mulai</div>");
	if (s->action == SOP_ACT_DECIDE) {
		sop_w_put(w, "<span class=\"mk dec\"><span>");
		sop_w_esc(w, s->id);
		sop_w_put(w, "</span></span><div class=\"lbl\">Ya &#8594; ");
		sop_w_esc(w, target_id(d, s->yes));
		sop_w_put(w, "<br/>Tidak &#8594; ");
		sop_w_esc(w, target_id(d, s->no));
		sop_w_put(w, "</div>");
		return;
	}
	sop_w_put(w, s->action == SOP_ACT_DONE ? "<span class=\"mk term\">" : "<span class=\"mk\">");
	sop_w_esc(w, s->id);
	sop_w_put(w, "</span>");
	if (s->action == SOP_ACT_DONE)
		return;
	if (s->next == SOP_END)
		sop_w_put(w, "<div class=\"lbl\">&#8594; Selesai</div>");
	else if (s->next != (int)i + 1) {
		sop_w_put(w, "<div class=\"lbl\">&#8594; ");
		sop_w_esc(w, target_id(d, s->next));
		sop_w_put(w, "</div>");
	}
}

static void steps(sop_w *w, const sop_def *d)
{
	sop_w_putf(w, "<table class=\"steps\">\n<thead>\n<tr><th rowspan=\"2\">NO</th>"
	    "<th rowspan=\"2\">KEGIATAN</th><th colspan=\"%zu\">PELAKSANA</th>"
	    "<th colspan=\"3\">MUTU BAKU</th><th rowspan=\"2\">KETERANGAN</th></tr>\n<tr>",
	    d->n_actors);
	for (size_t a = 0; a < d->n_actors; a++) {
		sop_w_put(w, "<th class=\"actor\">");
		sop_w_esc(w, d->actors[a].name);
		sop_w_put(w, "</th>");
	}
	sop_w_put(w, "<th>KELENGKAPAN</th><th>WAKTU</th><th>OUTPUT</th></tr>\n</thead>\n<tbody>\n");
	for (size_t i = 0; i < d->n_steps; i++) {
		const sop_step *s = &d->steps[i];

		sop_w_put(w, "<tr><td class=\"no\">");
		sop_w_esc(w, s->id);
		sop_w_put(w, "</td><td class=\"act\">");
		sop_w_esc(w, s->activity);
		sop_w_put(w, "</td>");
		for (size_t a = 0; a < d->n_actors; a++) {
			int acts = 0;
			size_t place = 0;

			for (size_t k = 0; k < s->n_actors; k++)
				if (s->actors[k] == (int)a) {
					acts = 1;
					place = k + 1;
				}
			/* A `done` step without actor ends in the lane of the step before. */
			if (s->n_actors == 0 && i > 0 && d->steps[i - 1].n_actors > 0 &&
			    d->steps[i - 1].actors[0] == (int)a)
				acts = 1;
			sop_w_put(w, "<td class=\"mark\">");
			/* in turn: each actor's place in the order ("giliran 1 dari 2") */
			if (acts && s->in_turn && place)
				sop_w_putf(w, "<div class=\"lbl turn\">giliran %zu/%zu</div>", place,
				    s->n_actors);
			if (acts)
				mark(w, d, i);
			sop_w_put(w, "</td>");
		}
		sop_w_put(w, "<td class=\"req\">");
		if (s->n_inputs) {
			sop_w_put(w, "<ul class=\"plain\">");
			for (size_t k = 0; k < s->n_inputs; k++) {
				sop_w_put(w, "<li>");
				if (s->n_inputs > 1)
					sop_w_putf(w, "%zu. ", k + 1);
				sop_w_esc(w, s->inputs[k].doc >= 0 ?
				    d->documents[s->inputs[k].doc].name : s->inputs[k].text);
				sop_w_put(w, "</li>");
			}
			sop_w_put(w, "</ul>");
		}
		sop_w_put(w, "</td><td class=\"time\">");
		sop_w_esc(w, s->time.none ? "-" : s->time.text);
		sop_w_put(w, "</td><td class=\"out\">");
		sop_w_esc(w, s->output);
		sop_w_put(w, "</td><td class=\"note\">");
		if (s->notes.n)
			list(w, &s->notes, 1);
		sop_w_put(w, "</td></tr>\n");
	}
	sop_w_put(w, "</tbody>\n</table>\n");
}

static void reasons(sop_w *w, const sop_def *d)
{
	if (d->n_reasons == 0)
		return;
	sop_w_put(w, "<table class=\"reasons\">\n<tr><th>ALASAN PENCABUTAN</th>"
	    "<th>ALASAN RFC 5280</th><th>DOKUMEN YANG DIPERLUKAN</th></tr>\n");
	for (size_t i = 0; i < d->n_reasons; i++) {
		const sop_reason *r = &d->reasons[i];

		sop_w_put(w, "<tr><td>");
		sop_w_esc(w, r->label);
		sop_w_put(w, "</td><td>");
		sop_w_esc(w, sop_crl_reason_name(r->crl));
		sop_w_put(w, "</td><td>");
		for (size_t k = 0; k < r->n_docs; k++) {
			sop_w_put(w, k ? "<br/>" : "");
			sop_w_esc(w, d->documents[r->docs[k]].name);
		}
		if (r->n_docs == 0)
			sop_w_put(w, "-");
		sop_w_put(w, "</td></tr>\n");
	}
	sop_w_put(w, "</table>\n");
}

oa_err sop_render_html(const sop_def *d, oa_buf *out)
{
	sop_w w = {out, OA_OK};

	sop_w_put(&w, "<!DOCTYPE html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>SOP ");
	if (d->number && *d->number) {
		sop_w_esc(&w, d->number);
		sop_w_put(&w, " - ");
	}
	sop_w_esc(&w, d->name);
	/* named: in the portal the form is framed in a page with its own <main> */
	sop_w_putf(&w, "</title>\n<style>%s</style>\n</head>\n<body>\n"
	    "<main aria-label=\"Formulir SOP\">\n", css);
	identity(&w, d);
	info(&w, d);
	steps(&w, d);
	reasons(&w, d);
	if (d->footer && *d->footer) {
		sop_w_put(&w, "<div class=\"footer\">");
		sop_w_esc(&w, d->footer);
		sop_w_put(&w, "</div>\n");
	}
	if (d->source && *d->source) {
		sop_w_put(&w, "<div class=\"src\">Sumber: ");
		sop_w_esc(&w, d->source);
		sop_w_put(&w, "</div>\n");
	}
	sop_w_put(&w, "</main>\n</body>\n</html>\n");
	return w.rc;
}
