/*
 * sopLoadInt.h - the reading layer under load.c: the loader's state and the
 * checked accessors for YAML nodes (yaml_read.c).  Every accessor reports a
 * problem at the node's line and returns NULL/0; none trusts the file.
 */
#ifndef OA_SOPLOADINT_H
#define OA_SOPLOADINT_H

#include <stddef.h>

#include <yaml.h>

#include "sopInt.h"

enum { F_REQ = 1 };

struct field {
	const char *key;
	int flags;
	const char *hint; /* what the key holds, for "missing" messages */
};

typedef struct ld {
	yaml_document_t doc;
	sop_errors *e;
	sop_def *d;
	unsigned char *seen; /* per node: visited once already */
	size_t n_nodes;
	int nomem;
	int refs_ok; /* 0 once a step reference could not be resolved */
} ld;

#define NF(t) (sizeof(t) / sizeof((t)[0]))

int ld_line_of(const yaml_node_t *n);

void ld_err(ld *l, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void *ld_calloc(ld *l, size_t n, size_t sz);

const char *ld_type_name(const yaml_node_t *n);

/*
 * The node with that index, marking it visited.  A node met twice was
 * reached through a YAML alias (*name): refused, so the walk stays linear.
 */
yaml_node_t *ld_node_ref(ld *l, int idx, const yaml_node_t *ref);

yaml_node_t *ld_node(ld *l, int idx);

/*
 * Matches the keys of a mapping against a table: val[i] gets the value of
 * f[i].key or NULL.  Unknown, duplicate and missing required keys are
 * reported.  Returns 0 if n is not a mapping (reported).
 */
int ld_scan(ld *l, yaml_node_t *n, const char *what, const struct field *f,
    size_t nf, yaml_node_t **val);

/*
 * A copy of a scalar's text with every run of white space (including line
 * breaks of block scalars) turned into one space and the ends trimmed.
 * NULL if n is not a scalar, not clean UTF-8 or longer than max bytes
 * (reported, naming key).
 */
char *ld_text(ld *l, yaml_node_t *n, const char *what, const char *key, size_t max);

/* Like ld_text() but an empty value is reported as missing. */
char *ld_text_req(ld *l, yaml_node_t *n, const char *what, const char *key, size_t max);

/* An id: 1..OA_MAX_SOP_ID of [A-Za-z0-9_.-], not the word "end". */
char *ld_ident(ld *l, yaml_node_t *n, const char *what, const char *key);

/* true/false; -1 if bad (reported). */
int ld_boolean(ld *l, yaml_node_t *n, const char *what, const char *key);

/* A list of texts (a single text is accepted when one_ok: one item). */
void ld_text_list(ld *l, yaml_node_t *n, const char *what, const char *key,
    int one_ok, sop_list *out);

/* A sequence's items with its length checked against max; NULL if bad. */
yaml_node_item_t *ld_seq(ld *l, yaml_node_t *n, const char *key, size_t max,
    const char *limit, size_t *count);

/* An empty list or a key with no value. */
int ld_is_empty(const yaml_node_t *n);

#endif
