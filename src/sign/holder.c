/*
 * holder.c - signing a PDF with a holder's sealed key (src/keys): find the
 * holder's certificate, then sign_pdf_with() with keys_sign() as the
 * signer, so the key is unsealed under the passphrase for this one
 * signature, the attempt counts towards the key's lock, and the audit
 * record "keys.sign" names the document's SHA-256 and the client.
 *
 * The certificate is the one named by serial, or the NIK's newest active
 * certificate that has a sealed key.  The chain embedded after it is the
 * instance's issuing CA and root.  B-T takes the time-stamp from the
 * instance's TSA (tst.c); B-LT then adds the validation data the instance
 * holds (sign_ltv_from_ca, below) in a /DSS update.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "../common/limits.h"
#include "../keys/keys.h"
#include "signInt.h"

#define TRY(x) do { if ((rc = (x)) != OA_OK) goto out; } while (0)

/* The NIK's newest active certificate that has a sealed holder key. */
typedef struct pick {
	inst *in;
	char serial[41];
	int64_t issued_at;
	int any;              /* certificates of the NIK in any state */
	char last_status[16]; /* the newest one's status, when none is usable */
	int64_t last_issued;
} pick;

static int pick_one(const ca_cert_info *ci, void *arg)
{
	pick *p = arg;
	int64_t id;
	char holder[65];

	p->any++;
	if (ci->issued_at >= p->last_issued) {
		p->last_issued = ci->issued_at;
		snprintf(p->last_status, sizeof p->last_status, "%s", ci->status);
	}
	if (strcmp(ci->status, "active") != 0 || ci->issued_at < p->issued_at)
		return 0;
	if (keys_find_by_serial(p->in, ci->serial, &id, holder) != OA_OK) {
		oa_err_clear(); /* a certificate from a CSR: no key here to sign with */
		return 0;
	}
	snprintf(p->serial, sizeof p->serial, "%s", ci->serial);
	p->issued_at = ci->issued_at;
	return 0;
}

oa_err sign_holder_find(inst *in, const char *nik, const char *serial_in, char serial[41])
{
	pick p = {.in = in};
	ca *c = inst_ca(in);
	ca_filter f = {0};
	oa_err rc;

	if (serial_in && *serial_in)
		return ca_serial_normalize(serial_in, serial);
	if (!nik || !oa_is_digits(nik, 16))
		return oa_fail(OA_ERR_INVALID, "NIK must be 16 digits");
	f.nik = nik;
	if ((rc = ca_list(c, &f, pick_one, &p)))
		return rc;
	if (p.serial[0]) {
		memcpy(serial, p.serial, sizeof p.serial);
		return OA_OK;
	}
	if (p.any == 0)
		return oa_fail(OA_ERR_NOTFOUND, "no certificate for NIK %s", nik);
	if (strcmp(p.last_status, "active") != 0)
		return oa_fail(OA_ERR_STATE, "the certificate of NIK %s is %s", nik, p.last_status);
	return oa_fail(OA_ERR_NOTFOUND, "NIK %s has no certificate with a key sealed on this server",
	    nik);
}

/* keys_sign() as a sign_digest_fn. */
typedef struct holder_arg {
	inst *in;
	keys_sign_req req;
} holder_arg;

static oa_err holder_sign(void *arg, const uint8_t digest[32], uint8_t **sig, size_t *siglen)
{
	holder_arg *h = arg;

	h->req.digest = digest;
	h->req.digest_len = 32;
	h->req.md_nid = NID_sha256;
	h->req.scheme = KEYS_SIG_PKCS1;
	return keys_sign(h->in, &h->req, sig, siglen);
}

static oa_err load_chain(ca *c, STACK_OF(X509) **chain)
{
	oa_buf pem = {0};
	BIO *bio = NULL;
	X509 *x;
	oa_err rc;

	if ((rc = ca_chain_pem(c, 0, &pem)))
		return rc;
	if ((*chain = sk_X509_new_null()) == NULL ||
	    (bio = BIO_new_mem_buf(pem.data, (int)pem.len)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(*chain, x)) {
			X509_free(x);
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
	ERR_clear_error();
out:
	BIO_free(bio);
	oa_buf_free(&pem);
	return rc;
}

/*
 * Signs pdf with cert (and chain) through fn at level (0: the best the
 * instance gives): B-T with the instance's TSA unless o->tst is set, B-LT
 * with a /DSS update after the signature.
 */
static oa_err sign_at_level(ca *c, X509 *cert, STACK_OF(X509) *chain, int level,
    sign_digest_fn fn, void *arg, const uint8_t *pdf, size_t len, const sign_opts *o,
    uint8_t **out, size_t *out_len)
{
	sign_opts so = {0};
	sign_ltv ltv = {0};
	uint8_t *bt = NULL;
	size_t btlen = 0;
	oa_err rc;

	level = level ? level : ca_tsa_cert(c) ? SIGN_LEVEL_BLT : SIGN_LEVEL_BB;
	if (level < SIGN_LEVEL_BB || level > SIGN_LEVEL_BLT)
		TRY(oa_fail(OA_ERR_INVALID, "unknown signature level %d", level));
	if (level >= SIGN_LEVEL_BT && !ca_tsa_cert(c) && !(o && o->tst))
		TRY(oa_fail(OA_ERR_STATE, "level %s needs a time-stamping authority, and this instance "
		    "has none", level == SIGN_LEVEL_BT ? "B-T" : "B-LT"));
	if (o)
		so = *o;
	if (level == SIGN_LEVEL_BB)
		so.tst = NULL;
	else if (!so.tst) {
		/* the signature time-stamp from the instance's own TSA */
		so.tst = sign_tst_from_ca;
		so.tst_arg = c;
	}
	TRY(sign_pdf_with(pdf, len, cert, chain, fn, arg, &so, &bt, &btlen));
	if (level == SIGN_LEVEL_BLT) {
		/* B-LT: the validation data in a /DSS update after the signature */
		TRY(sign_ltv_from_ca(c, cert, &ltv));
		TRY(sign_pdf_add_dss_pw(bt, btlen, so.password, &ltv, out, out_len));
	} else {
		*out = bt;
		*out_len = btlen;
		bt = NULL;
	}
out:
	sign_ltv_free(&ltv);
	free(bt);
	return rc;
}

oa_err sign_pdf_holder(inst *in, const sign_holder *h, const uint8_t *pdf, size_t len,
    const sign_opts *o, uint8_t **out, size_t *out_len, char serial[41])
{
	ca *c = inst_ca(in);
	holder_arg a = {.in = in};
	char holder[65], ref[160], hex[65];
	uint8_t *der = NULL, dg[32];
	const uint8_t *p;
	size_t dlen = 0;
	X509 *cert = NULL;
	STACK_OF(X509) *chain = NULL;
	int64_t key_id = 0;
	oa_err rc;

	*out = NULL;
	*out_len = 0;
	serial[0] = '\0';
	if (!h || (!h->passphrase && h->wrap != KEYS_WRAP_USE))
		return oa_fail(OA_ERR_INVALID, "the holder's passphrase is needed");
	if (h->client && (strlen(h->client) > 64 || !oa_is_clean_utf8(h->client) ||
	    strchr(h->client, ' ')))
		return oa_fail(OA_ERR_INVALID, "client application id: at most 64 bytes, no spaces");
	if (!pdf || len > SIGN_MAX_PDF_BYTES)
		return oa_fail(len ? OA_ERR_LIMIT : OA_ERR_INVALID,
		    "PDF of %zu bytes: the limit is %d (SIGN_MAX_PDF_BYTES)", len, SIGN_MAX_PDF_BYTES);
	TRY(sign_holder_find(in, h->nik, h->serial, serial));
	TRY(keys_find_by_serial(in, serial, &key_id, holder));
	TRY(ca_cert_der(c, serial, &der, &dlen));
	p = der;
	if ((cert = d2i_X509(NULL, &p, (long)dlen)) == NULL)
		TRY(oa_fail_ssl(OA_ERR_INTERNAL, "certificate %s does not parse", serial));
	TRY(load_chain(c, &chain));

	SHA256(pdf, len, dg);
	oa_hex(hex, dg, sizeof dg);
	snprintf(ref, sizeof ref, "pdf-sha256=%s%s%s", hex, h->client ? " client=" : "",
	    h->client ? h->client : "");
	a.req.holder = holder;
	a.req.key_id = key_id;
	a.req.passphrase = h->passphrase;
	a.req.wrap = h->wrap;
	a.req.actor = h->actor;
	a.req.ref = ref;
	TRY(sign_at_level(c, cert, chain, h->level, holder_sign, &a, pdf, len, o, out, out_len));
out:
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	free(der);
	return rc;
}

/* keys_seal_sign() as a sign_digest_fn. */
typedef struct seal_arg {
	inst *in;
	const char *id, *actor;
	char ref[160];
} seal_arg;

static oa_err seal_sign(void *arg, const uint8_t digest[32], uint8_t **sig, size_t *siglen)
{
	seal_arg *s = arg;

	return keys_seal_sign(s->in, s->id, digest, s->actor, s->ref, sig, siglen);
}

oa_err sign_pdf_seal(inst *in, const char *id, const char *actor, const char *client,
    const uint8_t *pdf, size_t len, const sign_opts *o, uint8_t **out, size_t *out_len)
{
	ca *c = inst_ca(in);
	seal_arg a = {.in = in, .id = id, .actor = actor};
	keys_seal_info si;
	uint8_t *der = NULL, dg[32];
	const uint8_t *p;
	size_t dlen = 0;
	char hex[65];
	X509 *cert = NULL;
	STACK_OF(X509) *chain = NULL;
	oa_err rc;

	*out = NULL;
	*out_len = 0;
	if (client && (strlen(client) > 64 || !oa_is_clean_utf8(client) || strchr(client, ' ')))
		return oa_fail(OA_ERR_INVALID, "client application id: at most 64 bytes, no spaces");
	if (!pdf || len > SIGN_MAX_PDF_BYTES)
		return oa_fail(len ? OA_ERR_LIMIT : OA_ERR_INVALID,
		    "PDF of %zu bytes: the limit is %d (SIGN_MAX_PDF_BYTES)", len, SIGN_MAX_PDF_BYTES);
	TRY(keys_seal_get(in, id, &si));
	TRY(ca_cert_der(c, si.serial, &der, &dlen));
	p = der;
	if ((cert = d2i_X509(NULL, &p, (long)dlen)) == NULL)
		TRY(oa_fail_ssl(OA_ERR_INTERNAL, "certificate %s does not parse", si.serial));
	TRY(load_chain(c, &chain));
	SHA256(pdf, len, dg);
	oa_hex(hex, dg, sizeof dg);
	snprintf(a.ref, sizeof a.ref, "pdf-sha256=%s%s%s", hex, client ? " client=" : "",
	    client ? client : "");
	TRY(sign_at_level(c, cert, chain, 0, seal_sign, &a, pdf, len, o, out, out_len));
out:
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	free(der);
	return rc;
}

/* A file under DIR/pki read whole (a CRL), into b. */
static oa_err read_pki(ca *c, const char *name, sign_blob *b)
{
	char path[OA_MAX_PATH];
	oa_err rc;

	if ((rc = oa_path_join(path, sizeof path, ca_dir(c), name)))
		return rc;
	return oa_read_file(path, 64 * 1024 * 1024, &b->p, &b->n);
}

static oa_err add_cert(sign_ltv *l, X509 *x)
{
	unsigned char *der = NULL;
	int n;

	if (!x)
		return OA_OK;
	if (l->ncerts >= SIGN_MAX_LTV)
		return oa_fail(OA_ERR_LIMIT, "too many certificates for the /DSS");
	if ((n = i2d_X509(x, &der)) <= 0)
		return oa_fail_ssl(OA_ERR_CRYPTO, "encoding a certificate");
	if ((l->certs[l->ncerts].p = malloc((size_t)n)) == NULL) {
		OPENSSL_free(der);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	memcpy(l->certs[l->ncerts].p, der, (size_t)n);
	l->certs[l->ncerts++].n = (size_t)n;
	OPENSSL_free(der);
	return OA_OK;
}

oa_err sign_ltv_from_ca(ca *c, X509 *cert, sign_ltv *out)
{
	STACK_OF(X509) *chain = NULL;
	OCSP_REQUEST *rq = NULL;
	OCSP_CERTID *id;
	X509 *issuer;
	unsigned char *req = NULL;
	int reqlen = 0;
	oa_err rc = OA_OK;

	memset(out, 0, sizeof *out);
	TRY(load_chain(c, &chain));
	if (sk_X509_num(chain) < 1)
		TRY(oa_fail(OA_ERR_INTERNAL, "the instance's chain is empty"));
	issuer = sk_X509_value(chain, 0);
	TRY(add_cert(out, cert));
	for (int i = 0; i < sk_X509_num(chain); i++)
		TRY(add_cert(out, sk_X509_value(chain, i)));
	TRY(add_cert(out, ca_tsa_cert(c)));
	/* the instance's own OCSP answer for the signer's certificate */
	if ((rq = OCSP_REQUEST_new()) == NULL ||
	    (id = OCSP_cert_to_id(EVP_sha1(), cert, issuer)) == NULL ||
	    OCSP_request_add0_id(rq, id) == NULL || (reqlen = i2d_OCSP_REQUEST(rq, &req)) <= 0)
		TRY(oa_fail_ssl(OA_ERR_CRYPTO, "building the OCSP request"));
	TRY(ca_ocsp_respond(c, req, (size_t)reqlen, &out->ocsps[0].p, &out->ocsps[0].n));
	out->nocsps = 1;
	TRY(read_pki(c, "pki/issuing.crl", &out->crls[0]));
	out->ncrls = 1;
	TRY(read_pki(c, "pki/root.crl", &out->crls[1]));
	out->ncrls = 2;
out:
	if (rc)
		sign_ltv_free(out);
	OPENSSL_free(req);
	OCSP_REQUEST_free(rq);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

void sign_ltv_free(sign_ltv *l)
{
	for (size_t i = 0; i < l->ncerts; i++)
		free(l->certs[i].p);
	for (size_t i = 0; i < l->nocsps; i++)
		free(l->ocsps[i].p);
	for (size_t i = 0; i < l->ncrls; i++)
		free(l->crls[i].p);
	memset(l, 0, sizeof *l);
}
