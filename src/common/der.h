/*
 * der.h - a minimal DER writer (X.690): headers and TLVs appended to an
 * oa_buf, and the two X.509 time forms.  What the CA's fast CRL and the
 * signing module's CMS assemble byte by byte (der.c says why).
 */
#ifndef OA_DER_H
#define OA_DER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

/* The length of the header of a value of len bytes (tag included). */
size_t der_hdr_len(size_t len);
/* Appends a tag and the length len. */
oa_err der_hdr(oa_buf *b, uint8_t tag, size_t len);
/* Appends a tag, the length n and the n bytes at p. */
oa_err der_tlv(oa_buf *b, uint8_t tag, const void *p, size_t n);
/* Appends t as UTCTime before 2050, else GeneralizedTime (RFC 5280 4.1.2.5). */
oa_err der_time(oa_buf *b, int64_t t);
/* Appends t as GeneralizedTime. */
oa_err der_gentime(oa_buf *b, int64_t t);

#endif
