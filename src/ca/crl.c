/*
 * crl.c - revoking certificates and publishing CRLs (RFC 5280 section 5).
 *
 * A revocation writes the certificate's status and, in the same
 * transaction, its CRL entry pre-encoded in DER into the revocation table
 * (clustered by serial).  Generating a CRL is then one sequential scan that
 * concatenates entries, plus one signature: no per-entry objects, no sort.
 *
 * CRL numbers strictly increase per issuer (a trigger refuses anything
 * else).  Generation is serialised across processes with a lock file, the
 * number is taken in a write transaction after the entries were read, and
 * the file is published with write-to-temporary-then-rename, so a reader
 * never sees a half-written CRL nor a number going backwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "caInt.h"

static const struct {
	const char *name;
	int code;
} reasons[] = {
	{"unspecified", CA_REASON_UNSPECIFIED},
	{"keyCompromise", CA_REASON_KEY_COMPROMISE},
	{"affiliationChanged", CA_REASON_AFFILIATION_CHANGED},
	{"superseded", CA_REASON_SUPERSEDED},
	{"cessationOfOperation", CA_REASON_CESSATION},
};

int ca_reason_parse(const char *name)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (strcmp(name, reasons[i].name) == 0)
			return reasons[i].code;
	return -1;
}

const char *ca_reason_name(int reason)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].code == reason)
			return reasons[i].name;
	return "unspecified";
}

/*
 * revokedCertificates entry (RFC 5280 5.1.2.6):
 *   SEQUENCE { userCertificate INTEGER, revocationDate Time,
 *              crlEntryExtensions Extensions OPTIONAL }
 * reasonCode is omitted for unspecified (5.3.1: SHOULD be absent).
 */
static oa_err encode_entry(const char *serial_hex, int64_t when, int reason, int64_t invalidity,
    oa_buf *out)
{
	static const uint8_t oid_reason[] = {0x06, 0x03, 0x55, 0x1d, 0x15};
	static const uint8_t oid_invalidity[] = {0x06, 0x03, 0x55, 0x1d, 0x18};
	uint8_t serial[21];
	long sn;
	oa_buf body = {0}, exts = {0}, one = {0}, gt = {0};
	oa_err rc = OA_OK;

	if ((sn = oa_unhex(serial + 1, 20, serial_hex)) <= 0)
		return oa_fail(OA_ERR_INVALID, "bad serial %s", serial_hex);
	serial[0] = 0;
	/* DER INTEGER: a leading zero octet keeps a high first bit positive. */
	if (serial[1] & 0x80)
		rc = der_tlv(&body, 0x02, serial, (size_t)sn + 1);
	else
		rc = der_tlv(&body, 0x02, serial + 1, (size_t)sn);
	if (rc || (rc = der_time(&body, when)))
		goto out;
	if (reason != CA_REASON_UNSPECIFIED) {
		uint8_t enumerated[3] = {0x0a, 0x01, (uint8_t)reason};
		if ((rc = oa_buf_append(&one, oid_reason, sizeof oid_reason)) ||
		    (rc = der_tlv(&one, 0x04, enumerated, sizeof enumerated)) ||
		    (rc = der_tlv(&exts, 0x30, one.data, one.len)))
			goto out;
		one.len = 0;
	}
	if (invalidity > 0) {
		if ((rc = der_gentime(&gt, invalidity)) ||
		    (rc = oa_buf_append(&one, oid_invalidity, sizeof oid_invalidity)) ||
		    (rc = der_tlv(&one, 0x04, gt.data, gt.len)) ||
		    (rc = der_tlv(&exts, 0x30, one.data, one.len)))
			goto out;
	}
	if (exts.len && (rc = der_tlv(&body, 0x30, exts.data, exts.len)))
		goto out;
	rc = der_tlv(out, 0x30, body.data, body.len);
out:
	oa_buf_free(&body);
	oa_buf_free(&exts);
	oa_buf_free(&one);
	oa_buf_free(&gt);
	return rc;
}

oa_err ca_revoke(ca *c, const char *serial_in, int reason, int64_t invalidity,
    const char *actor)
{
	char serial[41], detail[256], object[64], when[32], nb[32];
	store_stmt *st;
	int64_t now = oa_now(), issuer_id = 0, not_before;
	int own = !store_in_tx(c->db), step;
	oa_buf entry = {0};
	oa_err rc;

	if ((rc = ca_serial_normalize(serial_in, serial)))
		return rc;
	if (ca_reason_parse(ca_reason_name(reason)) != reason || reason < 0)
		return oa_fail(OA_ERR_INVALID, "revocation reason %d is not supported", reason);
	if (invalidity < 0 || invalidity > now)
		return oa_fail(OA_ERR_INVALID, "the invalidity date must not be in the future");
	if (own && (rc = store_begin(c->db)))
		return rc;
	if ((st = store_prepare(c->db, "SELECT status, revoked_at, reason, issuer_id, not_before"
	                               " FROM certificate WHERE serial = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, serial);
	step = store_step(st);
	if (step == STORE_DONE)
		rc = oa_fail(OA_ERR_NOTFOUND, "no certificate with serial %s", serial);
	else if (step != STORE_ROW)
		rc = OA_ERR_STORE;
	else if (strcmp(store_col_text(st, 0), "revoked") == 0) {
		oa_time_iso(when, sizeof when, store_col_int(st, 1));
		rc = oa_fail(OA_ERR_STATE, "certificate %s was already revoked at %s (%s)", serial,
		    when, ca_reason_name((int)store_col_int(st, 2)));
	} else if (invalidity > 0 && invalidity < (not_before = store_col_int(st, 4))) {
		/* RFC 5280 5.3.2: the date the key became unusable; before the
		 * certificate existed it cannot be meant, and would date the
		 * compromise before the certificate was valid. */
		oa_time_iso(when, sizeof when, invalidity);
		oa_time_iso(nb, sizeof nb, not_before);
		rc = oa_fail(OA_ERR_INVALID, "the invalidity date %s is before the certificate's"
		    " notBefore %s", when, nb);
	} else
		issuer_id = store_col_int(st, 3);
	store_reset(st);
	if (rc)
		goto out;
	if ((rc = encode_entry(serial, now, reason, invalidity, &entry)))
		goto out;
	if ((st = store_prepare(c->db, "UPDATE certificate SET status = 'revoked', revoked_at = ?,"
	                               " reason = ?, invalidity_date = ? WHERE serial = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, now);
	store_bind_int(st, 2, reason);
	if (invalidity > 0)
		store_bind_int(st, 3, invalidity);
	else
		store_bind_null(st, 3);
	store_bind_text(st, 4, serial);
	if ((rc = store_run(st)))
		goto out;
	if ((st = store_prepare(c->db, "INSERT INTO revocation(issuer_id, serial, entry)"
	                               " VALUES (?, ?, ?)")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, issuer_id);
	store_bind_text(st, 2, serial);
	store_bind_blob(st, 3, entry.data, entry.len);
	if ((rc = store_run(st)))
		goto out;
	snprintf(object, sizeof object, "certificate:%s", serial);
	snprintf(detail, sizeof detail, "reason=%s", ca_reason_name(reason));
	if (invalidity > 0) {
		oa_time_iso(when, sizeof when, invalidity);
		snprintf(detail + strlen(detail), sizeof detail - strlen(detail), " invalidity=%s", when);
	}
	if ((rc = audit_append(c->db, actor ? actor : "system", "cert.revoke", object, detail)))
		goto out;
	if (own)
		rc = store_commit(c->db);
out:
	if (rc && own)
		store_rollback(c->db);
	oa_buf_free(&entry);
	return rc;
}

static int count_one(const ca_cert_info *i, void *arg)
{
	(void)i;
	++*(int *)arg;
	return 1;
}

oa_err ca_revoke_in_org(ca *c, const char *org, const char *serial_in, int reason,
    const char *actor, const char *via, const char *note,
    oa_err (*then)(const ca_cert_info *revoked, void *arg), void *arg)
{
	char serial[41], detail[700];
	ca_cert_info info;
	ca_filter f = {0};
	int n = 0;
	oa_err rc;

	if ((rc = ca_serial_normalize(serial_in, serial)))
		return rc;
	if (org == NULL || *org == '\0')
		return oa_fail(OA_ERR_INVALID, "no agency given");
	if (note && (strlen(note) > 512 || !oa_is_clean_utf8(note)))
		return oa_fail(OA_ERR_LIMIT, "the note is at most 512 bytes of text");
	if (store_in_tx(c->db))
		return oa_fail(OA_ERR_STATE, "ca_revoke_in_org runs its own transaction");
	if ((rc = store_begin(c->db)))
		return rc;
	f.org = org;
	f.serial = serial;
	f.status = "active";
	if ((rc = ca_list(c, &f, count_one, &n)) == OA_OK && n == 0)
		rc = oa_fail(OA_ERR_NOTFOUND, "no active certificate %s in agency %s", serial, org);
	if (rc == OA_OK && (rc = ca_revoke(c, serial, reason, 0, actor)) == OA_OK) {
		snprintf(detail, sizeof detail, "serial=%s reason=%s via=%s%s%s", serial,
		    ca_reason_name(reason), via ? via : "registry", note && *note ? " note=" : "",
		    note && *note ? note : "");
		rc = audit_append(c->db, actor ? actor : "system", "cert.revoke.registry", serial,
		    detail);
	}
	if (rc == OA_OK && then != NULL && (rc = ca_status(c, serial, &info)) == OA_OK)
		rc = then(&info, arg);
	if (rc == OA_OK)
		return store_commit(c->db);
	store_rollback(c->db);
	return rc;
}

int ca_lock_file(ca *c, const char *rel)
{
	char path[OA_MAX_PATH];
	int fd;

	if (oa_path_join(path, sizeof path, c->dir, rel))
		return -1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -1;
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

static oa_err key_id_ext(X509 *issuer, oa_buf *exts)
{
	/* authorityKeyIdentifier (RFC 5280 5.2.1), keyIdentifier only. */
	static const uint8_t oid_aki[] = {0x06, 0x03, 0x55, 0x1d, 0x23};
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(issuer);
	oa_buf kid = {0}, seq = {0}, one = {0};
	oa_err rc;

	if (skid == NULL)
		return oa_fail(OA_ERR_CONFIG, "the CA certificate has no subject key identifier");
	if ((rc = der_tlv(&kid, 0x80, ASN1_STRING_get0_data(skid), (size_t)ASN1_STRING_length(skid))) ||
	    (rc = der_tlv(&seq, 0x30, kid.data, kid.len)) ||
	    (rc = oa_buf_append(&one, oid_aki, sizeof oid_aki)) ||
	    (rc = der_tlv(&one, 0x04, seq.data, seq.len)))
		goto out;
	rc = der_tlv(exts, 0x30, one.data, one.len);
out:
	oa_buf_free(&kid);
	oa_buf_free(&seq);
	oa_buf_free(&one);
	return rc;
}

static oa_err crl_number_ext(int64_t number, oa_buf *exts)
{
	/* cRLNumber (RFC 5280 5.2.3): a non-negative INTEGER. */
	static const uint8_t oid_num[] = {0x06, 0x03, 0x55, 0x1d, 0x14};
	uint8_t n[9];
	size_t len = 0;
	oa_buf i = {0}, one = {0};
	oa_err rc;

	n[0] = 0;
	for (int b = 7; b >= 0; b--) {
		uint8_t v = (uint8_t)(number >> (8 * b));
		if (len == 0 && v == 0 && b > 0)
			continue;
		n[1 + len++] = v;
	}
	if ((rc = (n[1] & 0x80) ? der_tlv(&i, 0x02, n, len + 1) : der_tlv(&i, 0x02, n + 1, len)) ||
	    (rc = oa_buf_append(&one, oid_num, sizeof oid_num)) ||
	    (rc = der_tlv(&one, 0x04, i.data, i.len)))
		goto out;
	rc = der_tlv(exts, 0x30, one.data, one.len);
out:
	oa_buf_free(&i);
	oa_buf_free(&one);
	return rc;
}

oa_err ca_crl_publish(ca *c, int root, uint8_t **der_out, size_t *der_out_len)
{
	signer_key k = root ? SIGNER_ROOT : SIGNER_ISSUING;
	X509 *issuer = c->cert[k];
	const char *which = root ? "root" : "issuing";
	oa_buf entries = {0}, head = {0}, ext_list = {0}, exts = {0}, tbs = {0}, crl = {0};
	const uint8_t *alg;
	size_t alglen, siglen = 0;
	uint8_t *sig = NULL, *name = NULL;
	int namelen, lockfd, step;
	int64_t now = oa_now(), next, number = 0, count = 0;
	store_stmt *st;
	signer *sg;
	char path[OA_MAX_PATH], hexsum[65], object[64], detail[128];
	oa_err rc;

	if (der_out)
		*der_out = NULL;
	if (root && ca_root_external(c->dir))
		return oa_fail(OA_ERR_STATE, "the root CA is external: its CRLs are its operator's"
		    " (openams publishes the issuing CA's)");
	if ((lockfd = ca_lock_file(c, "pki/.crl.lock")) < 0)
		return oa_fail(OA_ERR_IO, "cannot lock %s/pki/.crl.lock", c->dir);
	next = now + (root ? conf_int(c->cfg, "crl.root_validity_days") * 86400
	                   : conf_int(c->cfg, "crl.validity_hours") * 3600);
	{
		int nid;
		if ((rc = ca_signer(c, &sg)) ||
		    (rc = signer_algorithm_of(X509_get0_pubkey(issuer), &alg, &alglen, &nid)))
			goto out;
	}

	/* 1. The entries, from one read snapshot. */
	if ((rc = store_begin_read(c->db)))
		goto out;
	if ((st = store_prepare(c->db, "SELECT entry FROM revocation WHERE issuer_id = ?"
	                               " ORDER BY serial")) == NULL) {
		store_rollback(c->db);
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, c->cert_id[k]);
	while ((step = store_step(st)) == STORE_ROW) {
		size_t n;
		const void *e = store_col_blob(st, 0, &n);
		if ((rc = oa_buf_append(&entries, e, n)))
			break;
		count++;
	}
	store_reset(st);
	store_rollback(c->db);
	if (rc == OA_OK && step < 0)
		rc = OA_ERR_STORE;
	if (rc)
		goto out;

	/* 2. The next number, then TBSCertList (RFC 5280 5.1.2). */
	if ((st = store_prepare(c->db, "SELECT COALESCE(MAX(number), 0) + 1 FROM crl WHERE issuer = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, which);
	step = store_step(st);
	number = store_col_int(st, 0);
	store_reset(st);
	if (step != STORE_ROW) {
		rc = OA_ERR_STORE;
		goto out;
	}
	if ((namelen = i2d_X509_NAME(X509_get_subject_name(issuer), &name)) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "encoding the issuer name");
		goto out;
	}
	{
		static const uint8_t v2[] = {0x02, 0x01, 0x01};
		if ((rc = oa_buf_append(&head, v2, sizeof v2)) ||
		    (rc = oa_buf_append(&head, alg, alglen)) ||
		    (rc = oa_buf_append(&head, name, (size_t)namelen)) ||
		    (rc = der_time(&head, now)) || (rc = der_time(&head, next)) ||
		    (rc = key_id_ext(issuer, &ext_list)) || (rc = crl_number_ext(number, &ext_list)) ||
		    (rc = der_hdr(&exts, 0xa0, der_hdr_len(ext_list.len) + ext_list.len)) ||
		    (rc = der_tlv(&exts, 0x30, ext_list.data, ext_list.len)))
			goto out;
	}
	{
		size_t body = head.len + exts.len +
		    (entries.len ? der_hdr_len(entries.len) + entries.len : 0);
		if ((rc = oa_buf_reserve(&tbs, der_hdr_len(body) + body)) ||
		    (rc = der_hdr(&tbs, 0x30, body)) || (rc = oa_buf_append(&tbs, head.data, head.len)) ||
		    (entries.len && (rc = der_tlv(&tbs, 0x30, entries.data, entries.len))) ||
		    (rc = oa_buf_append(&tbs, exts.data, exts.len)))
			goto out;
		oa_buf_free(&entries);
	}
	/* 3. Sign, and wrap as CertificateList (RFC 5280 5.1.1). */
	if ((rc = signer_sign_crl(sg, k, tbs.data, tbs.len, &sig, &siglen)))
		goto out;
	{
		size_t bits = 1 + siglen;
		size_t body = tbs.len + alglen + der_hdr_len(bits) + bits;
		uint8_t zero = 0;
		if ((rc = oa_buf_reserve(&crl, der_hdr_len(body) + body)) ||
		    (rc = der_hdr(&crl, 0x30, body)) || (rc = oa_buf_append(&crl, tbs.data, tbs.len)) ||
		    (rc = oa_buf_append(&crl, alg, alglen)) || (rc = der_hdr(&crl, 0x03, bits)) ||
		    (rc = oa_buf_append(&crl, &zero, 1)) || (rc = oa_buf_append(&crl, sig, siglen)))
			goto out;
		oa_buf_free(&tbs);
	}
	{
		uint8_t sum[32];
		EVP_Digest(crl.data, crl.len, sum, NULL, EVP_sha256(), NULL);
		oa_hex(hexsum, sum, sizeof sum);
	}
	/* 4. Record it (the trigger checks the number increases), then publish. */
	if ((rc = store_begin(c->db)))
		goto out;
	if ((st = store_prepare(c->db, "INSERT INTO crl(issuer, number, this_update, next_update,"
	                               " entries, sha256) VALUES (?, ?, ?, ?, ?, ?)")) == NULL) {
		store_rollback(c->db);
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, which);
	store_bind_int(st, 2, number);
	store_bind_int(st, 3, now);
	store_bind_int(st, 4, next);
	store_bind_int(st, 5, count);
	store_bind_text(st, 6, hexsum);
	snprintf(object, sizeof object, "crl:%s:%" PRId64, which, number);
	snprintf(detail, sizeof detail, "entries=%" PRId64 " sha256=%.16s", count, hexsum);
	if ((rc = store_run(st)) || (rc = audit_append(c->db, "system", "crl.publish", object, detail)) ||
	    (rc = store_commit(c->db))) {
		store_rollback(c->db);
		goto out;
	}
	snprintf(detail, sizeof detail, "pki/%s.crl", which);
	if ((rc = oa_path_join(path, sizeof path, c->dir, detail)) ||
	    (rc = oa_write_file_atomic(path, crl.data, crl.len, 0600)))
		goto out;
	if (der_out) {
		*der_out = crl.data;
		*der_out_len = crl.len;
		crl.data = NULL;
	}
out:
	close(lockfd);
	OPENSSL_free(name);
	free(sig);
	oa_buf_free(&entries);
	oa_buf_free(&head);
	oa_buf_free(&ext_list);
	oa_buf_free(&exts);
	oa_buf_free(&tbs);
	oa_buf_free(&crl);
	return rc;
}

oa_err ca_crl_due(ca *c, int root, int *due)
{
	store_stmt *st = store_prepare(c->db, "SELECT this_update, next_update FROM crl"
	                                      " WHERE issuer = ? ORDER BY number DESC LIMIT 1");
	int64_t now = oa_now(), interval = conf_int(c->cfg, "crl.interval_minutes") * 60;
	int step;

	*due = !(root && ca_root_external(c->dir)); /* an external root's CRLs are not ours */
	if (st == NULL || !*due)
		return st == NULL ? OA_ERR_STORE : OA_OK;
	store_bind_text(st, 1, root ? "root" : "issuing");
	step = store_step(st);
	if (step == STORE_ROW)
		*due = now - store_col_int(st, 0) >= interval || store_col_int(st, 1) - now < interval;
	store_reset(st);
	return step < 0 ? OA_ERR_STORE : OA_OK;
}
