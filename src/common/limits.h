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
#define OA_MAX_PASSPHRASE_BYTES 1024
#define OA_MAX_PATH             4096
#define OA_MAX_LIST_ROWS        100000        /* one `ca list` answer */
#define OA_MAX_AUDIT_DETAIL     4096          /* one audit record's detail text */
#define OA_MAX_UPLOAD_BYTES     (10 * 1024 * 1024) /* one document attached to a case */
#define OA_SERIAL_BYTES         16            /* random serial: 127 bits of entropy */
#define OA_MAX_SOP_STEPS        200           /* steps in one SOP definition */
#define OA_MAX_SOP_ACTORS       32            /* actors (roles) in one SOP */
#define OA_MAX_SOP_ID           64            /* an id (step, actor, document) */
#define OA_MAX_SOP_TEXT         4096          /* one free-text field of a definition */
#define OA_MAX_SOP_LIST         64            /* items in one list of a definition */

#endif
