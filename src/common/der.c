/*
 * der.c - a minimal DER writer (X.690) for structures openams assembles
 * itself: CRL entries and the TBSCertList (src/ca), the CMS SignedData of
 * PAdES signatures (src/sign).  OpenSSL's X509_CRL object model
 * allocates several objects per entry and sorts them, which costs seconds
 * and hundreds of megabytes at a million entries; writing the bytes
 * directly from pre-encoded entries keeps a million-entry CRL within the
 * two-second target.  Every CRL written this way is checked by OpenSSL,
 * GnuTLS and python3-cryptography in the test suite.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "der.h"

size_t der_hdr_len(size_t len)
{
	size_t n = 2;

	if (len >= 0x80)
		for (size_t l = len; l > 0; l >>= 8)
			n++;
	return n;
}

oa_err der_hdr(oa_buf *b, uint8_t tag, size_t len)
{
	uint8_t h[10];
	size_t n = 0;

	h[n++] = tag;
	if (len < 0x80)
		h[n++] = (uint8_t)len;
	else {
		int bytes = 0;
		for (size_t l = len; l > 0; l >>= 8)
			bytes++;
		h[n++] = (uint8_t)(0x80 | bytes);
		for (int i = bytes - 1; i >= 0; i--)
			h[n++] = (uint8_t)(len >> (8 * i));
	}
	return oa_buf_append(b, h, n);
}

oa_err der_tlv(oa_buf *b, uint8_t tag, const void *p, size_t n)
{
	oa_err rc = der_hdr(b, tag, n);
	return rc ? rc : oa_buf_append(b, p, n);
}

oa_err der_gentime(oa_buf *b, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[20];

	gmtime_r(&tt, &tm);
	strftime(s, sizeof s, "%Y%m%d%H%M%SZ", &tm);
	return der_tlv(b, 0x18, s, strlen(s));
}

/* RFC 5280 5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050. */
oa_err der_time(oa_buf *b, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[80];

	gmtime_r(&tt, &tm);
	if (tm.tm_year + 1900 >= 2050)
		return der_gentime(b, t);
	snprintf(s, sizeof s, "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return der_tlv(b, 0x17, s, strlen(s));
}
