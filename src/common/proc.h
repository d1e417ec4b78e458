/*
 * proc.h - this process's identity where several openams processes share
 * one database (store leases, claimed e-mails): "host:pid:random", and
 * whether such an identity names a process of this host that is gone.
 */
#ifndef OA_PROC_H
#define OA_PROC_H

#define OA_PROCESS_ID_MAX 96 /* bytes of an identity, with its NUL */

/* This process's identity (made once; static storage). */
const char *oa_process_id(void);

/* 1 if id is another process of this host (same host name) that no longer
 * exists; 0 if it may be alive, is this process, or is not an identity. */
int oa_process_gone(const char *id);

#endif
