/*
 * nik.h - the NIK rule, written once: what makes a Nomor Induk Kependudukan
 * valid.  auth (accounts), the CA (issuing, listing, lint), the engine (case
 * data, opening a case) and the API call this one function; each keeps its
 * own error code and wording around the reason it gives.
 */
#ifndef OA_NIK_H
#define OA_NIK_H

#include <stddef.h>

/*
 * 1 if nik is a valid NIK: exactly 16 digits in the Dukcapil layout,
 * province(2) regency(2) district(2) DDMMYY(6) serial(4), where the province
 * code is at least 11, the day of birth is 1-31 (41-71 for women), the month
 * 1-12 and the serial not 0000.  Otherwise 0 and, when why is not NULL, the
 * reason as a sentence whose first three characters are "NIK" ("NIK must be
 * exactly 16 digits", "NIK: digits 7-12 are not a date of birth ..."), so a
 * caller may put its own subject in their place.  NULL is not valid.
 */
int oa_nik_valid(const char *nik, char *why, size_t whysz);

#endif
