/*
 * cmd_init.c - `openams init [--dir DIR] [--demo] [--key-type T]
 *                            [--passphrase-file F] [--config FILE]
 *                            [--root-cn CN] [--issuing-cn CN] [--external-root]`.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ca/ca.h"
#include <openssl/rand.h>

#include "../auth/auth.h"
#include "../engine/engine.h"
#include "../sop/sop.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "cli.h"

#include "oa_version.h"   /* OA_SHARE_DIR, OA_SOURCE_ROOT, OA_BUILD_ROOT */

/* Where profiles and SOPs come from: $OPENAMS_SHARE; else, for a binary run
 * from inside the build directory that made it, the source tree; else the
 * installed share directory (-Dsharedir). */
static const char *default_share(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	size_t b = strlen(OA_BUILD_ROOT);

	if (n > 0) {
		exe[n] = 0;
		if (strncmp(exe, OA_BUILD_ROOT, b) == 0 && exe[b] == '/')
			return OA_SOURCE_ROOT;
	}
	return OA_SHARE_DIR;
}

static const char usage_text[] =
    "usage: openams init [--dir DIR] [--demo] [--key-type TYPE] [--passphrase-file FILE]\n"
    "                    [--config FILE] [--root-cn CN] [--issuing-cn CN] [--store URL]\n"
    "                    [--external-root] [--sops all|none|ID,...]\n"
    "\n"
    "Creates the data directory DIR (default $OPENAMS_DIR, else ./var):\n"
    "  openams.conf        the configuration, every option commented\n"
    "  openams.db          the database (SQLite, WAL)\n"
    "  keys/               root, issuing and OCSP keys, encrypted (PKCS#8, AES-256)\n"
    "  pki/                root.crt issuing.crt ocsp.crt chain.pem root.crl issuing.crl\n"
    "  profiles/ sop/      certificate profiles and SOP definitions (YAML)\n"
    "  secrets/ca.pass     the CA key passphrase, when none was given (development)\n"
    "\n"
    "  --key-type TYPE         ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096\n"
    "  --passphrase-file FILE  encrypt the CA keys with the passphrase in FILE (at least\n"
    "                          12 characters); openams then reads it from\n"
    "                          $OPENAMS_CA_PASSPHRASE, never from the data directory\n"
    "  --sops all|none|ID,...  which shipped SOP definitions to activate for the agency;\n"
    "                          all are installed (default: all with --demo, else none:\n"
    "                          an agency activates the ones it follows)\n"
    "  --config FILE           start from the settings in FILE\n"
    "  --root-cn CN            common name of the root CA (ca.root_name); default\n"
    "                          \"<instance.org> Root CA <tag>\", a name of this instance\n"
    "  --issuing-cn CN         common name of the issuing CA (ca.issuing_name); default\n"
    "                          \"<instance.org> Issuing CA <tag>\"\n"
    "  --external-root         an issuing CA under another root (a national root CA):\n"
    "                          no root here: the issuing CA's key and its request,\n"
    "                          pki/issuing.csr, for the root to sign; then\n"
    "                          openams ca import-issuing (docs/CERTIFICATES.md).\n"
    "                          Nothing is issued, no OCSP answer or CRL signed until\n"
    "                          then\n"
    "  --pkcs11-module SO      create the CA keys inside a PKCS#11 token (an HSM, SoftHSM2)\n"
    "  --pkcs11-token LABEL    ... the token's label\n"
    "  --pkcs11-pin-file FILE  ... the user PIN; openams reads it from FILE later too\n"
    "  --store URL             the database in PostgreSQL (postgresql://... or\n"
    "                          postgres://..., store.path): an empty database there\n"
    "                          instead of openams.db (docs/POSTGRESQL.md)\n"
    "  --demo                  a demo instance\n"
    "  --admin-email ADDR      the first administrator's e-mail (a staff-only account\n"
    "                          of instance.org holding admin and ca_operator, who must\n"
    "                          enrol TOTP at first sign-in and holds no role until then)\n"
    "  --admin-name NAME       ... their full name (required with --admin-email)\n"
    "  --admin-id ID           ... their user name (default: admin)\n"
    "  --admin-password-file FILE  ... their password, from FILE; without it, asked\n"
    "                          twice on the terminal (the password policy applies)\n"
    "\n"
    "An existing, non-empty DIR is refused and left untouched (exit 1).\n"
    "Profiles and SOPs are copied from $OPENAMS_SHARE, else " OA_SHARE_DIR "\n"
    "(the source tree only for a binary run from its own build directory).\n";

struct demo {
	int on;
	oa_buf logins;  /* "user<TAB>password<TAB>roles<TAB>NIK" lines (NIK "-" for none),
	                 * printed and kept 0600 */
	/* the first administrator (--admin-*), when admin_email is not NULL */
	const char *admin_email, *admin_name, *admin_id;
	char *admin_pass;
	/* --sops: the shipped definitions to activate ("all", "none", ids) */
	const char *sops;
	oa_buf sop_lines;  /* "  ID version N: active|installed, inactive" lines */
};

/* The first administrator: a staff-only account of the instance's agency
 * holding admin and ca_operator, with a password and TOTP enrolment
 * required before it may act; in init's transaction with the rest. */
static oa_err first_admin(auth *a, const char *org, const struct demo *d)
{
	auth_person_in p = {0};
	oa_err rc;

	p.id = d->admin_id;
	p.org = org;
	p.name = d->admin_name;
	p.email = d->admin_email;
	p.staff_only = 1;
	if ((rc = auth_person_create_with_password(a, &p, d->admin_pass, 1, "init")) ||
	    (rc = auth_role_grant(a, p.id, org, AUTH_ROLE_ADMIN, "init")) ||
	    (rc = auth_role_grant(a, p.id, org, AUTH_ROLE_CA_OPERATOR, "init")))
		return oa_fail(rc, "first administrator: %s", oa_errmsg());
	return OA_OK;
}

/* Adds one demo account holding roles (comma-separated) in org. */
static oa_err demo_account(auth *a, const char *org, const char *id, const char *name,
    const char *nik, const char *roles, int staff_only, struct demo *d)
{
	auth_person_in p = {0};
	char email[96], pass[32], rl[256], *save = NULL;
	uint8_t rnd[9];
	oa_err rc;

	snprintf(email, sizeof email, "%s@kominfo.demo.go.id", id);
	p.id = id;
	p.org = org;
	p.name = name;
	p.nik = nik;
	p.email = email;
	p.unit = "Dinas Komunikasi dan Informatika";
	p.staff_only = staff_only;
	if ((rc = auth_person_create(a, &p, "init")))
		return rc;
	/* A random password the policy accepts: a few random hex strings trip
	 * cracklib's sequence check ("...4321..."), so draw again. */
	for (int tries = 0;; tries++) {
		if (RAND_bytes(rnd, sizeof rnd) != 1)
			return oa_fail(OA_ERR_CRYPTO, "random password");
		snprintf(pass, sizeof pass, "Kunci-");
		oa_hex(pass + 6, rnd, sizeof rnd);
		if ((rc = auth_password_check(a, id, pass)) == OA_OK || rc != OA_ERR_INVALID || tries >= 50)
			break;
		oa_err_clear();
	}
	if (rc || (rc = auth_password_set(a, id, pass, NULL, "init")))
		return rc;
	snprintf(rl, sizeof rl, "%s", roles);
	for (char *r = strtok_r(rl, ",", &save); r; r = strtok_r(NULL, ",", &save))
		if ((rc = auth_role_grant(a, id, org, r, "init")) && rc != OA_ERR_EXISTS)
			return rc;
	return oa_buf_printf(&d->logins, "%s\t%s\t%s\t%s\n", id, pass, roles, nik ? nik : "-");
}

static int yaml_name(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0;
}

/* One account per role of the installed SOPs (every *.yaml of the SOP
 * directory, in name order): the roles that open a case on one applicant,
 * every other actor on a staff member, plus an administrator. */
static oa_err demo_accounts(auth *a, const char *org, const char *sopdir, struct demo *d)
{
	struct dirent **names = NULL;
	char applicant[256] = "", staff[32][OA_MAX_SOP_ID + 1];
	int nstaff = 0, serial = 1, nnames;
	oa_err rc;

	if ((nnames = scandir(sopdir, &names, yaml_name, alphasort)) < 0)
		return oa_fail(OA_ERR_IO, "%s: %s", sopdir, strerror(errno));
	for (int f = 0; f < nnames; f++) {
		char path[OA_MAX_PATH];
		sop_def *def = NULL;
		sop_errors errs = {0};
		const char *arole;
		if (oa_path_join(path, sizeof path, sopdir, names[f]->d_name) != OA_OK ||
		    sop_load(path, &def, &errs) != OA_OK) {
			sop_errors_free(&errs);
			oa_err_clear();
			continue;
		}
		arole = def->actors[def->steps[0].actors[0]].id;
		if (!strstr(applicant, arole) && strlen(applicant) + strlen(arole) + 2 < sizeof applicant)
			snprintf(applicant + strlen(applicant), sizeof applicant - strlen(applicant), "%s%s",
			    applicant[0] ? "," : "", arole);
		for (size_t i = 0; i < def->n_actors; i++) {
			int seen = strcmp(def->actors[i].id, arole) == 0;
			for (int j = 0; j < nstaff && !seen; j++)
				seen = strcmp(staff[j], def->actors[i].id) == 0;
			if (!seen && nstaff < 32)
				snprintf(staff[nstaff++], sizeof staff[0], "%s", def->actors[i].id);
		}
		sop_free(def);
	}
	for (int f = 0; f < nnames; f++)
		free(names[f]);
	free(names);
	/* NIKs carry a birth date (DDMMYY, day + 40 for women) and a serial. */
	if ((rc = demo_account(a, org, "pemohon.demo", "Siti Rahmawati", "1471015505900001",
	         applicant[0] ? applicant : "pemohon", 0, d)))
		return rc;
	for (int j = 0; j < nstaff; j++) {
		char id[OA_MAX_SOP_ID + 8], nik[24], name[96];
		snprintf(id, sizeof id, "%.64s.demo", staff[j]);
		for (char *q = id; *q; q++)
			if (*q == '_')
				*q = '-';
		snprintf(nik, sizeof nik, "147101120380%04d", ++serial % 10000);
		snprintf(name, sizeof name, "Petugas %.64s", staff[j]);
		if ((rc = demo_account(a, org, id, name, nik, staff[j], 0, d)))
			return rc;
	}
	return demo_account(a, org, "admin.demo", "Administrator Demo", NULL, "admin,ca_operator", 1, d);
}

static int sop_seen(const char *sop_id, int64_t version_id, int active, void *arg)
{
	struct demo *d = arg;

	return oa_buf_printf(&d->sop_lines, "    %-28s version %lld: %s\n", sop_id,
	           (long long)version_id, active ? "active" : "installed, not active") != OA_OK;
}

/* Installs the instance's SOP definitions for its agency, which it
 * registers, and activates those --sops names (with --demo, all; without,
 * none: an agency adopts the ones it follows); with --demo, the demo
 * accounts. */
static oa_err install_sops(const char *idir, void *arg)
{
	struct demo *d = arg;
	inst *in = NULL;
	engine *e = NULL;
	auth *a = NULL;
	char dir[OA_MAX_PATH];
	const char *org;
	oa_err rc;

	if ((rc = inst_open(idir, &in)))
		return rc;
	org = conf_str(inst_conf(in), "instance.org");
	if ((rc = oa_path_join(dir, sizeof dir, idir, conf_str(inst_conf(in), "sop.dir"))) ||
	    (rc = engine_open(in, &e)))
		goto out;
	if ((rc = engine_sop_install_dir_sel(e, org, dir, "init", d->sops, sop_seen, d)) ||
	    (rc = auth_open(in, &a)) ||
	    (rc = auth_org_create(a, org, conf_str(inst_conf(in), "instance.name"), "init")))
		goto out;
	if (d->admin_email && (rc = first_admin(a, org, d)))
		goto out;
	if (d->on) {
		char path[OA_MAX_PATH];
		if ((rc = demo_accounts(a, org, dir, d)) ||
		    (rc = oa_path_join(path, sizeof path, idir, "secrets")) ||
		    (rc = oa_mkdir_p(path, 0700)) ||
		    (rc = oa_path_join(path, sizeof path, idir, "secrets/demo-logins.txt")) ||
		    (rc = oa_write_file_atomic(path, d->logins.data, d->logins.len, 0600)))
			goto out;
	}
out:
	auth_free(a);
	engine_free(e);
	inst_free(in);
	return rc;
}

/* --root-cn, --issuing-cn and --store: the settings of --config (if any)
 * with the two names and the store after them (the last setting wins), in
 * a private temporary file at tmp that the caller removes. */
static oa_err names_config(const char *base, const char *root_cn, const char *issuing_cn,
    const char *store_url, char *tmp, size_t tmpsz)
{
	const char *td = getenv("TMPDIR");
	uint8_t *text = NULL;
	size_t n = 0;
	FILE *f;
	int fd;
	oa_err rc = OA_OK;

	for (int i = 0; i < 2; i++) {
		const char *v = i ? issuing_cn : root_cn;
		if (v && (!*v || strpbrk(v, "\r\n") || !oa_is_clean_utf8(v)))
			return oa_fail(OA_ERR_INVALID, "%s: an empty name, or one with control characters",
			    i ? "--issuing-cn" : "--root-cn");
	}
	if (store_url && ((strncmp(store_url, "postgresql://", 13) != 0 &&
	                   strncmp(store_url, "postgres://", 11) != 0) ||
	                  strpbrk(store_url, "\"\\ \r\n") || !oa_is_clean_utf8(store_url)))
		return oa_fail(OA_ERR_INVALID, "--store: a postgresql:// or postgres:// URL, without"
		    " spaces, quotes or backslashes");
	if (base && (rc = oa_read_file(base, OA_MAX_CONFIG_BYTES, &text, &n)))
		return oa_fail(OA_ERR_CONFIG, "%s", oa_errmsg());
	snprintf(tmp, tmpsz, "%s/openams-init-XXXXXX", td && *td ? td : "/tmp");
	if ((fd = mkstemp(tmp)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		tmp[0] = 0;
		free(text);
		return rc;
	}
	if (text)
		fprintf(f, "%s\n", (const char *)text);
	if (root_cn)
		fprintf(f, "ca.root_name = \"%s\"\n", root_cn);
	if (issuing_cn)
		fprintf(f, "ca.issuing_name = \"%s\"\n", issuing_cn);
	if (store_url)
		fprintf(f, "store.path = \"%s\"\n", store_url);
	if (fclose(f) != 0)
		rc = oa_fail(OA_ERR_IO, "%s: %s", tmp, strerror(errno));
	free(text);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	ca_init_opts o = {0};
	struct demo demo = {0};
	const char *dir = NULL, *pfile = NULL, *share = getenv("OPENAMS_SHARE");
	uint8_t *pass = NULL, *pin = NULL;
	size_t plen = 0, pinlen = 0;
	const char *pinfile = NULL;
	char pinabs[OA_MAX_PATH], names[OA_MAX_PATH] = "";
	const char *root_cn = NULL, *issuing_cn = NULL, *admin_pfile = NULL, *store_url = NULL;
	oa_err rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return CLI_OK;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--demo") == 0)
			o.demo = 1;
		else if (strcmp(argv[i], "--sops") == 0 && i + 1 < argc)
			demo.sops = argv[++i];
		else if (strcmp(argv[i], "--external-root") == 0)
			o.external_root = 1;
		else if (strcmp(argv[i], "--key-type") == 0 && i + 1 < argc)
			o.key_type = argv[++i];
		else if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc)
			pfile = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			o.config_file = argv[++i];
		else if (strcmp(argv[i], "--root-cn") == 0 && i + 1 < argc)
			root_cn = argv[++i];
		else if (strcmp(argv[i], "--issuing-cn") == 0 && i + 1 < argc)
			issuing_cn = argv[++i];
		else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
			store_url = argv[++i];
		else if (strcmp(argv[i], "--pkcs11-module") == 0 && i + 1 < argc)
			o.pkcs11_module = argv[++i];
		else if (strcmp(argv[i], "--pkcs11-token") == 0 && i + 1 < argc)
			o.pkcs11_token = argv[++i];
		else if (strcmp(argv[i], "--pkcs11-pin-file") == 0 && i + 1 < argc)
			pinfile = argv[++i];
		else if (strcmp(argv[i], "--admin-email") == 0 && i + 1 < argc)
			demo.admin_email = argv[++i];
		else if (strcmp(argv[i], "--admin-name") == 0 && i + 1 < argc)
			demo.admin_name = argv[++i];
		else if (strcmp(argv[i], "--admin-id") == 0 && i + 1 < argc)
			demo.admin_id = argv[++i];
		else if (strcmp(argv[i], "--admin-password-file") == 0 && i + 1 < argc)
			admin_pfile = argv[++i];
		else
			return cli_usage("unexpected argument '%s' (see openams init --help)", argv[i]);
	}
	if (o.key_type && !ca_key_type_valid(o.key_type))
		return cli_usage("--key-type must be ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096");
	if (o.external_root && root_cn)
		return cli_usage("--root-cn names a root made here: --external-root makes none");
	if ((demo.admin_name || demo.admin_id || admin_pfile) && !demo.admin_email)
		return cli_usage("--admin-name, --admin-id and --admin-password-file go with --admin-email");
	if (demo.admin_email && !demo.admin_name)
		return cli_usage("--admin-email needs --admin-name");
	if (demo.admin_email && !demo.admin_id)
		demo.admin_id = "admin";
	o.dir = cli_data_dir(dir);
	o.prepare = install_sops;
	demo.on = o.demo;
	if (demo.sops == NULL)
		demo.sops = demo.on ? "all" : "none";
	else if (*demo.sops == '\0')
		return cli_usage("--sops all|none|ID[,ID...]");
	o.prepare_arg = &demo;
	o.share = share && *share ? share : default_share();
	if (pfile) {
		if ((rc = oa_read_file(pfile, OA_MAX_PASSPHRASE_BYTES, &pass, &plen)))
			return cli_report(rc);
		while (plen > 0 && (pass[plen - 1] == '\n' || pass[plen - 1] == '\r'))
			pass[--plen] = 0;
		o.passphrase = (const char *)pass;
	}
	if (o.pkcs11_module) {
		if (o.pkcs11_token == NULL || pinfile == NULL)
			return cli_usage("--pkcs11-module needs --pkcs11-token and --pkcs11-pin-file");
		if ((rc = oa_read_file(pinfile, OA_MAX_PASSPHRASE_BYTES, &pin, &pinlen)))
			return cli_report(rc);
		while (pinlen > 0 && (pin[pinlen - 1] == '\n' || pin[pinlen - 1] == '\r'))
			pin[--pinlen] = 0;
		o.pkcs11_pin = (const char *)pin;
		if (realpath(pinfile, pinabs) == NULL)
			return cli_report(oa_fail(OA_ERR_IO, "%s: cannot resolve", pinfile));
		o.pkcs11_pin_file = pinabs;
	}
	rc = OA_OK;
	/* the first administrator's password: asked (or read) before anything is made */
	if (demo.admin_email)
		rc = cli_read_password(admin_pfile, "password", &demo.admin_pass);
	if (rc == OA_OK && (root_cn || issuing_cn || store_url) &&
	    (rc = names_config(o.config_file, root_cn, issuing_cn, store_url, names, sizeof names)) ==
	        OA_OK)
		o.config_file = names;
	if (rc == OA_OK)
		rc = ca_init(&o);
	if (names[0])
		unlink(names);
	if (pin) {
		oa_wipe(pin, pinlen);
		free(pin);
	}
	if (pass) {
		oa_wipe(pass, plen);
		free(pass);
	}
	if (demo.admin_pass) {
		oa_free_secret(demo.admin_pass);
		demo.admin_pass = NULL;
	}
	if (rc) {
		oa_buf_free(&demo.logins);
		oa_buf_free(&demo.sop_lines);
		return cli_report(rc);
	}
	printf("created %s\n", o.dir);
	if (demo.sop_lines.len) {
		printf("  SOP definitions (%s):\n", strcmp(demo.sops, "none") == 0 ?
		    "none active: activate those the agency follows with `openams sop activate"
		    " VERSION`, or in the portal under Admin > SOP" : "--sops");
		fwrite(demo.sop_lines.data, 1, demo.sop_lines.len, stdout);
	}
	oa_buf_free(&demo.sop_lines);
	if (demo.on) {
		printf("  demo logins (user, password, roles, NIK), also in %s/secrets/demo-logins.txt:\n",
		    o.dir);
		fwrite(demo.logins.data, 1, demo.logins.len, stdout);
		oa_wipe(demo.logins.data, demo.logins.len);
		oa_buf_free(&demo.logins);
	}
	if (demo.admin_email)
		printf("  first administrator: %s (%s), admin and ca_operator (instance %s); TOTP\n"
		       "  enrolment is required at first sign-in (no role until then)\n", demo.admin_id,
		    demo.admin_email, o.dir);
	if (o.external_root)
		printf("  issuing CA request: %s/pki/issuing.csr (PEM, PKCS#10)\n"
		       "  next: have the external root sign it as a CA certificate (basicConstraints\n"
		       "  CA:TRUE pathlen:0, keyUsage keyCertSign cRLSign, the requested subject), then\n"
		       "    openams ca import-issuing --dir %s --cert ISSUING.pem --chain ROOT.pem\n"
		       "  until then nothing is issued and no OCSP answer or CRL is signed\n",
		    o.dir, o.dir);
	else
		printf("  CA certificates: %s/pki/chain.pem\n", o.dir);
	if (o.pkcs11_module)
		printf("  CA keys: in PKCS#11 token '%s' (%s)\n", o.pkcs11_token, o.pkcs11_module);
	else if (!pfile)
		printf("  CA key passphrase: %s/secrets/ca.pass (development only: for production,\n"
		       "  init with --passphrase-file and keep the passphrase away from the data)\n",
		    o.dir);
	return CLI_OK;
}
