/*
 * fuzz_multipart.c - the portal's multipart/form-data parser
 * (web_multipart_parse, src/portal/forms.c) and its refusal page.  The
 * input is the Content-Type header value, a line feed, then the body.
 *
 * The parser reads the header through MHD_lookup_connection_value; this
 * harness defines that function itself (the program's definition is the
 * one the static core library binds to), answering from the input.  Replies
 * are built with libmicrohttpd's real response objects, then destroyed.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "http/httpInt.h"
#include "portal/portalInt.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static const char *content_type;

const char *MHD_lookup_connection_value(struct MHD_Connection *connection,
    enum MHD_ValueKind kind, const char *key)
{
	if (kind == MHD_HEADER_KIND && key && strcasecmp(key, MHD_HTTP_HEADER_CONTENT_TYPE) == 0)
		return content_type;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const uint8_t *nl = memchr(d, '\n', n);
	web_req r;
	web_multipart m;
	char *ct;
	size_t hl, bl;

	if (nl == NULL)
		return 0;
	hl = (size_t)(nl - d);
	bl = n - hl - 1;
	ct = fz_str(d, hl);
	content_type = strlen(ct) == hl ? ct : NULL;
	memset(&r, 0, sizeof r);
	strcpy(r.id, "fuzz");
	r.body = (uint8_t *)fz_str(nl + 1, bl);
	r.body_len = bl;
	r.body_max = bl;
	if (web_multipart_parse(&r, &m)) {
		/* What the routes do next with the parts. */
		(void)web_multipart_get(&m, "csrf");
		(void)web_multipart_text(&m, "definition");
		(void)web_multipart_file(&m, "file");
		for (size_t i = 0; i < m.n; i++)
			if (m.p[i].name == NULL || (m.p[i].len && m.p[i].data == NULL))
				__builtin_trap();
	}
	if (r.resp)
		MHD_destroy_response(r.resp);
	web_arena_free(&r);
	free(r.body);
	free(ct);
	content_type = NULL;
	return 0;
}
