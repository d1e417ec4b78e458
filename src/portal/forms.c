/*
 * forms.c - the bodies of the portal's POST requests: urlencoded forms,
 * and multipart/form-data bodies (forms with a file), parsed by the
 * documents module's parser (src/docs) with the portal's refusal pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "portalInt.h"

/* ---- forms ---- */

/* Decodes s in place; 0 if malformed or it decodes to a NUL. */
static int unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '+')
			*o++ = ' ';
		else if (*s == '%') {
			int h = oa_hexval((unsigned char)s[1]);
			int l = h < 0 ? -1 : oa_hexval((unsigned char)s[2]);
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

/* Folds CR LF (and a lone CR) to LF in place. */
static void fold_crlf(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '\r') {
			*w++ = '\n';
			if (s[1] == '\n')
				s++;
		} else
			*w++ = *s;
	}
	*w = 0;
}

int web_form_parse(web_req *r, web_form *f)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	char *p, *save = NULL;

	memset(f, 0, sizeof *f);
	if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
	    (ct[33] != 0 && ct[33] != ';')) {
		pg_refused(r, NULL, 415, "Jenis isi tidak didukung", "Unsupported media type",
		    "form_type_urlencoded", "");
		return 0;
	}
	if (r->body == NULL)
		return 1;
	for (p = strtok_r((char *)r->body, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');
		if (eq == NULL)
			continue;
		*eq = 0;
		if (f->n == PORTAL_FORM_FIELDS || !unescape(p) || !unescape(eq + 1) ||
		    !oa_is_clean_utf8(p) ||
		    (!oa_is_clean_utf8(eq + 1) &&
		        !(f->multiline[f->n] = (unsigned char)docs_text_multiline(eq + 1,
		            strlen(eq + 1))))) {
			pg_refused(r, NULL, 400, "Formulir tidak valid", "Invalid form",
			    "form_unreadable", "");
			return 0;
		}
		if (f->multiline[f->n])
			fold_crlf(eq + 1);
		f->k[f->n] = p;
		f->v[f->n++] = eq + 1;
	}
	return 1;
}

const char *web_form_get(const web_form *f, const char *k)
{
	for (size_t i = 0; i < f->n; i++)
		if (!f->multiline[i] && strcmp(f->k[i], k) == 0)
			return f->v[i];
	return NULL;
}

const char *web_form_text(const web_form *f, const char *k)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->k[i], k) == 0)
			return f->v[i];
	return NULL;
}

void web_body_wipe(web_req *r)
{
	if (r->body)
		oa_wipe(r->body, r->body_len);
}

/* ---- multipart bodies ---- */

static void multipart_refused(web_req *r, unsigned status)
{
	if (status == 415)
		pg_refused(r, NULL, 415, "Jenis isi tidak didukung", "Unsupported media type",
		    "form_type_multipart", "");
	else
		pg_refused(r, NULL, 400, "Formulir tidak valid", "Invalid form",
		    "form_unreadable", "");
}

int portal_multipart(web_req *r, docs_multipart *m)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);

	if (!docs_multipart_type_ok(ct)) {
		memset(m, 0, sizeof *m);
		multipart_refused(r, 415);
		return 0;
	}
	if (docs_multipart_parse(ct, r->body, r->body_len, m)) {
		oa_err_clear();
		multipart_refused(r, 400);
		return 0;
	}
	return 1;
}
