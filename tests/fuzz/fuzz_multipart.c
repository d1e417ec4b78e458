/*
 * fuzz_multipart.c - the one multipart/form-data parser
 * (docs_multipart_parse, src/docs/multipart.c) that the portal's forms and
 * the API's uploads share, and what the routes do next with the parts.
 * The input is the Content-Type header value, a line feed, then the body.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "docs/docs.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const uint8_t *nl = memchr(d, '\n', n);
	docs_multipart m;
	char *ct, *body;
	size_t hl, bl;

	if (nl == NULL)
		return 0;
	hl = (size_t)(nl - d);
	bl = n - hl - 1;
	ct = fz_str(d, hl);
	body = fz_str(nl + 1, bl);
	if (strlen(ct) == hl && docs_multipart_type_ok(ct) &&
	    docs_multipart_parse(ct, (uint8_t *)body, bl, &m) == OA_OK) {
		/* What the routes do next with the parts. */
		(void)docs_multipart_get(&m, "csrf");
		(void)docs_multipart_text(&m, "definition");
		(void)docs_multipart_file(&m, "file");
		(void)docs_multipart_files(&m);
		for (size_t i = 0; i < m.n; i++) {
			if (m.p[i].name == NULL || (m.p[i].len && m.p[i].data == NULL))
				__builtin_trap();
			if (m.p[i].filename)
				(void)docs_filename_ok(m.p[i].filename);
		}
	}
	oa_err_clear();
	free(body);
	free(ct);
	return 0;
}
