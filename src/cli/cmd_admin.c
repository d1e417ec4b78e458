/*
 * cmd_admin.c - `openams org|person|role ...` and the installed-SOP commands
 * of `openams sop` (install, activate, list): administering an instance from
 * its own machine.
 *
 * The same module functions as the JSON API's handlers (src/api/
 * routes_api_admin.c), so the same rules, limits and audit records: auth_*
 * for agencies, people and roles, engine_sop_* for SOP versions.  Who acts:
 * by default the operator at the shell, who can already read the data
 * directory, recorded as "cli" in the audit log; with --as PERSON, that
 * person, who must hold admin in the agency concerned (or in the instance's
 * own agency, for every agency) exactly as the API asks of a caller.
 *
 * Passwords come from a file (--password-file) or a prompt on a terminal,
 * never from the command line; they are wiped once used.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "../auth/auth.h"
#include "../ca/ca.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "../engine/engine.h"
#include "../sop/sop.h"
#include "cli.h"

/* ---- secrets: a file, or a prompt on the terminal ---- */

static oa_err prompt_line(FILE *tty, const char *prompt, char *buf, size_t n)
{
	struct termios old, quiet;
	int fd = fileno(tty), echo_off = 0;
	size_t len;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	if (fgets(buf, (int)n, tty) == NULL)
		buf[0] = 0;
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	fputc('\n', stderr);
	len = strlen(buf);
	if (len == n - 1 && buf[len - 1] != '\n') {
		OPENSSL_cleanse(buf, n);
		return oa_fail(OA_ERR_LIMIT, "the password is longer than %zu bytes", n - 2);
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = 0;
	return OA_OK;
}

oa_err cli_read_password(const char *file, const char *what, char **out)
{
	char a[OA_MAX_PASSPHRASE_BYTES + 2], b[sizeof a], prompt[160];
	size_t len;
	FILE *tty;
	oa_err rc;

	*out = NULL;
	if (file != NULL) {
		if ((rc = oa_read_secret_file(file, OA_MAX_PASSPHRASE_BYTES, out, &len)))
			return rc;
		while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
			(*out)[--len] = 0;
		if (len == 0 || strlen(*out) != len) {
			oa_free_secret(*out);
			*out = NULL;
			return oa_fail(OA_ERR_INVALID, "%s: an empty %s, or one with a NUL byte", file, what);
		}
		return OA_OK;
	}
	if (!isatty(STDIN_FILENO) || (tty = fopen("/dev/tty", "r+")) == NULL)
		return oa_fail(OA_ERR_INVALID, "no %s: give it in a file (--%s-file FILE) or run on a"
		    " terminal to be asked", what, strcmp(what, "password") == 0 ? "password" : "passphrase");
	setvbuf(tty, NULL, _IONBF, 0);
	snprintf(prompt, sizeof prompt, "%s: ", what);
	rc = prompt_line(tty, prompt, a, sizeof a);
	if (rc == OA_OK) {
		snprintf(prompt, sizeof prompt, "%s again: ", what);
		rc = prompt_line(tty, prompt, b, sizeof b);
	}
	fclose(tty);
	if (rc == OA_OK && (a[0] == 0 || strcmp(a, b) != 0))
		rc = oa_fail(OA_ERR_INVALID, a[0] ? "the two %ss differ" : "an empty %s", what);
	if (rc == OA_OK && (*out = strdup(a)) == NULL)
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
	OPENSSL_cleanse(a, sizeof a);
	OPENSSL_cleanse(b, sizeof b);
	return rc;
}

/* ---- options and the acting administrator ---- */

#define MAXPOS 4

struct opts {
	const char *dir, *as, *org, *name, *email, *id, *nik, *nip, *position, *unit, *lang;
	const char *password_file, *person, *sha;
	int staff_only, require_totp, activate, active_only, off, help;
	const char *pos[MAXPOS];
	int npos;
};

/* Parses argv[2..] (argv[1] is the sub-command).  Returns 0, or the exit
 * status of a usage error. */
static int parse(int argc, char **argv, struct opts *o, const char *family)
{
	static const struct {
		const char *flag;
		size_t off;
	} vals[] = {
#define V(f, m) {f, offsetof(struct opts, m)}
		V("--dir", dir), V("--as", as), V("--org", org), V("--name", name),
		V("--email", email), V("--id", id), V("--nik", nik), V("--nip", nip),
		V("--position", position), V("--unit", unit), V("--lang", lang),
		V("--password-file", password_file), V("--person", person),
#undef V
	};
	memset(o, 0, sizeof *o);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		int done = 0;
		for (size_t k = 0; k < sizeof vals / sizeof vals[0] && !done; k++) {
			if (strcmp(a, vals[k].flag) != 0)
				continue;
			if (i + 1 >= argc)
				return cli_usage("%s needs a value (see openams %s --help)", a, family);
			*(const char **)((char *)o + vals[k].off) = argv[++i];
			done = 1;
		}
		if (done)
			continue;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			o->help = 1;
		else if (strcmp(a, "--staff-only") == 0)
			o->staff_only = 1;
		else if (strcmp(a, "--require-totp") == 0)
			o->require_totp = 1;
		else if (strcmp(a, "--activate") == 0)
			o->activate = 1;
		else if (strcmp(a, "--active") == 0)
			o->active_only = 1;
		else if (strcmp(a, "--off") == 0)
			o->off = 1;
		else if (a[0] == '-' && a[1] != 0)
			return cli_usage("unexpected option '%s' (see openams %s --help)", a, family);
		else if (o->npos < MAXPOS)
			o->pos[o->npos++] = a;
		else
			return cli_usage("unexpected argument '%s' (see openams %s --help)", a, family);
	}
	return 0;
}

struct adm {
	inst *i;
	auth *a;
	engine *e;
	const char *actor;   /* "cli" or --as */
	char home[AUTH_MAX_ID + 1]; /* --as's agency; "" for the operator */
	int super;           /* may manage every agency */
};

static void adm_close(struct adm *in)
{
	engine_free(in->e);
	auth_free(in->a);
	inst_free(in->i);
}

/* Opens the instance and checks --as: an enabled person holding admin in
 * their own agency (with no role, as an account that must still enrol
 * TOTP, they hold none). */
static oa_err adm_open(const struct opts *o, int need_engine, struct adm *in)
{
	auth_person p;
	auth_who w;
	oa_err rc;

	memset(in, 0, sizeof *in);
	if ((rc = inst_open(cli_data_dir(o->dir), &in->i)) || (rc = auth_open(in->i, &in->a)) ||
	    (need_engine && (rc = engine_open(in->i, &in->e))))
		return rc;
	in->actor = "cli";
	in->super = 1;
	if (o->as == NULL)
		return OA_OK;
	if (auth_person_get(in->a, o->as, &p) != OA_OK || auth_who_get(in->a, p.id, p.org, &w) != OA_OK ||
	    !auth_who_holds(&w, AUTH_ROLE_ADMIN))
		return oa_fail(OA_ERR_DENIED, "--as %s: not an enabled administrator (admin role in"
		    " their agency)", o->as);
	in->actor = o->as;
	snprintf(in->home, sizeof in->home, "%s", p.org);
	in->super = strcmp(p.org, conf_str(inst_conf(in->i), "instance.org")) == 0;
	return OA_OK;
}

/* The agency a command is about: --org, else --as's, else the instance's. */
static const char *target_org(const struct opts *o, const struct adm *in)
{
	if (o->org != NULL)
		return o->org;
	if (in->home[0])
		return in->home;
	return conf_str(inst_conf(in->i), "instance.org");
}

/* The API's rule: an administrator manages their own agency; the
 * instance's agency's administrators manage every one. */
static oa_err may_manage(const struct adm *in, const char *org)
{
	if (in->super || strcmp(org, in->home) == 0)
		return OA_OK;
	return oa_fail(OA_ERR_DENIED, "%s may not administer agency %s", in->actor, org);
}

/* ---- org ---- */

static const char org_help[] =
    "usage: openams org list [--dir DIR] [--as PERSON]\n"
    "       openams org add ID --name NAME [--dir DIR] [--as PERSON]\n"
    "       openams org show ID [--dir DIR] [--as PERSON]\n"
    "\n"
    "Agencies (instansi).  list prints `ID<TAB>NAME<TAB>CREATED` lines (only --as's\n"
    "own agency unless they administer the instance's agency); add registers an\n"
    "agency (id: 1..64 of a-z 0-9 . _ -; only the instance's administrators);\n"
    "show prints one agency.\n"
    "\n"
    "  --as PERSON  act as this administrator (checked and recorded as the API does);\n"
    "               default: the operator, recorded as \"cli\"\n"
    "Exit status: 0 done, 1 refused (openams: CODE: message), 2 usage error.\n";

struct org_walk {
	const char *only;
};

static int org_print(const auth_org *g, void *arg)
{
	struct org_walk *w = arg;
	char t[32];

	if (w->only == NULL || strcmp(w->only, g->id) == 0) {
		oa_time_iso(t, sizeof t, g->created_at);
		printf("%s\t%s\t%s\n", g->id, g->name, t);
	}
	return 0;
}

int cmd_org(int argc, char **argv)
{
	struct opts o;
	struct adm in;
	struct org_walk w = {0};
	auth_org g;
	int ret;
	oa_err rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(org_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if ((ret = parse(argc, argv, &o, "org")))
		return ret;
	if (o.help) {
		fputs(org_help, stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "list") == 0) {
		if (o.npos)
			return cli_usage("openams org list takes no argument");
	} else if (strcmp(argv[1], "add") == 0) {
		if (o.npos != 1 || o.name == NULL)
			return cli_usage("openams org add ID --name NAME");
	} else if (strcmp(argv[1], "show") == 0) {
		if (o.npos != 1)
			return cli_usage("openams org show ID");
	} else
		return cli_usage("unknown org command '%s' (see openams org --help)", argv[1]);
	if ((rc = adm_open(&o, 0, &in)))
		goto out;
	if (strcmp(argv[1], "list") == 0) {
		w.only = in.super ? NULL : in.home;
		rc = auth_org_list(in.a, org_print, &w);
	} else if (strcmp(argv[1], "add") == 0) {
		if (!in.super)
			rc = oa_fail(OA_ERR_DENIED, "only the instance's administrators add agencies");
		else if ((rc = auth_org_create(in.a, o.pos[0], o.name, in.actor)) == OA_OK)
			printf("%s\n", o.pos[0]);
	} else {
		if ((rc = may_manage(&in, o.pos[0])) == OA_OK &&
		    (rc = auth_org_get(in.a, o.pos[0], &g)) == OA_OK)
			org_print(&g, &w);
	}
out:
	adm_close(&in);
	return rc ? cli_report(rc) : CLI_OK;
}

/* ---- person ---- */

static const char person_help[] =
    "usage: openams person list [--org ORG]\n"
    "       openams person add --id ID --name NAME --email ADDR [--org ORG] [--nik NIK]\n"
    "                          [--nip NIP] [--position TEXT] [--unit TEXT] [--lang id|en]\n"
    "                          [--staff-only] [--password-file FILE] [--require-totp]\n"
    "       openams person show ID\n"
    "       openams person password ID [--password-file FILE]\n"
    "       openams person disable ID | enable ID\n"
    "       openams person require-totp ID [--off]\n"
    "  (each also takes --dir DIR and --as PERSON)\n"
    "\n"
    "People and their accounts, with the API's rules: NIK (16 digits) required but\n"
    "for --staff-only accounts (administrators, CA operators), NIP 18 digits, e-mail\n"
    "unique (and under policy.email_suffix unless staff-only), the password policy.\n"
    "\n"
    "list          `ID<TAB>ORG<TAB>NAME<TAB>EMAIL<TAB>FLAGS` of ORG's people (default\n"
    "              --as's agency, else the instance's); FLAGS: staff, disabled,\n"
    "              password, totp, must-enrol-totp, locked\n"
    "add           creates the person; with a password (--password-file FILE, or a\n"
    "              prompt on a terminal with --password-file -) in the same\n"
    "              transaction; --require-totp: they must enrol TOTP at first\n"
    "              sign-in and hold no role until they have\n"
    "show          KEY: VALUE lines of one person and the roles they hold\n"
    "password      sets the password (file, or a prompt on a terminal)\n"
    "disable       disables the account and ends its sessions; enable undoes it\n"
    "require-totp  marks the account as one that must enrol TOTP (--off: unmarks)\n"
    "Exit status: 0 done, 1 refused (openams: CODE: message), 2 usage error.\n";

static void person_flags(const auth_person *p, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s%s%s%s", p->staff_only ? "staff," : "", p->disabled ? "disabled," : "",
	    p->has_password ? "password," : "", p->totp_enrolled ? "totp," : "",
	    p->totp_required && !p->totp_enrolled ? "must-enrol-totp," : "",
	    p->locked_until ? "locked," : "");
	if (out[0])
		out[strlen(out) - 1] = 0;
	else
		snprintf(out, n, "-");
}

static int person_print(const auth_person *p, void *arg)
{
	char f[96];

	person_flags(p, f, sizeof f);
	printf("%s\t%s\t%s\t%s\t%s\n", p->id, p->org, p->name, p->email, f);
	return 0;
}

static int role_print_one(const char *person, const char *role, void *arg)
{
	printf("role: %s %s\n", (const char *)arg, role);
	return 0;
}

static oa_err person_show(struct adm *in, const char *id)
{
	auth_person p;
	char f[96], t[32];
	oa_err rc;

	if ((rc = auth_person_get(in->a, id, &p)) || (rc = may_manage(in, p.org)))
		return rc;
	person_flags(&p, f, sizeof f);
	oa_time_iso(t, sizeof t, p.created_at);
	printf("id: %s\norg: %s\nname: %s\nemail: %s\nnik: %s\nnip: %s\nposition: %s\nunit: %s\n"
	       "lang: %s\nflags: %s\ncreated: %s\n", p.id, p.org, p.name, p.email, p.nik, p.nip,
	    p.position, p.unit, p.lang, f, t);
	return auth_role_list(in->a, p.org, p.id, role_print_one, p.org);
}

int cmd_person(int argc, char **argv)
{
	struct opts o;
	struct adm in;
	const char *cmd = argc > 1 ? argv[1] : "";
	char *pass = NULL;
	int ret, need_id;
	oa_err rc;

	if (argc < 2 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(person_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if ((ret = parse(argc, argv, &o, "person")))
		return ret;
	if (o.help) {
		fputs(person_help, stdout);
		return CLI_OK;
	}
	need_id = strcmp(cmd, "show") == 0 || strcmp(cmd, "password") == 0 ||
	    strcmp(cmd, "disable") == 0 || strcmp(cmd, "enable") == 0 || strcmp(cmd, "require-totp") == 0;
	if (need_id) {
		if (o.npos != 1)
			return cli_usage("openams person %s ID", cmd);
	} else if (strcmp(cmd, "list") == 0) {
		if (o.npos)
			return cli_usage("openams person list takes no argument");
	} else if (strcmp(cmd, "add") == 0) {
		if (o.npos || o.id == NULL || o.name == NULL || o.email == NULL)
			return cli_usage("openams person add --id ID --name NAME --email ADDR ...");
	} else
		return cli_usage("unknown person command '%s' (see openams person --help)", cmd);
	if ((rc = adm_open(&o, 0, &in)))
		goto out;
	if (strcmp(cmd, "list") == 0) {
		const char *org = target_org(&o, &in);
		if ((rc = may_manage(&in, org)) == OA_OK)
			rc = auth_person_list(in.a, org, person_print, NULL);
	} else if (strcmp(cmd, "add") == 0) {
		auth_person_in p = {.id = o.id, .org = target_org(&o, &in), .name = o.name, .nik = o.nik,
		    .nip = o.nip, .email = o.email, .position = o.position, .unit = o.unit,
		    .lang = o.lang, .staff_only = o.staff_only};
		if ((rc = may_manage(&in, p.org)))
			goto out;
		if (o.password_file && (rc = cli_read_password(strcmp(o.password_file, "-") == 0 ?
		        NULL : o.password_file, "password", &pass)))
			goto out;
		if ((rc = auth_person_create_with_password(in.a, &p, pass, o.require_totp, in.actor)) == OA_OK)
			printf("%s\n", p.id);
	} else if (strcmp(cmd, "show") == 0) {
		rc = person_show(&in, o.pos[0]);
	} else {
		auth_person p;
		if ((rc = auth_person_get(in.a, o.pos[0], &p)) || (rc = may_manage(&in, p.org)))
			goto out;
		if (strcmp(cmd, "password") == 0) {
			if ((rc = cli_read_password(o.password_file && strcmp(o.password_file, "-") != 0 ?
			        o.password_file : NULL, "password", &pass)) == OA_OK)
				rc = auth_password_set(in.a, p.id, pass, NULL, in.actor);
		} else if (strcmp(cmd, "require-totp") == 0) {
			rc = auth_totp_require(in.a, p.id, !o.off, in.actor);
		} else {
			rc = auth_person_set_disabled(in.a, p.id, strcmp(cmd, "disable") == 0, in.actor);
		}
	}
out:
	if (pass)
		oa_free_secret(pass);
	adm_close(&in);
	return rc ? cli_report(rc) : CLI_OK;
}

/* ---- role ---- */

static const char role_help[] =
    "usage: openams role list [--org ORG] [--person PERSON]\n"
    "       openams role grant PERSON ROLE [--org ORG]\n"
    "       openams role revoke PERSON ROLE [--org ORG]\n"
    "  (each also takes --dir DIR and --as PERSON)\n"
    "\n"
    "Roles per agency (default --as's agency, else the instance's).  A role is\n"
    "built in (admin, ca_operator: staff-only accounts only) or an actor of an SOP\n"
    "installed for the agency, as the API requires.  list prints `PERSON<TAB>ROLE`.\n"
    "Exit status: 0 done, 1 refused (openams: CODE: message), 2 usage error.\n";

static int role_print(const char *person, const char *role, void *arg)
{
	printf("%s\t%s\n", person, role);
	return 0;
}

int cmd_role(int argc, char **argv)
{
	struct opts o;
	struct adm in;
	const char *cmd = argc > 1 ? argv[1] : "", *org;
	int ret;
	oa_err rc;

	if (argc < 2 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(role_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if ((ret = parse(argc, argv, &o, "role")))
		return ret;
	if (o.help) {
		fputs(role_help, stdout);
		return CLI_OK;
	}
	if (strcmp(cmd, "list") == 0) {
		if (o.npos)
			return cli_usage("openams role list takes no argument");
	} else if (strcmp(cmd, "grant") == 0 || strcmp(cmd, "revoke") == 0) {
		if (o.npos != 2)
			return cli_usage("openams role %s PERSON ROLE [--org ORG]", cmd);
	} else
		return cli_usage("unknown role command '%s' (see openams role --help)", cmd);
	if ((rc = adm_open(&o, 1, &in)))
		goto out;
	org = target_org(&o, &in);
	if ((rc = may_manage(&in, org)))
		goto out;
	if (strcmp(cmd, "list") == 0)
		rc = auth_role_list(in.a, org, o.person, role_print, NULL);
	else if (strcmp(cmd, "grant") == 0) {
		if ((rc = engine_role_grantable(in.e, o.pos[0], org, o.pos[1])) == OA_OK)
			rc = auth_role_grant(in.a, o.pos[0], org, o.pos[1], in.actor);
	} else
		rc = auth_role_revoke(in.a, o.pos[0], org, o.pos[1], in.actor);
out:
	adm_close(&in);
	return rc ? cli_report(rc) : CLI_OK;
}

/* ---- installed SOP versions (openams sop install|activate|list) ---- */

static const char sop_admin_help[] =
    "usage: openams sop install  FILE [--org ORG] [--activate]\n"
    "       openams sop activate VERSION_ID\n"
    "       openams sop list     [--org ORG] [--active]\n"
    "  (each also takes --dir DIR and --as PERSON)\n"
    "\n"
    "install   validates FILE (problems as FILE:LINE: message, exit 1) and installs\n"
    "          it for ORG (default --as's agency, else the instance's) as the SOP's\n"
    "          next version; the same text again is the same version.  --activate\n"
    "          makes it the active one.  Prints the version id.\n"
    "activate  makes an installed version the active one of its SOP\n"
    "list      `VERSION_ID<TAB>SOP<TAB>VERSION<TAB>KIND<TAB>ACTIVE<TAB>NAME` lines\n"
    "Exit status: 0 done, 1 refused (openams: CODE: message), 2 usage error.\n";

static int sop_print(const engine_sop_info *s, void *arg)
{
	printf("%" PRId64 "\t%s\t%" PRId64 "\t%s\t%s\t%s\n", s->version_id, s->sop_id, s->version,
	    s->kind, s->active ? "active" : "-", s->name);
	return 0;
}

/* The API takes only YAML text: no NUL, no control character but tab,
 * CR and LF. */
static int yaml_text_ok(const char *text, size_t len)
{
	if (len == 0 || strlen(text) != len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

int cli_sop_admin(int argc, char **argv)
{
	struct opts o;
	struct adm in;
	const char *cmd = argv[1], *org;
	uint8_t *text = NULL;
	size_t len = 0;
	sop_def *d = NULL;
	sop_errors errs = {0};
	int64_t vid = 0;
	int ret;
	oa_err rc;

	if ((ret = parse(argc, argv, &o, "sop")))
		return ret;
	if (o.help) {
		fputs(sop_admin_help, stdout);
		return CLI_OK;
	}
	if ((strcmp(cmd, "list") == 0 && o.npos != 0) || (strcmp(cmd, "list") != 0 && o.npos != 1))
		return cli_usage("%s", strcmp(cmd, "list") == 0 ? "openams sop list [--org ORG]" :
		    strcmp(cmd, "install") == 0 ? "openams sop install FILE [--org ORG] [--activate]" :
		    "openams sop activate VERSION_ID");
	if (strcmp(cmd, "install") == 0) {
		/* the file is read and checked before the instance is touched */
		if ((rc = oa_read_file(o.pos[0], OA_MAX_SOP_BYTES, &text, &len)))
			return cli_report(rc);
		if (!yaml_text_ok((const char *)text, len)) {
			free(text);
			return cli_report(oa_fail(OA_ERR_INVALID, "%s: not YAML text (UTF-8, no control"
			    " characters)", o.pos[0]));
		}
		if ((rc = sop_parse(o.pos[0], (const char *)text, len, &d, &errs))) {
			sop_errors_print(&errs, o.pos[0], stderr);
			ret = errs.n ? CLI_FAIL : cli_report(rc);
			sop_errors_free(&errs);
			free(text);
			return ret;
		}
	}
	if ((rc = adm_open(&o, 1, &in)))
		goto out;
	org = target_org(&o, &in);
	if (strcmp(cmd, "list") == 0) {
		if ((rc = may_manage(&in, org)) == OA_OK)
			rc = engine_sop_list(in.e, org, o.active_only, sop_print, NULL);
	} else if (strcmp(cmd, "install") == 0) {
		if ((rc = may_manage(&in, org)))
			goto out;
		if (!auth_valid_id(org) || auth_org_get(in.a, org, &(auth_org){0}) != OA_OK) {
			rc = oa_fail(OA_ERR_NOTFOUND, "no agency %s", org);
			goto out;
		}
		rc = engine_sop_install(in.e, org, d->id, (const char *)text, o.activate, in.actor, &vid,
		    &errs);
		if (rc == OA_ERR_INVALID && errs.n > 0) {
			sop_errors_print(&errs, o.pos[0], stderr);
			rc = OA_OK;
			ret = CLI_FAIL;
		} else if (rc == OA_OK)
			printf("%" PRId64 "\n", vid);
	} else {
		char vorg[AUTH_MAX_ID + 1], *end;
		long long v = strtoll(o.pos[0], &end, 10);
		if (*end || v <= 0 || engine_sop_version(in.e, v, vorg, sizeof vorg, NULL) != OA_OK)
			rc = oa_fail(OA_ERR_NOTFOUND, "no SOP version %s", o.pos[0]);
		else if ((rc = may_manage(&in, vorg)) == OA_OK)
			rc = engine_sop_activate(in.e, v, in.actor);
	}
out:
	sop_errors_free(&errs);
	sop_free(d);
	free(text);
	adm_close(&in);
	return rc ? cli_report(rc) : ret;
}
