/*
 * forms.c - the bodies of the portal's POST requests: urlencoded forms,
 * multipart/form-data bodies (forms with a file; the parser is fuzzed by
 * tests/fuzz/fuzz_multipart.c) and uploaded files kept as case documents
 * (typed by content with libmagic, named by their SHA-256).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <magic.h>
#include <openssl/evp.h>

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

static int multiline_text(const char *s, size_t len);

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
		pg_msg(r, NULL, 415, "Jenis isi tidak didukung", "Unsupported media type",
		    "Kirim formulir sebagai application/x-www-form-urlencoded.",
		    "Send the form as application/x-www-form-urlencoded.", "");
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
		        !(f->multiline[f->n] = (unsigned char)multiline_text(eq + 1, strlen(eq + 1))))) {
			pg_msg(r, NULL, 400, "Formulir tidak valid", "Invalid form",
			    "Isi formulir tidak dapat dibaca.", "The form could not be read.", "");
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

/* ---- multipart bodies, stored documents ---- */

static void multipart_refused(web_req *r, unsigned status)
{
	if (status == 415)
		pg_msg(r, NULL, 415, "Jenis isi tidak didukung", "Unsupported media type",
		    "Kirim formulir ini sebagai multipart/form-data.",
		    "Send this form as multipart/form-data.", "");
	else
		pg_msg(r, NULL, 400, "Formulir tidak valid", "Invalid form",
		    "Isi formulir tidak dapat dibaca.", "The form could not be read.", "");
}

/* The value of attribute attr ("name", "filename") in a Content-Disposition
 * line, copied to the arena; NULL if absent or too long. */
static const char *disposition_attr(web_req *r, const char *hdrs, const char *attr)
{
	size_t al = strlen(attr);

	for (const char *q = hdrs; (q = strstr(q, attr)) != NULL; q += al) {
		const char *v, *e;
		if ((q != hdrs && q[-1] != ' ' && q[-1] != ';' && q[-1] != '\t') ||
		    strncmp(q + al, "=\"", 2) != 0)
			continue;
		v = q + al + 2;
		if ((e = strchr(v, '"')) == NULL || e - v > 255)
			return NULL;
		return web_printf(r, "%.*s", (int)(e - v), v);
	}
	return NULL;
}

/* (admin, sla) 1 if a field is clean UTF-8 text of several lines: tabs,
 * CR and LF allowed (a textarea); web_multipart_text() returns it. */
static int multiline_text(const char *s, size_t len)
{
	char *copy;
	int ok;

	if (strlen(s) != len || (copy = strdup(s)) == NULL)
		return 0;
	for (char *q = copy; *q; q++)
		if (*q == '\t' || *q == '\r' || *q == '\n')
			*q = ' ';
	ok = oa_is_clean_utf8(copy);
	free(copy);
	return ok;
}

int web_multipart_parse(web_req *r, web_multipart *m)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *b;
	char delim[90];
	size_t blen, dlen;
	uint8_t *p, *end;

	memset(m, 0, sizeof *m);
	if (ct == NULL || strncasecmp(ct, "multipart/form-data", 19) != 0 ||
	    (b = strstr(ct, "boundary=")) == NULL) {
		multipart_refused(r, 415);
		return 0;
	}
	b += 9;
	if (*b == '"')
		b++;
	blen = strcspn(b, "\";, ");
	if (blen == 0 || blen > 70 || r->body == NULL)
		goto bad;
	dlen = (size_t)snprintf(delim, sizeof delim, "\r\n--%.*s", (int)blen, b);
	end = r->body + r->body_len;
	/* The first delimiter may come without the leading CRLF. */
	if (r->body_len < dlen - 2 || memcmp(r->body, delim + 2, dlen - 2) != 0)
		goto bad;
	p = r->body + dlen - 2;
	for (;;) {
		uint8_t *hend, *next;
		char hdrs[1024];
		size_t hl;
		web_part *wp;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break; /* the closing delimiter */
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n' || m->n == PORTAL_MP_PARTS)
			goto bad;
		p += 2;
		if ((hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4)) == NULL ||
		    (hl = (size_t)(hend - p)) >= sizeof hdrs)
			goto bad;
		memcpy(hdrs, p, hl);
		hdrs[hl] = 0;
		p = hend + 4;
		if ((next = memmem(p, (size_t)(end - p), delim, dlen)) == NULL)
			goto bad;
		wp = &m->p[m->n];
		if ((wp->name = disposition_attr(r, hdrs, "name")) == NULL)
			goto bad;
		wp->filename = disposition_attr(r, hdrs, "filename");
		wp->data = (const char *)p;
		wp->len = (size_t)(next - p);
		*next = 0; /* the CR of the delimiter, already found */
		if (wp->filename == NULL &&
		    (strlen(wp->data) != wp->len || !oa_is_clean_utf8(wp->data)) &&
		    !(wp->multiline = multiline_text(wp->data, wp->len)))
			goto bad;
		m->n++;
		p = next + dlen;
	}
	return 1;
bad:
	multipart_refused(r, 400);
	return 0;
}

const char *web_multipart_get(const web_multipart *m, const char *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->p[i].filename == NULL && !m->p[i].multiline && strcmp(m->p[i].name, k) == 0)
			return m->p[i].data;
	return NULL;
}

/* (admin, sla) */
const char *web_multipart_text(const web_multipart *m, const char *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->p[i].filename == NULL && strcmp(m->p[i].name, k) == 0)
			return m->p[i].data;
	return NULL;
}

const web_part *web_multipart_file(const web_multipart *m, const char *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->p[i].filename != NULL && strcmp(m->p[i].name, k) == 0)
			return &m->p[i];
	return NULL;
}

oa_err portal_doc_path(web_req *r, const char *hex, char *path)
{
	char sub[80];

	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
		return oa_fail(OA_ERR_INVALID, "a document is named by its SHA-256");
	snprintf(sub, sizeof sub, "docs/%.2s/%s", hex, hex);
	return oa_path_join(path, OA_MAX_PATH, ca_dir(r->ca), sub);
}

oa_err portal_doc_store(web_req *r, const void *data, size_t len, const char *const *types,
    char *hex, int *created)
{
	magic_t mg;
	const char *t = NULL;
	char type[128] = "", dir[OA_MAX_PATH], path[OA_MAX_PATH], sub[16];
	uint8_t sum[32];
	size_t i;
	oa_err rc;

	*created = 0;
	if (len == 0)
		return oa_fail(OA_ERR_INVALID, "the file is empty");
	if (len > OA_MAX_UPLOAD_BYTES)
		return oa_fail(OA_ERR_LIMIT, "the file is larger than %d bytes", OA_MAX_UPLOAD_BYTES);
	if ((mg = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR |
	         MAGIC_NO_CHECK_ELF)) != NULL) {
		if (magic_load(mg, NULL) == 0)
			t = magic_buffer(mg, data, len);
		if (t)
			snprintf(type, sizeof type, "%s", t);
		magic_close(mg);
	}
	for (i = 0; types[i]; i++)
		if (strcmp(type, types[i]) == 0)
			break;
	if (types[i] == NULL)
		return oa_fail(OA_ERR_INVALID, "file type not accepted (judged by content)");
	EVP_Digest(data, len, sum, NULL, EVP_sha256(), NULL);
	oa_hex(hex, sum, sizeof sum);
	snprintf(sub, sizeof sub, "docs/%.2s", hex);
	if ((rc = oa_path_join(dir, sizeof dir, ca_dir(r->ca), sub)) ||
	    (rc = oa_mkdir_p(dir, 0750)) || (rc = portal_doc_path(r, hex, path)))
		return rc;
	if (access(path, F_OK) == 0)
		return OA_OK;
	if ((rc = oa_write_file_atomic(path, data, len, 0640)))
		return rc;
	*created = 1;
	return OA_OK;
}
