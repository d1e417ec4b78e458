/*
 * render.c - the templates and the MIME rendering of one message.
 *
 * Responsible for turning a mail_msg into the exact bytes the outbox stores
 * and sends: RFC 5322 headers (RFC 2047 encoded words for non-ASCII text),
 * a MIME multipart/alternative body (RFC 2046 section 5.1.4) with a
 * text/plain and a text/html part, both UTF-8 and quoted-printable
 * (RFC 2045 section 6.7).  It must never let a caller's value become a
 * header line (CR, LF and every other control character are refused before
 * anything is rendered) nor markup (every value is escaped in the HTML part).
 *
 * The templates are a table in C rather than files copied at init: a
 * message is rendered inside the transaction of the state change that
 * causes it, so a missing or broken template file would roll back an
 * applicant's case step; compiled in, every template is present, and the
 * unit tests render each of them in both languages.  Wording changes are a
 * code change, reviewed like one.
 *
 * Template syntax: {var} is replaced by a value.  A line naming an optional
 * variable that is empty is left out.  Paragraphs are separated by a blank
 * line; in the HTML part each becomes a <p>, its lines joined by <br>, and
 * {link} becomes an anchor.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "mailInt.h"

static const char *const event_names[MAIL_EVENT__MAX] = {
	"activation", "identity_form", "account", "set_passphrase", "cert_issued",
	"cert_revoked", "file_incomplete", "sla_reminder", "sla_escalation", "notice",
};

const char *mail_event_name(mail_event e)
{
	return (unsigned)e < MAIL_EVENT__MAX ? event_names[e] : NULL;
}

int mail_event_parse(const char *s)
{
	for (int i = 0; s != NULL && i < MAIL_EVENT__MAX; i++)
		if (strcmp(s, event_names[i]) == 0)
			return i;
	return -1;
}

/* Variables an event requires. */
enum {
	V_TOKEN = 1 << 0, V_USERNAME = 1 << 1, V_SERIAL = 1 << 2, V_REASON = 1 << 3,
	V_CASE = 1 << 4, V_STEP = 1 << 5, V_DUE = 1 << 6, V_SUBJECT = 1 << 7, V_TEXT = 1 << 8,
};

static const unsigned required[MAIL_EVENT__MAX] = {
	[MAIL_ACTIVATION] = V_TOKEN,
	[MAIL_IDENTITY_FORM] = V_TOKEN,
	[MAIL_ACCOUNT] = V_USERNAME,
	[MAIL_SET_PASSPHRASE] = V_TOKEN,
	[MAIL_CERT_ISSUED] = V_SERIAL,
	[MAIL_CERT_REVOKED] = V_SERIAL | V_REASON,
	[MAIL_FILE_INCOMPLETE] = V_CASE | V_STEP,
	[MAIL_SLA_REMINDER] = V_CASE | V_STEP | V_DUE,
	[MAIL_SLA_ESCALATION] = V_CASE | V_STEP | V_DUE,
	[MAIL_NOTICE] = V_SUBJECT | V_TEXT,
};

struct tmpl {
	const char *subject;
	const char *body;
};

/* [event][0] Indonesian, [event][1] English. */
static const struct tmpl templates[MAIL_EVENT__MAX][2] = {
	[MAIL_ACTIVATION] = {
	    {"Aktivasi akun {instance}",
	     "Yth. {name},\n\n"
	     "Berkas permohonan sertifikat elektronik Anda telah diverifikasi dan dinyatakan\n"
	     "lengkap, dan akun Anda telah didaftarkan.\n\n"
	     "Aktifkan akun Anda melalui tautan berikut:\n{link}\n\n"
	     "Tautan ini hanya dapat digunakan satu kali dan berlaku terbatas. Jika Anda tidak\n"
	     "mengajukan permohonan ini, abaikan e-mail ini.\n"
	     "Tautan berlaku sampai {due}."},
	    {"Activate your {instance} account",
	     "Dear {name},\n\n"
	     "Your application for an electronic certificate has been verified and is\n"
	     "complete, and your account has been registered.\n\n"
	     "Activate your account with this link:\n{link}\n\n"
	     "The link works once and expires. If you did not apply, ignore this e-mail.\n"
	     "The link is valid until {due}."}},
	[MAIL_IDENTITY_FORM] = {
	    {"Lengkapi data diri untuk sertifikat elektronik",
	     "Yth. {name},\n\n"
	     "Silakan lengkapi data pribadi, data kepegawaian, dan pasfoto Anda melalui\n"
	     "tautan berikut:\n{link}\n\n"
	     "Tautan ini hanya dapat digunakan satu kali dan berlaku terbatas.\n"
	     "Tautan berlaku sampai {due}."},
	    {"Complete your details for the electronic certificate",
	     "Dear {name},\n\n"
	     "Please fill in your personal data, employment data and photo with this link:\n"
	     "{link}\n\n"
	     "The link works once and expires.\n"
	     "The link is valid until {due}."}},
	[MAIL_ACCOUNT] = {
	    {"Informasi akun {instance}",
	     "Yth. {name},\n\n"
	     "Data Anda telah disetujui. Akun Anda di {instance}:\n\n"
	     "Nama pengguna: {username}\n"
	     "Alamat masuk: {link}\n\n"
	     "Kata sandi tidak pernah dikirim melalui e-mail: gunakan kata sandi yang Anda\n"
	     "buat saat aktivasi akun."},
	    {"Your {instance} account",
	     "Dear {name},\n\n"
	     "Your details have been approved. Your account at {instance}:\n\n"
	     "User name: {username}\n"
	     "Sign in at: {link}\n\n"
	     "Passwords are never sent by e-mail: use the password you chose when you\n"
	     "activated your account."}},
	[MAIL_SET_PASSPHRASE] = {
	    {"Atur passphrase sertifikat elektronik Anda",
	     "Yth. {name},\n\n"
	     "Langkah berikutnya adalah mengatur passphrase yang melindungi kunci privat\n"
	     "sertifikat elektronik Anda. Atur passphrase melalui tautan berikut:\n{link}\n\n"
	     "Hanya Anda yang boleh mengetahui passphrase tersebut; jangan memberitahukannya\n"
	     "kepada siapa pun, termasuk petugas. Tautan ini hanya dapat digunakan satu kali\n"
	     "dan berlaku terbatas.\n"
	     "Tautan berlaku sampai {due}."},
	    {"Set the passphrase of your electronic certificate",
	     "Dear {name},\n\n"
	     "The next step is to set the passphrase that protects the private key of your\n"
	     "electronic certificate. Set it with this link:\n{link}\n\n"
	     "Only you may know the passphrase: never tell it to anyone, staff included.\n"
	     "The link works once and expires.\n"
	     "The link is valid until {due}."}},
	[MAIL_CERT_ISSUED] = {
	    {"Sertifikat elektronik Anda telah terbit",
	     "Yth. {name},\n\n"
	     "Sertifikat elektronik Anda telah diterbitkan dan dapat digunakan untuk tanda\n"
	     "tangan elektronik bersama passphrase Anda.\n\n"
	     "Nomor seri: {serial}\n"
	     "Status: {link}"},
	    {"Your electronic certificate has been issued",
	     "Dear {name},\n\n"
	     "Your electronic certificate has been issued. You can now sign documents\n"
	     "electronically with it and your passphrase.\n\n"
	     "Serial number: {serial}\n"
	     "Status: {link}"}},
	[MAIL_CERT_REVOKED] = {
	    {"Sertifikat elektronik Anda telah dicabut",
	     "Yth. {name},\n\n"
	     "Sertifikat elektronik Anda telah dicabut dan tidak dapat digunakan lagi untuk\n"
	     "tanda tangan elektronik.\n\n"
	     "Nomor seri: {serial}\n"
	     "Alasan: {reason}\n"
	     "Waktu pencabutan: {time}\n"
	     "Status: {link}\n\n"
	     "Jika Anda tidak mengajukan pencabutan ini, segera hubungi verifikator instansi\n"
	     "Anda."},
	    {"Your electronic certificate has been revoked",
	     "Dear {name},\n\n"
	     "Your electronic certificate has been revoked and can no longer be used to\n"
	     "sign.\n\n"
	     "Serial number: {serial}\n"
	     "Reason: {reason}\n"
	     "Revoked at: {time}\n"
	     "Status: {link}\n\n"
	     "If you did not ask for this revocation, contact your agency's verifier now."}},
	[MAIL_FILE_INCOMPLETE] = {
	    {"Berkas permohonan nomor {case} perlu dilengkapi",
	     "Yth. {name},\n\n"
	     "Berkas permohonan Anda nomor {case} belum lengkap pada tahap {step}.\n\n"
	     "Keterangan: {reason}\n\n"
	     "Silakan lengkapi berkas melalui tautan berikut:\n{link}"},
	    {"Application {case}: your file is incomplete",
	     "Dear {name},\n\n"
	     "Your application {case} is incomplete at step {step}.\n\n"
	     "Note: {reason}\n\n"
	     "Please complete your file here:\n{link}"}},
	[MAIL_SLA_REMINDER] = {
	    {"Pengingat: permohonan nomor {case} menunggu tindakan Anda",
	     "Yth. {name},\n\n"
	     "Permohonan nomor {case} menunggu tindakan Anda pada tahap {step}.\n"
	     "Batas waktu (mutu baku): {due}.\n\n"
	     "Buka permohonan:\n{link}"},
	    {"Reminder: application {case} is waiting for you",
	     "Dear {name},\n\n"
	     "Application {case} is waiting for you at step {step}.\n"
	     "Due (quality standard): {due}.\n\n"
	     "Open the application:\n{link}"}},
	[MAIL_SLA_ESCALATION] = {
	    {"Eskalasi: permohonan nomor {case} melewati batas waktu",
	     "Yth. {name},\n\n"
	     "Permohonan nomor {case} telah melewati batas waktu (mutu baku) pada tahap\n"
	     "{step}, yang jatuh pada {due}.\n\n"
	     "Buka permohonan:\n{link}"},
	    {"Escalation: application {case} is overdue",
	     "Dear {name},\n\n"
	     "Application {case} is past its standard time (quality standard) at step\n"
	     "{step}, which was due {due}.\n\n"
	     "Open the application:\n{link}"}},
	[MAIL_NOTICE] = {
	    {"{subject}", "Yth. {name},\n\n{text}\n\n{link}"},
	    {"{subject}", "Dear {name},\n\n{text}\n\n{link}"}},
};

static const char *const footer[2] = {
	"{instance}\nE-mail ini dikirim otomatis; mohon tidak membalas.",
	"{instance}\nThis e-mail was sent automatically; please do not reply.",
};

const char *mail_lang(const mail_msg *m)
{
	if (m->lang == NULL || *m->lang == 0 || strcmp(m->lang, "id") == 0)
		return "id";
	if (strcmp(m->lang, "en") == 0)
		return "en";
	return NULL;
}

/* ---- Checks ---- */

int mail_addr_ok(const char *a)
{
	const char *at = strrchr(a, '@'), *p;
	size_t n = strlen(a);

	if (at == NULL || at == a || n > OA_MAX_EMAIL_CHARS || at - a > 64)
		return 0;
	/* local part: dot-atom (RFC 5322 section 3.2.3) */
	if (a[0] == '.' || at[-1] == '.')
		return 0;
	for (p = a; p < at; p++) {
		if (*p == '.' && p[1] == '.')
			return 0;
		if (!isalnum((unsigned char)*p) && !strchr(".!#$%&'*+/=?^_`{|}~-", *p))
			return 0;
	}
	/* domain: LDH labels, at least two */
	p = at + 1;
	if (strchr(p, '.') == NULL)
		return 0;
	while (*p) {
		size_t w = strcspn(p, ".");
		if (w == 0 || w > 63 || p[0] == '-' || p[w - 1] == '-')
			return 0;
		for (size_t i = 0; i < w; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '-')
				return 0;
		p += w;
		if (*p == '.' && *++p == 0)
			return 0;
	}
	return 1;
}

/* A value that may end up in a header: the injection check comes first so
 * that its message is explicit. */
static oa_err check_header_value(const char *what, const char *v, size_t max)
{
	if (v == NULL)
		return OA_OK;
	if (strpbrk(v, "\r\n") != NULL)
		return oa_fail(OA_ERR_INVALID, "mail: %s contains a line break (header injection refused)",
		    what);
	if (!oa_is_clean_utf8(v))
		return oa_fail(OA_ERR_INVALID, "mail: %s has control characters or bad UTF-8", what);
	if (strlen(v) > max)
		return oa_fail(OA_ERR_LIMIT, "mail: %s longer than %zu bytes", what, max);
	return OA_OK;
}

static int token_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > MAIL_MAX_TOKEN)
		return 0;
	for (; *t; t++)
		if (!isalnum((unsigned char)*t) && *t != '-' && *t != '_')
			return 0;
	return 1;
}

static int id_ok(const char *t, size_t max)
{
	size_t n = strlen(t);

	if (n == 0 || n > max)
		return 0;
	for (; *t; t++)
		if (!islower((unsigned char)*t) && !isdigit((unsigned char)*t) && !strchr("._-", *t))
			return 0;
	return 1;
}

static int path_ok(const char *p)
{
	if (p[0] != '/' || strlen(p) > 256)
		return 0;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/-._~?=&%+", *p))
			return 0;
	return 1;
}

static int serial_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 40)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int empty(const char *s)
{
	return s == NULL || *s == 0;
}

oa_err mail_check(const conf *cfg, const mail_msg *m)
{
	unsigned req;
	oa_err rc;

	if ((unsigned)m->event >= MAIL_EVENT__MAX)
		return oa_fail(OA_ERR_INVALID, "mail: unknown event %d", (int)m->event);
	req = required[m->event];
	if (mail_lang(m) == NULL)
		return oa_fail(OA_ERR_INVALID, "mail: language must be id or en");
	/* Header values first: name, address, subject. */
	if ((rc = check_header_value("recipient name", m->to_name, 4 * MAIL_MAX_NAME)))
		return rc;
	if (m->to_name != NULL && oa_utf8_chars(m->to_name) > MAIL_MAX_NAME)
		return oa_fail(OA_ERR_LIMIT, "mail: recipient name longer than %d characters",
		    MAIL_MAX_NAME);
	if (empty(m->to_addr))
		return oa_fail(OA_ERR_INVALID, "mail: no recipient address");
	if ((rc = check_header_value("recipient address", m->to_addr, OA_MAX_EMAIL_CHARS)))
		return rc;
	if (!mail_addr_ok(m->to_addr))
		return oa_fail(OA_ERR_INVALID, "mail: '%s' is not an e-mail address we accept",
		    m->to_addr);
	if ((rc = check_header_value("subject", m->subject, MAIL_MAX_VAR)) ||
	    (rc = check_header_value("step", m->step, MAIL_MAX_VAR)) ||
	    (rc = check_header_value("reason", m->reason, MAIL_MAX_VAR)) ||
	    (rc = check_header_value("user name", m->username, MAIL_MAX_VAR)) ||
	    (rc = check_header_value("actor", m->actor, 64)))
		return rc;
	if (m->text != NULL) {
		if (strlen(m->text) > MAIL_MAX_TEXT)
			return oa_fail(OA_ERR_LIMIT, "mail: text longer than %d bytes", MAIL_MAX_TEXT);
		for (const char *p = m->text; *p; p++)
			if (*p == '\r')
				return oa_fail(OA_ERR_INVALID, "mail: text contains a carriage return");
		if (!oa_is_clean_utf8(m->text)) {
			/* lines and tabs are allowed in the text: check without them */
			char *t = oa_strdup(m->text);
			int ok;
			if (t == NULL)
				return OA_ERR_NOMEM;
			for (char *p = t; *p; p++)
				if (*p == '\n' || *p == '\t')
					*p = ' ';
			ok = oa_is_clean_utf8(t);
			free(t);
			if (!ok)
				return oa_fail(OA_ERR_INVALID, "mail: text has control characters or bad UTF-8");
		}
	}
	if (m->token != NULL && !token_ok(m->token))
		return oa_fail(OA_ERR_INVALID, "mail: the link token is not base64url of at most %d bytes",
		    MAIL_MAX_TOKEN);
	if (m->person != NULL && !id_ok(m->person, 64))
		return oa_fail(OA_ERR_INVALID, "mail: bad person id");
	if (m->serial != NULL && !serial_ok(m->serial))
		return oa_fail(OA_ERR_INVALID, "mail: a serial is 2 to 40 hexadecimal digits");
	if (m->path != NULL && !path_ok(m->path))
		return oa_fail(OA_ERR_INVALID, "mail: a link path starts with / and has URL-safe characters");
	if (m->case_id < 0)
		return oa_fail(OA_ERR_INVALID, "mail: bad case id");
	if (((req & V_TOKEN) && empty(m->token)) || ((req & V_USERNAME) && empty(m->username)) ||
	    ((req & V_SERIAL) && empty(m->serial)) || ((req & V_REASON) && empty(m->reason)) ||
	    ((req & V_CASE) && m->case_id == 0) || ((req & V_STEP) && empty(m->step)) ||
	    ((req & V_DUE) && m->due_at <= 0) || ((req & V_SUBJECT) && empty(m->subject)) ||
	    ((req & V_TEXT) && empty(m->text)))
		return oa_fail(OA_ERR_INVALID, "mail: a %s message needs%s%s%s%s%s%s%s%s%s",
		    event_names[m->event], req & V_TOKEN ? " a link token" : "",
		    req & V_USERNAME ? " a user name" : "", req & V_SERIAL ? " a serial" : "",
		    req & V_REASON ? " a reason" : "", req & V_CASE ? " a case" : "",
		    req & V_STEP ? " a step" : "", req & V_DUE ? " a due time" : "",
		    req & V_SUBJECT ? " a subject" : "", req & V_TEXT ? " a text" : "");
	/* The configuration the message is built from. */
	if (!mail_addr_ok(conf_str(cfg, "mail.from")))
		return oa_fail(OA_ERR_CONFIG, "mail.from: '%s' is not an e-mail address we accept",
		    conf_str(cfg, "mail.from"));
	if ((rc = check_header_value("instance.name", conf_str(cfg, "instance.name"), 512)))
		return oa_fail(OA_ERR_CONFIG, "%s", oa_errmsg());
	return OA_OK;
}

/* ---- Encoders ---- */

static oa_err html_escape(oa_buf *b, const char *s, int br)
{
	oa_err rc = OA_OK;

	for (; *s && rc == OA_OK; s++) {
		switch (*s) {
		case '&': rc = oa_buf_append(b, "&amp;", 5); break;
		case '<': rc = oa_buf_append(b, "&lt;", 4); break;
		case '>': rc = oa_buf_append(b, "&gt;", 4); break;
		case '"': rc = oa_buf_append(b, "&quot;", 6); break;
		case '\'': rc = oa_buf_append(b, "&#39;", 5); break;
		case '\n': rc = br ? oa_buf_append(b, "<br>\n", 5) : oa_buf_append(b, "\n", 1); break;
		default: rc = oa_buf_append(b, s, 1);
		}
	}
	return rc;
}

/*
 * Quoted-printable (RFC 2045 section 6.7): LF in the input is a hard line
 * break (CRLF); lines are kept to 76 characters with soft breaks; '=',
 * non-ASCII, trailing white space and a leading '.' are encoded.
 */
static oa_err qp_encode(oa_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	oa_err rc = OA_OK;

	for (size_t i = 0; i < n && rc == OA_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		char enc[4];
		size_t w;
		int at_eol = i + 1 == n || s[i + 1] == '\n';

		if (c == '\n') {
			rc = oa_buf_append(b, "\r\n", 2);
			col = 0;
			continue;
		}
		if ((c >= 33 && c <= 126 && c != '=' && !(c == '.' && col == 0)) ||
		    ((c == ' ' || c == '\t') && !at_eol)) {
			enc[0] = (char)c;
			w = 1;
		} else {
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			w = 3;
		}
		/* room for the soft break '=' unless this ends the line */
		if (col + w > (at_eol ? 76u : 75u)) {
			if ((rc = oa_buf_append(b, "=\r\n", 3)))
				break;
			col = 0;
			if (enc[0] == '.') {
				enc[0] = '=';
				enc[1] = '2';
				enc[2] = 'E';
				w = 3;
			}
		}
		rc = oa_buf_append(b, enc, w);
		col += w;
	}
	return rc;
}

oa_err mail_qp_decode(oa_buf *out, const char *p, size_t n)
{
	oa_err rc = OA_OK;

	for (size_t i = 0; i < n && rc == OA_OK; i++) {
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
			rc = oa_buf_append(out, "\n", 1);
			i++;
		} else if (p[i] == '=' && i + 1 < n && p[i + 1] == '\r') {
			i += (i + 2 < n && p[i + 2] == '\n') ? 2 : 1; /* soft break */
		} else if (p[i] == '=' && i + 2 < n && isxdigit((unsigned char)p[i + 1]) &&
		           isxdigit((unsigned char)p[i + 2])) {
			char h[3] = {p[i + 1], p[i + 2], 0};
			char c = (char)strtol(h, NULL, 16);
			rc = oa_buf_append(out, &c, 1);
			i += 2;
		} else {
			rc = oa_buf_append(out, p + i, 1);
		}
	}
	return rc;
}

static int is_ascii_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || (unsigned char)*s > 126)
			return 0;
	return 1;
}

/* Length of the UTF-8 sequence starting with byte c (the input is valid). */
static size_t u8len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/*
 * RFC 2047 encoded words ("=?UTF-8?B?...?="), at most 45 bytes of text
 * each (75 characters encoded, section 2), never splitting a character,
 * separated by a folding CRLF SP.
 */
static oa_err encode_words(oa_buf *b, const char *s)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), i = 0;
	oa_err rc = OA_OK;

	while (i < n && rc == OA_OK) {
		size_t take = 0;
		while (i + take < n && take + u8len((unsigned char)s[i + take]) <= 45)
			take += u8len((unsigned char)s[i + take]);
		if (i && (rc = oa_buf_append(b, "\r\n ", 3)))
			break;
		if ((rc = oa_buf_append(b, "=?UTF-8?B?", 10)))
			break;
		for (size_t j = 0; j < take && rc == OA_OK; j += 3) {
			const unsigned char *q = (const unsigned char *)s + i + j;
			size_t r = take - j;
			char o[4];
			o[0] = b64[q[0] >> 2];
			o[1] = b64[((q[0] & 3) << 4) | (r > 1 ? q[1] >> 4 : 0)];
			o[2] = r > 1 ? b64[((q[1] & 15) << 2) | (r > 2 ? q[2] >> 6 : 0)] : '=';
			o[3] = r > 2 ? b64[q[2] & 63] : '=';
			rc = oa_buf_append(b, o, 4);
		}
		if (rc == OA_OK)
			rc = oa_buf_append(b, "?=", 2);
		i += take;
	}
	return rc;
}

/* An unstructured header value (Subject): folded ASCII, else encoded words. */
static oa_err header_text(oa_buf *b, const char *s)
{
	size_t col = 9; /* "Subject: " */
	oa_err rc = OA_OK;

	if (!is_ascii_printable(s) || strstr(s, "=?") != NULL)
		return encode_words(b, s);
	while (*s && rc == OA_OK) {
		size_t w = strcspn(s + 1, " ") + 1; /* a word with its leading space */
		if (col + w > 76 && *s == ' ' && col > 9) {
			rc = oa_buf_append(b, "\r\n", 2);
			col = 0;
		}
		if (rc == OA_OK)
			rc = oa_buf_append(b, s, w);
		col += w;
		s += w;
	}
	return rc;
}

/* A mailbox (RFC 5322 section 3.4): display name (quoted or encoded) <addr>. */
static oa_err mailbox(oa_buf *b, const char *name, const char *addr)
{
	oa_err rc = OA_OK;

	if (!empty(name)) {
		if (is_ascii_printable(name) && strstr(name, "=?") == NULL) {
			rc = oa_buf_append(b, "\"", 1);
			for (const char *p = name; *p && rc == OA_OK; p++)
				rc = (*p == '"' || *p == '\\') ? oa_buf_printf(b, "\\%c", *p)
				                               : oa_buf_append(b, p, 1);
			if (rc == OA_OK)
				rc = oa_buf_append(b, "\"", 1);
		} else {
			rc = encode_words(b, name);
		}
		if (rc == OA_OK)
			rc = oa_buf_append(b, "\r\n ", 3);
	}
	if (rc == OA_OK)
		rc = oa_buf_printf(b, "<%s>", addr);
	return rc;
}

/* RFC 5322 section 3.3 date, always in UTC. */
static void rfc5322_date(char *out, size_t n, int64_t t)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- Templates ---- */

struct vars {
	const char *name, *instance, *caseno, *step, *serial, *reason, *due, *at, *username;
	const char *subject, *text;
	char link[1024];
};

/* The value of {key} (n bytes), or NULL if there is no such variable. */
static const char *var(const struct vars *v, const char *key, size_t n)
{
	static const struct {
		const char *k;
		size_t off;
	} map[] = {
#define V(k, m) {k, offsetof(struct vars, m)}
		V("name", name), V("instance", instance), V("case", caseno), V("step", step),
		V("serial", serial), V("reason", reason), V("due", due), V("time", at),
		V("username", username),
		V("subject", subject), V("text", text),
#undef V
	};

	if (n == 4 && memcmp(key, "link", 4) == 0)
		return v->link;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strlen(map[i].k) == n && memcmp(map[i].k, key, n) == 0) {
			const char *s = *(const char *const *)((const char *)v + map[i].off);
			return s ? s : "";
		}
	return NULL;
}

/* True if every {var} in line[0..n) has a value. */
static int line_complete(const struct vars *v, const char *line, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (line[i] == '{') {
			const char *e = memchr(line + i, '}', n - i), *val;
			if (e == NULL)
				return 1;
			val = var(v, line + i + 1, (size_t)(e - line - i - 1));
			if (val != NULL && *val == 0)
				return 0;
			i = (size_t)(e - line);
		}
	return 1;
}

/*
 * Expands one line.  html: values are escaped, {link} becomes an anchor,
 * line breaks inside a value become <br>.
 */
static oa_err expand_line(oa_buf *b, const struct vars *v, const char *line, size_t n, int html)
{
	oa_err rc = OA_OK;

	for (size_t i = 0; i < n && rc == OA_OK; i++) {
		const char *e, *val;
		if (line[i] != '{' || (e = memchr(line + i, '}', n - i)) == NULL ||
		    (val = var(v, line + i + 1, (size_t)(e - line - i - 1))) == NULL) {
			if (html && strchr("&<>\"'", line[i])) {
				char c[2] = {line[i], 0};
				rc = html_escape(b, c, 0);
			} else {
				rc = oa_buf_append(b, line + i, 1);
			}
			continue;
		}
		if (!html)
			rc = oa_buf_append(b, val, strlen(val));
		else if (val == v->link) {
			if ((rc = oa_buf_append(b, "<a href=\"", 9)) == OA_OK &&
			    (rc = html_escape(b, val, 0)) == OA_OK &&
			    (rc = oa_buf_append(b, "\">", 2)) == OA_OK &&
			    (rc = html_escape(b, val, 0)) == OA_OK)
				rc = oa_buf_append(b, "</a>", 4);
		} else
			rc = html_escape(b, val, 1);
		i = (size_t)(e - line);
	}
	return rc;
}

/* Text part: the template with values, lines naming an empty variable left out. */
static oa_err expand_text(oa_buf *b, const struct vars *v, const char *tpl)
{
	oa_err rc = OA_OK;

	while (*tpl && rc == OA_OK) {
		size_t n = strcspn(tpl, "\n");
		if (line_complete(v, tpl, n)) {
			rc = expand_line(b, v, tpl, n, 0);
			if (rc == OA_OK && tpl[n] == '\n')
				rc = oa_buf_append(b, "\n", 1);
		}
		tpl += n + (tpl[n] == '\n');
	}
	return rc;
}

/* HTML part: one <p> per paragraph, lines joined by <br>. */
static oa_err expand_html(oa_buf *b, const struct vars *v, const char *tpl)
{
	oa_err rc = OA_OK;

	while (*tpl && rc == OA_OK) {
		const char *end = strstr(tpl, "\n\n");
		size_t plen = end ? (size_t)(end - tpl) : strlen(tpl);
		int lines = 0;
		const char *p = tpl;

		while (p < tpl + plen && rc == OA_OK) {
			size_t n = strcspn(p, "\n");
			if (n > (size_t)(tpl + plen - p))
				n = (size_t)(tpl + plen - p);
			if (line_complete(v, p, n)) {
				rc = lines ? oa_buf_append(b, "<br>\n", 5) : oa_buf_append(b, "<p>", 3);
				lines++;
				if (rc == OA_OK)
					rc = expand_line(b, v, p, n, 1);
			}
			p += n + 1;
		}
		if (lines && rc == OA_OK)
			rc = oa_buf_append(b, "</p>\n", 5);
		tpl += plen + (end ? 2 : 0);
	}
	return rc;
}

/* "2026-11-24 15:00 WIB" in the agency's local time (sla.utc_offset_minutes). */
static void local_time(const conf *cfg, int64_t t, char *out, size_t n)
{
	int64_t off = conf_int(cfg, "sla.utc_offset_minutes");
	time_t tt = (time_t)(t + off * 60);
	struct tm tm;
	char zone[40];

	if (off == 420 || off == 480 || off == 540)
		snprintf(zone, sizeof zone, "%s", off == 420 ? "WIB" : off == 480 ? "WITA" : "WIT");
	else
		snprintf(zone, sizeof zone, "UTC%c%02d:%02d", off < 0 ? '-' : '+',
		    (int)(llabs(off) / 60 % 100), (int)(llabs(off) % 60));
	gmtime_r(&tt, &tm);
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, zone);
}

static void make_link(const conf *cfg, const mail_msg *m, char *out, size_t n)
{
	const char *base = conf_str(cfg, "web.public_url");
	size_t bl = strlen(base);

	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	out[0] = 0;
	if (m->path != NULL)
		snprintf(out, n, "%.*s%s", (int)bl, base, m->path);
	else
		switch (m->event) {
		case MAIL_ACTIVATION:
		case MAIL_IDENTITY_FORM:
		case MAIL_SET_PASSPHRASE:
			snprintf(out, n, "%.*s%s%s/%s", (int)bl, base, MAIL_PATH_LINK,
			    event_names[m->event], m->token);
			break;
		case MAIL_ACCOUNT:
			snprintf(out, n, "%.*s%s", (int)bl, base, MAIL_PATH_LOGIN);
			break;
		case MAIL_CERT_ISSUED:
		case MAIL_CERT_REVOKED:
			snprintf(out, n, "%.*s%s%s", (int)bl, base, MAIL_PATH_CERT, m->serial);
			break;
		default:
			if (m->case_id > 0)
				snprintf(out, n, "%.*s%s%" PRId64, (int)bl, base, MAIL_PATH_CASE, m->case_id);
		}
}

oa_err mail_render(const conf *cfg, const mail_msg *m, int64_t id, int64_t now,
    struct mail_rendered *r)
{
	const char *lang = mail_lang(m), *from = conf_str(cfg, "mail.from");
	int li = strcmp(lang, "en") == 0;
	const struct tmpl *t = &templates[m->event][li];
	struct vars v;
	char caseno[24], due[160], at[160], date[64], rnd_hex[33], bnd[48];
	uint8_t rnd[16];
	oa_buf subj = {0}, text = {0}, html = {0}, *b = &r->raw;
	oa_err rc;

	memset(r, 0, sizeof *r);
	memset(&v, 0, sizeof v);
	snprintf(caseno, sizeof caseno, "%" PRId64, m->case_id);
	if (m->due_at > 0)
		local_time(cfg, m->due_at, due, sizeof due);
	else
		due[0] = 0;
	if (m->at > 0)
		local_time(cfg, m->at, at, sizeof at);
	else
		at[0] = 0;
	v.name = !empty(m->to_name) ? m->to_name : li ? "Sir or Madam" : "Bapak/Ibu";
	v.instance = conf_str(cfg, "instance.name");
	v.caseno = m->case_id > 0 ? caseno : "";
	v.step = m->step;
	v.serial = m->serial;
	v.reason = m->reason;
	v.due = due;
	v.at = at;
	v.username = m->username;
	v.subject = m->subject;
	v.text = m->text;
	make_link(cfg, m, v.link, sizeof v.link);

	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return oa_fail_ssl(OA_ERR_CRYPTO, "mail: no random bytes for the Message-ID");
	oa_hex(rnd_hex, rnd, sizeof rnd);
	snprintf(r->message_id, sizeof r->message_id, "<outbox-%" PRId64 ".%s@%s>", id, rnd_hex,
	    strrchr(from, '@') + 1);
	if (RAND_bytes(rnd, 12) != 1)
		return oa_fail_ssl(OA_ERR_CRYPTO, "mail: no random bytes for the boundary");
	oa_hex(rnd_hex, rnd, 12);
	/* "=_" never occurs in quoted-printable text (RFC 2045 section 6.7
	 * encodes '='), so the boundary cannot appear in a body. */
	snprintf(bnd, sizeof bnd, "=_oa_%s", rnd_hex);
	rfc5322_date(date, sizeof date, now);

	if ((rc = expand_text(&subj, &v, t->subject)) || (rc = oa_buf_append(&subj, "", 1)))
		goto out;
	if (subj.len - 1 >= sizeof r->subject || subj.len <= 1) {
		rc = oa_fail(OA_ERR_LIMIT, "mail: subject empty or longer than %zu bytes",
		    sizeof r->subject - 1);
		goto out;
	}
	memcpy(r->subject, subj.data, subj.len);

	/* text/plain */
	if ((rc = expand_text(&text, &v, t->body)) || (rc = oa_buf_append(&text, "\n\n-- \n", 6)) ||
	    (rc = expand_text(&text, &v, footer[li])) || (rc = oa_buf_append(&text, "\n", 1)))
		goto out;
	/* text/html */
	if ((rc = oa_buf_printf(&html, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
	                               "<meta charset=\"utf-8\">\n<title>", lang)) ||
	    (rc = html_escape(&html, r->subject, 0)) ||
	    (rc = oa_buf_printf(&html, "</title>\n</head>\n<body>\n")) ||
	    (rc = expand_html(&html, &v, t->body)) ||
	    (rc = oa_buf_printf(&html, "<hr>\n<div style=\"font-size:small\">\n")) ||
	    (rc = expand_html(&html, &v, footer[li])) ||
	    (rc = oa_buf_printf(&html, "</div>\n</body>\n</html>\n")))
		goto out;

	/* Headers (RFC 5322 section 3.6), then the two parts (RFC 2046 5.1.4). */
	if ((rc = oa_buf_printf(b, "Date: %s\r\nFrom: ", date)) ||
	    (rc = mailbox(b, conf_str(cfg, "instance.name"), from)) ||
	    (rc = oa_buf_append(b, "\r\nTo: ", 6)) || (rc = mailbox(b, m->to_name, m->to_addr)) ||
	    (rc = oa_buf_append(b, "\r\nSubject: ", 11)) || (rc = header_text(b, r->subject)) ||
	    (rc = oa_buf_printf(b, "\r\nMessage-ID: %s\r\n"
	                           "MIME-Version: 1.0\r\n"
	                           "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
	                           "Content-Language: %s\r\n"
	                           "Auto-Submitted: auto-generated\r\n"
	                           "\r\n"
	                           "This is a MIME message: text and HTML.\r\n"
	                           "\r\n--%s\r\n"
	                           "Content-Type: text/plain; charset=UTF-8\r\n"
	                           "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
	         r->message_id, bnd, lang, bnd)) ||
	    (rc = qp_encode(b, (const char *)text.data, text.len)) ||
	    (rc = oa_buf_printf(b, "\r\n--%s\r\n"
	                           "Content-Type: text/html; charset=UTF-8\r\n"
	                           "Content-Transfer-Encoding: quoted-printable\r\n\r\n", bnd)) ||
	    (rc = qp_encode(b, (const char *)html.data, html.len)) ||
	    (rc = oa_buf_printf(b, "\r\n--%s--\r\n", bnd)))
		goto out;
	if (b->len > MAIL_MAX_MESSAGE)
		rc = oa_fail(OA_ERR_LIMIT, "mail: message larger than %d bytes", MAIL_MAX_MESSAGE);
out:
	oa_buf_free(&subj);
	oa_buf_free(&text);
	oa_buf_free(&html);
	if (rc)
		oa_buf_free(b);
	return rc;
}
