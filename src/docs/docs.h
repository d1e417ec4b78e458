/*
 * docs.h - documents: the files attached to cases (and, later, signed
 * PDFs), stored once each, named by the SHA-256 of their bytes and typed
 * by their content (libmagic), never by a declared type or a file name;
 * and the one multipart/form-data parser that brings them in, used by the
 * JSON API and the portal alike.
 *
 * A document lives as DIR/docs/<2 hex>/<sha256> (DIR: the data directory),
 * written by temp file + rename.  Which case holds which document is the
 * engine's table (sop_case_document: engine_case_attach,
 * engine_case_document); this module has no SQL and no HTTP.
 *
 * Must never: trust a declared content type or file name, write a file
 * under a name that is not a SHA-256, or read past OA_MAX_UPLOAD_BYTES.
 */
#ifndef OA_DOCS_H
#define OA_DOCS_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../common/limits.h"

/* ---- stored documents (docs.c) ---- */

/* A stored document. */
typedef struct docs_info {
	char sha256[65];          /* its name: the SHA-256 of its bytes, lower-case hex */
	char type[128];           /* its MIME type judged by content ("" unknown) */
	size_t len;
	char path[OA_MAX_PATH];
	int created;              /* docs_store wrote it (it was not there yet) */
} docs_info;

/* The MIME type of data judged by its content (libmagic) into type; ""
 * when libmagic cannot tell. */
void docs_type(const void *data, size_t len, char *type, size_t typesz);
/* 1 if type is one of types (NULL-terminated). */
int docs_type_in(const char *type, const char *const *types);

/*
 * Stores data (len bytes) under dir when its type by content is one of
 * types (NULL-terminated), unless a document with these bytes is there
 * already.  out is filled in (out->type even when the type is refused).
 * OA_ERR_INVALID for an empty file or a refused type, OA_ERR_LIMIT above
 * OA_MAX_UPLOAD_BYTES.  Store the file before the row that names it
 * commits, and docs_unstore() it if that row is refused.
 */
oa_err docs_store(const char *dir, const void *data, size_t len, const char *const *types,
    docs_info *out);
/* Removes a document docs_store() has just created (nothing otherwise). */
void docs_unstore(const docs_info *d);
/* The path of the document named sha256 under dir (path OA_MAX_PATH
 * bytes); OA_ERR_INVALID if sha256 is not a lower-case hex SHA-256. */
oa_err docs_path(const char *dir, const char *sha256, char *path);
/* Reads the document named sha256: *data (the caller frees it), *len and
 * its type by content (type, typesz).  OA_ERR_NOTFOUND if there is none. */
oa_err docs_read(const char *dir, const char *sha256, uint8_t **data, size_t *len, char *type,
    size_t typesz);
/* 1 if s is acceptable as a document's file name: clean UTF-8, 1 to 255
 * bytes, not hidden (no leading dot), no path, quote or control character. */
int docs_filename_ok(const char *s);

/* ---- multipart/form-data (multipart.c) ---- */

#define DOCS_MP_PARTS 32

typedef struct docs_part {
	const char *name;         /* the part's name (in the body) */
	const char *filename;     /* NULL for a plain field */
	const char *data;         /* NUL-terminated in place (the body) */
	size_t len;
	int multiline;            /* a plain field with tabs or line ends */
} docs_part;

typedef struct docs_multipart {
	docs_part p[DOCS_MP_PARTS];
	size_t n;
} docs_multipart;

/* 1 if content_type (may be NULL) is multipart/form-data with a boundary;
 * a request whose type is not is refused as 415. */
int docs_multipart_type_ok(const char *content_type);
/*
 * Parses body (len bytes, writable, with a NUL after them) as
 * multipart/form-data of content_type: at most DOCS_MP_PARTS parts, each
 * named, headers under 1 KiB, names and file names up to 255 bytes, plain
 * fields clean UTF-8 (tabs and line ends mark a field multiline).  Names,
 * file names and values are NUL-terminated in place: the parts point into
 * body.  OA_ERR_INVALID for a type that is not multipart/form-data (see
 * docs_multipart_type_ok) or a malformed body.
 */
oa_err docs_multipart_parse(const char *content_type, uint8_t *body, size_t len,
    docs_multipart *m);
/* The first plain single-line field named k, or NULL. */
const char *docs_multipart_get(const docs_multipart *m, const char *k);
/* The first plain field named k, tabs and line ends allowed (a textarea
 * such as a pasted SOP definition); docs_multipart_get() never returns
 * such a field. */
const char *docs_multipart_text(const docs_multipart *m, const char *k);
/* The first file part named k (with a file name), or NULL. */
const docs_part *docs_multipart_file(const docs_multipart *m, const char *k);
/* The number of file parts. */
size_t docs_multipart_files(const docs_multipart *m);
/* 1 if s (len bytes, no NUL inside) is clean UTF-8 text of several lines:
 * tabs, CR and LF allowed (a textarea); also the portal's urlencoded forms'
 * rule. */
int docs_text_multiline(const char *s, size_t len);

#endif
