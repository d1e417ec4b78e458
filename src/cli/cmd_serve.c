/*
 * cmd_serve.c - `openams serve [--dir DIR] [--listen ADDR:PORT]`: the HTTP
 * server (src/http), in the foreground until SIGTERM or SIGINT.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "../conf/conf.h"
#include "../http/http.h"
#include "../signer/signer.h"
#include "cli.h"

static const char usage_text[] =
    "usage: openams serve [--dir DIR] [--listen ADDR:PORT]\n"
    "\n"
    "Serves the public PKI endpoints (CA certificates, CRLs, OCSP over GET and\n"
    "POST, certificate status), /healthz and /metrics, in the foreground.\n"
    "\n"
    "  --listen ADDR:PORT  overrides web.listen: A.B.C.D:PORT or [IPv6]:PORT;\n"
    "                      port 0 picks a free port (printed on stderr)\n"
    "\n"
    "Plain HTTP is refused on a non-loopback address unless web.tls_cert and\n"
    "web.tls_key are set (HTTPS) or web.allow_plain_http = yes.  One log line\n"
    "per request goes to stderr.  SIGTERM or SIGINT: stop accepting, finish the\n"
    "requests in flight (web.shutdown_grace_seconds at most), exit 0.\n"
    "\n"
    "Started as root with web.user set, it forks a launcher that stays root only\n"
    "to start signer processes (each drops to signer.user), then switches to\n"
    "web.user before it opens the database or listens.\n";

/* Started as root with web.user set: the signer launcher first (no thread
 * exists yet), then the server gives up root for good.  The CA secrets that
 * came through the environment stay with the launcher, which hands them to
 * each signer it starts; the server keeps no copy. */
static oa_err drop_to_web_user(const char *dir)
{
	conf *cfg = NULL;
	struct passwd *pw;
	char user[64];
	uid_t uid;
	gid_t gid;
	oa_err rc;

	if ((rc = conf_load_instance(dir, &cfg)))
		return rc;
	snprintf(user, sizeof user, "%s", conf_str(cfg, "web.user"));
	conf_free(cfg);
	if (user[0] == 0 || strcmp(user, "root") == 0)
		return OA_OK;
	if ((pw = getpwnam(user)) == NULL)
		return oa_fail(OA_ERR_CONFIG, "web.user '%s' does not exist", user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		return oa_fail(OA_ERR_CONFIG, "web.user '%s' is root: leave it empty instead", user);
	if ((rc = signer_launcher_start(dir)))
		return rc;
	oa_wipe_env("OPENAMS_CA_PASSPHRASE");
	oa_wipe_env("OPENAMS_PKCS11_PIN");
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
		return oa_fail(OA_ERR_IO, "serve: cannot switch to web.user %s: %s", user,
		    strerror(errno));
	if (setuid(0) == 0)
		return oa_fail(OA_ERR_INTERNAL, "serve: could regain root after dropping it");
	return OA_OK;
}

int cmd_serve(int argc, char **argv)
{
	web_opts o = {0};
	const char *dir = NULL;
	oa_err rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return CLI_OK;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			o.listen = argv[++i];
		else
			return cli_usage("unexpected argument '%s' (see openams serve --help)", argv[i]);
	}
	o.dir = cli_data_dir(dir);
	if (geteuid() == 0 && (rc = drop_to_web_user(o.dir)))
		return cli_report(rc);
	if ((rc = web_serve(&o)))
		return cli_report(rc);
	return CLI_OK;
}
