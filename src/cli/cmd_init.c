/*
 * cmd_init.c - `openams init [--dir DIR] [--demo] [--key-type T]
 *                            [--passphrase-file F] [--config FILE]`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ca/ca.h"
#include "../engine/engine.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "cli.h"

#ifndef OPENAMS_SHAREDIR
#define OPENAMS_SHAREDIR "/usr/share/openams"
#endif

static const char usage_text[] =
    "usage: openams init [--dir DIR] [--demo] [--key-type TYPE] [--passphrase-file FILE]\n"
    "                    [--config FILE]\n"
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
    "  --config FILE           start from the settings in FILE\n"
    "  --pkcs11-module SO      create the CA keys inside a PKCS#11 token (an HSM, SoftHSM2)\n"
    "  --pkcs11-token LABEL    ... the token's label\n"
    "  --pkcs11-pin-file FILE  ... the user PIN; openams reads it from FILE later too\n"
    "  --demo                  a demo instance\n"
    "\n"
    "An existing, non-empty DIR is refused and left untouched (exit 1).\n"
    "Profiles and SOPs are copied from $OPENAMS_SHARE (default " OPENAMS_SHAREDIR ").\n";

/* Installs and activates the instance's SOP definitions for its organisation. */
static oa_err install_sops(ca *c, void *arg)
{
	engine *e = NULL;
	char dir[OA_MAX_PATH];
	oa_err rc;

	(void)arg;
	if ((rc = oa_path_join(dir, sizeof dir, ca_dir(c), conf_str(ca_config(c), "sop.dir"))) ||
	    (rc = engine_open(c, &e)))
		return rc;
	rc = engine_sop_install_dir(e, conf_str(ca_config(c), "instance.org"), dir, "init");
	engine_free(e);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	ca_init_opts o = {0};
	const char *dir = NULL, *pfile = NULL, *share = getenv("OPENAMS_SHARE");
	uint8_t *pass = NULL, *pin = NULL;
	size_t plen = 0, pinlen = 0;
	const char *pinfile = NULL;
	char pinabs[OA_MAX_PATH];
	oa_err rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return CLI_OK;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--demo") == 0)
			o.demo = 1;
		else if (strcmp(argv[i], "--key-type") == 0 && i + 1 < argc)
			o.key_type = argv[++i];
		else if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc)
			pfile = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			o.config_file = argv[++i];
		else if (strcmp(argv[i], "--pkcs11-module") == 0 && i + 1 < argc)
			o.pkcs11_module = argv[++i];
		else if (strcmp(argv[i], "--pkcs11-token") == 0 && i + 1 < argc)
			o.pkcs11_token = argv[++i];
		else if (strcmp(argv[i], "--pkcs11-pin-file") == 0 && i + 1 < argc)
			pinfile = argv[++i];
		else
			return cli_usage("unexpected argument '%s' (see openams init --help)", argv[i]);
	}
	if (o.key_type && !ca_key_type_valid(o.key_type))
		return cli_usage("--key-type must be ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096");
	o.dir = cli_data_dir(dir);
	o.prepare = install_sops;
	o.share = share && *share ? share : OPENAMS_SHAREDIR;
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
	rc = ca_init(&o);
	if (pin) {
		oa_wipe(pin, pinlen);
		free(pin);
	}
	if (pass) {
		oa_wipe(pass, plen);
		free(pass);
	}
	if (rc)
		return cli_report(rc);
	printf("created %s\n", o.dir);
	printf("  CA certificates: %s/pki/chain.pem\n", o.dir);
	if (o.pkcs11_module)
		printf("  CA keys: in PKCS#11 token '%s' (%s)\n", o.pkcs11_token, o.pkcs11_module);
	else if (!pfile)
		printf("  CA key passphrase: %s/secrets/ca.pass (development only: for production,\n"
		       "  init with --passphrase-file and keep the passphrase away from the data)\n",
		    o.dir);
	return CLI_OK;
}
