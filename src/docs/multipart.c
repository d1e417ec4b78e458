/*
 * multipart.c - the one multipart/form-data parser (RFC 7578) of openams,
 * for the portal's forms with a file and the JSON API's uploads: parts
 * found by their delimiter, their Content-Disposition's name and file
 * name, values NUL-terminated in place.  Fuzzed by
 * tests/fuzz/fuzz_multipart.c (docs/FUZZING.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/util.h"
#include "docs.h"

int docs_multipart_type_ok(const char *ct)
{
	return ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0 &&
	    strstr(ct, "boundary=") != NULL;
}

/* The value of attribute attr ("name", "filename") in the part's headers
 * hdrs: *v (in hdrs) and its length *vl, up to its closing quote; 0 if
 * absent, unterminated or over 255 bytes. */
static int disposition_attr(char *hdrs, const char *attr, char **v, size_t *vl)
{
	size_t al = strlen(attr);

	for (char *q = hdrs; (q = strstr(q, attr)) != NULL; q += al) {
		char *e;
		if ((q != hdrs && q[-1] != ' ' && q[-1] != ';' && q[-1] != '\t') ||
		    strncmp(q + al, "=\"", 2) != 0)
			continue;
		*v = q + al + 2;
		if ((e = strchr(*v, '"')) == NULL || e - *v > 255)
			return 0;
		*vl = (size_t)(e - *v);
		return 1;
	}
	return 0;
}

int docs_text_multiline(const char *s, size_t len)
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

oa_err docs_multipart_parse(const char *ct, uint8_t *body, size_t len, docs_multipart *m)
{
	const char *b;
	char delim[90];
	size_t blen, dlen;
	uint8_t *p, *end;

	memset(m, 0, sizeof *m);
	if (!docs_multipart_type_ok(ct))
		return oa_fail(OA_ERR_INVALID, "not multipart/form-data with a boundary");
	b = strstr(ct, "boundary=") + 9;
	if (*b == '"')
		b++;
	blen = strcspn(b, "\";, ");
	if (blen == 0 || blen > 70 || body == NULL)
		goto bad;
	dlen = (size_t)snprintf(delim, sizeof delim, "\r\n--%.*s", (int)blen, b);
	end = body + len;
	/* The first delimiter may come without the leading CRLF. */
	if (len < dlen - 2 || memcmp(body, delim + 2, dlen - 2) != 0)
		goto bad;
	p = body + dlen - 2;
	for (;;) {
		uint8_t *hend, *next;
		char *hdrs, *name, *fname = NULL;
		size_t hl, nl, fl = 0;
		docs_part *dp;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break; /* the closing delimiter */
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n' || m->n == DOCS_MP_PARTS)
			goto bad;
		p += 2;
		if ((hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4)) == NULL ||
		    (hl = (size_t)(hend - p)) >= 1024)
			goto bad;
		hdrs = (char *)p;
		*hend = 0; /* the headers end here; the value starts after the CRLF CRLF */
		p = hend + 4;
		if ((next = memmem(p, (size_t)(end - p), delim, dlen)) == NULL)
			goto bad;
		dp = &m->p[m->n];
		if (!disposition_attr(hdrs, "name", &name, &nl))
			goto bad;
		if (!disposition_attr(hdrs, "filename", &fname, &fl))
			fname = NULL;
		/* Both found before either is cut: a value holds no quote, so
		 * neither closing quote lies in the other value. */
		name[nl] = 0;
		if (fname)
			fname[fl] = 0;
		dp->name = name;
		dp->filename = fname;
		dp->data = (const char *)p;
		dp->len = (size_t)(next - p);
		*next = 0; /* the CR of the delimiter, already found */
		if (dp->filename == NULL &&
		    (strlen(dp->data) != dp->len || !oa_is_clean_utf8(dp->data)) &&
		    !(dp->multiline = docs_text_multiline(dp->data, dp->len)))
			goto bad;
		m->n++;
		p = next + dlen;
	}
	return OA_OK;
bad:
	return oa_fail(OA_ERR_INVALID, "malformed multipart/form-data body");
}

const char *docs_multipart_get(const docs_multipart *m, const char *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->p[i].filename == NULL && !m->p[i].multiline && strcmp(m->p[i].name, k) == 0)
			return m->p[i].data;
	return NULL;
}

const char *docs_multipart_text(const docs_multipart *m, const char *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->p[i].filename == NULL && strcmp(m->p[i].name, k) == 0)
			return m->p[i].data;
	return NULL;
}

const docs_part *docs_multipart_file(const docs_multipart *m, const char *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->p[i].filename != NULL && strcmp(m->p[i].name, k) == 0)
			return &m->p[i];
	return NULL;
}

size_t docs_multipart_files(const docs_multipart *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++)
		n += m->p[i].filename != NULL;
	return n;
}
