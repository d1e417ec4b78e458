/*
 * renew.c - the delegated OCSP responder's renewal (ca_ocsp_renew in ca.h).
 *
 * Order of the steps, so that a crash anywhere leaves a responder that
 * signs with a key matching its certificate:
 *   1. a fresh signer makes the key and the issuing CA signs the new
 *      certificate (nothing written yet);
 *   2. DIR/pki/ocsp.crt, then DIR/keys/ocsp.key, each replaced atomically
 *      (the signer process of `openams serve` reads both when it starts);
 *   3. the certificate and its audit record committed to ca_cert;
 *   4. this process's handles reload at once, other processes' within
 *      CA_RELOAD_CHECK_S seconds (ca_refresh), each starting a new signer
 *      (shared signers, ca_signers: each restarted at its next use).
 * A crash after the first write of 2 and before 3 leaves DIR/pki/ocsp.crt
 * other than the store's newest responder: the next check sees that and
 * renews again, whatever the window, which makes files and store agree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "caInt.h"

static int take_ocsp(const ca_cert_expiry *e, void *arg)
{
	if (strcmp(e->role, "ocsp") == 0)
		*(ca_cert_expiry *)arg = *e;
	return 0;
}

/* The new certificate is the one asked for: signed by the issuing CA, a
 * delegated responder's extensions, inside [nb, na]. */
static oa_err check_new(ca *c, X509 *x, int64_t nb, int64_t na)
{
	X509 *is = c->cert[SIGNER_ISSUING];
	uint32_t xku;

	if (X509_verify(x, X509_get0_pubkey(is)) != 1 ||
	    X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(is)) != 0)
		return oa_fail_ssl(OA_ERR_CRYPTO, "the renewed responder certificate is not the issuing CA's");
	xku = X509_get_extended_key_usage(x);
	if (!(xku & XKU_OCSP_SIGN) || X509_get_ext_by_NID(x, NID_id_pkix_OCSP_noCheck, -1) < 0 ||
	    X509_cmp_time(X509_get0_notBefore(x), &(time_t){(time_t)nb + 1}) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(x), &(time_t){(time_t)na + 1}) > 0)
		return oa_fail(OA_ERR_CRYPTO, "the renewed responder certificate is not what was asked");
	return OA_OK;
}

/* 1 when DIR/pki/ocsp.crt is not the certificate serial names (an
 * interrupted renewal), 0 when it is. */
static int files_differ(ca *c, const char *serial)
{
	char path[OA_MAX_PATH], hex[41];
	FILE *f;
	X509 *x = NULL;
	int differ = 1;

	if (oa_path_join(path, sizeof path, c->dir, "pki/ocsp.crt") != OA_OK ||
	    (f = fopen(path, "r")) == NULL)
		return 1;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x && ca_serial_hex(X509_get0_serialNumber(x), hex) == OA_OK)
		differ = strcmp(hex, serial) != 0;
	X509_free(x);
	oa_err_clear();
	return differ;
}

oa_err ca_ocsp_renew(ca *c, int force, const char *actor, ca_ocsp_renewal *out)
{
	ca_cert_expiry cur = {0};
	signer_opts o;
	signer *s = NULL;
	char pass[OA_MAX_PATH], pin[OA_MAX_PATH], exe[OA_MAX_PATH], path[OA_MAX_PATH];
	char *argv[5];
	uint8_t *der = NULL, *pem = NULL;
	size_t der_len = 0, pem_len = 0;
	const unsigned char *p;
	X509 *x = NULL;
	int64_t now = oa_now(), na, is_end;
	struct tm tm;
	int fd;
	oa_err rc;

	memset(out, 0, sizeof *out);
	if (store_in_tx(c->db))
		return oa_fail(OA_ERR_STATE, "the OCSP responder is not renewed inside a transaction");
	if ((fd = ca_lock_file(c, "pki/.ocsp.lock")) < 0)
		return oa_fail(OA_ERR_IO, "%s/pki/.ocsp.lock: %s", c->dir, strerror(errno));
	/* Another process may have renewed it while this one waited. */
	c->ocsp_checked -= CA_RELOAD_CHECK_S;
	if ((rc = ca_refresh(c)) || (rc = ca_cert_expiries(c, take_ocsp, &cur)))
		goto out;
	if (cur.role == NULL) {
		rc = oa_fail(OA_ERR_STORE, "the database has no OCSP responder certificate");
		goto out;
	}
	snprintf(out->old_serial, sizeof out->old_serial, "%s", cur.serial);
	out->old_not_after = cur.not_after;
	out->renew_at = cur.renew_at;
	if (!force && now < cur.renew_at && !files_differ(c, cur.serial))
		goto out;
	/* ca.ocsp_validity_days, never past the issuing CA's notAfter. */
	if (!ASN1_TIME_to_tm(X509_get0_notAfter(c->cert[SIGNER_ISSUING]), &tm)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "the issuing CA's notAfter");
		goto out;
	}
	is_end = (int64_t)timegm(&tm);
	na = now + conf_int(c->cfg, "ca.ocsp_validity_days") * 86400;
	if (na > is_end)
		na = is_end;
	if (na - now < 3600) {
		rc = oa_fail(OA_ERR_STATE, "the issuing CA expires within the hour: no responder"
		                           " certificate can be issued under it");
		goto out;
	}
	/* A signer of its own: it still holds the passphrase to seal the new key. */
	if ((rc = ca_signer_opts(c, &o, pass, pin, exe, argv)) || (rc = signer_open(&o, &s)) ||
	    (rc = signer_renew_ocsp(s, now, na, &der, &der_len, &pem, &pem_len)))
		goto out;
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)der_len)) == NULL || p != der + der_len) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "the signer returned an unreadable certificate");
		goto out;
	}
	if ((rc = check_new(c, x, now, na)))
		goto out;
	if ((rc = ca_write_pem_cert(c->dir, "pki/ocsp.crt", x, NULL)) ||
	    (pem_len > 0 && ((rc = oa_path_join(path, sizeof path, c->dir, "keys/ocsp.key")) ||
	                        (rc = oa_write_file_atomic(path, pem, pem_len, 0600)))) ||
	    (rc = store_begin(c->db)))
		goto out;
	{
		const char *kt = signer_key_type_of(X509_get0_pubkey(x));
		if ((rc = ca_store_cert(c->db, "ocsp", x, kt ? kt : "", now, actor ? actor : "system",
		         "ca.renew")) ||
		    (rc = store_commit(c->db))) {
			store_rollback(c->db);
			goto out;
		}
	}
	ca_ocsp_generation_bump();
	if ((rc = ca_refresh(c)))
		goto out;
	out->renewed = 1;
	out->new_key = pem_len > 0;
	out->new_not_after = na;
	if ((rc = ca_serial_hex(X509_get0_serialNumber(x), out->new_serial)))
		goto out;
out:
	close(fd);
	signer_free(s);
	X509_free(x);
	free(der);
	if (pem) {
		oa_wipe(pem, pem_len);
		free(pem);
	}
	return rc;
}
