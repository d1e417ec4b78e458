/*
 * tsa.c - the instance's RFC 3161 time-stamping authority: a request is
 * checked for size here and answered by the signer process, which holds the
 * TSA key (DIR/keys/tsa.key, certificate DIR/pki/tsa.crt, made by `openams
 * init`) and builds the whole response with OpenSSL's TS responder.
 */
#include <string.h>

#include <openssl/objects.h>

#include "../common/limits.h"
#include "caInt.h"

X509 *ca_tsa_cert(ca *c)
{
	return c->cert[SIGNER_TSA];
}

oa_err ca_timestamp(ca *c, const uint8_t *req, size_t len, uint8_t **resp, size_t *resp_len)
{
	const char *policy = conf_str(c->cfg, "ca.tsa_policy"); /* a dotted OID (conf C_OIDS) */
	signer *s;
	oa_err rc;

	*resp = NULL;
	*resp_len = 0;
	if (!req || len == 0)
		return oa_fail(OA_ERR_INVALID, "empty time-stamp request");
	if (len > OA_MAX_TSQ_BYTES)
		return oa_fail(OA_ERR_LIMIT, "time-stamp request of %zu bytes: the limit is %d "
		    "(OA_MAX_TSQ_BYTES)", len, OA_MAX_TSQ_BYTES);
	if (c->cert[SIGNER_TSA] == NULL)
		return oa_fail(OA_ERR_STATE, "this instance has no time-stamping authority (its "
		    "CA keys are in a PKCS#11 token, or it was made before openams had one)");
	if ((rc = ca_signer(c, &s)))
		return rc;
	return signer_sign_tst(s, policy, req, len, resp, resp_len);
}
