/*
 * yaml_read.c - checked access to the nodes of a libyaml document for the
 * SOP loader: node lookup that refuses aliases (every node is visited at
 * most once), mappings matched against a key table with "did you mean"
 * hints, and bounded, clean UTF-8 texts, identifiers, booleans and lists.
 */
#include "sopLoadInt.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/limits.h"

int ld_line_of(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

void ld_err(ld *l, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void ld_err(ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		va_end(ap);
		l->nomem = 1;
		return;
	}
	va_end(ap);
	sop_err_add(l->e, ld_line_of(n), "%s", msg);
	free(msg);
}

void *ld_calloc(ld *l, size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (p == NULL)
		l->nomem = 1;
	return p;
}

const char *ld_type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "text";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping (key: value lines)";
	default: return "empty";
	}
}

/*
 * The node with that index, marking it visited.  A node met twice was
 * reached through a YAML alias (*name): refused, so the walk stays linear.
 */
yaml_node_t *ld_node_ref(ld *l, int idx, const yaml_node_t *ref)
{
	yaml_node_t *n = yaml_document_get_node(&l->doc, idx);

	if (n == NULL)
		return NULL;
	if (l->seen[idx - 1]) {
		/* The node's own mark is the anchor's; the key says where the alias is. */
		ld_err(l, ref ? ref : n, "YAML aliases (*name) are not supported; write the value "
		    "out in full");
		return NULL;
	}
	l->seen[idx - 1] = 1;
	return n;
}

yaml_node_t *ld_node(ld *l, int idx)
{
	return ld_node_ref(l, idx, NULL);
}

/* Levenshtein distance, for "did you mean" hints on short keys. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[40];

	if (la >= 40 || lb >= 40)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0], cur;

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			cur = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j] > row[j - 1] + 1)
				row[j] = row[j - 1] + 1;
			if (row[j] > cur + 1)
				row[j] = cur + 1;
			prev = cur;
		}
	}
	return row[lb];
}

/*
 * Matches the keys of a mapping against a table: val[i] gets the value of
 * f[i].key or NULL.  Unknown, duplicate and missing required keys are
 * reported.  Returns 0 if n is not a mapping (reported).
 */
int ld_scan(ld *l, yaml_node_t *n, const char *what, const struct field *f,
    size_t nf, yaml_node_t **val)
{
	uint64_t present = 0; /* nf <= 64 */

	for (size_t i = 0; i < nf; i++)
		val[i] = NULL;
	if (n == NULL)
		return 0;
	if (n->type != YAML_MAPPING_NODE) {
		ld_err(l, n, "%s must be a mapping (key: value lines), not %s", what, ld_type_name(n));
		return 0;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ld_node(l, p->key), *v;
		const char *key;
		size_t i;

		if (k == NULL)
			continue;
		v = ld_node_ref(l, p->value, k);
		if (k->type != YAML_SCALAR_NODE) {
			ld_err(l, k, "a key in %s must be a plain word, not %s", what, ld_type_name(k));
			continue;
		}
		key = (const char *)k->data.scalar.value;
		for (i = 0; i < nf; i++)
			if (strcmp(key, f[i].key) == 0)
				break;
		if (i == nf) {
			size_t best = 0, bd = 99;
			char list[512] = "";

			for (size_t j = 0; j < nf; j++) {
				size_t dj = distance(key, f[j].key);

				if (dj < bd) {
					bd = dj;
					best = j;
				}
				if (strlen(list) + strlen(f[j].key) + 3 < sizeof list) {
					strcat(list, j ? ", " : "");
					strcat(list, f[j].key);
				}
			}
			if (bd <= 2 && strlen(key) > 2)
				ld_err(l, k, "unknown key `%.64s` in %s; did you mean `%s`?", key, what,
				    f[best].key);
			else
				ld_err(l, k, "unknown key `%.64s` in %s; the keys allowed here are: %s", key,
				    what, list);
			continue;
		}
		if (present & (UINT64_C(1) << i)) {
			if (val[i] != NULL)
				ld_err(l, k, "key `%s` appears twice in %s (first on line %d); keep one",
				    key, what, ld_line_of(val[i]));
			else
				ld_err(l, k, "key `%s` appears twice in %s; keep one", key, what);
			continue;
		}
		present |= UINT64_C(1) << i;
		val[i] = v; /* NULL after a refused alias: present, already reported */
	}
	for (size_t i = 0; i < nf; i++)
		if ((f[i].flags & F_REQ) && !(present & (UINT64_C(1) << i)))
			ld_err(l, n, "%s is missing `%s` (%s); add it", what, f[i].key, f[i].hint);
	return 1;
}

/*
 * A copy of a scalar's text with every run of white space (including line
 * breaks of block scalars) turned into one space and the ends trimmed.
 * NULL if n is not a scalar, not clean UTF-8 or longer than max bytes
 * (reported, naming key).
 */
char *ld_text(ld *l, yaml_node_t *n, const char *what, const char *key, size_t max)
{
	const char *s;
	char *out, *o;
	size_t len;

	if (n == NULL)
		return NULL;
	if (n->type != YAML_SCALAR_NODE) {
		ld_err(l, n, "%s: `%s` must be text, not %s", what, key, ld_type_name(n));
		return NULL;
	}
	s = (const char *)n->data.scalar.value;
	len = n->data.scalar.length;
	if (strlen(s) != len) {
		ld_err(l, n, "%s: `%s` contains a NUL character; remove it", what, key);
		return NULL;
	}
	if ((out = malloc(len + 1)) == NULL) {
		l->nomem = 1;
		return NULL;
	}
	o = out;
	for (const char *p = s; *p;) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
				p++;
			if (o != out && *p)
				*o++ = ' ';
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	if (!oa_is_clean_utf8(out)) {
		ld_err(l, n, "%s: `%s` contains control characters or is not valid UTF-8; "
		    "save the file as UTF-8 and remove them", what, key);
		free(out);
		return NULL;
	}
	if ((size_t)(o - out) > max) {
		ld_err(l, n, "%s: `%s` is %zu bytes long; at most %zu are allowed%s; shorten it",
		    what, key, (size_t)(o - out), max,
		    max == OA_MAX_SOP_ID ? " (OA_MAX_SOP_ID)" : max == OA_MAX_SOP_LABEL ?
		    " (OA_MAX_SOP_LABEL)" : max == OA_MAX_SOP_TEXT ? " (OA_MAX_SOP_TEXT)" : "");
		free(out);
		return NULL;
	}
	return out;
}

/* Like ld_text() but an empty value is reported as missing. */
char *ld_text_req(ld *l, yaml_node_t *n, const char *what, const char *key, size_t max)
{
	char *s = ld_text(l, n, what, key, max);

	if (s != NULL && *s == '\0') {
		ld_err(l, n, "%s: `%s` is empty; write a value", what, key);
		free(s);
		return NULL;
	}
	return s;
}

/* An id: 1..OA_MAX_SOP_ID of [A-Za-z0-9_.-], not the word "end". */
char *ld_ident(ld *l, yaml_node_t *n, const char *what, const char *key)
{
	char *s = ld_text_req(l, n, what, key, OA_MAX_SOP_ID);

	if (s == NULL)
		return NULL;
	for (const char *p = s; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.') {
			ld_err(l, n, "%s: id \"%s\" may only contain letters, digits, `_`, `-` and `.`; "
			    "rename it", what, s);
			free(s);
			return NULL;
		}
	}
	if (strcmp(s, "end") == 0) {
		ld_err(l, n, "%s: `end` is reserved for the end of the SOP; choose another id", what);
		free(s);
		return NULL;
	}
	return s;
}

/* true/false; -1 if bad (reported). */
int ld_boolean(ld *l, yaml_node_t *n, const char *what, const char *key)
{
	const char *s;

	if (n->type == YAML_SCALAR_NODE) {
		s = (const char *)n->data.scalar.value;
		if (strcmp(s, "true") == 0)
			return 1;
		if (strcmp(s, "false") == 0)
			return 0;
	}
	ld_err(l, n, "%s: `%s` must be true or false", what, key);
	return -1;
}

/* A list of texts (a single text is accepted when one_ok: one item). */
void ld_text_list(ld *l, yaml_node_t *n, const char *what, const char *key,
    int one_ok, sop_list *out)
{
	yaml_node_item_t *it;
	size_t count;

	if (n == NULL)
		return;
	if (one_ok && n->type == YAML_SCALAR_NODE) {
		char *s = ld_text(l, n, what, key, OA_MAX_SOP_TEXT);

		if (s == NULL)
			return;
		if (*s == '\0') {
			free(s);
			return;
		}
		if ((out->items = ld_calloc(l, 1, sizeof *out->items)) == NULL) {
			free(s);
			return;
		}
		out->items[0] = s;
		out->n = 1;
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
			return; /* `key:` with nothing: an empty list */
		ld_err(l, n, "%s: `%s` must be a list (lines starting with \"- \"), not %s", what,
		    key, ld_type_name(n));
		return;
	}
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > OA_MAX_SOP_LIST) {
		ld_err(l, n, "%s: `%s` has %zu items; at most %d are allowed (OA_MAX_SOP_LIST); "
		    "merge or remove some", what, key, count, OA_MAX_SOP_LIST);
		return;
	}
	if ((out->items = ld_calloc(l, count, sizeof *out->items)) == NULL)
		return;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *v = ld_node(l, *it);
		char *s;

		if (v == NULL)
			continue;
		if ((s = ld_text_req(l, v, what, key, OA_MAX_SOP_TEXT)) != NULL)
			out->items[out->n++] = s;
	}
}

/* A sequence's items with its length checked against max; NULL if bad. */
yaml_node_item_t *ld_seq(ld *l, yaml_node_t *n, const char *key, size_t max,
    const char *limit, size_t *count)
{
	*count = 0;
	if (n == NULL)
		return NULL;
	if (n->type != YAML_SEQUENCE_NODE) {
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
			return NULL;
		ld_err(l, n, "`%s` must be a list (lines starting with \"- \"), not %s", key,
		    ld_type_name(n));
		return NULL;
	}
	*count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (*count > max) {
		ld_err(l, n, "`%s` has %zu items; at most %zu are allowed (%s)", key, *count, max, limit);
		*count = 0;
		return NULL;
	}
	return n->data.sequence.items.start;
}

/* An empty list or a key with no value. */
int ld_is_empty(const yaml_node_t *n)
{
	if (n == NULL)
		return 0;
	if (n->type == YAML_SEQUENCE_NODE)
		return n->data.sequence.items.top == n->data.sequence.items.start;
	return n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0 &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

