/*
 * fields.c - the portal's form fields and the refusals about them: each
 * input with its label and unique element id, the messages of the message
 * catalogue (msgcat.h) beside the field they name, with aria-invalid and
 * aria-describedby, and the summary at the top of the form linking to them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgcat.h"
#include "portalInt.h"

/* The element id of a field named name: "f_NAME" for the page's first field
 * of that name, "f_NAME-2", "f_NAME-3"... for the next ones (the account
 * page asks for the password in two forms), so that ids stay unique and
 * each label names its own input. */
static void field_id(pg *p, const char *name, char *id, size_t idsz)
{
	size_t nl = strlen(name), used = strlen(p->field_names);
	unsigned seq = 1;

	for (const char *s = p->field_names; (s = strstr(s, name)) != NULL; s += nl)
		if ((s == p->field_names || s[-1] == ' ') && s[nl] == ' ')
			seq++;
	if (used + nl + 2 <= sizeof p->field_names) {
		memcpy(p->field_names + used, name, nl);
		memcpy(p->field_names + used + nl, " ", 2);
	} else if (seq == 1) {
		seq = 1000 + ++p->field_extra;   /* not seen, but maybe unrecorded */
	}
	if (seq == 1)
		snprintf(id, idsz, "f_%s", name);
	else
		snprintf(id, idsz, "f_%s-%u", name, seq);
}

/* ---- refusals about fields (msgcat.h) ---- */

/* tmpl with its "{}" replaced by arg (request memory). */
static const char *fill(web_req *r, const char *tmpl, const char *arg)
{
	const char *at = strstr(tmpl, "{}");
	const char *out;

	if (at == NULL)
		return tmpl;
	out = web_printf(r, "%.*s%s%s", (int)(at - tmpl), tmpl, arg ? arg : "", at + 2);
	return out ? out : tmpl;
}

void pg_errs_add(web_req *r, pg_errs *e, const char *field, const char *key,
    const char *arg_id, const char *arg_en)
{
	const msgcat_entry *m = msgcat_find(key);
	const char *lid = arg_id, *len = arg_en;

	if (m == NULL)
		m = msgcat_generic(OA_ERR_INVALID);
	if (e->n >= PG_MAX_ERRS)
		return;
	if (lid == NULL && !msgcat_field_label(field, &lid, &len)) {
		lid = "Isian ini";
		len = "This field";
	}
	e->e[e->n].field = field ? field : "";
	e->e[e->n].id = fill(r, m->id, lid);
	e->e[e->n].en = fill(r, m->en, len ? len : lid);
	e->n++;
}

void pg_errs_take(web_req *r, pg_errs *e, oa_err rc, const sop_def *d, const char *fallback)
{
	const char *key = oa_errid(), *arg = oa_errarg();
	const msgcat_entry *m = msgcat_find(key);

	if (m == NULL) {
		snprintf(r->errmsg, sizeof r->errmsg, "%s", oa_errmsg());
		m = msgcat_generic(rc);
		oa_err_clear();
		pg_errs_add(r, e, fallback, m->key, "", "");
		return;
	}
	snprintf(r->errmsg, sizeof r->errmsg, "%s", oa_errmsg());
	if (strncmp(key, "doc_missing", 11) == 0) {
		/* the document's title from the definition, never its id */
		const char *tid = "yang diperlukan", *ten = "required";
		char k[32];
		for (size_t i = 0; d && i < d->n_documents; i++)
			if (strcmp(d->documents[i].id, arg) == 0 && d->documents[i].name)
				tid = ten = web_printf(r, "%s", d->documents[i].name);
		snprintf(k, sizeof k, "%s", key);
		oa_err_clear();
		pg_errs_add(r, e, "doc", k, tid ? tid : "", ten ? ten : "");
		return;
	}
	{
		char k[32], f[64];
		snprintf(k, sizeof k, "%s", key);
		snprintf(f, sizeof f, "%s", *arg ? arg : fallback ? fallback : "");
		oa_err_clear();
		pg_errs_add(r, e, web_printf(r, "%s", f), k, NULL, NULL);
	}
}

/* 1 if p->errs has a message about field name. */
static int field_has_errs(const pg *p, const char *name)
{
	for (size_t i = 0; p->errs && i < p->errs->n; i++)
		if (strcmp(p->errs->e[i].field, name) == 0)
			return 1;
	return 0;
}

void pg_errs_summary(pg *p)
{
	const pg_errs *e = p->errs;

	if (e == NULL || e->n == 0)
		return;
	pg_raw(p, "<div class=\"err\" id=\"errors\" role=\"alert\" tabindex=\"-1\">"
	          "<p><strong>");
	if (e->n == 1)
		pg_bi(p, "Ada 1 hal yang perlu diperbaiki:", "1 thing needs fixing:");
	else
		pg_bi(p, web_printf(p->r, "Ada %zu hal yang perlu diperbaiki:", e->n),
		    web_printf(p->r, "%zu things need fixing:", e->n));
	pg_raw(p, "</strong></p>\n<ul>\n");
	for (size_t i = 0; i < e->n; i++) {
		pg_raw(p, "<li>");
		if (e->e[i].field[0]) {
			pg_raw(p, "<a href=\"#f_");
			pg_text(p, e->e[i].field);
			pg_raw(p, "\">");
		}
		pg_bi(p, e->e[i].id, e->e[i].en);
		if (e->e[i].field[0])
			pg_raw(p, "</a>");
		pg_raw(p, "</li>\n");
	}
	pg_raw(p, "</ul></div>\n");
}

void pg_field_aria(pg *p, const char *name)
{
	if (!field_has_errs(p, name))
		return;
	pg_raw(p, " aria-invalid=\"true\" aria-describedby=\"e_");
	pg_text(p, name);
	pg_raw(p, "\"");
}

void pg_field_msgs(pg *p, const char *name)
{
	if (!field_has_errs(p, name))
		return;
	pg_raw(p, "<div class=\"field-err\" id=\"e_");
	pg_text(p, name);
	pg_raw(p, "\">");
	for (size_t i = 0; i < p->errs->n; i++)
		if (strcmp(p->errs->e[i].field, name) == 0) {
			pg_raw(p, "<p>");
			pg_bi(p, p->errs->e[i].id, p->errs->e[i].en);
			pg_raw(p, "</p>");
		}
	pg_raw(p, "</div>\n");
}

/* 1 if name is the page's first field of that name so far (field_id
 * recorded it once): its messages go there only ("f_NAME", "e_NAME"). */
static int field_first(const pg *p, const char *name)
{
	size_t nl = strlen(name);
	int seen = 0;

	for (const char *s = p->field_names; (s = strstr(s, name)) != NULL; s += nl)
		if ((s == p->field_names || s[-1] == ' ') && s[nl] == ' ')
			seen++;
	return seen <= 1;
}

/* A field's label and its input up to the value (the tag left open). */
static void field_open(pg *p, const char *name, const char *type, const char *id, const char *en,
    const char *value)
{
	char fid[128];

	field_id(p, name, fid, sizeof fid);
	pg_raw(p, "<div class=\"field\"><label for=\"");
	pg_text(p, fid);
	pg_raw(p, "\">");
	pg_bi(p, id, en);
	pg_raw(p, "</label>\n<input id=\"");
	pg_text(p, fid);
	pg_raw(p, "\" name=\"");
	pg_text(p, name);
	pg_raw(p, "\" type=\"");
	pg_text(p, type);
	pg_raw(p, "\"");
	if (value) {
		pg_raw(p, " value=\"");
		pg_text(p, value);
		pg_raw(p, "\"");
	}
}

void pg_field(pg *p, const char *name, const char *type, const char *id, const char *en,
    const char *value, const char *autocomplete, int required)
{
	field_open(p, name, type, id, en, value);
	if (autocomplete) {
		pg_raw(p, " autocomplete=\"");
		pg_text(p, autocomplete);
		pg_raw(p, "\"");
	}
	pg_raw(p, "%s", required ? " required" : "");
	if (field_first(p, name))
		pg_field_aria(p, name);
	pg_raw(p, ">");
	if (field_first(p, name))
		pg_field_msgs(p, name);
	pg_raw(p, "</div>\n");
}

void pg_field_locked(pg *p, const char *name, const char *type, const char *id, const char *en,
    const char *value, const char *hint_id, const char *hint_en)
{
	field_open(p, name, type, id, en, value);
	pg_raw(p, " readonly aria-describedby=\"h_");
	pg_text(p, name);
	if (field_has_errs(p, name)) {
		pg_raw(p, " e_");
		pg_text(p, name);
		pg_raw(p, "\" aria-invalid=\"true");
	}
	pg_raw(p, "\"><small id=\"h_");
	pg_text(p, name);
	pg_raw(p, "\">");
	pg_bi(p, hint_id, hint_en);
	pg_raw(p, "</small>");
	pg_field_msgs(p, name);
	pg_raw(p, "</div>\n");
}

void pg_textarea(pg *p, const char *name, const char *id, const char *en, const char *value,
    int required, size_t maxlen)
{
	char fid[128];

	field_id(p, name, fid, sizeof fid);
	pg_raw(p, "<div class=\"field\"><label for=\"");
	pg_text(p, fid);
	pg_raw(p, "\">");
	pg_bi(p, id, en);
	pg_raw(p, "</label>\n<textarea id=\"");
	pg_text(p, fid);
	pg_raw(p, "\" name=\"");
	pg_text(p, name);
	pg_raw(p, "\" rows=\"3\"");
	if (maxlen)
		pg_raw(p, " maxlength=\"%zu\"", maxlen);
	pg_raw(p, "%s", required ? " required" : "");
	if (field_first(p, name))
		pg_field_aria(p, name);
	pg_raw(p, ">");
	if (value)
		pg_text(p, value);
	pg_raw(p, "</textarea>");
	if (field_first(p, name))
		pg_field_msgs(p, name);
	pg_raw(p, "</div>\n");
}
