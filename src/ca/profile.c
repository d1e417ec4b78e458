/*
 * profile.c - certificate profiles as data (profiles/NAME.yaml).
 *
 * A profile is checked when it is loaded: an unknown key, value, key usage
 * or attribute is refused naming the file and line, so a mistyped profile
 * stops `openams serve` and `openams ca` at start instead of producing a
 * wrong certificate later.  The profile's constant extensions (key usage,
 * EKU, CRL distribution point, AIA, policies) are encoded once here.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yaml.h>

#include "../common/limits.h"
#include "../common/yaml_bound.h"
#include "caInt.h"

static const char *const key_type_names[] = {"ec-p256", "ec-p384", "rsa-2048",
    "rsa-3072", "rsa-4096"};

static const struct {
	const char *name;
	unsigned bit;
} ku_names[] = {
	{"digitalSignature", X509v3_KU_DIGITAL_SIGNATURE},
	{"nonRepudiation", X509v3_KU_NON_REPUDIATION},
	{"contentCommitment", X509v3_KU_NON_REPUDIATION},
	{"keyEncipherment", X509v3_KU_KEY_ENCIPHERMENT},
	{"dataEncipherment", X509v3_KU_DATA_ENCIPHERMENT},
	{"keyAgreement", X509v3_KU_KEY_AGREEMENT},
};

static const struct {
	const char *name;
	const char *oid;
} eku_names[] = {
	{"emailProtection", "1.3.6.1.5.5.7.3.4"},
	{"documentSigning", "1.3.6.1.5.5.7.3.36"}, /* RFC 9336 */
	{"clientAuth", "1.3.6.1.5.5.7.3.2"},
	{"codeSigning", "1.3.6.1.5.5.7.3.3"},
	{"timeStamping", "1.3.6.1.5.5.7.3.8"},
};

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
	{"C", ATTR_C}, {"ST", ATTR_ST}, {"L", ATTR_L}, {"O", ATTR_O}, {"OU", ATTR_OU},
	{"CN", ATTR_CN}, {"serialNumber", ATTR_SERIALNUMBER}, {"UID", ATTR_UID},
};

struct ctx {
	const char *path;
	yaml_document_t *doc;
};

static oa_err perr(const struct ctx *x, yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static oa_err perr(const struct ctx *x, yaml_node_t *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return oa_fail(OA_ERR_CONFIG, "%s:%lu: %s", x->path,
	    n ? (unsigned long)n->start_mark.line + 1 : 0UL, msg);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static oa_err get_int(const struct ctx *x, yaml_node_t *n, int lo, int hi, int *out)
{
	const char *s = scalar(n);
	char *end;
	long v;

	if (s == NULL)
		return perr(x, n, "expected a number");
	v = strtol(s, &end, 10);
	if (*s == 0 || *end || v < lo || v > hi)
		return perr(x, n, "'%s' is not a whole number in the allowed range", s);
	*out = (int)v;
	return OA_OK;
}

static oa_err get_bool(const struct ctx *x, yaml_node_t *n, int *out)
{
	const char *s = scalar(n);

	if (s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0))
		*out = 1;
	else if (s && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0))
		*out = 0;
	else
		return perr(x, n, "expected true or false");
	return OA_OK;
}

static oa_err get_need(const struct ctx *x, yaml_node_t *n, enum need *out)
{
	const char *s = scalar(n);

	if (s && strcmp(s, "required") == 0)
		*out = NEED_REQUIRED;
	else if (s && strcmp(s, "optional") == 0)
		*out = NEED_OPTIONAL;
	else if (s && strcmp(s, "no") == 0)
		*out = NEED_NO;
	else
		return perr(x, n, "expected required, optional or no");
	return OA_OK;
}

static oa_err get_str(const struct ctx *x, yaml_node_t *n, char *out, size_t outsz)
{
	const char *s = scalar(n);

	if (s == NULL)
		return perr(x, n, "expected text");
	if (strlen(s) >= outsz || !oa_is_clean_utf8(s))
		return perr(x, n, "text too long or with control characters");
	strcpy(out, s);
	return OA_OK;
}

typedef oa_err (*item_fn)(const struct ctx *, yaml_node_t *, ca_profile *);

static oa_err each_item(const struct ctx *x, yaml_node_t *seq, ca_profile *p, item_fn fn)
{
	oa_err rc;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return perr(x, seq, "expected a list");
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++)
		if ((rc = fn(x, yaml_document_get_node(x->doc, *it), p)))
			return rc;
	return OA_OK;
}

static oa_err add_key_type(const struct ctx *x, yaml_node_t *n, ca_profile *p)
{
	const char *s = scalar(n);

	for (unsigned i = 0; s && i < sizeof key_type_names / sizeof key_type_names[0]; i++)
		if (strcmp(s, key_type_names[i]) == 0) {
			p->key_types |= 1u << i;
			return OA_OK;
		}
	return perr(x, n, "unknown key type '%s' (ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096)",
	    s ? s : "");
}

static oa_err add_ku(const struct ctx *x, yaml_node_t *n, ca_profile *p)
{
	const char *s = scalar(n);

	for (unsigned i = 0; s && i < sizeof ku_names / sizeof ku_names[0]; i++)
		if (strcmp(s, ku_names[i].name) == 0) {
			p->key_usage |= ku_names[i].bit;
			return OA_OK;
		}
	return perr(x, n, "key usage '%s' is unknown or not for end entities", s ? s : "");
}

static oa_err add_eku(const struct ctx *x, yaml_node_t *n, ca_profile *p)
{
	const char *s = scalar(n);
	ASN1_OBJECT *o;

	if (s == NULL)
		return perr(x, n, "expected a name or dotted OID");
	if (p->neku >= PROFILE_MAX_EKU)
		return perr(x, n, "too many extended key usages");
	for (unsigned i = 0; i < sizeof eku_names / sizeof eku_names[0]; i++)
		if (strcmp(s, eku_names[i].name) == 0) {
			strcpy(p->eku[p->neku++], eku_names[i].oid);
			return OA_OK;
		}
	if (strlen(s) >= sizeof p->eku[0] || (o = OBJ_txt2obj(s, 1)) == NULL)
		return perr(x, n, "'%s' is not a known extended key usage or dotted OID", s);
	ASN1_OBJECT_free(o);
	strcpy(p->eku[p->neku++], s);
	return OA_OK;
}

static oa_err add_policy(const struct ctx *x, yaml_node_t *n, ca_profile *p)
{
	const char *s = scalar(n);
	ASN1_OBJECT *o;

	if (s == NULL || p->npolicies >= PROFILE_MAX_POLICIES || strlen(s) >= sizeof p->policies[0])
		return perr(x, n, "expected at most 4 dotted policy OIDs");
	if ((o = OBJ_txt2obj(s, 1)) == NULL)
		return perr(x, n, "'%s' is not a dotted OID", s);
	ASN1_OBJECT_free(o);
	strcpy(p->policies[p->npolicies++], s);
	return OA_OK;
}

static oa_err attr_bits(const struct ctx *x, yaml_node_t *seq, unsigned *out)
{
	*out = 0;
	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return perr(x, seq, "expected a list of attributes");
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(x->doc, *it);
		const char *s = scalar(n);
		unsigned i;
		for (i = 0; s && i < sizeof attr_names / sizeof attr_names[0]; i++)
			if (strcmp(s, attr_names[i].name) == 0)
				break;
		if (s == NULL || i == sizeof attr_names / sizeof attr_names[0])
			return perr(x, n, "unknown subject attribute '%s' (C ST L O OU CN serialNumber UID)",
			    s ? s : "");
		*out |= attr_names[i].bit;
	}
	return OA_OK;
}

static oa_err parse_subject(const struct ctx *x, yaml_node_t *m, ca_profile *p)
{
	oa_err rc;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return perr(x, m, "subject: expected a mapping");
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(x->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(x->doc, pr->value);
		const char *key = scalar(k);
		if (key && strcmp(key, "required") == 0)
			rc = attr_bits(x, v, &p->subject_required);
		else if (key && strcmp(key, "allowed") == 0)
			rc = attr_bits(x, v, &p->subject_allowed);
		else if (key && strcmp(key, "country") == 0) {
			rc = get_str(x, v, p->country, sizeof p->country);
			if (rc == OA_OK && (strlen(p->country) != 2 || p->country[0] < 'A' ||
			                       p->country[0] > 'Z' || p->country[1] < 'A' ||
			                       p->country[1] > 'Z'))
				rc = perr(x, v, "country must be two capital letters");
		} else
			rc = perr(x, k, "unknown subject key '%s' (required, allowed, country)",
			    key ? key : "");
		if (rc)
			return rc;
	}
	return OA_OK;
}

int64_t ca_add_months(int64_t t, int n)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	time_t tt = (time_t)t;
	struct tm tm;
	int y, m, last;

	gmtime_r(&tt, &tm);
	m = tm.tm_mon + n;
	y = tm.tm_year + 1900 + m / 12;
	m %= 12;
	last = mdays[m] + (m == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	if (tm.tm_mday > last)
		tm.tm_mday = last;
	tm.tm_year = y - 1900;
	tm.tm_mon = m;
	tm.tm_isdst = 0;
	return (int64_t)timegm(&tm);
}

int64_t ca_not_after(const ca_profile *p, int days, int64_t not_before)
{
	if (days == 0 && p->validity_months > 0)
		return ca_add_months(not_before, p->validity_months) - 1;
	return not_before + (int64_t)(days ? days : p->validity_days) * 86400;
}

/* The most whole days n calendar months can span (over a 400-year cycle's
 * worth of leap-year patterns: starting on the 1st of each month of 2000..
 * 2003 covers every position relative to a Feb 29). */
static int longest_months(int n)
{
	int64_t most = 0;

	for (int i = 0; i < 48; i++) {
		struct tm tm = {.tm_year = 100 + i / 12, .tm_mon = i % 12, .tm_mday = 1};
		int64_t t = (int64_t)timegm(&tm), span = ca_add_months(t, n) - t;
		if (span > most)
			most = span;
	}
	return (int)(most / 86400);
}

static oa_err parse_profile(const struct ctx *x, yaml_node_t *root, ca_profile *p)
{
	unsigned seen = 0;
	int nvalidity = 0;
	oa_err rc = OA_OK;

	if (root == NULL || root->type != YAML_MAPPING_NODE)
		return perr(x, root, "a profile is a mapping of keys");
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(x->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(x->doc, pr->value);
		const char *key = scalar(k);

		if (key == NULL)
			return perr(x, k, "keys must be plain text");
		if (strcmp(key, "name") == 0) {
			rc = get_str(x, v, p->name, sizeof p->name);
			seen |= 1;
		} else if (strcmp(key, "description") == 0)
			rc = get_str(x, v, p->description, sizeof p->description);
		else if (strcmp(key, "validity_days") == 0) {
			rc = get_int(x, v, 1, 3650, &p->validity_days);
			nvalidity++;
			seen |= 2;
		} else if (strcmp(key, "validity_months") == 0) {
			rc = get_int(x, v, 1, 120, &p->validity_months);
			nvalidity++;
			seen |= 2;
		} else if (strcmp(key, "validity_years") == 0) {
			int years = 0;
			rc = get_int(x, v, 1, 10, &years);
			p->validity_months = 12 * years;
			nvalidity++;
			seen |= 2;
		} else if (strcmp(key, "max_validity_days") == 0)
			rc = get_int(x, v, 1, 3650, &p->max_validity_days);
		else if (strcmp(key, "key_types") == 0) {
			rc = each_item(x, v, p, add_key_type);
			seen |= 4;
		} else if (strcmp(key, "key_usage") == 0) {
			rc = each_item(x, v, p, add_ku);
			seen |= 8;
		} else if (strcmp(key, "key_usage_critical") == 0)
			rc = get_bool(x, v, &p->key_usage_critical);
		else if (strcmp(key, "extended_key_usage") == 0)
			rc = each_item(x, v, p, add_eku);
		else if (strcmp(key, "certificate_policies") == 0)
			rc = each_item(x, v, p, add_policy);
		else if (strcmp(key, "subject") == 0) {
			rc = parse_subject(x, v, p);
			seen |= 16;
		} else if (strcmp(key, "nik") == 0)
			rc = get_need(x, v, &p->nik);
		else if (strcmp(key, "nip") == 0)
			rc = get_need(x, v, &p->nip);
		else if (strcmp(key, "email") == 0)
			rc = get_need(x, v, &p->email);
		else if (strcmp(key, "email_domain_policy") == 0)
			rc = get_bool(x, v, &p->email_domain_policy);
		else if (strcmp(key, "one_active_per_nik") == 0)
			rc = get_bool(x, v, &p->one_active_per_nik);
		else
			rc = perr(x, k, "unknown profile key '%s'", key);
		if (rc)
			return rc;
	}
	if (!(seen & 1))
		return perr(x, root, "missing 'name'");
	if (!(seen & 2))
		return perr(x, root, "missing 'validity_days', 'validity_months' or 'validity_years'");
	if (nvalidity > 1)
		return perr(x, root, "give one of 'validity_days', 'validity_months' and"
		                     " 'validity_years'");
	if (!(seen & 4) || p->key_types == 0)
		return perr(x, root, "missing 'key_types'");
	if (!(seen & 8) || p->key_usage == 0)
		return perr(x, root, "missing 'key_usage'");
	if (!(seen & 16) || !(p->subject_required & ATTR_CN))
		return perr(x, root, "'subject' must require CN");
	if ((p->subject_required & ~p->subject_allowed) != 0)
		return perr(x, root, "every required subject attribute must also be allowed");
	if (p->max_validity_days == 0)
		p->max_validity_days = p->validity_months ? longest_months(p->validity_months)
		                                          : p->validity_days;
	if (p->validity_days > p->max_validity_days)
		return perr(x, root, "validity_days is above max_validity_days");
	if (p->validity_months && longest_months(p->validity_months) > p->max_validity_days)
		return perr(x, root, "%d calendar months can last %d days, above max_validity_days",
		    p->validity_months, longest_months(p->validity_months));
	if (p->nik != NEED_NO && !(p->subject_allowed & ATTR_SERIALNUMBER))
		return perr(x, root, "a profile carrying the NIK must allow serialNumber");
	if (p->nip != NEED_NO && !(p->subject_allowed & ATTR_UID))
		return perr(x, root, "a profile carrying the NIP must allow UID");
	if (p->one_active_per_nik && p->nik != NEED_REQUIRED)
		return perr(x, root, "one_active_per_nik needs nik: required");
	for (const char *q = p->name; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-'))
			return perr(x, root, "profile name '%s' may use only a-z, 0-9 and '-'", p->name);
	return OA_OK;
}

oa_err profile_load(const char *path, const conf *cfg, ca_profile *out)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	uint8_t *text;
	size_t len;
	struct ctx x = {path, &doc};
	int line;
	oa_err rc;

	memset(out, 0, sizeof *out);
	if ((rc = oa_read_file(path, OA_MAX_PROFILE_BYTES, &text, &len)))
		return rc;
	/* Nesting, nodes, aliases and anchors, before libyaml loads: linear. */
	if ((rc = oa_yaml_bounded((const char *)text, len, &line))) {
		char msg[256];

		snprintf(msg, sizeof msg, "%s", oa_errmsg());
		free(text);
		return rc == OA_ERR_NOMEM ? rc : oa_fail(OA_ERR_CONFIG, "%s:%d: %s", path, line, msg);
	}
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		return oa_fail(OA_ERR_NOMEM, "yaml parser");
	}
	yaml_parser_set_input_string(&parser, text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = oa_fail(OA_ERR_CONFIG, "%s:%lu: %s", path,
		    (unsigned long)parser.problem_mark.line + 1,
		    parser.problem ? parser.problem : "YAML syntax error");
		yaml_parser_delete(&parser);
		free(text);
		return rc;
	}
	rc = parse_profile(&x, yaml_document_get_root_node(&doc), out);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(text);
	(void)cfg;
	return rc;
}

static int yaml_name(const char *n)
{
	size_t l = strlen(n);
	return n[0] != '.' && l > 5 && strcmp(n + l - 5, ".yaml") == 0;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

oa_err profile_load_dir(const char *dir, const conf *cfg, ca_profile **out, size_t *n)
{
	DIR *d;
	struct dirent *e;
	char *names[32];
	size_t nn = 0;
	ca_profile *p = NULL;
	oa_err rc = OA_OK;

	*out = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return oa_fail(OA_ERR_CONFIG, "%s: cannot open the profiles directory", dir);
	while ((e = readdir(d)) != NULL) {
		if (!yaml_name(e->d_name))
			continue;
		if (nn == sizeof names / sizeof names[0]) {
			rc = oa_fail(OA_ERR_LIMIT, "%s: more than 32 profiles", dir);
			break;
		}
		if ((names[nn] = strdup(e->d_name)) == NULL) {
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			break;
		}
		nn++;
	}
	closedir(d);
	if (rc == OA_OK && nn == 0)
		rc = oa_fail(OA_ERR_CONFIG, "%s: no profiles (*.yaml)", dir);
	if (rc == OA_OK && (p = calloc(nn, sizeof *p)) == NULL)
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
	if (rc == OA_OK)
		qsort(names, nn, sizeof names[0], cmpstr);
	for (size_t i = 0; rc == OA_OK && i < nn; i++) {
		char path[OA_MAX_PATH];
		if ((rc = oa_path_join(path, sizeof path, dir, names[i])))
			break;
		if ((rc = profile_load(path, cfg, &p[i])))
			break;
		for (size_t j = 0; j < i; j++)
			if (strcmp(p[j].name, p[i].name) == 0)
				rc = oa_fail(OA_ERR_CONFIG, "%s: profile name '%s' is used twice", path,
				    p[i].name);
		*n = i + 1;
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	if (rc) {
		profile_free_all(p, *n);
		*n = 0;
		return rc;
	}
	*out = p;
	return OA_OK;
}

void profile_free_all(ca_profile *p, size_t n)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		sk_X509_EXTENSION_pop_free(p[i].fixed_ext, X509_EXTENSION_free);
	free(p);
}

oa_err ca_profile_validity(const ca *c, const char *profile, int *days, int *months)
{
	const ca_profile *p = profile_find(c, profile ? profile : "individual");

	if (p == NULL)
		return oa_fail(OA_ERR_NOTFOUND, "no profile '%s'", profile ? profile : "individual");
	*days = p->validity_days;
	*months = p->validity_months;
	return OA_OK;
}

const ca_profile *profile_find(const ca *c, const char *name)
{
	for (size_t i = 0; i < c->nprofiles; i++)
		if (strcmp(c->profiles[i].name, name) == 0)
			return &c->profiles[i];
	return NULL;
}

int profile_key_type_allowed(const ca_profile *p, const char *key_type)
{
	for (unsigned i = 0; i < sizeof key_type_names / sizeof key_type_names[0]; i++)
		if (strcmp(key_type, key_type_names[i]) == 0)
			return (p->key_types >> i) & 1;
	return 0;
}

static oa_err push_ext(STACK_OF(X509_EXTENSION) *sk, int nid, int crit, void *value)
{
	X509_EXTENSION *e = X509V3_EXT_i2d(nid, crit, value);

	if (e == NULL || !sk_X509_EXTENSION_push(sk, e)) {
		X509_EXTENSION_free(e);
		return oa_fail_ssl(OA_ERR_CRYPTO, "encoding extension %s", OBJ_nid2sn(nid));
	}
	return OA_OK;
}

static GENERAL_NAME *uri_name(const char *url)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();

	if (g == NULL || s == NULL || !ASN1_STRING_set(s, url, (int)strlen(url))) {
		GENERAL_NAME_free(g);
		ASN1_IA5STRING_free(s);
		return NULL;
	}
	GENERAL_NAME_set0_value(g, GEN_URI, s);
	return g;
}

/* CRL distribution point with one full-name URI (RFC 5280 4.2.1.13). */
oa_err profile_crldp(STACK_OF(X509_EXTENSION) *sk, const char *url);
oa_err profile_crldp(STACK_OF(X509_EXTENSION) *sk, const char *url)
{
	CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
	DIST_POINT *dp = DIST_POINT_new();
	DIST_POINT_NAME *dpn = DIST_POINT_NAME_new();
	GENERAL_NAME *g = uri_name(url);
	oa_err rc;

	if (dps == NULL || dp == NULL || dpn == NULL || g == NULL ||
	    (dpn->name.fullname = GENERAL_NAMES_new()) == NULL ||
	    !sk_GENERAL_NAME_push(dpn->name.fullname, g)) {
		GENERAL_NAME_free(g);
		DIST_POINT_NAME_free(dpn);
		DIST_POINT_free(dp);
		sk_DIST_POINT_free(dps);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	dpn->type = 0;
	dp->distpoint = dpn;
	sk_DIST_POINT_push(dps, dp);
	rc = push_ext(sk, NID_crl_distribution_points, 0, dps);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return rc;
}

/* Authority information access: OCSP and/or caIssuers (RFC 5280 4.2.2.1). */
/*
 * certificatePolicies (RFC 5280 4.2.1.4, not critical) from n dotted OIDs,
 * each with a CPS pointer qualifier when cps is not empty.  "2.5.29.32.0"
 * is anyPolicy.
 */
oa_err profile_policies(STACK_OF(X509_EXTENSION) *sk, const char (*oids)[64], int n,
    const char *cps)
{
	CERTIFICATEPOLICIES *pol = sk_POLICYINFO_new_null();
	oa_err rc = OA_OK;

	if (pol == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	for (int i = 0; i < n && rc == OA_OK; i++) {
		POLICYINFO *pi = POLICYINFO_new();
		POLICYQUALINFO *q = NULL;
		if (pi == NULL || !sk_POLICYINFO_push(pol, pi)) {
			POLICYINFO_free(pi);
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			break;
		}
		ASN1_OBJECT_free(pi->policyid);
		if ((pi->policyid = OBJ_txt2obj(oids[i], 1)) == NULL) {
			rc = oa_fail_ssl(OA_ERR_CONFIG, "'%s' is not a dotted OID", oids[i]);
			break;
		}
		if (cps && *cps) {
			if ((pi->qualifiers = sk_POLICYQUALINFO_new_null()) == NULL ||
			    (q = POLICYQUALINFO_new()) == NULL ||
			    !sk_POLICYQUALINFO_push(pi->qualifiers, q)) {
				POLICYQUALINFO_free(q);
				rc = oa_fail(OA_ERR_NOMEM, "out of memory");
				break;
			}
			q->pqualid = OBJ_nid2obj(NID_id_qt_cps);
			if ((q->d.cpsuri = ASN1_IA5STRING_new()) == NULL ||
			    !ASN1_STRING_set(q->d.cpsuri, cps, (int)strlen(cps)))
				rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		}
	}
	if (rc == OA_OK)
		rc = push_ext(sk, NID_certificate_policies, 0, pol);
	CERTIFICATEPOLICIES_free(pol);
	return rc;
}

oa_err profile_aia(STACK_OF(X509_EXTENSION) *sk, const char *ocsp, const char *issuers);
oa_err profile_aia(STACK_OF(X509_EXTENSION) *sk, const char *ocsp, const char *issuers)
{
	AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();
	const char *urls[2] = {ocsp, issuers};
	const int nids[2] = {NID_ad_OCSP, NID_ad_ca_issuers};
	oa_err rc;

	if (aia == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	for (int i = 0; i < 2; i++) {
		ACCESS_DESCRIPTION *ad;
		if (urls[i] == NULL || !*urls[i])
			continue;
		if ((ad = ACCESS_DESCRIPTION_new()) == NULL) {
			sk_ACCESS_DESCRIPTION_pop_free(aia, ACCESS_DESCRIPTION_free);
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		}
		ASN1_OBJECT_free(ad->method);
		ad->method = OBJ_nid2obj(nids[i]);
		GENERAL_NAME_free(ad->location);
		ad->location = uri_name(urls[i]);
		if (ad->location == NULL || !sk_ACCESS_DESCRIPTION_push(aia, ad)) {
			ACCESS_DESCRIPTION_free(ad);
			sk_ACCESS_DESCRIPTION_pop_free(aia, ACCESS_DESCRIPTION_free);
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		}
	}
	rc = sk_ACCESS_DESCRIPTION_num(aia) > 0
	    ? push_ext(sk, NID_info_access, 0, aia)
	    : OA_OK;
	sk_ACCESS_DESCRIPTION_pop_free(aia, ACCESS_DESCRIPTION_free);
	return rc;
}

oa_err profile_build_ext(ca_profile *p, const conf *cfg, X509 *issuer)
{
	STACK_OF(X509_EXTENSION) *sk = sk_X509_EXTENSION_new_null();
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	EXTENDED_KEY_USAGE *eku = NULL;
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	const ASN1_OCTET_STRING *iskid = X509_get0_subject_key_id(issuer);
	oa_err rc = OA_OK;

	if (sk == NULL || bc == NULL || ku == NULL || akid == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* RFC 5280 4.2.1.9: an end entity; marked critical like most CAs do. */
	bc->ca = 0;
	if ((rc = push_ext(sk, NID_basic_constraints, 1, bc)))
		goto out;
	for (int bit = 0; bit < 9; bit++)
		if (p->key_usage & (bit < 8 ? (0x80u >> bit) : 0x8000u))
			ASN1_BIT_STRING_set_bit(ku, bit, 1);
	if ((rc = push_ext(sk, NID_key_usage, p->key_usage_critical, ku)))
		goto out;
	if (p->neku > 0) {
		if ((eku = sk_ASN1_OBJECT_new_null()) == NULL) {
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (int i = 0; i < p->neku; i++)
			sk_ASN1_OBJECT_push(eku, OBJ_txt2obj(p->eku[i], 1));
		if ((rc = push_ext(sk, NID_ext_key_usage, 0, eku)))
			goto out;
	}
	/* the profile's policies, else the instance's (ca.policies), with the
	 * CPS pointer (ca.cps_uri) */
	{
		char cp[CA_MAX_POLICIES][64];
		int n = conf_oids(cfg, "ca.policies", cp, CA_MAX_POLICIES);
		if (p->npolicies > 0)
			rc = profile_policies(sk, (const char (*)[64])p->policies, p->npolicies,
			    conf_str(cfg, "ca.cps_uri"));
		else if (n > 0)
			rc = profile_policies(sk, (const char (*)[64])cp, n, conf_str(cfg, "ca.cps_uri"));
		if (rc)
			goto out;
	}
	if (iskid == NULL) {
		rc = oa_fail(OA_ERR_CONFIG, "the issuing CA certificate has no subject key identifier");
		goto out;
	}
	/* RFC 5280 4.2.1.1: keyIdentifier of the issuer's SKI. */
	akid->keyid = ASN1_OCTET_STRING_dup(iskid);
	if ((rc = push_ext(sk, NID_authority_key_identifier, 0, akid)))
		goto out;
	if (*conf_str(cfg, "ca.crl_url") && (rc = profile_crldp(sk, conf_str(cfg, "ca.crl_url"))))
		goto out;
	if ((rc = profile_aia(sk, conf_str(cfg, "ca.ocsp_url"), conf_str(cfg, "ca.issuers_url"))))
		goto out;
	sk_X509_EXTENSION_pop_free(p->fixed_ext, X509_EXTENSION_free);
	p->fixed_ext = sk;
	sk = NULL;
out:
	sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	AUTHORITY_KEYID_free(akid);
	return rc;
}
