/*
 * conf.c - see conf.h.  The table below is the only list of options.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/limits.h"
#include "../common/util.h"

enum ctype { C_STR, C_INT, C_ENUM, C_URL, C_HHMM, C_DAYS, C_DATES, C_OIDS };

struct option {
	const char *name;
	enum ctype type;
	const char *def;
	int64_t min, max;       /* C_INT bounds; C_STR max length */
	const char *choices;    /* C_ENUM: space-separated */
	const char *section;    /* heading in the example (first of a group) */
	const char *help;
};

static const struct option options[] = {
	{"instance.name", C_STR, "openams", 1, 128, NULL, "Instance",
	    "Name of this openams instance, shown in the portal and e-mails."},
	{"instance.org", C_STR, "kominfo", 1, 64, NULL, NULL,
	    "Identifier of the agency (organisation) this instance serves first; the\n"
	    "shipped SOPs are installed for it. Letters, digits, . _ @ - only."},
	{"store.backend", C_ENUM, "sqlite", 0, 0, "sqlite", "Store",
	    "Not read: kept so that older files still load.  store.path decides the\n"
	    "backend (docs/POSTGRESQL.md)."},
	{"store.path", C_STR, "openams.db", 1, OA_MAX_PATH, NULL, NULL,
	    "The database: an SQLite file, relative to the data directory, or a\n"
	    "PostgreSQL server as a postgresql:// URL or a libpq conninfo string\n"
	    "(host=... or dbname=...)."},
	{"ca.key_type", C_ENUM, "ec-p256", 0, 0, "ec-p256 ec-p384 rsa-2048 rsa-3072 rsa-4096",
	    "Certificate authority",
	    "Key type of the CA hierarchy created by `openams init`\n"
	    "(Indonesia's national chain is RSA; ec-p256 is faster and smaller)."},
	{"ca.key_passphrase_file", C_STR, "secrets/ca.pass", 0, OA_MAX_PATH, NULL, NULL,
	    "File holding the passphrase that encrypts the CA keys at rest, relative\n"
	    "to the data directory. Empty: read it from $OPENAMS_CA_PASSPHRASE.\n"
	    "`prompt`: the signer process asks on the terminal when it starts (and\n"
	    "again if it ever restarts), so no file or variable holds it."},
	{"signer.backend", C_ENUM, "file", 0, 0, "file pkcs11", NULL,
	    "Where the CA keys live: encrypted files in DIR/keys, or a PKCS#11 token\n"
	    "(an HSM, or SoftHSM2). Only the signer process ever opens them."},
	{"signer.user", C_STR, "nobody", 1, 32, NULL, NULL,
	    "When openams runs as root, the signer process drops to this user (after\n"
	    "reading the key files) and loses the network. `root` keeps root: only for a\n"
	    "PKCS#11 token whose files belong to root (SoftHSM2 set up by root)."},
	{"signer.processes", C_INT, "0", 0, OA_SIGNER_MAX_PROCESSES, NULL, NULL,
	    "How many signer processes `openams serve` runs, shared by its worker\n"
	    "threads, the committer and the scheduler; each serves one signing operation\n"
	    "at a time and starts on the first operation that falls to it. 0: one for\n"
	    "each of them that signs (at most web.threads + 2). Renewing the OCSP\n"
	    "responder starts one more for a moment. Other commands start one."},
	{"signer.pkcs11_module", C_STR, "/usr/lib/softhsm/libsofthsm2.so", 0, OA_MAX_PATH, NULL, NULL,
	    "pkcs11 backend: the PKCS#11 module (shared library) of the token."},
	{"signer.pkcs11_token", C_STR, "openams", 0, 32, NULL, NULL,
	    "pkcs11 backend: the label of the token holding the keys labelled\n"
	    "openams-root, openams-issuing and openams-ocsp."},
	{"signer.pkcs11_pin_file", C_STR, "", 0, OA_MAX_PATH, NULL, NULL,
	    "pkcs11 backend: file with the user PIN (relative to the data directory);\n"
	    "empty: $OPENAMS_PKCS11_PIN; `prompt`: asked on the terminal."},
	{"ca.organization", C_STR, "", 0, 64, NULL, NULL,
	    "Organisation (O) in the CA certificates' subjects. Empty: instance.name\n"
	    "(`openams init` records the name it used)."},
	{"ca.country", C_STR, "ID", 2, 2, NULL, NULL,
	    "Country (C) in every subject: ISO 3166 two-letter code."},
	{"ca.root_name", C_STR, "", 0, 64, NULL, NULL,
	    "Common name of the root CA (`openams init --root-cn`). Empty: one that\n"
	    "names this instance, \"<instance.org> Root CA <tag>\", the tag being the\n"
	    "first 4 octets of the SHA-256 of the root's public key, so that no two\n"
	    "instances' CAs share a name (a certificate store such as NSS tells CAs\n"
	    "apart by subject). `openams init` records the name it used."},
	{"ca.issuing_name", C_STR, "", 0, 64, NULL, NULL,
	    "Common name of the issuing CA (`openams init --issuing-cn`). Empty:\n"
	    "\"<instance.org> Issuing CA <tag>\", the same tag."},
	{"ca.ocsp_name", C_STR, "", 0, 64, NULL, NULL,
	    "Common name of the delegated OCSP responder. Empty: \"<instance.org> OCSP\n"
	    "Responder <tag>\", the same tag."},
	{"ca.root_validity_days", C_INT, "7300", 365, 10950, NULL, NULL,
	    "Validity of the root CA certificate, in days."},
	{"ca.issuing_validity_days", C_INT, "3650", 365, 7300, NULL, NULL,
	    "Validity of the issuing CA certificate, in days (inside the root's)."},
	{"ca.ocsp_validity_days", C_INT, "365", 1, 1095, NULL, NULL,
	    "Validity of the OCSP responder certificate (id-pkix-ocsp-nocheck makes\n"
	    "a short life wise)."},
	{"ca.ocsp_renew_days", C_INT, "30", 1, 365, NULL, NULL,
	    "The OCSP responder certificate is renewed (new key, new certificate from\n"
	    "the issuing CA) when fewer than this many days, or a quarter of its\n"
	    "lifetime if that is less, remain; `openams serve` checks every CRL pass,\n"
	    "`openams ca renew-ocsp` renews at once. /healthz warns inside that window."},
	{"ca.expiry_warning_days", C_INT, "180", 1, 3650, NULL, NULL,
	    "/healthz warns when the root or issuing CA certificate expires within\n"
	    "this many days (they are not renewed automatically)."},
	{"ca.crl_url", C_URL, "http://127.0.0.1:8080/pki/issuing.crl", 0, 512, NULL, NULL,
	    "CRL distribution point written into issued certificates."},
	{"ca.root_crl_url", C_URL, "http://127.0.0.1:8080/pki/root.crl", 0, 512, NULL, NULL,
	    "CRL distribution point written into the issuing CA certificate."},
	{"ca.ocsp_url", C_URL, "http://127.0.0.1:8080/ocsp", 0, 512, NULL, NULL,
	    "OCSP responder address (AIA id-ad-ocsp) in issued certificates."},
	{"ca.issuers_url", C_URL, "http://127.0.0.1:8080/pki/issuing.crt", 0, 512, NULL, NULL,
	    "Where the issuing CA certificate is published (AIA id-ad-caIssuers)."},
	{"ca.root_issuers_url", C_URL, "http://127.0.0.1:8080/pki/root.crt", 0, 512, NULL, NULL,
	    "Where the root CA certificate is published (AIA in the issuing CA)."},
	{"ca.tsa_policy", C_OIDS, "0.4.0.2023.1.1", 1, 1, NULL, NULL,
	    "The policy OID of the time-stamps the TSA issues (RFC 3161 TSTInfo.policy);\n"
	    "the default is ETSI EN 319 421's best-practices policy.  A request that\n"
	    "asks for another policy is rejected (unacceptedPolicy)."},
	{"ca.policies", C_OIDS, "", 0, 8, NULL, NULL,
	    "Certificate policy OIDs (dotted, separated by spaces, at most 8), e.g. the\n"
	    "national CA's: at init the issuing CA certificate asserts them and the root\n"
	    "anyPolicy; every end-entity certificate whose profile names no policy\n"
	    "asserts them.  Empty: no certificatePolicies (CA certificates are made at\n"
	    "init: set this before `openams init --config`)."},
	{"ca.cps_uri", C_URL, "", 0, 512, NULL, NULL,
	    "The certification practice statement's address, written as the CPS\n"
	    "qualifier of every policy above (and of a profile's)."},
	{"crl.validity_hours", C_INT, "24", 1, 24 * 31, NULL, "Revocation",
	    "nextUpdate of the issuing CA's CRL, in hours after thisUpdate."},
	{"crl.root_validity_days", C_INT, "365", 1, 3650, NULL, NULL,
	    "nextUpdate of the root CA's CRL, in days after thisUpdate."},
	{"crl.interval_minutes", C_INT, "60", 1, 24 * 60, NULL, NULL,
	    "The CRL is regenerated after every revocation and at least this often."},
	{"ocsp.validity_minutes", C_INT, "60", 1, 7 * 24 * 60, NULL, NULL,
	    "nextUpdate of OCSP responses, in minutes after thisUpdate."},
	{"profiles.dir", C_STR, "profiles", 1, OA_MAX_PATH, NULL, "Definitions",
	    "Directory of certificate profiles (YAML), relative to the data directory."},
	{"sop.dir", C_STR, "sop", 1, OA_MAX_PATH, NULL, NULL,
	    "Directory of SOP definitions (YAML), relative to the data directory."},
	{"policy.email_suffix", C_STR, ".go.id", 0, 64, NULL, "Policy",
	    "Applicants' e-mail addresses must end with this (empty: any domain)."},
	{"policy.one_active_per_nik", C_ENUM, "yes", 0, 0, "yes no", NULL,
	    "Refuse a new individual certificate while the person's NIK has an active one."},
	{"auth.argon2_memory_kib", C_INT, "65536", 8, 4194304, NULL, "Accounts and sign-in",
	    "Argon2id memory cost of password hashes, in KiB (RFC 9106 section 4:\n"
	    "64 MiB with 3 passes). Each hash records its own parameters: raising\n"
	    "them rehashes a password at its next successful sign-in. Values below\n"
	    "19456 (19 MiB, the OWASP floor) are for tests only."},
	{"auth.argon2_iterations", C_INT, "3", 1, 64, NULL, NULL,
	    "Argon2id time cost (passes over the memory)."},
	{"auth.argon2_parallelism", C_INT, "1", 1, 16, NULL, NULL,
	    "Argon2id lanes. 1 keeps one sign-in on one core of the server."},
	{"auth.password_min_length", C_INT, "12", 8, 128, NULL, NULL,
	    "Shortest password accepted, in characters. A password may not contain\n"
	    "the person's user name, NIK, NIP, e-mail or a word of their name."},
	{"auth.max_failures", C_INT, "5", 1, 100, NULL, NULL,
	    "Consecutive failed sign-ins (password or code) that lock an account."},
	{"auth.lockout_minutes", C_INT, "15", 1, 10080, NULL, NULL,
	    "How long a locked account refuses every sign-in, even a correct one."},
	{"auth.session_idle_minutes", C_INT, "30", 1, 1440, NULL, NULL,
	    "A session unused for this long ends."},
	{"auth.session_lifetime_hours", C_INT, "12", 1, 720, NULL, NULL,
	    "A session ends this long after sign-in, however much it is used."},
	{"auth.api_token_max_days", C_INT, "365", 1, 3650, NULL, NULL,
	    "Longest validity of an API token for integrations."},
	{"auth.link_ttl_hours", C_INT, "72", 1, 720, NULL, NULL,
	    "Default validity of one-time links (activation, identity form,\n"
	    "set passphrase, password reset) sent by e-mail."},
	{"auth.key_file", C_STR, "secrets/auth.key", 1, OA_MAX_PATH, NULL, NULL,
	    "Key that encrypts TOTP secrets in the database (AES-256-GCM), relative\n"
	    "to the data directory; created 0600 on first use. Back it up apart from\n"
	    "the database: without it enrolled authenticators must be enrolled again."},
	{"keys.argon2_memory_kib", C_INT, "131072", 8, 4194304, NULL, "Holder keys",
	    "Argon2id memory, in KiB, for sealing a holder's private key under their\n"
	    "passphrase (RFC 9106). Each unseal (one signature) takes this much memory\n"
	    "for its duration. Raise it as hardware allows: every key keeps the\n"
	    "parameters it was sealed with, and is re-sealed with the current ones\n"
	    "when its passphrase changes. 131072 (128 MiB) with 3 iterations and 2\n"
	    "lanes takes about 0.35 s on a 2-core server (bench/bench_keys.c)."},
	{"keys.argon2_iterations", C_INT, "3", 1, 100, NULL, NULL,
	    "Argon2id passes over the memory (t)."},
	{"keys.argon2_parallelism", C_INT, "2", 1, 16, NULL, NULL,
	    "Argon2id lanes (p), computed on that many threads; at most the cores\n"
	    "one signature may use."},
	{"keys.max_failures", C_INT, "5", 1, 100, NULL, NULL,
	    "Wrong passphrases after which a holder key locks for good. A success\n"
	    "resets the count. Only the passphrase-reset SOP (revoke and reissue with\n"
	    "a new key) replaces a locked key."},
	{"keys.passphrase_min_length", C_INT, "12", 8, 256, NULL, NULL,
	    "Minimum length of a holder passphrase, in characters. Passphrases are also\n"
	    "refused when only digits, with fewer than 5 different characters, or\n"
	    "containing the holder's name, NIK, NIP, e-mail or birth date."},
	{"esign.keep_seconds", C_INT, "3600", 60, 604800, NULL, "Signing API (esign)",
	    "How long a PDF signed through the v1 API (/api/sign/pdf) waits for its one\n"
	    "download (/api/sign/download/{id}) before it is deleted, in seconds. A\n"
	    "downloaded document is deleted at once; nothing signed is kept longer."},
	{"sla.utc_offset_minutes", C_INT, "420", -720, 840, NULL, "Service levels (mutu baku)",
	    "The agency's local time as minutes east of UTC: WIB 420, WITA 480, WIT 540.\n"
	    "Working hours and holidays below are in this local time."},
	{"sla.workday_start", C_HHMM, "08:00", 0, 0, NULL, NULL,
	    "Start of the working day (HH:MM), for standard times counted in working days."},
	{"sla.workday_end", C_HHMM, "16:00", 0, 0, NULL, NULL,
	    "End of the working day (HH:MM); one working day is end minus start."},
	{"sla.workdays", C_DAYS, "1 2 3 4 5", 0, 0, NULL, NULL,
	    "Working days of the week, 1 = Monday .. 7 = Sunday, separated by spaces."},
	{"sla.holidays", C_DATES, "", 0, 0, NULL, NULL,
	    "Public holidays (YYYY-MM-DD, separated by spaces or commas), not counted\n"
	    "as working days; e.g. 2026-12-25 2027-01-01."},
	{"sla.remind_minutes", C_INT, "240", 5, 7 * 24 * 60, NULL, NULL,
	    "An overdue step reminds the people holding its role by e-mail, then again\n"
	    "after this many minutes while it stays overdue."},
	{"sla.escalate_minutes", C_INT, "1440", 5, 30 * 24 * 60, NULL, NULL,
	    "A step overdue by this many minutes is escalated once to the holders of\n"
	    "sla.escalate_to in the organisation."},
	{"sla.escalate_to", C_STR, "kadis", 0, 64, NULL, NULL,
	    "The role escalations go to (the head of the office); empty: no escalation."},
	{"web.listen", C_STR, "127.0.0.1:8080", 3, 128, NULL, "Web server",
	    "Address and port `openams serve` listens on: IPv4 A.B.C.D:PORT or [IPv6]:PORT\n"
	    "(port 0: any free port, printed at start). --listen overrides it."},
	{"web.user", C_STR, "", 0, 32, NULL, NULL,
	    "When `openams serve` starts as root, the user it switches to (with that\n"
	    "user's group) before it opens anything else of the data directory; a small\n"
	    "launcher process it forks first stays root only to start the signer\n"
	    "processes, each of which drops to signer.user. So the CA keys (DIR/keys) and\n"
	    "the passphrase can belong to signer.user alone, out of the web server's\n"
	    "reach. Empty: no switch (started as root, the server stays root)."},
	{"web.threads", C_INT, "0", 0, OA_WEB_MAX_THREADS, NULL, NULL,
	    "Worker threads, each with its own database handle; 0: one per CPU core."},
	{"web.tls_cert", C_STR, "", 0, OA_MAX_PATH, NULL, NULL,
	    "TLS server certificate chain (PEM), relative to the data directory.\n"
	    "With web.tls_key set, the server speaks HTTPS only (GnuTLS)."},
	{"web.tls_key", C_STR, "", 0, OA_MAX_PATH, NULL, NULL,
	    "TLS server private key (PEM, unencrypted, mode 0600), relative to the data\n"
	    "directory. This is the web server's own key, never a CA key."},
	{"web.allow_plain_http", C_ENUM, "no", 0, 0, "yes no", NULL,
	    "Plain HTTP on an address other than loopback is refused unless this is yes\n"
	    "(e.g. behind a reverse proxy that terminates TLS on the same host)."},
	{"web.public_url", C_URL, "http://127.0.0.1:8080", 0, 512, NULL, NULL,
	    "The address people and clients reach this server at (links in pages and\n"
	    "e-mails)."},
	{"web.max_connections", C_INT, "1024", 16, 65536, NULL, NULL,
	    "Concurrent connections accepted in total."},
	{"web.max_connections_per_ip", C_INT, "64", 0, 65536, NULL, NULL,
	    "Concurrent connections from one IP address (0: no limit)."},
	{"web.timeout_seconds", C_INT, "15", 1, 600, NULL, NULL,
	    "A connection idle (or trickling nothing) this long is closed."},
	{"web.shutdown_grace_seconds", C_INT, "10", 1, 300, NULL, NULL,
	    "On SIGTERM or SIGINT: stop accepting, then wait at most this long for\n"
	    "requests in flight before closing the remaining connections."},
	{"web.public_certificates", C_ENUM, "no", 0, 0, "yes no", NULL,
	    "Serve issued certificates to anyone at /certificates/SERIAL.pem and .der.\n"
	    "They carry the holder's name, NIK and e-mail, and revoked serials are\n"
	    "listed on the public CRL, so the default is no (status lookups stay public)."},
	{"web.ocsp_cache_seconds", C_INT, "60", 0, 3600, NULL, NULL,
	    "Reuse a signed OCSP response for the same request at most this long (never\n"
	    "past its nextUpdate; any change to the database empties the cache). 0: off."},
	{"web.log_pki_every", C_INT, "100", 0, 1000000, NULL, NULL,
	    "The request log keeps one line in this many of the successful answers of the\n"
	    "public PKI routes (/ocsp, /pki/...), marked sampled=N; failures always, the\n"
	    "other routes always, /metrics counts every request. 1: every line. 0: none."},
	{"web.crl_check_seconds", C_INT, "30", 1, 3600, NULL, NULL,
	    "How often the server checks whether a CRL is due and publishes it."},
	{"mail.smtp_url", C_STR, "", 0, 512, NULL, "E-mail",
	    "SMTP server for outgoing e-mail: smtp://HOST:PORT (587 with STARTTLS, see\n"
	    "mail.starttls) or smtps://HOST:PORT (465, implicit TLS). No user name or\n"
	    "password in the URL: see mail.username. Empty: nothing is sent; messages stay\n"
	    "in the database (state kept), readable with `openams mail list` and\n"
	    "`openams mail show ID` (the demo instance)."},
	{"mail.from", C_STR, "noreply@openams.invalid", 3, OA_MAX_EMAIL_CHARS, NULL, NULL,
	    "Sender address (From and the SMTP envelope); instance.name is its display name."},
	{"mail.username", C_STR, "", 0, 128, NULL, NULL,
	    "User name for SMTP authentication (empty: no authentication)."},
	{"mail.password_file", C_STR, "", 0, OA_MAX_PATH, NULL, NULL,
	    "Absolute path of a file (mode 0600, not readable by others) holding the SMTP\n"
	    "password on its first line. Empty: the environment variable\n"
	    "OPENAMS_MAIL_PASSWORD, if set. The password is never stored or logged."},
	{"mail.starttls", C_ENUM, "yes", 0, 0, "yes no", NULL,
	    "With an smtp:// URL, require STARTTLS before anything is sent. no sends in\n"
	    "clear text: only for a server on the same host. smtps:// is always TLS."},
	{"mail.ca_file", C_STR, "", 0, OA_MAX_PATH, NULL, NULL,
	    "Absolute path of the CA certificates (PEM) that verify the SMTP server's\n"
	    "certificate, for an agency's internal CA. Empty: the system's trust store."},
	{"mail.max_attempts", C_INT, "10", 1, 100, NULL, NULL,
	    "Delivery attempts before a message is marked failed (an administrator can\n"
	    "queue it again with `openams mail retry ID`). A permanent refusal (5xx) by\n"
	    "the server fails it at once."},
	{"mail.backoff_seconds", C_INT, "60", 1, 86400, NULL, NULL,
	    "Wait after the first failed attempt; doubled after each further failure,\n"
	    "with random jitter (between half and all of it)."},
	{"mail.backoff_max_seconds", C_INT, "3600", 1, 7 * 86400, NULL, NULL,
	    "Longest wait between two attempts."},
	{"mail.timeout_seconds", C_INT, "30", 1, 600, NULL, NULL,
	    "Longest time for one message (connect, TLS, authentication and transfer)."},
};

#define NOPTIONS (sizeof options / sizeof options[0])

struct conf {
	char *val[NOPTIONS];
};

static int find(const char *key)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, key) == 0)
			return (int)i;
	return -1;
}

conf *conf_new(void)
{
	conf *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < NOPTIONS; i++)
		if ((c->val[i] = strdup(options[i].def)) == NULL) {
			conf_free(c);
			return NULL;
		}
	return c;
}

void conf_free(conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < NOPTIONS; i++)
		free(c->val[i]);
	free(c);
}

static int in_choices(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (*p) {
		size_t w = strcspn(p, " ");
		if (w == n && strncmp(p, v, n) == 0)
			return 1;
		p += w;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/*
 * The next dotted OID of a C_OIDS value (separated by spaces or commas)
 * copied into out (CONF_OID_MAX bytes, cut if longer); *bad is set when it is
 * not one (2 or more arcs of digits, the first 0, 1 or 2).  Returns where the
 * rest starts, or NULL at the end.
 */
static const char *oid_next(const char *p, char out[CONF_OID_MAX], int *bad)
{
	size_t l, dots = 0;
	int ok;

	while (*p == ' ' || *p == ',')
		p++;
	if ((l = strcspn(p, " ,")) == 0)
		return NULL;
	snprintf(out, CONF_OID_MAX, "%.*s", (int)l, p);
	ok = l < CONF_OID_MAX && (p[0] == '0' || p[0] == '1' || p[0] == '2') && l > 1 &&
	    p[1] == '.';
	for (size_t i = 0; ok && i < l; i++) {
		if (p[i] == '.') {
			ok = i + 1 < l && p[i + 1] != '.';
			dots++;
		} else
			ok = isdigit((unsigned char)p[i]);
	}
	*bad = !ok || dots < 1;
	return p + l;
}

int conf_oids(const conf *c, const char *key, char (*out)[CONF_OID_MAX], int max)
{
	const char *p = conf_str(c, key);
	char oid[CONF_OID_MAX];
	int n = 0, bad = 0;

	while (n < max && (p = oid_next(p, oid, &bad)) != NULL)
		if (!bad)
			memcpy(out[n++], oid, CONF_OID_MAX);
	return n;
}

static oa_err check_value(const struct option *o, const char *v)
{
	char *end;
	long long n;

	if (!oa_is_clean_utf8(v))
		return oa_fail(OA_ERR_CONFIG, "%s: value has control characters or bad UTF-8",
		    o->name);
	switch (o->type) {
	case C_INT:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno || end == v || *end)
			return oa_fail(OA_ERR_CONFIG, "%s: '%s' is not a whole number", o->name, v);
		if (n < o->min || n > o->max)
			return oa_fail(OA_ERR_CONFIG, "%s: %lld is outside %lld..%lld", o->name, n,
			    (long long)o->min, (long long)o->max);
		break;
	case C_ENUM:
		if (!in_choices(o->choices, v))
			return oa_fail(OA_ERR_CONFIG, "%s: '%s' is not one of: %s", o->name, v,
			    o->choices);
		break;
	case C_URL:
		if ((int64_t)strlen(v) > o->max)
			return oa_fail(OA_ERR_CONFIG, "%s: longer than %lld characters", o->name,
			    (long long)o->max);
		if (*v && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
			return oa_fail(OA_ERR_CONFIG, "%s: '%s' must start with http:// or https://",
			    o->name, v);
		if (strpbrk(v, " \"<>\\^`{|}") != NULL)
			return oa_fail(OA_ERR_CONFIG, "%s: '%s' has characters not allowed in a URL",
			    o->name, v);
		break;
	case C_OIDS: {
		char oid[CONF_OID_MAX];
		int noid = 0, bad = 0;
		for (const char *p = v; (p = oid_next(p, oid, &bad)) != NULL;) {
			if (bad)
				return oa_fail(OA_ERR_CONFIG, "%s: '%.80s' is not a dotted OID", o->name, oid);
			if (++noid > o->max)
				return oa_fail(OA_ERR_CONFIG, "%s: at most %lld OIDs", o->name,
				    (long long)o->max);
		}
		if (noid < o->min)
			return oa_fail(OA_ERR_CONFIG, "%s: at least %lld dotted OID%s", o->name,
			    (long long)o->min, o->min == 1 ? "" : "s");
		break;
	}
	case C_HHMM:
		if (strlen(v) != 5 || v[2] != ':' || !isdigit((unsigned char)v[0]) ||
		    !isdigit((unsigned char)v[1]) || !isdigit((unsigned char)v[3]) ||
		    !isdigit((unsigned char)v[4]) || atoi(v) > 23 || atoi(v + 3) > 59)
			return oa_fail(OA_ERR_CONFIG, "%s: '%s' is not a time of day HH:MM", o->name, v);
		break;
	case C_DAYS:
		for (const char *p = v; *p; p++)
			if (!(*p == ' ' || (*p >= '1' && *p <= '7')))
				return oa_fail(OA_ERR_CONFIG, "%s: '%s' must list days 1 (Monday) to 7 (Sunday)",
				    o->name, v);
		break;
	case C_DATES: {
		const char *p = v;
		if (strlen(v) > 4096)
			return oa_fail(OA_ERR_CONFIG, "%s: too long", o->name);
		while (*p) {
			char d[16];
			size_t w;
			int64_t t;
			p += strspn(p, " ,");
			w = strcspn(p, " ,");
			if (w == 0)
				break;
			if (w != 10)
				return oa_fail(OA_ERR_CONFIG, "%s: '%.*s' is not a date YYYY-MM-DD", o->name,
				    (int)w, p);
			memcpy(d, p, w);
			d[w] = 0;
			if (oa_time_parse(d, &t) != OA_OK)
				return oa_fail(OA_ERR_CONFIG, "%s: '%s' is not a date YYYY-MM-DD", o->name, d);
			p += w;
		}
		break;
	}
	case C_STR:
		if ((int64_t)oa_utf8_chars(v) < o->min || (int64_t)oa_utf8_chars(v) > o->max)
			return oa_fail(OA_ERR_CONFIG, "%s: length must be %lld..%lld characters",
			    o->name, (long long)o->min, (long long)o->max);
		break;
	}
	return OA_OK;
}

oa_err conf_set(conf *c, const char *key, const char *value)
{
	int i = find(key);
	char *d;
	oa_err rc;

	if (i < 0)
		return oa_fail(OA_ERR_CONFIG, "unknown option '%s'", key);
	if ((rc = check_value(&options[i], value)))
		return rc;
	if ((d = strdup(value)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	free(c->val[i]);
	c->val[i] = d;
	return OA_OK;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

oa_err conf_parse(conf *c, const char *name, const char *text)
{
	const char *p = text;
	int lineno = 0;

	while (*p) {
		char line[OA_MAX_CONFIG_LINE + 2];
		size_t n = strcspn(p, "\n");
		char *k, *v, *eq;

		lineno++;
		if (n > OA_MAX_CONFIG_LINE)
			return oa_fail(OA_ERR_CONFIG, "%s:%d: line longer than %d bytes", name, lineno,
			    OA_MAX_CONFIG_LINE);
		memcpy(line, p, n);
		line[n] = 0;
		p += n;
		if (*p == '\n')
			p++;
		k = trim(line);
		if (*k == 0 || *k == '#')
			continue;
		if ((eq = strchr(k, '=')) == NULL)
			return oa_fail(OA_ERR_CONFIG, "%s:%d: expected 'key = value'", name, lineno);
		*eq = 0;
		k = trim(k);
		v = trim(eq + 1);
		if (*v == '"') {
			size_t vl = strlen(v);
			if (vl < 2 || v[vl - 1] != '"')
				return oa_fail(OA_ERR_CONFIG, "%s:%d: unterminated quoted value", name,
				    lineno);
			v[vl - 1] = 0;
			v++;
		}
		if (conf_set(c, k, v) != OA_OK)
			return oa_fail(OA_ERR_CONFIG, "%s:%d: %s", name, lineno, oa_errmsg());
	}
	return OA_OK;
}

oa_err conf_load(conf *c, const char *path)
{
	uint8_t *text;
	size_t len;
	oa_err rc;

	if ((rc = oa_read_file(path, OA_MAX_CONFIG_BYTES, &text, &len)))
		return oa_fail(OA_ERR_CONFIG, "%s", oa_errmsg());
	if (memchr(text, 0, len) != NULL)
		rc = oa_fail(OA_ERR_CONFIG, "%s: contains a NUL byte", path);
	else
		rc = conf_parse(c, path, (const char *)text);
	free(text);
	return rc;
}

oa_err conf_load_instance(const char *dir, conf **out)
{
	char path[OA_MAX_PATH];
	conf *c;
	oa_err rc;

	*out = NULL;
	if ((rc = oa_path_join(path, sizeof path, dir, "openams.conf")))
		return rc;
	if ((c = conf_new()) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if ((rc = conf_load(c, path))) {
		if (rc == OA_ERR_CONFIG && strstr(oa_errmsg(), "No such file"))
			rc = oa_fail(OA_ERR_NOTFOUND, "%s: no openams instance here (run openams init --dir %s)",
			    dir, dir);
		conf_free(c);
		return rc;
	}
	*out = c;
	return OA_OK;
}

static int must_find(const char *key)
{
	int i = find(key);

	if (i < 0) {
		fprintf(stderr, "openams: bug: unknown configuration key %s\n", key);
		abort();
	}
	return i;
}

const char *conf_str(const conf *c, const char *key)
{
	return c->val[must_find(key)];
}

int64_t conf_int(const conf *c, const char *key)
{
	return strtoll(c->val[must_find(key)], NULL, 10);
}

static int needs_quotes(const char *v)
{
	size_t n = strlen(v);
	return n == 0 || v[0] == ' ' || v[n - 1] == ' ' || v[0] == '"';
}

void conf_dump(const conf *c, FILE *out)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		fprintf(out, needs_quotes(c->val[i]) ? "%s = \"%s\"\n" : "%s = %s\n",
		    options[i].name, c->val[i]);
}

void conf_write_example(const conf *c, FILE *out)
{
	fputs("# openams.conf - configuration of one openams instance.\n"
	      "#\n"
	      "# One `key = value` per line; lines starting with # are comments.\n"
	      "# Quote a value (\"...\") to keep leading or trailing spaces.\n"
	      "# Every option is listed with its default; unknown keys are refused.\n"
	      "# Check a file without starting anything: openams config check --dir DIR\n",
	    out);
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct option *o = &options[i];
		const char *h = o->help;

		if (o->section)
			fprintf(out, "\n# ---- %s ----\n", o->section);
		fputs("\n", out);
		while (*h) {
			size_t n = strcspn(h, "\n");
			fprintf(out, "# %.*s\n", (int)n, h);
			h += n;
			if (*h)
				h++;
		}
		if (o->type == C_INT)
			fprintf(out, "# (whole number, %lld..%lld)\n", (long long)o->min,
			    (long long)o->max);
		else if (o->type == C_ENUM)
			fprintf(out, "# (one of: %s)\n", o->choices);
		else if (o->type == C_HHMM)
			fputs("# (HH:MM)\n", out);
		fprintf(out, needs_quotes(c->val[i]) ? "%s = \"%s\"\n" : "%s = %s\n", o->name,
		    c->val[i]);
	}
}
