/*
 * pki.h - the public PKI endpoints of `openams serve`, open to anyone
 * without an account: the CA certificates and CRLs (routes_pki.c), the
 * OCSP responder, GET and POST (routes_ocsp.c), the time-stamping authority
 * (routes_tsa.c), and certificate status and
 * download (routes_cert.c).  Built on the HTTP core (http.h); reads through
 * the ca module on the worker's own handle.
 */
#ifndef OA_PKI_H
#define OA_PKI_H

#include "../http/http.h"

/* The route tables (one per file). */
extern const web_route_table web_pki_table, web_ocsp_table, web_cert_table, web_tsa_table;

/* routes_pki.c: CA certificates loaded once at start. */
oa_err web_pki_init(ca *c);
void web_pki_free(void);

/* routes_ocsp.c: frees the OCSP response cache (after the workers stop). */
void web_ocsp_free(void);

#endif
