/*
 * rules.c - what a holder passphrase must be.
 *
 * Length is what makes a passphrase strong (NIST SP 800-63B 5.1.1.2), so
 * the rules are: at least keys.passphrase_min_length characters, at most
 * OA_MAX_PASSPHRASE_BYTES bytes, clean UTF-8; and refusals of what a
 * guesser tries first: only digits (a PIN, a date, an ID number), fewer
 * than 5 distinct characters, a few common words, and anything from the
 * holder's own data: the holder id, each name part of 3+ letters, the
 * e-mail local part and its pieces, the NIK or NIP or 8 digits in a row of
 * either, the birth date written as YYYYMMDD, DDMMYYYY, MMDDYYYY or DDMMYY
 * (digits compared with separators removed).  No composition rule (one
 * upper-case letter, one symbol): those make passphrases shorter, not
 * stronger.
 *
 * Must never: put the passphrase, or the part of it that matched, in a
 * message.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/limits.h"
#include "../common/util.h"
#include "keysInt.h"

/* Lower-cased copy (ASCII letters only; other bytes kept). */
static char *lower_dup(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		d[i] = (char)tolower((unsigned char)s[i]);
	return d;
}

/* The digits of s, in order, into a new string. */
static char *digits_dup(const char *s)
{
	size_t n = strlen(s), j = 0;
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (isdigit((unsigned char)s[i]))
			d[j++] = s[i];
	d[j] = 0;
	return d;
}

/* 1 if hay contains the lower-cased word w of at least min bytes. */
static int has_word(const char *hay, const char *w, size_t wl, size_t min)
{
	char buf[256];

	if (wl < min || wl >= sizeof buf)
		return 0;
	for (size_t i = 0; i < wl; i++)
		buf[i] = (char)tolower((unsigned char)w[i]);
	buf[wl] = 0;
	return strstr(hay, buf) != NULL;
}

/* 1 if hay contains a part of s split at any byte of seps (parts of min+). */
static int has_part(const char *hay, const char *s, const char *seps, size_t min)
{
	while (s && *s) {
		size_t w = strcspn(s, seps);
		if (has_word(hay, s, w, min))
			return 1;
		s += w;
		s += strspn(s, seps);
	}
	return 0;
}

/* 1 if digits contains any run of `run` consecutive digits of id. */
static int has_digit_run(const char *digits, const char *id, size_t run)
{
	size_t n = id ? strlen(id) : 0;
	char buf[32];

	if (n < run || n >= sizeof buf || !oa_is_digits(id, n))
		return 0;
	for (size_t i = 0; i + run <= n; i++) {
		memcpy(buf, id + i, run);
		buf[run] = 0;
		if (strstr(digits, buf) != NULL)
			return 1;
	}
	return 0;
}

static int has_birth_date(const char *digits, const char *date)
{
	char f[4][16];

	if (date == NULL || strlen(date) != 10 || date[4] != '-' || date[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)date[i]))
			return 0;
	snprintf(f[0], sizeof f[0], "%.4s%.2s%.2s", date, date + 5, date + 8);     /* YYYYMMDD */
	snprintf(f[1], sizeof f[1], "%.2s%.2s%.4s", date + 8, date + 5, date);     /* DDMMYYYY */
	snprintf(f[2], sizeof f[2], "%.2s%.2s%.4s", date + 5, date + 8, date);     /* MMDDYYYY */
	snprintf(f[3], sizeof f[3], "%.2s%.2s%.2s", date + 8, date + 5, date + 2); /* DDMMYY */
	for (int i = 0; i < 4; i++)
		if (strstr(digits, f[i]) != NULL)
			return 1;
	return 0;
}

static const char *const common_words[] = {
	"password", "passphrase", "qwerty", "123456", "abcdef", "rahasia", "katasandi",
	"kata sandi", "bismillah", "openams",
};

oa_err keys_rules_check(const char *holder, const char *pass, size_t min_chars,
    const char *name, const char *nik, const char *nip, const char *email,
    const char *birth_date)
{
	char *low = NULL, *dig = NULL;
	size_t len, chars, distinct = 0;
	unsigned char seen[256] = {0};
	oa_err rc = OA_OK;

	if (pass == NULL || *pass == 0)
		return oa_fail_id(OA_ERR_POLICY, "pass_empty", "passphrase",
		    "the passphrase is empty");
	if ((len = strlen(pass)) > OA_MAX_PASSPHRASE_BYTES)
		return oa_fail_id(OA_ERR_POLICY, "pass_long", "passphrase",
		    "the passphrase is longer than %d bytes",
		    OA_MAX_PASSPHRASE_BYTES);
	if (!oa_is_clean_utf8(pass))
		return oa_fail_id(OA_ERR_POLICY, "pass_chars", "passphrase",
		    "the passphrase has control characters or is not valid UTF-8");
	if ((chars = oa_utf8_chars(pass)) < min_chars)
		return oa_fail_id(OA_ERR_POLICY, "pass_short", "passphrase",
		    "the passphrase is too short: %zu characters, at least %zu needed", chars,
		    min_chars);
	for (size_t i = 0; i < len; i++)
		if (!seen[(unsigned char)pass[i]]++)
			distinct++;
	if (distinct < 5)
		return oa_fail_id(OA_ERR_POLICY, "pass_distinct", "passphrase",
		    "the passphrase has fewer than 5 different characters");
	if (oa_is_digits(pass, len))
		return oa_fail_id(OA_ERR_POLICY, "pass_digits", "passphrase",
		    "the passphrase is only digits (a PIN, a date or an ID number is guessed first)");
	if ((low = lower_dup(pass)) == NULL || (dig = digits_dup(pass)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < sizeof common_words / sizeof common_words[0]; i++)
		if (strstr(low, common_words[i]) != NULL) {
			rc = oa_fail_id(OA_ERR_POLICY, "pass_common", "passphrase",
			    "the passphrase contains a common word (\"%s\")",
			    common_words[i]);
			goto out;
		}
	if (holder && has_word(low, holder, strlen(holder), 3))
		rc = oa_fail_id(OA_ERR_POLICY, "pass_account", "passphrase",
		    "the passphrase contains the account name");
	else if (has_part(low, name, " .,'-_\t", 3))
		rc = oa_fail_id(OA_ERR_POLICY, "pass_name", "passphrase",
		    "the passphrase contains part of the person's name");
	else if (nik && (has_digit_run(dig, nik, 8) || has_word(low, nik, strlen(nik), 1)))
		rc = oa_fail_id(OA_ERR_POLICY, "pass_nik", "passphrase",
		    "the passphrase contains the NIK or 8 digits of it");
	else if (nip && (has_digit_run(dig, nip, 8) || has_word(low, nip, strlen(nip), 1)))
		rc = oa_fail_id(OA_ERR_POLICY, "pass_nip", "passphrase",
		    "the passphrase contains the NIP or 8 digits of it");
	else if (has_birth_date(dig, birth_date))
		rc = oa_fail_id(OA_ERR_POLICY, "pass_birth", "passphrase",
		    "the passphrase contains the person's birth date");
	else if (email && strchr(email, '@') != NULL &&
	    (has_word(low, email, (size_t)(strchr(email, '@') - email), 3) ||
	        has_part(low, email, "@._-+", 3)))
		/* the local part, and each piece of the address (the domain's
		 * labels too: "kominfo" in budi@kominfo.go.id). */
		rc = oa_fail_id(OA_ERR_POLICY, "pass_email", "passphrase",
		    "the passphrase contains part of the e-mail address");
out:
	oa_free_secret(low);
	oa_free_secret(dig);
	return rc;
}
