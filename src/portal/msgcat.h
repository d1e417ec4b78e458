/*
 * msgcat.h - the portal's one catalogue of refusals (issue 21, item 1):
 * every refusal a page shows is an entry here, keyed by a stable id,
 * worded in Indonesian first and English second.  The ids are those the
 * modules give a refusal where they find it (oa_fail_id, src/common/err.h:
 * "nik_format", "doc_missing", "pass_name") and the portal's own checks'
 * ("required", "mismatch", "file_type").  A text may hold "{}" once: the
 * field's label, a document's title from the SOP definition or a reason's
 * label, never an internal id.  The JSON API keeps its own codes and
 * messages.
 */
#ifndef OA_MSGCAT_H
#define OA_MSGCAT_H

#include <stddef.h>

typedef struct msgcat_entry {
	const char *key;   /* stable id */
	const char *id;    /* Indonesian */
	const char *en;    /* English */
} msgcat_entry;

/* The entry of key, or NULL. */
const msgcat_entry *msgcat_find(const char *key);
/* The whole table (the unit check walks it). */
const msgcat_entry *msgcat_table(size_t *n);
/* A form field's label in both languages ("nik" -> "NIK", "passphrase" ->
 * "Passphrase", "password" -> "Kata sandi"/"Password"), or NULL. */
int msgcat_field_label(const char *field, const char **id, const char **en);
/* The generic entry for a refusal without an id, by oa_err code. */
const msgcat_entry *msgcat_generic(int oa_err_code);

#endif
