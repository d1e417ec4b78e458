/*
 * cmd_ca.c - `openams ca ...`: the certificate authority from the shell.
 * Output formats are part of the contract and documented in the usage text.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "../ca/ca.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "cli.h"

static const char usage_text[] =
    "usage: openams ca COMMAND [--dir DIR] ...\n"
    "\n"
    "  issue  --csr FILE [--profile NAME] [--nik NIK] [--nip NIP] [--email ADDR]\n"
    "         [--name CN] [--org O] [--unit OU] [--locality L] [--province ST]\n"
    "         [--days N] [--out FILE]\n"
    "  issue  --keygen TYPE --key-out FILE --key-pass-file F  (server-generated key)\n"
    "         Issues one certificate; prints it as PEM (or writes it to --out).\n"
    "         The subject comes from the CSR; the flags set or override values.\n"
    "         --key-out receives the new private key as encrypted PKCS#8 PEM.\n"
    "  revoke SERIAL --reason REASON [--invalidity-date YYYY-MM-DD[THH:MM:SSZ]]\n"
    "         REASON: unspecified keyCompromise affiliationChanged superseded\n"
    "         cessationOfOperation.  Then publishes a fresh CRL.\n"
    "  crl    [--root] [--out FILE] [--if-due]\n"
    "         Publishes the next CRL of the issuing CA (or the root) and writes\n"
    "         it as DER to FILE, or to standard output.  With --if-due, only when\n"
    "         crl.interval_minutes have passed or nextUpdate is near (for a timer:\n"
    "         `*/5 * * * * openams ca crl --if-due --out /dev/null`); prints\n"
    "         \"not due\" on stderr otherwise.\n"
    "  status SERIAL\n"
    "         Prints `key: value` lines: serial status profile subject nik nip email\n"
    "         key_type not_before not_after issued_at [revoked_at reason invalidity_date].\n"
    "  list   [--status active|revoked|expired] [--nik NIK] [--expiring DAYS]\n"
    "         One line per certificate, tab-separated:\n"
    "         serial status not_after profile nik cn\n"
    "  cert   SERIAL [--der]   prints one certificate (PEM, or DER)\n"
    "  ocsp   --req FILE --out FILE\n"
    "         Answers one DER OCSPRequest with a DER OCSPResponse.\n"
    "  chain  [--root]   PEM: issuing CA then root (root alone with --root)\n"
    "  renew-ocsp [--if-due]\n"
    "         Renews the delegated OCSP responder: a new key pair, a new certificate\n"
    "         from the issuing CA (ca.ocsp_validity_days), the old one kept in the\n"
    "         store but no longer used; a running server picks it up within seconds.\n"
    "         With --if-due, only inside the renewal window (ca.ocsp_renew_days, or\n"
    "         a quarter of its lifetime if less), as `openams serve` does by itself.\n"
    "         Prints `key: value` lines: renewed (yes/no) serial not_after\n"
    "         [previous_serial previous_not_after] or renew_at.\n"
    "  import-issuing --cert FILE [--chain FILE] [--root-crl FILE] [--passphrase-file FILE]\n"
    "         An instance made with init --external-root: installs the issuing CA\n"
    "         certificate the external root signed (PEM; --chain: the intermediate\n"
    "         CAs, if any, and the root's self-signed certificate, PEM).  Refused,\n"
    "         changing nothing, unless it is for pki/issuing.csr's key and subject,\n"
    "         a CA (CA:TRUE, keyCertSign, cRLSign, SKI), valid now, and verified by\n"
    "         the chain (and, with ca.policies, permits them).  Then writes\n"
    "         pki/root.crt issuing.crt chain.pem, certifies the OCSP responder and\n"
    "         TSA, records it all in the audit log and publishes the first CRL.\n"
    "         --root-crl: the root's CRL (PEM or DER, signed by it) as pki/root.crl\n"
    "         for B-LT signatures.  The CA passphrase (it signs with the issuing\n"
    "         key): --passphrase-file, else ca.key_passphrase_file, else\n"
    "         $OPENAMS_CA_PASSPHRASE, else asked twice on the terminal (not echoed).\n"
    "         Prints `key: value` lines: serial subject root intermediates not_after.\n"
    "\n"
    "Exit status: 0 done; 1 refused or failed (\"openams: CODE: message\" on stderr);\n"
    "2 usage error.  Signing commands unlock the CA keys from ca.key_passphrase_file\n"
    "or $OPENAMS_CA_PASSPHRASE.\n";

struct args {
	const char *dir, *csr, *profile, *nik, *nip, *email, *name, *org, *unit, *locality,
	    *province, *out, *keygen, *key_out, *key_pass_file, *reason, *invalidity, *status,
	    *req, *serial;
	int days, expiring, root, der, if_due;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct {
		const char *flag;
		size_t off;
	} strs[] = {
#define S(f, m) {f, offsetof(struct args, m)}
		S("--dir", dir), S("--csr", csr), S("--profile", profile), S("--nik", nik),
		S("--nip", nip), S("--email", email), S("--name", name), S("--org", org),
		S("--unit", unit), S("--locality", locality), S("--province", province),
		S("--out", out), S("--keygen", keygen), S("--key-out", key_out),
		S("--key-pass-file", key_pass_file), S("--reason", reason),
		S("--invalidity-date", invalidity), S("--status", status), S("--req", req),
#undef S
	};

	memset(a, 0, sizeof *a);
	for (int i = 2; i < argc; i++) {
		size_t k;
		if (strcmp(argv[i], "--root") == 0) {
			a->root = 1;
			continue;
		}
		if (strcmp(argv[i], "--der") == 0) {
			a->der = 1;
			continue;
		}
		if (strcmp(argv[i], "--if-due") == 0) {
			a->if_due = 1;
			continue;
		}
		if ((strcmp(argv[i], "--days") == 0 || strcmp(argv[i], "--expiring") == 0) &&
		    i + 1 < argc) {
			char *end;
			long v = strtol(argv[i + 1], &end, 10);
			if (*argv[i + 1] == 0 || *end || v < 1 || v > 36500)
				return cli_usage("%s takes a number of days (1..36500)", argv[i]);
			*(argv[i][2] == 'd' ? &a->days : &a->expiring) = (int)v;
			i++;
			continue;
		}
		for (k = 0; k < sizeof strs / sizeof strs[0]; k++)
			if (strcmp(argv[i], strs[k].flag) == 0)
				break;
		if (k < sizeof strs / sizeof strs[0]) {
			if (i + 1 >= argc)
				return cli_usage("%s needs a value", argv[i]);
			*(const char **)((char *)a + strs[k].off) = argv[++i];
			continue;
		}
		if (argv[i][0] == '-' || a->serial != NULL)
			return cli_usage("unexpected argument '%s' (see openams ca --help)", argv[i]);
		a->serial = argv[i];
	}
	return CLI_OK;
}

static int write_out(const char *path, const void *p, size_t n, int mode)
{
	oa_err rc;

	if (path == NULL || strcmp(path, "-") == 0) {
		if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0)
			return cli_report(oa_fail(OA_ERR_IO, "writing to standard output"));
		return CLI_OK;
	}
	if ((rc = oa_write_file_atomic(path, p, n, mode)))
		return cli_report(rc);
	return CLI_OK;
}

static int print_pem(const uint8_t *der, size_t n, const char *out)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)n);
	BIO *b = BIO_new(BIO_s_mem());
	char *d;
	long l;
	int ret;

	if (x == NULL || b == NULL || !PEM_write_bio_X509(b, x)) {
		X509_free(x);
		BIO_free(b);
		return cli_report(oa_fail_ssl(OA_ERR_CRYPTO, "PEM"));
	}
	l = BIO_get_mem_data(b, &d);
	ret = write_out(out, d, (size_t)l, 0644);
	X509_free(x);
	BIO_free(b);
	return ret;
}

static int do_issue(ca *c, const struct args *a)
{
	ca_request r = {0};
	ca_issued out = {0};
	uint8_t *csr = NULL, *kpass = NULL;
	size_t csr_len = 0, kplen = 0;
	EVP_PKEY *key = NULL;
	oa_err rc;
	int ret, created_key = 0;

	if ((a->csr == NULL) == (a->keygen == NULL))
		return cli_usage("ca issue needs --csr FILE or --keygen TYPE");
	if (a->keygen && (a->key_out == NULL || a->key_pass_file == NULL))
		return cli_usage("--keygen needs --key-out FILE and --key-pass-file FILE");
	if (a->csr) {
		if ((rc = oa_read_file(a->csr, OA_MAX_CSR_BYTES, &csr, &csr_len)))
			return cli_report(rc);
		r.csr = csr;
		r.csr_len = csr_len;
	} else {
		if (!ca_key_type_valid(a->keygen))
			return cli_usage("--keygen must be ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096");
		if ((rc = oa_read_file(a->key_pass_file, OA_MAX_PASSPHRASE_BYTES, &kpass, &kplen)))
			return cli_report(rc);
		while (kplen > 0 && (kpass[kplen - 1] == '\n' || kpass[kplen - 1] == '\r'))
			kpass[--kplen] = 0;
		if (kplen < 8) {
			ret = cli_report(oa_fail(OA_ERR_INVALID, "the key passphrase needs at least 8 characters"));
			goto out;
		}
		if ((rc = ca_generate_key(a->keygen, &key))) {
			ret = cli_report(rc);
			goto out;
		}
		r.key = key;
	}
	r.profile = a->profile;
	r.nik = a->nik;
	r.nip = a->nip;
	r.email = a->email;
	r.cn = a->name;
	r.o = a->org;
	r.ou = a->unit;
	r.l = a->locality;
	r.st = a->province;
	r.validity_days = a->days;
	r.actor = "cli";
	/* With a server-generated key, the key is written (encrypted) before the
	 * certificate is reported, so nobody holds a certificate without its key.
	 * The file must be new (O_EXCL): an existing key is never overwritten,
	 * and on a refusal only the file made here is removed. */
	if (key) {
		int fd = open(a->key_out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			ret = cli_report(oa_fail(errno == EEXIST ? OA_ERR_EXISTS : OA_ERR_IO,
			    "%s: %s (a key file is never overwritten)", a->key_out, strerror(errno)));
			goto out;
		}
		close(fd);
		created_key = 1;
		if ((rc = ca_write_holder_key(a->key_out, key, (const char *)kpass))) {
			unlink(a->key_out);
			ret = cli_report(rc);
			goto out;
		}
	}
	if ((rc = ca_issue(c, &r, &out))) {
		if (created_key)
			unlink(a->key_out);
		ret = cli_report(rc);
		goto out;
	}
	ret = a->der ? write_out(a->out, out.der, out.der_len, 0644)
	             : print_pem(out.der, out.der_len, a->out);
	fprintf(stderr, "issued %s\n", out.serial);
out:
	ca_issued_free(&out);
	free(csr);
	if (kpass) {
		oa_wipe(kpass, kplen);
		free(kpass);
	}
	EVP_PKEY_free(key);
	return ret;
}

static int do_revoke(ca *c, const struct args *a)
{
	int reason;
	int64_t inv = 0;
	oa_err rc;

	if (a->serial == NULL || a->reason == NULL)
		return cli_usage("ca revoke SERIAL --reason REASON");
	reason = ca_reason_parse(a->reason);
	if (reason < 0)
		return cli_usage("--reason must be unspecified, keyCompromise, affiliationChanged, "
		                 "superseded or cessationOfOperation");
	if (a->invalidity && (rc = oa_time_parse(a->invalidity, &inv)))
		return cli_report(rc);
	if ((rc = ca_revoke(c, a->serial, reason, inv, "cli")))
		return cli_report(rc);
	printf("revoked %s (%s)\n", a->serial, ca_reason_name(reason));
	if ((rc = ca_crl_publish(c, 0, NULL, NULL))) {
		fprintf(stderr, "openams: warning: the revocation is recorded, but the CRL could not be "
		                "published now: %s\n", oa_errmsg());
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int do_crl(ca *c, const struct args *a)
{
	uint8_t *der;
	size_t n;
	int ret;
	oa_err rc;

	if (a->out == NULL && isatty(STDOUT_FILENO))
		return cli_usage("the CRL is binary DER: give --out FILE or redirect standard output");
	if (a->if_due) {
		int due;
		if ((rc = ca_crl_due(c, a->root, &due)))
			return cli_report(rc);
		if (!due) {
			fputs("not due\n", stderr);
			return CLI_OK;
		}
	}
	if ((rc = ca_crl_publish(c, a->root, &der, &n)))
		return cli_report(rc);
	ret = write_out(a->out, der, n, 0644);
	free(der);
	return ret;
}

static void print_time(const char *key, int64_t t)
{
	char s[32];

	oa_time_iso(s, sizeof s, t);
	printf("%s: %s\n", key, s);
}

static int do_status(ca *c, const struct args *a)
{
	ca_cert_info i;
	oa_err rc;

	if (a->serial == NULL)
		return cli_usage("ca status SERIAL");
	if ((rc = ca_status(c, a->serial, &i)))
		return cli_report(rc);
	printf("serial: %s\nstatus: %s\nprofile: %s\nsubject: %s\n", i.serial, i.status, i.profile,
	    i.subject);
	if (i.nik[0])
		printf("nik: %s\n", i.nik);
	if (i.nip[0])
		printf("nip: %s\n", i.nip);
	if (i.email[0])
		printf("email: %s\n", i.email);
	printf("key_type: %s\n", i.key_type);
	print_time("not_before", i.not_before);
	print_time("not_after", i.not_after);
	print_time("issued_at", i.issued_at);
	if (strcmp(i.status, "revoked") == 0) {
		print_time("revoked_at", i.revoked_at);
		printf("reason: %s\n", ca_reason_name(i.reason));
		if (i.invalidity_date)
			print_time("invalidity_date", i.invalidity_date);
	}
	return CLI_OK;
}

static int list_row(const ca_cert_info *i, void *arg)
{
	char na[32];

	(void)arg;
	oa_time_iso(na, sizeof na, i->not_after);
	printf("%s\t%s\t%s\t%s\t%s\t%s\n", i->serial, i->status, na, i->profile,
	    i->nik[0] ? i->nik : "-", i->cn);
	return 0;
}

static int do_list(ca *c, const struct args *a)
{
	ca_filter f = {.status = a->status, .nik = a->nik, .expiring_days = a->expiring};
	oa_err rc;

	if ((rc = ca_list(c, &f, list_row, NULL)))
		return cli_report(rc);
	return CLI_OK;
}

static int do_renew_ocsp(ca *c, const struct args *a)
{
	ca_ocsp_renewal r;
	oa_err rc;

	if (a->serial)
		return cli_usage("ca renew-ocsp takes no argument '%s'", a->serial);
	if ((rc = ca_ocsp_renew(c, !a->if_due, "cli", &r)))
		return cli_report(rc);
	if (!r.renewed) {
		printf("renewed: no\nserial: %s\n", r.old_serial);
		print_time("not_after", r.old_not_after);
		print_time("renew_at", r.renew_at);
		return CLI_OK;
	}
	printf("renewed: yes\nserial: %s\n", r.new_serial);
	print_time("not_after", r.new_not_after);
	printf("previous_serial: %s\n", r.old_serial);
	print_time("previous_not_after", r.old_not_after);
	return CLI_OK;
}

static int do_cert(ca *c, const struct args *a)
{
	uint8_t *der;
	size_t n;
	int ret;
	oa_err rc;

	if (a->serial == NULL)
		return cli_usage("ca cert SERIAL [--der]");
	if ((rc = ca_cert_der(c, a->serial, &der, &n)))
		return cli_report(rc);
	ret = a->der ? write_out(a->out, der, n, 0644) : print_pem(der, n, a->out);
	free(der);
	return ret;
}

static int do_ocsp(ca *c, const struct args *a)
{
	uint8_t *req = NULL, *resp = NULL;
	size_t rl = 0, sl = 0;
	int ret;
	oa_err rc;

	if (a->req == NULL || a->out == NULL)
		return cli_usage("ca ocsp --req FILE --out FILE");
	rc = oa_read_file(a->req, OA_MAX_OCSP_REQ_BYTES, &req, &rl);
	if (rc == OA_ERR_LIMIT)
		rl = OA_MAX_OCSP_REQ_BYTES + 1; /* answered as malformed, like over HTTP */
	else if (rc)
		return cli_report(rc);
	rc = ca_ocsp_respond(c, req ? req : (const uint8_t *)"", rl, &resp, &sl);
	free(req);
	if (rc)
		return cli_report(rc);
	ret = write_out(a->out, resp, sl, 0644);
	free(resp);
	return ret;
}

/* The CA passphrase asked on the terminal (twice, not echoed), when neither
 * --passphrase-file, ca.key_passphrase_file nor $OPENAMS_CA_PASSPHRASE gives
 * it; refused without a terminal. */
static oa_err ask_ca_passphrase(char **out)
{
	return cli_read_password(NULL, "CA passphrase", out);
}

/* import-issuing runs on an instance whose CA does not open yet. */
static int do_import_issuing(int argc, char **argv)
{
	ca_import_opts o = {.actor = "cli", .ask_passphrase = ask_ca_passphrase};
	ca_import_result r;
	const char *dir = NULL, *pfile = NULL;
	char na[32], *pass = NULL;
	oa_err rc;

	for (int i = 2; i < argc; i++) {
		const char **v = strcmp(argv[i], "--dir") == 0        ? &dir
		               : strcmp(argv[i], "--cert") == 0       ? &o.cert_file
		               : strcmp(argv[i], "--chain") == 0      ? &o.chain_file
		               : strcmp(argv[i], "--root-crl") == 0   ? &o.root_crl_file
		               : strcmp(argv[i], "--passphrase-file") == 0 ? &pfile
		                                                       : NULL;
		if (v == NULL)
			return cli_usage("unexpected argument '%s' (see openams ca --help)", argv[i]);
		if (i + 1 >= argc)
			return cli_usage("%s needs a value", argv[i]);
		*v = argv[++i];
	}
	if (o.cert_file == NULL)
		return cli_usage("ca import-issuing --cert FILE [--chain FILE] [--root-crl FILE]"
		    " [--passphrase-file FILE]");
	o.dir = cli_data_dir(dir);
	if (pfile != NULL) {
		if ((rc = cli_read_password(pfile, "CA passphrase", &pass)))
			return cli_report(rc);
		o.passphrase = pass;
	}
	rc = ca_import_issuing(&o, &r);
	oa_free_secret(pass);
	if (rc)
		return cli_report(rc);
	oa_time_iso(na, sizeof na, r.not_after);
	printf("serial: %s\nsubject: %s\nroot: %s\nintermediates: %d\nnot_after: %s\n", r.serial,
	    r.subject, r.root, r.intermediates, na);
	return CLI_OK;
}

static int do_chain(ca *c, const struct args *a)
{
	oa_buf b = {0};
	oa_err rc;
	int ret;

	if ((rc = ca_chain_pem(c, a->root, &b)))
		return cli_report(rc);
	ret = write_out(a->out, b.data, b.len, 0644);
	oa_buf_free(&b);
	return ret;
}

int cmd_ca(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(ca *, const struct args *);
	} cmds[] = {
		{"issue", do_issue}, {"revoke", do_revoke}, {"crl", do_crl}, {"status", do_status},
		{"list", do_list}, {"cert", do_cert}, {"ocsp", do_ocsp}, {"chain", do_chain},
		{"renew-ocsp", do_renew_ocsp},
	};
	struct args a;
	ca *c = NULL;
	oa_err rc;
	int ret;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "import-issuing") == 0) {
		for (int j = 2; j < argc; j++)
			if (strcmp(argv[j], "--help") == 0) {
				fputs(usage_text, stdout);
				return CLI_OK;
			}
		return do_import_issuing(argc, argv);
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		for (int j = 2; j < argc; j++)
			if (strcmp(argv[j], "--help") == 0) {
				fputs(usage_text, stdout);
				return CLI_OK;
			}
		if ((ret = parse_args(argc, argv, &a)) != CLI_OK)
			return ret;
		if ((rc = ca_open(cli_data_dir(a.dir), &c)))
			return cli_report(rc);
		ret = cmds[i].fn(c, &a);
		ca_free(c);
		return ret;
	}
	return cli_usage("unknown ca command '%s' (see openams ca --help)", argv[1]);
}
