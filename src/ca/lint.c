/*
 * lint.c - the pre-issuance lint: checks a to-be-signed certificate against
 * its profile and RFC 5280 before anything is signed.
 *
 * Each rule has a stable name (e_...) that appears in the refusal, followed
 * by what is wrong and the section it comes from, so an operator can look it
 * up.  The lint judges the certificate as built, never the request it came
 * from: whatever path built it, this is what would be signed.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "../common/limits.h"
#include "../common/nik.h"
#include "caInt.h"

#define FAIL(rule, ...) return lint_fail(rule, __VA_ARGS__)

static oa_err lint_fail(const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static oa_err lint_fail(const char *rule, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return oa_fail(OA_ERR_LINT, "lint %s: %s", rule, msg);
}

static const struct {
	int nid;
	unsigned bit;
	int max_chars; /* RFC 5280 Appendix A upper bounds */
	const char *name;
} attrs[] = {
	{NID_countryName, ATTR_C, 2, "C"},
	{NID_stateOrProvinceName, ATTR_ST, 128, "ST"},
	{NID_localityName, ATTR_L, 128, "L"},
	{NID_organizationName, ATTR_O, 64, "O"},
	{NID_organizationalUnitName, ATTR_OU, 64, "OU"},
	{NID_commonName, ATTR_CN, 64, "CN"},
	{NID_serialNumber, ATTR_SERIALNUMBER, 64, "serialNumber"},
	{NID_userId, ATTR_UID, 64, "UID"},
};

static int attr_index(int nid)
{
	for (unsigned i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
		if (attrs[i].nid == nid)
			return (int)i;
	return -1;
}

static int is_printable(const unsigned char *p, int n)
{
	for (int i = 0; i < n; i++) {
		unsigned char ch = p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		        (ch >= '0' && ch <= '9') || strchr(" '()+,-./:=?", ch)))
			return 0;
	}
	return 1;
}

static oa_err lint_subject(const ca_profile *p, X509 *x)
{
	const X509_NAME *nm = X509_get_subject_name(x);
	unsigned seen = 0;
	int n = X509_NAME_entry_count(nm), prev_set = -1;

	if (n == 0)
		FAIL("e_subject_empty", "the subject is empty (RFC 5280 4.1.2.6)");
	if (n > OA_MAX_SUBJECT_ATTRS)
		FAIL("e_subject_too_many_attrs", "%d subject attributes, limit %d", n,
		    OA_MAX_SUBJECT_ATTRS);
	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);
		int ai = attr_index(nid), type = ASN1_STRING_type(v), len = ASN1_STRING_length(v);
		const unsigned char *d = ASN1_STRING_get0_data(v);
		char buf[300];

		if (X509_NAME_ENTRY_set(e) == prev_set)
			FAIL("e_subject_multi_valued_rdn",
			    "multi-valued RDNs are not issued (CA/B BR 7.1.4.2)");
		prev_set = X509_NAME_ENTRY_set(e);
		if (ai < 0 || !(p->subject_allowed & attrs[ai].bit))
			FAIL("e_subject_attr_not_allowed",
			    "subject attribute %s is not allowed by profile %s",
			    nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown OID)", p->name);
		if (seen & attrs[ai].bit)
			FAIL("e_subject_attr_repeated", "subject attribute %s appears twice",
			    attrs[ai].name);
		seen |= attrs[ai].bit;
		if (len <= 0)
			FAIL("e_subject_attr_empty", "subject attribute %s is empty (RFC 5280 4.1.2.4)",
			    attrs[ai].name);
		if (nid == NID_countryName || nid == NID_serialNumber) {
			/* RFC 5280 Appendix A: countryName and serialNumber are
			 * PrintableString. */
			if (type != V_ASN1_PRINTABLESTRING || !is_printable(d, len))
				FAIL("e_subject_printable_string",
				    "%s must be a PrintableString (RFC 5280 Appendix A)", attrs[ai].name);
		} else if (nid == NID_userId) {
			if (type != V_ASN1_UTF8STRING && type != V_ASN1_IA5STRING)
				FAIL("e_subject_uid_encoding", "UID must be UTF8String or IA5String");
		} else if (type != V_ASN1_UTF8STRING && type != V_ASN1_PRINTABLESTRING) {
			/* RFC 5280 4.1.2.6: new certificates use UTF8String (or
			 * PrintableString for backward compatibility). */
			FAIL("e_subject_dirstring_encoding",
			    "%s must be UTF8String or PrintableString (RFC 5280 4.1.2.6)",
			    attrs[ai].name);
		}
		if (len >= (int)sizeof buf)
			FAIL("e_subject_attr_too_long", "%s is longer than %d characters (RFC 5280 Appendix A)",
			    attrs[ai].name, attrs[ai].max_chars);
		memcpy(buf, d, (size_t)len);
		buf[len] = 0;
		if ((int)strlen(buf) != len || !oa_is_clean_utf8(buf))
			FAIL("e_subject_bad_characters",
			    "%s has control characters, NUL bytes or invalid UTF-8", attrs[ai].name);
		if ((int)oa_utf8_chars(buf) > attrs[ai].max_chars)
			FAIL("e_subject_attr_too_long", "%s is longer than %d characters (RFC 5280 Appendix A)",
			    attrs[ai].name, attrs[ai].max_chars);
		if (buf[0] == ' ' || buf[len - 1] == ' ')
			FAIL("e_subject_attr_whitespace", "%s has leading or trailing spaces",
			    attrs[ai].name);
		if (nid == NID_countryName && strcmp(buf, p->country) != 0 && p->country[0])
			FAIL("e_subject_country", "country must be %s for profile %s, not %s",
			    p->country, p->name, buf);
		if (nid == NID_serialNumber && p->nik != NEED_NO &&
		    (strncmp(buf, "PNOID-", 6) != 0 || !oa_nik_valid(buf + 6, NULL, 0)))
			FAIL("e_subject_nik_format",
			    "serialNumber must be PNOID- and the 16-digit NIK (ETSI EN 319 412-1 5.1.3)");
		if (nid == NID_userId && p->nip != NEED_NO && !oa_is_digits(buf, 18))
			FAIL("e_subject_nip_format", "UID must be the 18-digit NIP");
	}
	if ((p->subject_required & ~seen) != 0) {
		for (unsigned i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
			if ((p->subject_required & attrs[i].bit) && !(seen & attrs[i].bit))
				FAIL("e_subject_attr_missing",
				    "subject attribute %s is required by profile %s", attrs[i].name,
				    p->name);
	}
	if (p->nik == NEED_REQUIRED && !(seen & ATTR_SERIALNUMBER))
		FAIL("e_subject_nik_missing", "profile %s requires the NIK (serialNumber)", p->name);
	if (p->nip == NEED_REQUIRED && !(seen & ATTR_UID))
		FAIL("e_subject_nip_missing", "profile %s requires the NIP (UID)", p->name);
	return OA_OK;
}

static oa_err lint_validity(const ca_profile *p, X509 *x, X509 *issuer)
{
	const ASN1_TIME *nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);
	int days, secs;

	/* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
	for (int i = 0; i < 2; i++) {
		const ASN1_TIME *t = i ? na : nb;
		struct tm tm;
		if (!ASN1_TIME_to_tm(t, &tm))
			FAIL("e_validity_time_invalid", "validity time cannot be read");
		if ((tm.tm_year + 1900 < 2050) != (ASN1_STRING_type(t) == V_ASN1_UTCTIME))
			FAIL("e_validity_time_encoding",
			    "dates before 2050 are UTCTime, from 2050 GeneralizedTime (RFC 5280 4.1.2.5)");
	}
	if (!ASN1_TIME_diff(&days, &secs, nb, na) || days < 0 || (days == 0 && secs <= 0))
		FAIL("e_validity_order", "notAfter is not after notBefore (RFC 5280 4.1.2.5)");
	if (days > p->max_validity_days || (days == p->max_validity_days && secs > 0))
		FAIL("e_validity_too_long", "validity of %d days exceeds the %d of profile %s", days,
		    p->max_validity_days, p->name);
	if (ASN1_TIME_compare(nb, X509_get0_notBefore(issuer)) < 0 ||
	    ASN1_TIME_compare(na, X509_get0_notAfter(issuer)) > 0)
		FAIL("e_validity_outside_issuer",
		    "validity must lie inside the issuing CA's (until %s); shorten it",
		    "the issuing CA's notAfter");
	return OA_OK;
}

static oa_err lint_key(const ca_profile *p, X509 *x, EVP_PKEY *key)
{
	EVP_PKEY *k = key ? key : X509_get0_pubkey(x);
	const char *t;
	ASN1_OBJECT *alg;
	const unsigned char *bits;
	int nbits = 0;

	/* The certificate's own key bytes must be there (they may have been
	 * copied from the request rather than set from key). */
	if (!X509_PUBKEY_get0_param(&alg, &bits, &nbits, NULL, X509_get_X509_PUBKEY(x)) || nbits <= 0)
		FAIL("e_key_missing", "the certificate has no public key bits");

	if (k == NULL)
		FAIL("e_key_missing", "the certificate has no readable public key");
	if ((t = signer_key_type_of(k)) == NULL)
		FAIL("e_key_type_unsupported",
		    "public key algorithm or size is not supported (EC P-256/P-384, RSA 2048/3072/4096)");
	if (!profile_key_type_allowed(p, t))
		FAIL("e_key_type_not_allowed", "key type %s is not allowed by profile %s", t, p->name);
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
		BIGNUM *e = NULL;
		int ok = EVP_PKEY_get_bn_param(k, "e", &e) && BN_is_word(e, 65537);
		BN_free(e);
		if (!ok)
			FAIL("e_rsa_exponent", "RSA public exponent must be 65537");
	}
	return OA_OK;
}

static oa_err lint_serial(X509 *x)
{
	const ASN1_INTEGER *s = X509_get0_serialNumber(x);
	int len = ASN1_STRING_length(s);

	/* RFC 5280 4.1.2.2: positive, at most 20 octets; CA/B BR 7.1: 64 bits
	 * of CSPRNG output. */
	if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER || len <= 0)
		FAIL("e_serial_not_positive", "serial number must be positive (RFC 5280 4.1.2.2)");
	if (len > 20 || (len == 20 && (ASN1_STRING_get0_data(s)[0] & 0x80)))
		FAIL("e_serial_too_long", "serial number longer than 20 octets (RFC 5280 4.1.2.2)");
	if (len < 9)
		FAIL("e_serial_entropy", "serial number shorter than 64 random bits");
	return OA_OK;
}

static oa_err lint_email(const ca_profile *p, const conf *cfg, const ASN1_IA5STRING *s)
{
	const char *d = (const char *)ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);
	const char *at, *suffix = conf_str(cfg, "policy.email_suffix");
	char buf[OA_MAX_EMAIL_CHARS + 1];

	if (n <= 0 || n > OA_MAX_EMAIL_CHARS)
		FAIL("e_san_email_length", "e-mail address length must be 1..%d", OA_MAX_EMAIL_CHARS);
	memcpy(buf, d, (size_t)n);
	buf[n] = 0;
	if ((int)strlen(buf) != n)
		FAIL("e_san_email_syntax", "e-mail address contains a NUL byte");
	for (int i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (ch <= 0x20 || ch >= 0x7f || strchr("\"(),:;<>[\\]", ch))
			FAIL("e_san_email_syntax",
			    "e-mail address has a character not allowed (RFC 5321 4.1.2)");
	}
	at = strchr(buf, '@');
	if (at == NULL || at == buf || strchr(at + 1, '@') || at[1] == 0 || !strchr(at + 1, '.') ||
	    at[1] == '.' || buf[n - 1] == '.' || strstr(at, ".."))
		FAIL("e_san_email_syntax", "'%s' is not an address like name@unit.go.id", buf);
	if (p->email_domain_policy && *suffix) {
		size_t sl = strlen(suffix), dl = strlen(at + 1);
		char dom[OA_MAX_EMAIL_CHARS + 1];
		for (size_t i = 0; i <= dl; i++)
			dom[i] = (char)(at[1 + i] >= 'A' && at[1 + i] <= 'Z' ? at[1 + i] + 32 : at[1 + i]);
		if (dl < sl || strcmp(dom + dl - sl, suffix) != 0 ||
		    (dl > sl && suffix[0] != '.' && dom[dl - sl - 1] != '.'))
			FAIL("e_san_email_domain",
			    "applicants' e-mail must be on a %s domain, not %s (policy.email_suffix)",
			    suffix, at + 1);
	}
	return OA_OK;
}

static oa_err lint_extensions(const ca_profile *p, const conf *cfg, X509 *x, X509 *issuer)
{
	const STACK_OF(X509_EXTENSION) *exts = X509_get0_extensions(x);
	int n = sk_X509_EXTENSION_num(exts), has_ski = 0, has_aki = 0, has_ku = 0, has_bc = 0,
	    has_email = 0;
	oa_err rc;

	for (int i = 0; i < n; i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
		int crit = X509_EXTENSION_get_critical(e);

		for (int j = 0; j < i; j++)
			if (OBJ_cmp(X509_EXTENSION_get_object(e),
			        X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, j))) == 0)
				FAIL("e_ext_duplicate", "extension %s appears twice (RFC 5280 4.2)",
				    OBJ_nid2sn(nid));
		switch (nid) {
		case NID_basic_constraints: {
			BASIC_CONSTRAINTS *bc = X509V3_EXT_d2i(e);
			int isca = bc ? bc->ca : 1;
			BASIC_CONSTRAINTS_free(bc);
			if (isca)
				FAIL("e_ext_bc_ca_in_leaf", "an end-entity certificate must not be a CA");
			has_bc = 1;
			break;
		}
		case NID_key_usage: {
			ASN1_BIT_STRING *ku = X509V3_EXT_d2i(e);
			unsigned bits = 0;
			for (int b = 0; ku && b < 9; b++)
				if (ASN1_BIT_STRING_get_bit(ku, b))
					bits |= b < 8 ? (0x80u >> b) : 0x8000u;
			ASN1_BIT_STRING_free(ku);
			if (bits != p->key_usage)
				FAIL("e_ext_key_usage_mismatch", "key usage differs from profile %s", p->name);
			if (bits & (X509v3_KU_KEY_CERT_SIGN | X509v3_KU_CRL_SIGN))
				FAIL("e_ext_key_usage_ca_bits",
				    "keyCertSign/cRLSign are for CAs only (RFC 5280 4.2.1.3)");
			if (p->key_usage_critical && !crit)
				FAIL("e_ext_key_usage_not_critical", "key usage must be critical in profile %s",
				    p->name);
			has_ku = 1;
			break;
		}
		case NID_ext_key_usage: {
			EXTENDED_KEY_USAGE *eku = X509V3_EXT_d2i(e);
			int m = eku ? sk_ASN1_OBJECT_num(eku) : -1;
			int ok = m == p->neku;
			for (int j = 0; ok && j < m; j++) {
				char oid[64];
				OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku, j), 1);
				ok = strcmp(oid, p->eku[j]) == 0;
			}
			sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
			if (!ok)
				FAIL("e_ext_eku_mismatch", "extended key usage differs from profile %s",
				    p->name);
			break;
		}
		case NID_subject_key_identifier:
			if (crit)
				FAIL("e_ext_ski_critical", "SKI must not be critical (RFC 5280 4.2.1.2)");
			has_ski = 1;
			break;
		case NID_authority_key_identifier: {
			/* Decoded here: OpenSSL's cached view of a certificate
			 * still being built may predate its extensions. */
			AUTHORITY_KEYID *akid = X509V3_EXT_d2i(e);
			const ASN1_OCTET_STRING *iskid = X509_get0_subject_key_id(issuer);
			int match = akid && akid->keyid && iskid &&
			    ASN1_OCTET_STRING_cmp(akid->keyid, iskid) == 0;
			AUTHORITY_KEYID_free(akid);
			if (crit)
				FAIL("e_ext_aki_critical", "AKI must not be critical (RFC 5280 4.2.1.1)");
			if (!match)
				FAIL("e_ext_aki_mismatch", "AKI does not match the issuer's SKI (RFC 5280 4.2.1.1)");
			has_aki = 1;
			break;
		}
		case NID_subject_alt_name: {
			GENERAL_NAMES *gens = X509V3_EXT_d2i(e);
			int m = gens ? sk_GENERAL_NAME_num(gens) : -1;
			rc = OA_OK;
			if (m <= 0)
				rc = lint_fail("e_ext_san_empty", "subjectAltName is empty (RFC 5280 4.2.1.6)");
			for (int j = 0; rc == OA_OK && j < m; j++) {
				GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, j);
				if (g->type != GEN_EMAIL)
					rc = lint_fail("e_ext_san_type", "only rfc822Name is issued in subjectAltName");
				else {
					rc = lint_email(p, cfg, g->d.rfc822Name);
					has_email = 1;
				}
			}
			GENERAL_NAMES_free(gens);
			if (rc)
				return rc;
			break;
		}
		case NID_crl_distribution_points:
		case NID_info_access:
		case NID_certificate_policies:
			if (crit)
				FAIL("e_ext_critical_unexpected", "%s must not be critical", OBJ_nid2sn(nid));
			break;
		default:
			FAIL("e_ext_unknown", "extension %s is not issued by openams",
			    nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown OID)");
		}
	}
	if (!has_bc)
		FAIL("e_ext_bc_missing", "basicConstraints is missing");
	if (!has_ku)
		FAIL("e_ext_key_usage_missing", "key usage is missing (RFC 5280 4.2.1.3)");
	if (!has_ski)
		FAIL("e_ext_ski_missing", "subject key identifier is missing (RFC 5280 4.2.1.2)");
	if (!has_aki)
		FAIL("e_ext_aki_missing", "authority key identifier is missing (RFC 5280 4.2.1.1)");
	if (p->email == NEED_REQUIRED && !has_email)
		FAIL("e_san_email_missing", "profile %s requires an e-mail address", p->name);
	if (p->email == NEED_NO && has_email)
		FAIL("e_san_email_not_allowed", "profile %s carries no e-mail address", p->name);
	return OA_OK;
}

oa_err ca_lint(const ca_profile *p, const conf *cfg, X509 *x, X509 *issuer, EVP_PKEY *key)
{
	oa_err rc;

	if (X509_get_version(x) != X509_VERSION_3)
		FAIL("e_version", "certificates are version 3 (RFC 5280 4.1.2.1)");
	if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(issuer)) != 0)
		FAIL("e_issuer_name", "issuer name differs from the CA's subject (RFC 5280 4.1.2.4)");
	if ((rc = lint_serial(x)) || (rc = lint_validity(p, x, issuer)) ||
	    (rc = lint_subject(p, x)) || (rc = lint_key(p, x, key)) ||
	    (rc = lint_extensions(p, cfg, x, issuer)))
		return rc;
	return OA_OK;
}
