/*
 * mailInt.h - private to src/mail: rendering (render.c), the outbox table
 * (outbox.c) and SMTP delivery (smtp.c).
 */
#ifndef OA_MAIL_INT_H
#define OA_MAIL_INT_H

#include <stdint.h>

#include "../common/util.h"
#include "mail.h"

/* A message as rendered at enqueue. */
struct mail_rendered {
	oa_buf raw;            /* the whole RFC 5322 message, CRLF line ends */
	char subject[1024];    /* the subject as text (UTF-8), for listing */
	char message_id[256];  /* "<outbox-ID.RANDOM@host>" */
};

/*
 * Checks m (every rule of mail.h) and the configuration it needs; nothing
 * is rendered.  OA_ERR_INVALID / OA_ERR_LIMIT / OA_ERR_CONFIG.
 */
oa_err mail_check(const conf *cfg, const mail_msg *m);

/* Renders m as outbox message id at time now.  Free r->raw with oa_buf_free. */
oa_err mail_render(const conf *cfg, const mail_msg *m, int64_t id, int64_t now,
    struct mail_rendered *r);

/* True if a is an address we accept: ASCII local@domain (dot-atom, RFC 5322
 * section 3.4.1), a domain of letters, digits and hyphens with a dot. */
int mail_addr_ok(const char *a);

/* Decodes quoted-printable (RFC 2045 section 6.7) of n bytes, appending to out. */
oa_err mail_qp_decode(oa_buf *out, const char *p, size_t n);

/* The language code of m ("id" or "en"), or NULL if m->lang is neither. */
const char *mail_lang(const mail_msg *m);

#endif
