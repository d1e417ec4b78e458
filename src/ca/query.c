/*
 * query.c - reading certificates: status, list, DER, the CA chain.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "../common/nik.h"
#include "caInt.h"

oa_err ca_serial_normalize(const char *in, char out[41])
{
	char buf[128];
	size_t n = 0;
	const char *p = in;

	if (strncmp(p, "0x", 2) == 0 || strncmp(p, "0X", 2) == 0)
		p += 2;
	for (; *p; p++) {
		if (*p == ':' || *p == ' ')
			continue;
		if (!isxdigit((unsigned char)*p) || n + 1 >= sizeof buf)
			return oa_fail(OA_ERR_INVALID, "'%.60s' is not a serial number (hex digits)", in);
		buf[n++] = (char)tolower((unsigned char)*p);
	}
	buf[n] = 0;
	p = buf;
	while (p[0] == '0' && p[1] == '0' && p[2])
		p += 2;
	n = strlen(p);
	if (n == 0 || n > 40)
		return oa_fail(OA_ERR_INVALID, "'%.60s' is not a serial number (1 to 20 octets)", in);
	if (n % 2) {
		out[0] = '0';
		memcpy(out + 1, p, n + 1);
	} else
		memcpy(out, p, n + 1);
	return OA_OK;
}

#define COLS "serial, profile, status, subject, cn, nik, nip, email, key_type, not_before," \
	     " not_after, issued_at, revoked_at, invalidity_date, reason"

static void row_info(store_stmt *st, ca_cert_info *i)
{
	memset(i, 0, sizeof *i);
	snprintf(i->serial, sizeof i->serial, "%s", store_col_text(st, 0));
	snprintf(i->profile, sizeof i->profile, "%s", store_col_text(st, 1));
	snprintf(i->status, sizeof i->status, "%s", store_col_text(st, 2));
	snprintf(i->subject, sizeof i->subject, "%s", store_col_text(st, 3));
	snprintf(i->cn, sizeof i->cn, "%s", store_col_text(st, 4));
	snprintf(i->nik, sizeof i->nik, "%s", store_col_text(st, 5));
	snprintf(i->nip, sizeof i->nip, "%s", store_col_text(st, 6));
	snprintf(i->email, sizeof i->email, "%s", store_col_text(st, 7));
	snprintf(i->key_type, sizeof i->key_type, "%s", store_col_text(st, 8));
	i->not_before = store_col_int(st, 9);
	i->not_after = store_col_int(st, 10);
	i->issued_at = store_col_int(st, 11);
	i->revoked_at = store_col_int(st, 12);
	i->invalidity_date = store_col_int(st, 13);
	i->reason = store_col_isnull(st, 14) ? -1 : (int)store_col_int(st, 14);
	/* Expiry is judged by time, whatever the stored status says. */
	if (strcmp(i->status, "active") == 0 && i->not_after <= oa_now())
		strcpy(i->status, "expired");
}

/* Fills O, OU, L and ST from the certificate's subject. */
static void subject_parts(store_stmt *st, int col, ca_cert_info *i)
{
	size_t n;
	const unsigned char *p = store_col_blob(st, col, &n);
	X509 *x = p ? d2i_X509(NULL, &p, (long)n) : NULL;
	const struct {
		int nid;
		char *out;
		size_t size;
	} parts[] = {
		{NID_organizationName, i->o, sizeof i->o},
		{NID_organizationalUnitName, i->ou, sizeof i->ou},
		{NID_localityName, i->l, sizeof i->l},
		{NID_stateOrProvinceName, i->st, sizeof i->st},
	};

	if (x == NULL)
		return;
	for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
		int idx = X509_NAME_get_index_by_NID(X509_get_subject_name(x), parts[k].nid, -1);
		unsigned char *u = NULL;
		if (idx < 0)
			continue;
		if (ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(
		        X509_NAME_get_entry(X509_get_subject_name(x), idx))) >= 0)
			snprintf(parts[k].out, parts[k].size, "%s", (char *)u);
		OPENSSL_free(u);
	}
	X509_free(x);
}

oa_err ca_status(ca *c, const char *serial_in, ca_cert_info *out)
{
	char serial[41];
	store_stmt *st;
	int step;
	oa_err rc;

	if ((rc = ca_serial_normalize(serial_in, serial)))
		return rc;
	if ((st = store_prepare(c->db, "SELECT " COLS ", der FROM certificate WHERE serial = ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, serial);
	step = store_step(st);
	if (step == STORE_ROW) {
		row_info(st, out);
		subject_parts(st, 15, out);
	}
	store_reset(st);
	if (step == STORE_DONE)
		return oa_fail(OA_ERR_NOTFOUND, "no certificate with serial %s", serial);
	return step == STORE_ROW ? OA_OK : OA_ERR_STORE;
}

oa_err ca_cert_der(ca *c, const char *serial_in, uint8_t **der, size_t *len)
{
	char serial[41];
	store_stmt *st;
	int step;
	oa_err rc;

	*der = NULL;
	if ((rc = ca_serial_normalize(serial_in, serial)))
		return rc;
	if ((st = store_prepare(c->db, "SELECT der FROM certificate WHERE serial = ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, serial);
	step = store_step(st);
	if (step == STORE_ROW) {
		const void *p = store_col_blob(st, 0, len);
		if ((*der = malloc(*len)) == NULL)
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		else
			memcpy(*der, p, *len);
	} else if (step == STORE_DONE)
		rc = oa_fail(OA_ERR_NOTFOUND, "no certificate with serial %s", serial);
	else
		rc = OA_ERR_STORE;
	store_reset(st);
	return rc;
}

oa_err ca_list(ca *c, const ca_filter *f, int (*fn)(const ca_cert_info *, void *), void *arg)
{
	char why[128];
	store_stmt *st;
	ca_cert_info info;
	int64_t now = oa_now();
	int step, rows = 0;
	const char *status = f->status;
	char like[2 * 64 + 3];
	oa_err rc;

	if (status && strcmp(status, "active") && strcmp(status, "revoked") && strcmp(status, "expired"))
		return oa_fail(OA_ERR_INVALID, "status must be active, revoked or expired");
	if (f->nik && !oa_nik_valid(f->nik, why, sizeof why))
		return oa_fail(OA_ERR_INVALID, "%s", why);
	if (f->expiring_days < 0 || f->expiring_days > 36500)
		return oa_fail(OA_ERR_INVALID, "expiring days out of range");
	/* Status by time: active = not revoked and not yet expired. */
	if (f->text && (!*f->text || strlen(f->text) > 64 || !oa_is_clean_utf8(f->text)))
		return oa_fail(OA_ERR_INVALID, "the name to search is 1 to 64 characters of text");
	if (f->text && (rc = oa_like_contains(like, sizeof like, f->text)))
		return rc;
	/* Status by time: active = not revoked and not yet expired.  An agency's
	 * certificates: its people's (auth_person) and its cases' (sop_case). */
#define LIST_WHERE \
	" (?1 IS NULL" \
	"  OR (?1 = 'revoked' AND status = 'revoked')" \
	"  OR (?1 = 'active' AND status = 'active' AND not_after > ?3)" \
	"  OR (?1 = 'expired' AND status <> 'revoked' AND not_after <= ?3))" \
	" AND (?2 IS NULL OR nik = ?2)" \
	" AND (?4 = 0 OR (status = 'active' AND not_after > ?3 AND not_after <= ?3 + ?4 * 86400))" \
	" AND (?5 IS NULL OR nik IN (SELECT p.nik FROM auth_person p WHERE p.org = ?5" \
	"   AND p.nik IS NOT NULL)" \
	"  OR serial IN (SELECT k.issued_serial FROM sop_case k WHERE k.org = ?5" \
	"   AND k.issued_serial IS NOT NULL))" \
	" AND (?6 IS NULL OR serial = ?6)" \
	" AND (?7 IS NULL OR lower(cn) LIKE ?7 ESCAPE '\\')"
	st = store_prepare(c->db, f->newest_first
	    ? "SELECT " COLS " FROM certificate WHERE" LIST_WHERE " ORDER BY issued_at DESC, serial DESC"
	    : "SELECT " COLS " FROM certificate WHERE" LIST_WHERE " ORDER BY issued_at, serial");
#undef LIST_WHERE
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, status);
	store_bind_text(st, 2, f->nik);
	store_bind_int(st, 3, now);
	store_bind_int(st, 4, f->expiring_days);
	store_bind_text(st, 5, f->org);
	store_bind_text(st, 6, f->serial);
	store_bind_text(st, 7, f->text ? like : NULL);
	while ((step = store_step(st)) == STORE_ROW) {
		if (++rows > OA_MAX_LIST_ROWS)
			break;
		row_info(st, &info);
		if (fn(&info, arg))
			break;
	}
	store_reset(st);
	if (step < 0)
		return OA_ERR_STORE;
	if (rows > OA_MAX_LIST_ROWS)
		return oa_fail(OA_ERR_LIMIT, "more than %d certificates match; narrow the filter",
		    OA_MAX_LIST_ROWS);
	return OA_OK;
}

oa_err ca_chain_pem(ca *c, int root_only, oa_buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *d;
	long n;
	oa_err rc;

	if (b == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if (!root_only) {
		/* issuing, then any intermediates up to an external root, then the root */
		int ok = PEM_write_bio_X509(b, c->cert[SIGNER_ISSUING]);
		for (int i = 0; ok && i < sk_X509_num(c->inter); i++)
			ok = PEM_write_bio_X509(b, sk_X509_value(c->inter, i));
		if (!ok) {
			BIO_free(b);
			return oa_fail_ssl(OA_ERR_CRYPTO, "writing PEM");
		}
	}
	if (!PEM_write_bio_X509(b, c->cert[SIGNER_ROOT])) {
		BIO_free(b);
		return oa_fail_ssl(OA_ERR_CRYPTO, "writing PEM");
	}
	n = BIO_get_mem_data(b, &d);
	rc = oa_buf_append(out, d, (size_t)n);
	BIO_free(b);
	return rc;
}

oa_err ca_counts(ca *c, int64_t *issued, int64_t *revoked)
{
	store_stmt *st = store_prepare(c->db, "SELECT COUNT(*), COALESCE(SUM(status = 'revoked'), 0)"
	                                      " FROM certificate");
	int step;

	*issued = *revoked = 0;
	if (st == NULL)
		return OA_ERR_STORE;
	if ((step = store_step(st)) == STORE_ROW) {
		*issued = store_col_int(st, 0);
		*revoked = store_col_int(st, 1);
	}
	store_reset(st);
	return step == STORE_ROW ? OA_OK : OA_ERR_STORE;
}

oa_err ca_crl_latest(ca *c, int (*fn)(const char *issuer, int64_t this_update,
    int64_t next_update, int64_t number, void *arg), void *arg)
{
	store_stmt *st = store_prepare(c->db, "SELECT issuer, this_update, next_update, number"
	                                      " FROM crl c WHERE number = (SELECT MAX(number) FROM crl"
	                                      " WHERE issuer = c.issuer) ORDER BY issuer");
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	while ((step = store_step(st)) == STORE_ROW)
		if (fn(store_col_text(st, 0), store_col_int(st, 1), store_col_int(st, 2),
		        store_col_int(st, 3), arg))
			break;
	store_reset(st);
	return step == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}

oa_err ca_cert_expiries(ca *c, int (*fn)(const ca_cert_expiry *, void *), void *arg)
{
	static const char *const roles[] = {"root", "issuing", "ocsp"};
	store_stmt *st = store_prepare(c->db, "SELECT serial, not_before, not_after FROM ca_cert"
	                                      " WHERE role = ? ORDER BY id DESC LIMIT 1");
	int64_t renew = conf_int(c->cfg, "ca.ocsp_renew_days") * 86400,
	        warn = conf_int(c->cfg, "ca.expiry_warning_days") * 86400;

	if (st == NULL)
		return OA_ERR_STORE;
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		ca_cert_expiry e = {.role = roles[i]};
		int step;
		store_bind_text(st, 1, roles[i]);
		if ((step = store_step(st)) == STORE_ROW) {
			snprintf(e.serial, sizeof e.serial, "%s", store_col_text(st, 0));
			e.not_before = store_col_int(st, 1);
			e.not_after = store_col_int(st, 2);
		}
		store_reset(st);
		if (step == STORE_ERROR)
			return OA_ERR_STORE;
		if (step != STORE_ROW)
			continue;
		if (i == 2) {
			int64_t quarter = (e.not_after - e.not_before) / 4;
			e.renew_at = e.not_after - (quarter < renew ? quarter : renew);
		} else
			e.renew_at = e.not_after - warn;
		if (fn(&e, arg))
			break;
	}
	return OA_OK;
}
