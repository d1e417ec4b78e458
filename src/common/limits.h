/*
 * limits.h - every input limit of openams in one place.
 *
 * Anything read from outside (files, requests, command-line values) is
 * bounded by one of these names, and exceeding one is an OA_ERR_LIMIT with
 * a message naming the limit.
 */
#ifndef OA_LIMITS_H
#define OA_LIMITS_H

#define OA_MAX_CSR_BYTES        (64 * 1024)   /* a PKCS#10 request, PEM or DER */
#define OA_MAX_SUBJECT_ATTRS    16            /* RDNs in a requested subject */
#define OA_MAX_SUBJECT_DER      1024          /* encoded subject name */
#define OA_MAX_NAME_CHARS       64            /* ub-common-name etc., RFC 5280 App. A */
#define OA_MAX_EMAIL_CHARS      128           /* ub-emailaddress-length is 255; we are stricter */
#define OA_MAX_CONFIG_BYTES     (256 * 1024)  /* openams.conf */
#define OA_MAX_CONFIG_LINE      1024
#define OA_MAX_PROFILE_BYTES    (64 * 1024)   /* one profile definition */
#define OA_MAX_SOP_BYTES        (512 * 1024)  /* one SOP definition file */
#define OA_MAX_OCSP_REQ_BYTES   (16 * 1024)   /* an OCSPRequest */
#define OA_MAX_OCSP_REQ_CERTS   32            /* CertIDs in one OCSPRequest */
#define OA_MAX_TSQ_BYTES        (8 * 1024)    /* an RFC 3161 TimeStampReq */
#define OA_MAX_PASSPHRASE_BYTES 1024
#define OA_MAX_PATH             4096
#define OA_MAX_LIST_ROWS        100000        /* one `ca list` answer */
#define OA_MAX_AUDIT_DETAIL     4096          /* one audit record's detail text */
#define OA_MAX_AUDIT_PAGE       1000          /* audit records in one listing */
#define OA_REAUTH_WINDOW_S      600           /* credential changes: session authenticated this recently */
#define OA_MAX_UPLOAD_BYTES     (10 * 1024 * 1024) /* one document attached to a case */
#define OA_SERIAL_BYTES         16            /* random serial: 127 bits of entropy */
#define OA_MAX_SOP_STEPS        200           /* steps in one SOP definition */
#define OA_MAX_SOP_ACTORS       32            /* actors (roles) in one SOP */
#define OA_MAX_SOP_ID           64            /* an id (step, actor, document) */
#define OA_MAX_SOP_TEXT         4096          /* one free-text field of a definition */
#define OA_MAX_SOP_LABEL        80            /* a decision's button label (yes_label, no_label) */
#define OA_MAX_SOP_LIST         64            /* items in one list of a definition */
#define OA_MAX_YAML_DEPTH       32            /* nesting of lists and mappings in a YAML
                                               * file (libyaml's scanner costs O(depth)
                                               * per token: unbounded, N `[` are N^2) */
#define OA_MAX_YAML_NODES       100000        /* texts, lists and mappings in one YAML
                                               * file: the loader's total work */

/* web */
#define OA_WEB_MAX_URL          2048          /* request target (path and query), bytes */
#define OA_WEB_MAX_QUERY_PARAMS 32            /* query parameters in one request */
#define OA_WEB_MAX_HEADERS      64            /* request header fields */
#define OA_WEB_MAX_HEADER_BYTES (16 * 1024)   /* all header names and values together */
#define OA_WEB_CONN_MEMORY      (32 * 1024)   /* MHD per-connection pool (request line,
                                               * headers, read buffer; zeroed by MHD
                                               * for every request, so not larger) */
#define OA_WEB_MAX_BODY         (64 * 1024)   /* a request body, unless the route says less */
#define OA_WEB_NO_PAYLOAD_BODY  1024          /* a POST that carries nothing ("{}" or empty) */
#define OA_WEB_MAX_JSON_BODY    (256 * 1024)  /* a JSON request body */
#define OA_WEB_MAX_JSON_DEPTH   16            /* nesting of arrays and objects in JSON */
#define OA_WEB_MAX_THREADS      64            /* web.threads upper bound */
#define OA_SIGNER_MAX_PROCESSES 64            /* signer.processes upper bound */
#define OA_WEB_MAX_PARAMS       4             /* captured path segments of one route */
#define OA_WEB_OCSP_CACHE_SETS  8192          /* OCSP response cache: sets of ... */
#define OA_WEB_OCSP_CACHE_WAYS  4             /* ... this many responses (one table) */
#define OA_WEB_OCSP_CACHE_KEY   512           /* largest request DER that is cached */
#define OA_WEB_MAX_CRL_BYTES    (64 * 1024 * 1024) /* a published CRL file served */

#endif
