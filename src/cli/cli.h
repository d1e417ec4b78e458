/*
 * cli.h - the `openams` command: shared helpers for the sub-command files.
 *
 * Each sub-command family lives in its own file (cmd_ca.c, cmd_sop.c, ...)
 * and exposes one entry point `int cmd_X(int argc, char **argv)` returning
 * the process exit status: 0 success, 1 a refusal or failure (message on
 * stderr as "openams: CODE: message"), 2 a usage error.
 */
#ifndef OA_CLI_H
#define OA_CLI_H

#include "../common/err.h"

/* Exit statuses. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "openams: <code>: <message>" for rc and returns CLI_FAIL. */
int cli_report(oa_err rc);
/* Prints a usage error and returns CLI_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The data directory: --dir, else $OPENAMS_DIR, else ./var. */
const char *cli_data_dir(const char *flag);

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_sop(int argc, char **argv);
int cmd_case(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_mail(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_person(int argc, char **argv);
int cmd_role(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_store(int argc, char **argv);

/* cmd_admin.c: `openams sop install|activate|list` (argv[1] the command). */
int cli_sop_admin(int argc, char **argv);
/* A password or passphrase (what names it in prompts and messages): from
 * file (trailing newline dropped), else asked twice on the terminal; no
 * file and no terminal is OA_ERR_INVALID.  *out: free with oa_free_secret. */
oa_err cli_read_password(const char *file, const char *what, char **out);

/* cmd_store.c: DIR/openams.conf with every store.path (and store.backend)
 * line dropped and store.path = url added, written to a new file in DIR
 * and renamed over it (fsync'd). */
oa_err cli_conf_set_store(const char *dir, const char *url);

#endif
