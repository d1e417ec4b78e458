/*
 * sopInt.h - what the files of the sop module share and nobody else sees:
 * error collection, escaping for the renderers, and the step graph.
 */
#ifndef OA_SOPINT_H
#define OA_SOPINT_H

#include "sop.h"

/*
 * Appends one problem (message formatted like printf).  Past SOP_MAX_ERRORS
 * a single "too many problems" entry is added and the rest dropped; an
 * allocation failure drops the message (the caller sees the other ones).
 */
void sop_err_add(sop_errors *e, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sorts the problems by line, keeping the order of equal lines. */
void sop_errors_sort(sop_errors *e);

/* Checks the graph and kind rules of a loaded definition (validate.c). */
void sop_validate(const sop_def *d, sop_errors *e, int refs_ok);

/* Successors of step s (next, or yes then no); returns how many (0..2). */
int sop_succ(const sop_step *s, int out[2]);

/* Appends s with &, <, >, " and ' escaped for HTML and XML. */
oa_err sop_esc(oa_buf *b, const char *s);
/* Appends the first n bytes of s, escaped. */
oa_err sop_esc_n(oa_buf *b, const char *s, size_t n);

/*
 * A writer with a sticky error, so renderers can emit many small pieces
 * and check once at the end.
 */
typedef struct sop_w {
	oa_buf *b;
	oa_err rc;
} sop_w;

void sop_w_put(sop_w *w, const char *s);
void sop_w_putf(sop_w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s escaped (NULL appends nothing). */
void sop_w_esc(sop_w *w, const char *s);

#endif
