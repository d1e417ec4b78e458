/*
 * esign.h - the API of the national e-signature service's "Esign Client
 * Service" (BSrE, technical guide v2.0, January 2024), v1 and v2, so that
 * an agency application changes only its base URL and credentials to sign
 * with openams (docs/ESIGN_API.md):
 *
 *   v1 (multipart): POST /api/sign/pdf, GET /api/sign/download/{id},
 *       POST /api/sign/verify, GET /api/user/status/{nik}
 *   v2 (JSON, base64): POST /api/v2/sign/pdf (with the passphrase or an
 *       e-mailed TOTP), /api/v2/sign/get/totp, /api/v2/verify/pdf,
 *       /api/v2/user/check/status, /api/v2/user/registration (an account
 *       and the agency's issuance case), and the electronic seal's
 *       /api/v2/seal/get/activation, /revoke/activation, /get/totp, /pdf.
 *
 * Every route answers only to a client application (auth_client_*) that
 * authenticates with HTTP Basic; every signature goes through
 * sign_pdf_holder() with the client's username in the audit record.
 * Signed documents of v1 wait for their one download under DIR/esign
 * (0700, files 0600) at most esign.keep_seconds.
 *
 * Built on the HTTP core (http.h), the multipart parser (docs.h) and the
 * signing module (sign.h).  Errors are always JSON {status_code, error,
 * code, message}, never a 500 for bad input.
 */
#ifndef OA_ESIGN_H
#define OA_ESIGN_H

#include "../http/http.h"
#include "../sign/sign.h"

/* A signed document of v1 is deleted after its download or after this. */
/* v2: documents in one request. */
#define ESIGN_MAX_FILES      16
/* Request bodies: a multipart PDF (v1), base64 JSON (v2: 4/3 of the PDF). */
#define ESIGN_MAX_V1_BODY    ((size_t)SIGN_MAX_PDF_BYTES + 256 * 1024)
#define ESIGN_MAX_V2_BODY    ((size_t)SIGN_MAX_PDF_BYTES / 3 * 4 + 256 * 1024)
#define ESIGN_MAX_SMALL_BODY ((size_t)4096)

extern const web_route_table web_esign_v1_table, web_esign_v2_table;

#endif
