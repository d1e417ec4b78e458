/*
 * p11gen.c - generating the CA key pairs inside a PKCS#11 token.
 *
 * libp11 (used to sign with token keys) can generate only RSA keys in the
 * version Debian 12 ships, so key generation calls the module directly
 * through the PKCS#11 interface (p11-kit's pkcs11.h): C_GenerateKeyPair with
 * CKA_SENSITIVE and not CKA_EXTRACTABLE, so the private keys never leave
 * the token.
 */
#include "signerInt.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static oa_err ck(CK_RV rv, const char *what)
{
	if (rv == CKR_OK)
		return OA_OK;
	return oa_fail(OA_ERR_CRYPTO, "PKCS#11 %s failed (CKR 0x%lx)", what, (unsigned long)rv);
}

oa_err signer_p11_generate(const char *module, const char *token, const char *pin,
    const char *key_type)
{
	static const CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	static const CK_BYTE p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
	static const CK_BYTE e65537[] = {0x01, 0x00, 0x01};
	void *h = NULL;
	CK_C_GetFunctionList gfl;
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_SLOT_ID slots[64], slot = 0;
	CK_ULONG nslots = 64, bits = 0;
	CK_SESSION_HANDLE sess = 0;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	int found = 0, initialized = 0, ec = strncmp(key_type, "ec-", 3) == 0;
	oa_err rc;

	if (!signer_key_type_valid(key_type))
		return oa_fail(OA_ERR_INVALID, "unknown key type '%s'", key_type);
	if (!ec)
		bits = (CK_ULONG)atoi(key_type + 4);
	if ((h = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return oa_fail(OA_ERR_CONFIG, "%s: cannot load the PKCS#11 module", module);
	*(void **)&gfl = dlsym(h, "C_GetFunctionList");
	if (gfl == NULL || gfl(&f) != CKR_OK || f == NULL) {
		rc = oa_fail(OA_ERR_CONFIG, "%s: not a PKCS#11 module", module);
		goto out;
	}
	if ((rc = ck(f->C_Initialize(NULL), "C_Initialize")))
		goto out;
	initialized = 1;
	if ((rc = ck(f->C_GetSlotList(CK_TRUE, slots, &nslots), "C_GetSlotList")))
		goto out;
	for (CK_ULONG i = 0; i < nslots && !found; i++) {
		CK_TOKEN_INFO ti;
		char label[33];
		size_t n;
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		memcpy(label, ti.label, 32);
		label[32] = 0;
		for (n = 32; n > 0 && label[n - 1] == ' '; n--)
			label[n - 1] = 0;
		if (strcmp(label, token) == 0) {
			slot = slots[i];
			found = 1;
		}
	}
	if (!found) {
		rc = oa_fail(OA_ERR_CONFIG, "PKCS#11: no token labelled '%s'", token);
		goto out;
	}
	if ((rc = ck(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &sess),
	         "C_OpenSession")) ||
	    (rc = ck(f->C_Login(sess, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)),
	         "C_Login (wrong PIN?)")))
		goto out;
	/* A token that already holds openams keys is refused, untouched. */
	for (int k = 0; k < SIGNER_CA_KEYS; k++) {
		CK_ATTRIBUTE q[] = {{CKA_LABEL, (void *)signer_key_label[k], strlen(signer_key_label[k])}};
		CK_OBJECT_HANDLE obj;
		CK_ULONG nobj = 0;
		if ((rc = ck(f->C_FindObjectsInit(sess, q, 1), "C_FindObjectsInit")))
			goto out;
		f->C_FindObjects(sess, &obj, 1, &nobj);
		f->C_FindObjectsFinal(sess);
		if (nobj > 0) {
			rc = oa_fail(OA_ERR_EXISTS, "PKCS#11 token '%s' already holds a key labelled %s;"
			                            " nothing was changed", token, signer_key_label[k]);
			goto out;
		}
	}
	for (int k = 0; k < SIGNER_CA_KEYS; k++) {
		const char *label = signer_key_label[k];
		CK_BYTE id[1] = {(CK_BYTE)(k + 1)};
		CK_OBJECT_HANDLE pub, priv;
		CK_MECHANISM mech = {ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
		CK_ATTRIBUTE pubt[] = {
			{CKA_TOKEN, &yes, sizeof yes},
			{CKA_VERIFY, &yes, sizeof yes},
			{CKA_ENCRYPT, &no, sizeof no},
			{CKA_WRAP, &no, sizeof no},
			{CKA_LABEL, (void *)label, strlen(label)},
			{CKA_ID, id, sizeof id},
			{ec ? CKA_EC_PARAMS : CKA_MODULUS_BITS,
			    ec ? (void *)(strcmp(key_type, "ec-p384") == 0 ? p384 : p256) : (void *)&bits,
			    ec ? (strcmp(key_type, "ec-p384") == 0 ? sizeof p384 : sizeof p256) : sizeof bits},
			{CKA_PUBLIC_EXPONENT, (void *)e65537, sizeof e65537},
		};
		CK_ATTRIBUTE privt[] = {
			{CKA_TOKEN, &yes, sizeof yes},
			{CKA_PRIVATE, &yes, sizeof yes},
			{CKA_SENSITIVE, &yes, sizeof yes},
			{CKA_EXTRACTABLE, &no, sizeof no},
			{CKA_SIGN, &yes, sizeof yes},
			{CKA_DECRYPT, &no, sizeof no},
			{CKA_UNWRAP, &no, sizeof no},
			{CKA_LABEL, (void *)label, strlen(label)},
			{CKA_ID, id, sizeof id},
		};
		/* EC keys take no public exponent: it is the last attribute. */
		CK_ULONG npub = (CK_ULONG)(sizeof pubt / sizeof pubt[0]) - (ec ? 1 : 0);
		CK_ULONG npriv = (CK_ULONG)(sizeof privt / sizeof privt[0]);
		if ((rc = ck(f->C_GenerateKeyPair(sess, &mech, pubt, npub, privt, npriv, &pub, &priv),
		         "C_GenerateKeyPair")))
			goto out;
	}
	rc = OA_OK;
out:
	if (sess) {
		f->C_Logout(sess);
		f->C_CloseSession(sess);
	}
	if (initialized)
		f->C_Finalize(NULL);
	if (h)
		dlclose(h);
	return rc;
}

oa_err signer_p11_load(const char *module, const char *token, const char *pin,
    EVP_PKEY *keys[SIGNER__MAX], void **handle)
{
	keystore *ks = calloc(1, sizeof *ks);
	signer_opts o = {0};
	oa_err rc;

	*handle = NULL;
	if (ks == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	o.backend = "pkcs11";
	o.pkcs11_module = module;
	o.pkcs11_token = token;
	setenv("OPENAMS_PKCS11_PIN", pin, 1);
	rc = keystore_open(ks, &o);
	unsetenv("OPENAMS_PKCS11_PIN");
	for (int k = 0; rc == OA_OK && k < SIGNER_CA_KEYS; k++)
		rc = keystore_get(ks, (signer_key)k, &keys[k]);
	if (rc) {
		keystore_close(ks);
		free(ks);
		return rc;
	}
	*handle = ks;
	return OA_OK;
}

void signer_p11_unload(void *handle)
{
	if (handle) {
		keystore_close(handle);
		free(handle);
	}
}
