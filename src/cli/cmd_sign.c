/*
 * cmd_sign.c - `openams sign pdf`: a PAdES B-B signature on a PDF, with a
 * holder's key sealed in the instance (--nik or --serial, the passphrase
 * from a file) or with a key and certificate read from files (--key,
 * --cert: for development and tests).
 *
 * The passphrase and the key file are read into buffers that are wiped
 * after use; an encrypted key file is refused (no prompt).  The output is
 * written atomically, and nothing is written when signing is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "../auth/auth.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "../keys/keys.h"
#include "../sign/sign.h"
#include "cli.h"

#define MAX_PEM_BYTES (256 * 1024) /* a key, certificate or chain file */

static const char usage_text[] =
    "usage: openams sign verify --in FILE.pdf [--dir DIR | --trust ROOTS.pem]\n"
    "                        [--pdf-password-file FILE]\n"
    "       openams sign timestamp --in REQUEST.tsq --out REPLY.tsr [--dir DIR]\n"
    "       openams sign pdf --in IN.pdf --out OUT.pdf (--nik NIK | --serial S)\n"
    "                        --passphrase-file FILE [--dir DIR] [--reason R] [--location L]\n"
    "                        [--name N] [--level B-B|B-T|B-LT] [--pdf-password-file F]\n"
    "                        [VISIBLE]\n"
    "       openams sign pdf --in IN.pdf --out OUT.pdf --key KEY.pem --cert CERT.pem\n"
    "                        [--chain CHAIN.pem] [--reason R] [--location L] [--name N]\n"
    "                        [--level B-B|B-T [--dir DIR]] [--pdf-password-file F]\n"
    "                        [VISIBLE]\n"
    "  VISIBLE: (--visible PAGE,X,Y,W,H | --tag TAG --size W,H)\n"
    "           [--image SPECIMEN.jpg|png] [--qr TEXT] [--line TEXT]...\n"
    "       openams sign client add --org ORG --username U [--info TEXT] [--ip LIST]\n"
    "                        [--rate N] [--dir DIR]\n"
    "       openams sign client list [--org ORG] [--dir DIR]\n"
    "       openams sign client (revoke | disable | enable) --username U [--dir DIR]\n"
    "       openams sign seal (add --org O --email A [--name CN] | list)\n"
    "\n"
    "Signs IN.pdf with an invisible PAdES baseline B-B signature (ETSI EN 319 142-1)\n"
    "appended as an incremental update; OUT.pdf starts with IN.pdf's bytes unchanged.\n"
    "With --nik or --serial the key is the holder's, sealed in the instance (DIR,\n"
    "else $OPENAMS_DIR, else ./var): the NIK's newest active certificate with a key\n"
    "here, or the certificate S; the passphrase is the first line of FILE.  A wrong\n"
    "passphrase counts towards the key's lock (keys.max_failures); every signature\n"
    "is in the audit log (keys.sign: serial, document SHA-256).  The instance's\n"
    "issuing CA and root are embedded.  The level is B-LT (time-stamped by the\n"
    "instance's TSA, RFC 3161, then a /DSS with the chain, an OCSP answer and the\n"
    "CRLs) when the instance has a TSA, else B-B; --level B-B or B-T asks for\n"
    "less, and B-T or B-LT refuses to sign without a TSA.\n"
    "With --key and --cert (development, tests):\n"
    "KEY.pem: an unencrypted PEM private key (RSA, ECDSA P-256 or P-384) matching\n"
    "CERT.pem; CHAIN.pem: the CA certificates to embed (issuing CA, root), else any\n"
    "certificates after the first in CERT.pem.  --name defaults to the certificate's\n"
    "CN; /M is the current time ($OPENAMS_NOW in tests).\n"
    "--visible makes the signature visible on page PAGE (from 1) in the box whose\n"
    "lower-left corner is (X, Y) and size W x H, in points of the page's user space\n"
    "(origin at the bottom left): a QR code of TEXT on the left, the specimen image\n"
    "(JPEG or PNG, at most 2 MiB) and up to six --line texts beside it.\n"
    "--tag places the W x H box instead where the text TAG (e.g. \"#\", at most 64\n"
    "bytes) first appears in the document, centred on it and kept inside the page\n"
    "(the guide's tag_koordinat); a document without it is refused.\n"
    "--pdf-password-file: F's first line opens an encrypted PDF (user or owner\n"
    "password); the update is encrypted as the document is.\n"
    "\n"
    "\n"
    "sign timestamp answers an RFC 3161 time-stamp request (openssl ts -query) from\n"
    "the instance's time-stamping authority; the reply (granted or a rejection) is\n"
    "written to REPLY.tsr.\n"
    "\n"
    "sign verify prints each signature of FILE.pdf: signer, serial, time, reason,\n"
    "location, whether the bytes are intact, the chain trusted (to the instance's\n"
    "root, or to the certificates in ROOTS.pem), the revocation status of a\n"
    "certificate the instance issued, and what changed after it.  Exit status 0\n"
    "when there is at least one signature and every one is intact and trusted,\n"
    "1 otherwise.\n"
    "\n"
    "sign client manages the client applications of the BSrE-compatible API\n"
    "(/api/sign/..., /api/v2/..., docs/ESIGN_API.md): add prints the username and its\n"
    "secret (shown only now) for HTTP Basic; --ip is a comma-separated allow-list of\n"
    "IP addresses, --rate the requests per minute (default 60).  Every change is in\n"
    "the audit log (client.create, client.revoke, client.disable, client.enable).\n"
    "\n"
    "Exit status: 0 signed; 1 refused or failed (\"openams: CODE: message\" on stderr,\n"
    "nothing written); 2 usage error.\n";

static int no_prompt(char *buf, int size, int rw, void *u)
{
	(void)buf; (void)size; (void)rw; (void)u;
	return -1;
}

static oa_err load_key(const char *path, EVP_PKEY **key)
{
	char *pem = NULL;
	size_t n = 0;
	BIO *bio;
	oa_err rc;

	if ((rc = oa_read_secret_file(path, MAX_PEM_BYTES, &pem, &n)))
		return rc;
	bio = BIO_new_mem_buf(pem, (int)n);
	*key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_prompt, NULL) : NULL;
	BIO_free(bio);
	oa_free_secret(pem);
	if (!*key)
		return oa_fail_ssl(OA_ERR_INVALID, "%s: not an unencrypted PEM private key", path);
	return OA_OK;
}

/* Every certificate of a PEM file into *sk (at least one). */
static oa_err load_certs(const char *path, STACK_OF(X509) **sk)
{
	uint8_t *pem = NULL;
	size_t n = 0;
	BIO *bio;
	X509 *c;
	oa_err rc;

	if ((rc = oa_read_file(path, MAX_PEM_BYTES, &pem, &n)))
		return rc;
	if ((*sk = sk_X509_new_null()) == NULL || (bio = BIO_new_mem_buf(pem, (int)n)) == NULL) {
		free(pem);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	while ((c = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(*sk, c)) {
			X509_free(c);
			break;
		}
	ERR_clear_error();
	BIO_free(bio);
	free(pem);
	if (sk_X509_num(*sk) == 0)
		return oa_fail(OA_ERR_INVALID, "%s: no PEM certificate", path);
	return OA_OK;
}

/* The passphrase: the first line of path, without its line end. */
static oa_err read_passphrase(const char *path, char **pass)
{
	size_t n = 0, cut;
	oa_err rc;

	if ((rc = oa_read_secret_file(path, OA_MAX_PASSPHRASE_BYTES + 2, pass, &n)))
		return rc;
	cut = strcspn(*pass, "\r\n");
	oa_wipe(*pass + cut, n - cut); /* oa_free_secret wipes up to the first NUL only */
	if (**pass == '\0') {
		oa_free_secret(*pass);
		*pass = NULL;
		return oa_fail(OA_ERR_INVALID, "%s: empty passphrase", path);
	}
	return OA_OK;
}

static int sign_holder_cli(const char *in, const char *outp, const char *nik, const char *serial,
    const char *passp, const char *dir, const char *level, const sign_opts *o)
{
	sign_holder h = {0};
	inst *ih = NULL;
	char *pass = NULL, used[41];
	uint8_t *pdf = NULL, *out = NULL;
	size_t len = 0, out_len = 0;
	oa_err rc;

	if ((rc = read_passphrase(passp, &pass)) ||
	    (rc = oa_read_file(in, SIGN_MAX_PDF_BYTES, &pdf, &len)) ||
	    (rc = inst_open(cli_data_dir(dir), &ih)))
		goto out;
	h.nik = nik;
	h.serial = serial;
	h.passphrase = pass;
	h.actor = "cli";
	h.level = !level ? SIGN_LEVEL_BEST : strcmp(level, "B-B") == 0 ? SIGN_LEVEL_BB
	        : strcmp(level, "B-T") == 0 ? SIGN_LEVEL_BT : SIGN_LEVEL_BLT;
	if ((rc = sign_pdf_holder(ih, &h, pdf, len, o, &out, &out_len, used)) == OA_OK &&
	    (rc = oa_write_file_atomic(outp, out, out_len, 0644)) == OA_OK)
		printf("signed with certificate %s\n", used);
out:
	oa_free_secret(pass);
	inst_free(ih);
	free(pdf);
	free(out);
	return rc ? cli_report(rc) : CLI_OK;
}

static void print_time(const char *label, int64_t t)
{
	char iso[32];

	if (t > 0) {
		oa_time_iso(iso, sizeof iso, t);
		printf("  %s: %s\n", label, iso);
	}
}

static int sign_verify_cli(int argc, char **argv)
{
	const char *in = NULL, *dir = NULL, *trustp = NULL, *pwp = NULL;
	char *pw = NULL;
	sign_report rep = {0};
	STACK_OF(X509) *roots = NULL;
	X509_STORE *trust = NULL;
	ca *c = NULL;
	uint8_t *pdf = NULL;
	size_t len = 0;
	char hex[65];
	int good = 1;
	oa_err rc;

	for (int i = 2; i < argc; i++) {
		const char **dst = NULL;
		if (strcmp(argv[i], "--in") == 0) dst = &in;
		else if (strcmp(argv[i], "--dir") == 0) dst = &dir;
		else if (strcmp(argv[i], "--trust") == 0) dst = &trustp;
		else if (strcmp(argv[i], "--pdf-password-file") == 0) dst = &pwp;
		if (!dst || i + 1 >= argc)
			return cli_usage("sign verify: unknown option or missing value '%s'", argv[i]);
		*dst = argv[++i];
	}
	if (!in)
		return cli_usage("sign verify needs --in");
	if ((rc = oa_read_file(in, SIGN_MAX_PDF_BYTES, &pdf, &len)) ||
	    (pwp && (rc = read_passphrase(pwp, &pw))))
		goto out;
	if (trustp) {
		if ((rc = load_certs(trustp, &roots)))
			goto out;
		if ((trust = X509_STORE_new()) == NULL) {
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (int i = 0; i < sk_X509_num(roots); i++)
			X509_STORE_add_cert(trust, sk_X509_value(roots, i));
	}
	if ((!trustp || dir) && (rc = ca_open(cli_data_dir(dir), &c)))
		goto out;
	if ((rc = sign_verify_pdf_pw(c, trust, pdf, len, pw, &rep)))
		goto out;
	oa_hex(hex, rep.sha256, sizeof rep.sha256);
	printf("document sha256: %s\nsignatures: %zu\nlong-term validation data (/DSS): %s\n",
	    hex, rep.n, rep.dss ? "yes" : "no");
	for (size_t i = 0; i < rep.n; i++) {
		const sign_sig_report *r = &rep.sig[i];
		printf("signature %zu: %s\n", i + 1, r->field);
		printf("  signer: %s\n  serial: %s\n  issuer: %s\n", r->signer, r->serial, r->issuer);
		print_time("time (/M)", r->signing_time);
		if (r->reason[0]) printf("  reason: %s\n", r->reason);
		if (r->location[0]) printf("  location: %s\n", r->location);
		printf("  subfilter: %s\n", r->subfilter);
		printf("  intact: %s%s%s\n", r->intact ? "yes" : "no", r->problem[0] ? ": " : "", r->problem);
		printf("  trusted: %s%s%s\n", r->trusted ? "yes" : "no", r->trust_problem[0] ? ": " : "",
		    r->trust_problem);
		printf("  revocation: %s\n", r->revocation);
		print_time("revoked at", r->revoked_at);
		printf("  covers the whole document: %s\n", r->whole ? "yes" : "no");
		if (!r->whole)
			printf("  after it: %s\n", r->changed_after ? "changes other than signatures"
			                                            : "only later signatures and validation data");
		if (r->timestamped) {
			printf("  time-stamp: %s%s%s\n", r->timestamp_valid ? "valid" : "not valid",
			    r->timestamp_problem[0] ? ": " : "", r->timestamp_problem);
			print_time("time-stamp time", r->timestamp_time);
		} else
			printf("  time-stamp: no\n");
		printf("  validation data (/DSS /VRI): %s\n", r->ltv ? "yes" : "no");
		/* revoked: only a time-stamp could prove the signature came first */
		if (!r->intact || !r->trusted || r->changed_after || r->revoked_before_signing ||
		    (r->timestamped && !r->timestamp_valid) ||
		    (r->revoked_at && (!r->timestamp_valid || r->timestamp_time >= r->revoked_at)))
			good = 0;
	}
	if (rep.n == 0)
		good = 0;
out:
	sign_report_free(&rep);
	X509_STORE_free(trust);
	sk_X509_pop_free(roots, X509_free);
	ca_free(c);
	free(pdf);
	oa_free_secret(pw);
	if (rc)
		return cli_report(rc);
	return good ? CLI_OK : CLI_FAIL;
}

static int sign_timestamp_cli(int argc, char **argv)
{
	const char *in = NULL, *outp = NULL, *dir = NULL;
	uint8_t *req = NULL, *resp = NULL;
	size_t len = 0, rlen = 0;
	ca *c = NULL;
	oa_err rc;

	for (int i = 2; i < argc; i++) {
		const char **dst = NULL;
		if (strcmp(argv[i], "--in") == 0) dst = &in;
		else if (strcmp(argv[i], "--out") == 0) dst = &outp;
		else if (strcmp(argv[i], "--dir") == 0) dst = &dir;
		if (!dst || i + 1 >= argc)
			return cli_usage("sign timestamp: unknown option or missing value '%s'", argv[i]);
		*dst = argv[++i];
	}
	if (!in || !outp)
		return cli_usage("sign timestamp needs --in and --out");
	if ((rc = oa_read_file(in, OA_MAX_TSQ_BYTES, &req, &len)) == OA_OK &&
	    (rc = ca_open(cli_data_dir(dir), &c)) == OA_OK &&
	    (rc = ca_timestamp(c, req, len, &resp, &rlen)) == OA_OK)
		rc = oa_write_file_atomic(outp, resp, rlen, 0644);
	ca_free(c);
	free(req);
	free(resp);
	return rc ? cli_report(rc) : CLI_OK;
}

/* ---- openams sign client: client applications of the BSrE-compatible API ---- */

static int print_client(const auth_client_info *ci, void *arg)
{
	char created[32], used[32];

	(void)arg;
	oa_time_iso(created, sizeof created, ci->created_at);
	if (ci->last_used_at)
		oa_time_iso(used, sizeof used, ci->last_used_at);
	else
		snprintf(used, sizeof used, "never");
	printf("%s\torg=%s\tstate=%s\trate=%d/min\tip=%s\tcreated=%s by %s\tlast_used=%s\t%s\n",
	    ci->username, ci->org, ci->revoked_at ? "revoked" : ci->enabled ? "enabled" : "disabled",
	    ci->rate_per_min, ci->ip_allow[0] ? ci->ip_allow : "any", created, ci->created_by, used,
	    ci->info);
	return 0;
}

static int sign_client_cli(int argc, char **argv)
{
	const char *org = NULL, *user = NULL, *info = NULL, *ips = NULL, *rate = NULL, *dir = NULL;
	const char *op = argc > 2 ? argv[2] : "";
	char secret[AUTH_CLIENT_SECRET_LEN + 1];
	auth_client_req req = {0};
	inst *in = NULL;
	auth *a = NULL;
	oa_err rc;

	for (int i = 3; i < argc; i++) {
		const char **dst = NULL;
		if (strcmp(argv[i], "--org") == 0) dst = &org;
		else if (strcmp(argv[i], "--username") == 0) dst = &user;
		else if (strcmp(argv[i], "--info") == 0) dst = &info;
		else if (strcmp(argv[i], "--ip") == 0) dst = &ips;
		else if (strcmp(argv[i], "--rate") == 0) dst = &rate;
		else if (strcmp(argv[i], "--dir") == 0) dst = &dir;
		if (dst == NULL || i + 1 >= argc)
			return cli_usage("sign client: unknown or incomplete option %s", argv[i]);
		*dst = argv[++i];
	}
	if (strcmp(op, "add") == 0) {
		char *end = NULL;
		if (!org || !user)
			return cli_usage("sign client add needs --org and --username");
		req.username = user;
		req.org = org;
		req.info = info;
		req.ip_allow = ips;
		if (rate) {
			long v = strtol(rate, &end, 10);
			if (*rate == 0 || *end || v < 1 || v > 100000)
				return cli_usage("sign client add: --rate is 1 to 100000");
			req.rate_per_min = (int)v;
		}
	} else if (strcmp(op, "revoke") == 0 || strcmp(op, "disable") == 0 ||
	           strcmp(op, "enable") == 0) {
		if (!user)
			return cli_usage("sign client %s needs --username", op);
	} else if (strcmp(op, "list") != 0) {
		return cli_usage("sign client: add, list, revoke, disable or enable");
	}
	if ((rc = inst_open(cli_data_dir(dir), &in)) || (rc = auth_open(in, &a)))
		goto out;
	if (strcmp(op, "add") == 0) {
		if ((rc = auth_client_create(a, &req, "cli", secret, NULL)) == OA_OK) {
			printf("username: %s\nsecret: %s\n", user, secret);
			oa_wipe(secret, sizeof secret);
		}
	} else if (strcmp(op, "list") == 0) {
		rc = auth_client_list(a, org, print_client, NULL);
	} else if (strcmp(op, "revoke") == 0) {
		rc = auth_client_revoke(a, user, "cli");
	} else {
		rc = auth_client_set_enabled(a, user, strcmp(op, "enable") == 0, "cli");
	}
out:
	auth_free(a);
	inst_free(in);
	return rc ? cli_report(rc) : CLI_OK;
}

/* ---- openams sign seal: electronic seals of agencies (the API's idSubscriber) ---- */

static int print_seal(const keys_seal_info *si, void *arg)
{
	char created[32];

	(void)arg;
	oa_time_iso(created, sizeof created, si->created_at);
	printf("%s\torg=%s\tserial=%s\tkey=%s\temail=%s\tcreated=%s\n", si->id, si->org,
	    si->serial, si->key_type, si->email, created);
	return 0;
}

static int sign_seal_cli(int argc, char **argv)
{
	const char *org = NULL, *email = NULL, *name = NULL, *kt = NULL, *dir = NULL;
	const char *op = argc > 2 ? argv[2] : "";
	keys_seal_req q = {0};
	auth_org o;
	char id[33], serial[41];
	inst *in = NULL;
	auth *a = NULL;
	oa_err rc;

	for (int i = 3; i < argc; i++) {
		const char **dst = NULL;
		if (strcmp(argv[i], "--org") == 0) dst = &org;
		else if (strcmp(argv[i], "--email") == 0) dst = &email;
		else if (strcmp(argv[i], "--name") == 0) dst = &name;
		else if (strcmp(argv[i], "--key-type") == 0) dst = &kt;
		else if (strcmp(argv[i], "--dir") == 0) dst = &dir;
		if (dst == NULL || i + 1 >= argc)
			return cli_usage("sign seal: unknown or incomplete option %s", argv[i]);
		*dst = argv[++i];
	}
	if (strcmp(op, "add") == 0 && (!org || !email))
		return cli_usage("sign seal add needs --org and --email");
	if (strcmp(op, "add") != 0 && strcmp(op, "list") != 0)
		return cli_usage("sign seal: add or list");
	if ((rc = inst_open(cli_data_dir(dir), &in)) || (rc = auth_open(in, &a)))
		goto out;
	if (strcmp(op, "list") == 0) {
		rc = keys_seal_list(in, org, print_seal, NULL);
		goto out;
	}
	if ((rc = auth_org_get(a, org, &o)))
		goto out;
	q.org = org;
	q.o = o.name;
	q.cn = name ? name : o.name;
	q.email = email;
	q.key_type = kt;
	q.actor = "cli";
	if ((rc = keys_seal_create(in, &q, id, serial)) == OA_OK)
		printf("idSubscriber: %s\nserial: %s\n", id, serial);
out:
	auth_free(a);
	inst_free(in);
	return rc ? cli_report(rc) : CLI_OK;
}

static int sign_pdf_cli(const char *in, const char *outp, const char *keyp, const char *certp,
    const char *chainp, const char *nik, const char *serial, const char *passp, const char *dir,
    const char *level, const char *visible, const char *imagep, const char *tag, const char *size,
    int nlines, sign_opts *op, sign_visual *vp);

int cmd_sign(int argc, char **argv)
{
	const char *in = NULL, *outp = NULL, *keyp = NULL, *certp = NULL, *chainp = NULL;
	const char *nik = NULL, *serial = NULL, *passp = NULL, *dir = NULL, *level = NULL;
	const char *visible = NULL, *imagep = NULL, *tag = NULL, *size = NULL, *pwp = NULL;
	char *pw = NULL;
	int st;
	sign_opts o = {0};
	sign_visual vis = {0};
	int nlines = 0;
	oa_err rc = OA_OK;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "verify") == 0)
		return sign_verify_cli(argc, argv);
	if (strcmp(argv[1], "timestamp") == 0)
		return sign_timestamp_cli(argc, argv);
	if (strcmp(argv[1], "client") == 0)
		return sign_client_cli(argc, argv);
	if (strcmp(argv[1], "seal") == 0)
		return sign_seal_cli(argc, argv);
	if (strcmp(argv[1], "pdf") != 0)
		return cli_usage("unknown sign command '%s'", argv[1]);
	for (int i = 2; i < argc; i++) {
		const char **dst = NULL;
		if (strcmp(argv[i], "--in") == 0) dst = &in;
		else if (strcmp(argv[i], "--out") == 0) dst = &outp;
		else if (strcmp(argv[i], "--key") == 0) dst = &keyp;
		else if (strcmp(argv[i], "--cert") == 0) dst = &certp;
		else if (strcmp(argv[i], "--chain") == 0) dst = &chainp;
		else if (strcmp(argv[i], "--reason") == 0) dst = &o.reason;
		else if (strcmp(argv[i], "--location") == 0) dst = &o.location;
		else if (strcmp(argv[i], "--name") == 0) dst = &o.name;
		else if (strcmp(argv[i], "--nik") == 0) dst = &nik;
		else if (strcmp(argv[i], "--serial") == 0) dst = &serial;
		else if (strcmp(argv[i], "--passphrase-file") == 0) dst = &passp;
		else if (strcmp(argv[i], "--dir") == 0) dst = &dir;
		else if (strcmp(argv[i], "--level") == 0) dst = &level;
		else if (strcmp(argv[i], "--visible") == 0) dst = &visible;
		else if (strcmp(argv[i], "--image") == 0) dst = &imagep;
		else if (strcmp(argv[i], "--tag") == 0) dst = &tag;
		else if (strcmp(argv[i], "--size") == 0) dst = &size;
		else if (strcmp(argv[i], "--pdf-password-file") == 0) dst = &pwp;
		else if (strcmp(argv[i], "--qr") == 0) dst = &vis.qr;
		else if (strcmp(argv[i], "--line") == 0) {
			if (nlines == SIGN_VISUAL_LINES - 1)
				return cli_usage("sign pdf: at most %d --line", SIGN_VISUAL_LINES - 1);
			dst = &vis.lines[nlines++];
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return CLI_OK;
		}
		if (!dst || i + 1 >= argc)
			return cli_usage("sign pdf: unknown option or missing value '%s'", argv[i]);
		*dst = argv[++i];
	}
	if (!in || !outp)
		return cli_usage("sign pdf needs --in and --out");
	if (level && strcmp(level, "B-B") != 0 && strcmp(level, "B-T") != 0 &&
	    strcmp(level, "B-LT") != 0)
		return cli_usage("sign pdf: --level is B-B, B-T or B-LT");
	if (level && strcmp(level, "B-LT") == 0 && keyp)
		return cli_usage("sign pdf: --level B-LT needs a holder key (--nik or --serial)");
	if ((imagep || vis.qr || nlines) && !visible && !tag)
		return cli_usage("sign pdf: --image, --qr and --line need --visible or --tag");
	if (tag && visible)
		return cli_usage("sign pdf: --visible or --tag, not both");
	if (!tag != !size)
		return cli_usage("sign pdf: --tag TAG and --size W,H go together");
	if (pwp) {
		if ((rc = read_passphrase(pwp, &pw)))
			return cli_report(rc);
		o.password = pw;
	}
	st = sign_pdf_cli(in, outp, keyp, certp, chainp, nik, serial, passp, dir, level, visible,
	    imagep, tag, size, nlines, &o, &vis);
	oa_free_secret(pw);
	return st;
}

/* sign pdf, its options parsed (cmd_sign); o->password set by the caller. */
static int sign_pdf_cli(const char *in, const char *outp, const char *keyp, const char *certp,
    const char *chainp, const char *nik, const char *serial, const char *passp, const char *dir,
    const char *level, const char *visible, const char *imagep, const char *tag, const char *size,
    int nlines, sign_opts *op, sign_visual *vp)
{
	sign_opts o = *op;
	sign_visual vis = *vp;
	ca *tc = NULL;
	uint8_t *image = NULL;
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *certs = NULL, *chain = NULL;
	uint8_t *pdf = NULL, *out = NULL;
	size_t len = 0, out_len = 0;
	oa_err rc = OA_OK;

	if (visible || tag) {
		char tail;
		if (visible && sscanf(visible, "%d,%lf,%lf,%lf,%lf%c", &vis.page, &vis.x, &vis.y,
		        &vis.w, &vis.h, &tail) != 5)
			return cli_usage("sign pdf: --visible PAGE,X,Y,W,H (numbers, points)");
		if (tag) {
			if (sscanf(size, "%lf,%lf%c", &vis.w, &vis.h, &tail) != 2)
				return cli_usage("sign pdf: --size W,H (numbers, points)");
			if ((rc = oa_read_file(in, SIGN_MAX_PDF_BYTES, &pdf, &len)) ||
			    (rc = sign_visual_at_tag_pw(pdf, len, o.password, tag, &vis))) {
				free(pdf);
				return cli_report(rc);
			}
			free(pdf);
			pdf = NULL;
		}
		if (imagep) {
			size_t il = 0;
			if ((rc = oa_read_file(imagep, SIGN_MAX_IMAGE_BYTES, &image, &il)))
				return cli_report(rc);
			vis.image = image;
			vis.image_len = il;
		}
		o.visual = &vis;
	}
	if (nik || serial || passp) {
		if (keyp || certp || chainp)
			return cli_usage("sign pdf: --key/--cert/--chain or --nik/--serial, not both");
		if (!passp || (!nik == !serial))
			return cli_usage("sign pdf needs --passphrase-file and one of --nik, --serial");
		int st = sign_holder_cli(in, outp, nik, serial, passp, dir, level, &o);
		free(image);
		return st;
	}
	if (!keyp || !certp) {
		free(image);
		return cli_usage("sign pdf needs --key and --cert, or --nik/--serial and --passphrase-file");
	}

	if ((rc = oa_read_file(in, SIGN_MAX_PDF_BYTES, &pdf, &len)) ||
	    (rc = load_key(keyp, &key)) || (rc = load_certs(certp, &certs)) ||
	    (chainp && (rc = load_certs(chainp, &chain))))
		goto out;
	/* without --chain, certificates after the first in CERT.pem are the chain */
	if (!chain && sk_X509_num(certs) > 1) {
		X509 *c;
		if ((chain = sk_X509_new_null()) == NULL) {
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (int i = 1; i < sk_X509_num(certs); i++) {
			if (!X509_up_ref(c = sk_X509_value(certs, i)))
				c = NULL;
			if (!c || !sk_X509_push(chain, c)) {
				X509_free(c);
				rc = oa_fail(OA_ERR_NOMEM, "out of memory");
				goto out;
			}
		}
	}
	if (level && strcmp(level, "B-T") == 0) {
		/* the instance's TSA time-stamps a signature made with a key file */
		if ((rc = ca_open(cli_data_dir(dir), &tc)))
			goto out;
		o.tst = sign_tst_from_ca;
		o.tst_arg = tc;
	}
	rc = sign_pdf(pdf, len, key, sk_X509_value(certs, 0), chain, &o, &out, &out_len);
	if (!rc)
		rc = oa_write_file_atomic(outp, out, out_len, 0644);
out:
	ca_free(tc);
	free(image);
	EVP_PKEY_free(key);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(chain, X509_free);
	free(pdf);
	free(out);
	return rc ? cli_report(rc) : CLI_OK;
}
