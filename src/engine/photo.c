/*
 * photo.c - the applicant's photo (pasfoto) given with the identity data
 * at a fill_identity step (SOP 001 steps 6-7: "data diri, data kedinasan
 * dan Foto").  The photo is kept like any case document, under the
 * reserved document id "photo" (ENGINE_DOC_PHOTO), which no definition
 * declares; only the applicant adds it, only while their case waits at a
 * fill_identity step.  The bytes are stored by the caller (content
 * addressed); this file records the attachment and its audit record.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "engineInt.h"

oa_err engine_case_photo(engine *e, const engine_who *who, int64_t case_id, const char *sha256,
    const char *filename)
{
	store *db = engine_store(e);
	engine_case c;
	const sop_def *def = NULL;
	char object[48], detail[160];
	int own = 0, at_fill = 0;
	oa_err rc;

	if ((rc = engine_check_who(who)))
		return rc;
	if (sha256 == NULL || !oa_is_hex(sha256, 64))
		return oa_fail(OA_ERR_INVALID, "a document is named by its SHA-256 (64 lower-case hex)");
	if (filename == NULL || !*filename || strlen(filename) > 255 || !oa_is_clean_utf8(filename) ||
	    strpbrk(filename, "/\\") != NULL)
		return oa_fail(OA_ERR_INVALID, "file name must be 1..255 characters without / or \\");
	if ((rc = store_tx_begin(db, &own)))
		return rc;
	if ((rc = engine_case_get(e, case_id, &c)) || (rc = engine_case_def(e, case_id, &def)))
		goto out;
	if (strcmp(c.applicant, who->person) != 0 || strcmp(c.org, who->org) != 0) {
		rc = oa_fail(OA_ERR_DENIED, "only the applicant adds their photo");
		goto out;
	}
	for (size_t i = 0; strcmp(c.state, "open") == 0 && i < def->n_steps; i++)
		if (strcmp(def->steps[i].id, c.step) == 0)
			at_fill = def->steps[i].action == SOP_ACT_FILL_IDENTITY;
	if (!at_fill) {
		rc = oa_fail(OA_ERR_STATE, "a photo is added only at the case's identity step");
		goto out;
	}
	if ((rc = engine_doc_insert(db, c.id, ENGINE_DOC_PHOTO, sha256, filename, who->person,
	    c.step)))
		goto out;
	snprintf(object, sizeof object, "case:%" PRId64, c.id);
	snprintf(detail, sizeof detail, "doc=%s sha256=%.16s step=%s", ENGINE_DOC_PHOTO, sha256,
	    c.step);
	rc = audit_append(db, who->person, "case.attach", object, detail);
out:
	return store_tx_end(db, own, rc);
}
