/*
 * routes_portal_public.c - the pages anyone may open (docs/PORTAL.md,
 * "Public and account pages").
 *
 *   GET /         what this service is, with links to sign in, the CA
 *                 certificates and CRLs, and the status lookup
 *   GET /ca       the root and issuing CA certificates (subject, serial,
 *                 validity, SHA-256 fingerprint, download links) and the
 *                 two CRLs (this and next update, fingerprint, links)
 *   GET /status   ?serial=HEX: a certificate's status (good, revoked,
 *                 expired, unknown), validity, revocation time and reason
 *
 * Nothing personal is shown (the holder's name only when
 * web.public_certificates = yes, as for the certificate downloads): the
 * status page reveals what OCSP and the CRL already answer.  The CA
 * certificates come from ca_chain_pem() and the CRLs from the files
 * routes_pki.c serves (DIR/pki/<name>.crl, fixed names only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "portalInt.h"

/* ---- home ---- */

static void h_home(web_req *r)
{
	web_user *u = portal_user_opt(r);
	pg p;

	pg_start(&p, r, u, "Layanan sertifikat elektronik", "Electronic certificate service");
	pg_para(&p, NULL, "openams melayani permohonan, penerbitan dan pencabutan sertifikat "
	                  "elektronik pegawai instansi pemerintah, mengikuti SOP instansi Anda.",
	    "openams handles applications for, and the issuance and revocation of, electronic "
	    "certificates of government staff, following your agency's SOP.");
	pg_raw(&p, "<div class=\"cards\">\n<div class=\"card\">");
	pg_h2(&p, u ? "Portal" : "Masuk", u ? "Portal" : "Sign in");
	pg_para(&p, NULL, "Ajukan dan pantau permohonan, kerjakan tugas, unduh sertifikat Anda.",
	    "Apply and follow applications, do your tasks, download your certificates.");
	pg_raw(&p, "<p>");
	if (u)
		pg_link(&p, "/portal", "Buka portal", "Open the portal");
	else
		pg_link(&p, "/login", "Masuk", "Sign in");
	pg_raw(&p, "</p></div>\n<div class=\"card\">");
	pg_h2(&p, "Sertifikat CA dan CRL", "CA certificates and CRLs");
	pg_para(&p, NULL, "Unduh sertifikat CA untuk memeriksa tanda tangan, dan daftar "
	                  "sertifikat yang dicabut.",
	    "Download the CA certificates to check signatures, and the revocation lists.");
	pg_raw(&p, "<p>");
	pg_link(&p, "/ca", "Sertifikat CA", "CA certificates");
	pg_raw(&p, "</p></div>\n<div class=\"card\">");
	pg_h2(&p, "Cek status sertifikat", "Certificate status");
	pg_para(&p, NULL, "Periksa apakah sebuah sertifikat masih berlaku, dari nomor serinya.",
	    "Check whether a certificate is still valid, by its serial number.");
	pg_raw(&p, "<p>");
	pg_link(&p, "/status", "Cek status", "Check a status");
	pg_raw(&p, "</p></div>\n</div>\n");
	pg_send(&p, 200);
}

/* ---- CA certificates and CRLs ---- */

static void fingerprint(pg *p, const unsigned char *md, unsigned n)
{
	pg_raw(p, "<code class=\"fp\">");
	for (unsigned i = 0; i < n; i++)
		pg_raw(p, "%s%02X", i ? ":" : "", md[i]);
	pg_raw(p, "</code>");
}

static int64_t asn1_secs(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static void row_start(pg *p, const char *id, const char *en)
{
	pg_raw(p, "<tr><th scope=\"row\">");
	pg_bi(p, id, en);
	pg_raw(p, "</th><td>");
}

static void cert_section(pg *p, X509 *x, const char *tid, const char *ten, const char *base)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdn = 0;
	BIO *bio = BIO_new(BIO_s_mem());
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL, *subj = NULL;
	long n = 0;

	pg_h2(p, tid, ten);
	if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(x), 0,
	               XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    BIO_write(bio, "", 1) == 1)
		n = BIO_get_mem_data(bio, &subj);
	pg_raw(p, "<div class=\"table\"><table>\n");
	row_start(p, "Subjek", "Subject");
	pg_text(p, n > 0 ? subj : "-");
	pg_raw(p, "</td></tr>\n");
	row_start(p, "Nomor seri", "Serial number");
	pg_raw(p, "<code>");
	pg_text(p, hex ? hex : "-");
	pg_raw(p, "</code></td></tr>\n");
	row_start(p, "Berlaku", "Valid");
	pg_time(p, asn1_secs(X509_get0_notBefore(x)));
	pg_raw(p, " &ndash; ");
	pg_time(p, asn1_secs(X509_get0_notAfter(x)));
	pg_raw(p, "</td></tr>\n");
	row_start(p, "Sidik jari SHA-256", "SHA-256 fingerprint");
	if (X509_digest(x, EVP_sha256(), md, &mdn))
		fingerprint(p, md, mdn);
	pg_raw(p, "</td></tr>\n");
	row_start(p, "Unduh", "Download");
	pg_raw(p, "<a href=\"/pki/%s.crt\">DER (.crt)</a> &middot; <a href=\"/pki/%s.pem\">PEM</a>",
	    base, base);
	pg_raw(p, "</td></tr>\n</table></div>\n");
	OPENSSL_free(hex);
	BN_free(bn);
	BIO_free(bio);
}

static void crl_section(pg *p, const char *name, const char *id, const char *en)
{
	char rel[64], path[OA_MAX_PATH];
	uint8_t *der = NULL;
	size_t len = 0;
	X509_CRL *crl = NULL;
	unsigned char md[32];

	snprintf(rel, sizeof rel, "pki/%s.crl", name);
	if (oa_path_join(path, sizeof path, inst_dir(p->r->in), rel) == OA_OK &&
	    oa_read_file(path, 16 * 1024 * 1024, &der, &len) == OA_OK) {
		const unsigned char *q = der;
		crl = d2i_X509_CRL(NULL, &q, (long)len);
	}
	oa_err_clear();
	pg_raw(p, "<tr><td>");
	pg_bi(p, id, en);
	pg_raw(p, "</td><td>");
	if (crl) {
		STACK_OF(X509_REVOKED) *rv = X509_CRL_get_REVOKED(crl);
		pg_time(p, asn1_secs(X509_CRL_get0_lastUpdate(crl)));
		pg_raw(p, "</td><td>");
		pg_time(p, asn1_secs(X509_CRL_get0_nextUpdate(crl)));
		pg_raw(p, "</td><td>%d</td><td>", rv ? sk_X509_REVOKED_num(rv) : 0);
		EVP_Digest(der, len, md, NULL, EVP_sha256(), NULL);
		fingerprint(p, md, sizeof md);
	} else {
		pg_raw(p, "-</td><td>-</td><td>-</td><td>");
		pg_bi(p, "belum diterbitkan", "not published yet");
	}
	pg_raw(p, "</td><td><a href=\"/pki/%s.crl\">%s.crl</a></td></tr>\n", name, name);
	X509_CRL_free(crl);
	free(der);
}

static void h_ca(web_req *r)
{
	web_user *u = portal_user_opt(r);
	oa_buf chain = {0};
	BIO *bio = NULL;
	X509 *issuing = NULL, *root = NULL;
	oa_err rc;
	pg p;

	if ((rc = ca_chain_pem(r->ca, 0, &chain)) ||
	    (bio = BIO_new_mem_buf(chain.data, (int)chain.len)) == NULL ||
	    (issuing = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (root = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		pg_err(r, u, rc ? rc : oa_fail_ssl(OA_ERR_CRYPTO, "reading the CA chain"), "/");
		goto out;
	}
	pg_start(&p, r, u, "Sertifikat CA dan CRL", "CA certificates and CRLs");
	pg_para(&p, NULL, "Pasang sertifikat CA induk (root) sebagai terpercaya untuk memeriksa "
	                  "tanda tangan elektronik. Bandingkan sidik jarinya dengan yang diumumkan "
	                  "instansi Anda.",
	    "Install the root CA certificate as trusted to check electronic signatures. Compare "
	    "its fingerprint with the one your agency publishes.");
	cert_section(&p, root, "CA induk (root)", "Root CA", "root");
	cert_section(&p, issuing, "CA penerbit", "Issuing CA", "issuing");
	pg_raw(&p, "<p><a href=\"/pki/chain.pem\">");
	pg_bi(&p, "Rantai lengkap (PEM: CA penerbit lalu root)",
	    "Full chain (PEM: issuing CA then root)");
	pg_raw(&p, "</a></p>\n");
	pg_h2(&p, "Daftar sertifikat yang dicabut (CRL)", "Certificate revocation lists (CRL)");
	pg_raw(&p, "<div class=\"table\"><table><thead><tr><th>CRL</th><th>Terbit <span class=\"en\" "
	           "lang=\"en\">/ This update</span></th><th>Berikutnya <span class=\"en\" "
	           "lang=\"en\">/ Next update</span></th><th>Dicabut <span class=\"en\" lang=\"en\">/ "
	           "Revoked</span></th><th>SHA-256</th><th>Unduh <span class=\"en\" lang=\"en\">/ "
	           "Download</span></th></tr></thead><tbody>\n");
	crl_section(&p, "issuing", "CA penerbit", "Issuing CA");
	crl_section(&p, "root", "CA induk", "Root CA");
	pg_raw(&p, "</tbody></table></div>\n");
	pg_send(&p, 200);
out:
	X509_free(issuing);
	X509_free(root);
	BIO_free(bio);
	oa_buf_free(&chain);
}

/* ---- status lookup ---- */

static void status_form(pg *p, const char *serial)
{
	pg_raw(p, "<form method=\"get\" action=\"/status\">\n");
	pg_field(p, "serial", "text", "Nomor seri (heksadesimal)", "Serial number (hex)", serial,
	    "off", 1);
	pg_button(p, NULL, NULL, "Cek", "Check", NULL);
	pg_raw(p, "</form>\n");
}

static void h_status(web_req *r)
{
	web_user *u = portal_user_opt(r);
	const char *q = web_query(r, "serial");
	char serial[41];
	ca_cert_info ci;
	const char *st_id, *st_en, *cls;
	unsigned status = 200;
	oa_err rc;
	pg p;

	pg_start(&p, r, u, "Cek status sertifikat", "Certificate status");
	if (q == NULL || *q == 0) {
		pg_para(&p, NULL, "Masukkan nomor seri sertifikat (heksadesimal, boleh dengan titik "
		                  "dua).",
		    "Enter the certificate's serial number (hexadecimal, colons allowed).");
		status_form(&p, NULL);
		pg_send(&p, 200);
		return;
	}
	if (strlen(q) > 128 || ca_serial_normalize(q, serial) != OA_OK) {
		oa_err_clear();
		r->errcode = "validation";
		pg_para(&p, "err", "Nomor seri tidak sah: tulis dalam heksadesimal (0-9, A-F).",
		    "Not a serial number: write it in hexadecimal (0-9, A-F).");
		status_form(&p, strlen(q) <= 128 ? q : NULL);
		pg_send(&p, 422);
		return;
	}
	status_form(&p, serial);
	rc = ca_status(r->ca, serial, &ci);
	if (rc == OA_ERR_NOTFOUND) {
		oa_err_clear();
		pg_raw(&p, "<p class=\"status unknown\"><strong>");
		pg_bi(&p, "Tidak dikenal", "Unknown");
		pg_raw(&p, "</strong>: <code>");
		pg_text(&p, serial);
		pg_raw(&p, "</code></p>\n");
		pg_para(&p, NULL, "CA ini tidak pernah menerbitkan sertifikat dengan nomor seri itu.",
		    "This CA never issued a certificate with that serial number.");
		pg_send(&p, 404);
		return;
	}
	if (rc) {
		oa_buf_free(&p.b);
		pg_err(r, u, rc, "/status");
		return;
	}
	if (ci.revoked_at > 0 || strcmp(ci.status, "revoked") == 0) {
		st_id = "Dicabut", st_en = "Revoked", cls = "revoked";
	} else if (ci.not_after <= oa_now() || strcmp(ci.status, "expired") == 0) {
		st_id = "Kedaluwarsa", st_en = "Expired", cls = "expired";
	} else if (ci.not_before > oa_now()) {
		st_id = "Belum berlaku", st_en = "Not yet valid", cls = "expired";
	} else {
		st_id = "Baik (berlaku)", st_en = "Good (valid)", cls = "good";
	}
	pg_raw(&p, "<p class=\"status %s\"><strong>", cls);
	pg_bi(&p, st_id, st_en);
	pg_raw(&p, "</strong></p>\n<div class=\"table\"><table>\n");
	row_start(&p, "Nomor seri", "Serial number");
	pg_raw(&p, "<code>");
	pg_text(&p, ci.serial);
	pg_raw(&p, "</code></td></tr>\n");
	if (web_srv && web_srv->public_certs) {
		row_start(&p, "Pemegang", "Holder");
		pg_text(&p, ci.cn);
		pg_raw(&p, "</td></tr>\n");
	}
	row_start(&p, "Berlaku", "Valid");
	pg_time(&p, ci.not_before);
	pg_raw(&p, " &ndash; ");
	pg_time(&p, ci.not_after);
	pg_raw(&p, "</td></tr>\n");
	if (ci.revoked_at > 0) {
		row_start(&p, "Dicabut pada", "Revoked at");
		pg_time(&p, ci.revoked_at);
		pg_raw(&p, "</td></tr>\n");
		row_start(&p, "Alasan", "Reason");
		pg_text(&p, ca_reason_name(ci.reason));
		pg_raw(&p, "</td></tr>\n");
	}
	if (web_srv && web_srv->public_certs) {
		row_start(&p, "Unduh", "Download");
		pg_raw(&p, "<a href=\"/certificates/");
		pg_text(&p, ci.serial);
		pg_raw(&p, ".pem\">PEM</a> &middot; <a href=\"/certificates/");
		pg_text(&p, ci.serial);
		pg_raw(&p, ".der\">DER</a></td></tr>\n");
	}
	pg_raw(&p, "</table></div>\n");
	pg_send(&p, status);
}

static const web_route routes[] = {
	{WEB_GET, "/", h_home, 0},
	{WEB_GET, "/ca", h_ca, 0},
	{WEB_GET, "/status", h_status, 0},
};

const web_route_table web_portal_public_table = {"portal_public", routes,
    sizeof routes / sizeof routes[0]};
