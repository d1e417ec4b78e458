/*
 * msgcat.c - the portal's catalogue of refusals (msgcat.h): one table,
 * Indonesian and English, keyed by stable ids.  tests/portal/msgcat.py
 * checks that every entry has both languages, that no key appears twice and
 * that every id the modules give (oa_fail_id) is here.
 */
#include <string.h>

#include "../common/err.h"
#include "msgcat.h"

static const msgcat_entry table[] = {
	/* the portal's own checks of a form */
	{"required", "{} wajib diisi.", "{} is required."},
	{"mismatch", "Isian ulangan tidak sama dengan isian pertama.",
	    "The repeated entry does not match the first one."},
	{"too_long", "{} terlalu panjang.", "{} is too long."},
	{"form_bad", "Formulir tidak lengkap atau tidak dapat dibaca. Muat ulang halaman lalu coba lagi.",
	    "The form is incomplete or could not be read. Reload the page and try again."},
	{"confirm_box", "Centang kotak konfirmasi untuk menyetujui sertifikat yang ditampilkan.",
	    "Tick the confirmation box to agree to the certificate shown."},
	{"choose_file", "Pilih jenis dokumen dan berkasnya.", "Choose the document and its file."},
	{"file_name", "Nama berkas tidak sah (tanpa folder dan tanpa karakter kontrol).",
	    "The file name is not valid (no folder, no control characters)."},
	{"file_type", "Jenis berkas tidak diterima: hanya PDF, JPEG atau PNG (dinilai dari isinya).",
	    "File type not accepted: PDF, JPEG or PNG only (judged by content)."},
	{"photo_type", "Pasfoto ditolak: hanya JPEG atau PNG (dinilai dari isinya), paling besar 10 MB.",
	    "Photo refused: JPEG or PNG only (judged by content), at most 10 MB."},
	{"file_size", "Berkas terlalu besar: paling besar 10 MB.", "The file is too large: at most 10 MB."},
	{"link_used", "Tautan ini sudah dipakai, diganti dengan yang lebih baru, atau kedaluwarsa.",
	    "This link was already used, superseded by a newer one, or has expired."},
	{"link_unknown", "Tautan ini tidak dikenal. Periksa kembali alamat pada e-mail Anda.",
	    "This link is not known. Check the address in your e-mail."},

	/* sign-in and password reset (routes_portal_account.c) */
	{"login_empty", "Isi nama pengguna dan kata sandi.", "Enter your user name and password."},
	{"login_locked", "Terlalu banyak percobaan gagal: akun dikunci sementara. Coba lagi nanti.",
	    "Too many failed attempts: the account is locked for a while. Try again later."},
	{"login_wrong", "Nama pengguna, kata sandi atau kode salah.",
	    "Wrong user name, password or code."},
	{"reset_empty", "Isi nama pengguna atau e-mail.", "Enter a user name or e-mail."},

	/* the account page (routes_portal_account.c) */
	{"current_empty", "Isi kata sandi Anda yang sekarang.", "Enter your current password."},
	{"wrong_password", "Kata sandi salah.", "Wrong password."},
	{"locked", "Terlalu banyak percobaan gagal; coba lagi nanti.",
	    "Too many failed attempts; try again later."},
	{"totp_code", "Isi kode dari aplikasi autentikator.", "Enter the code from the authenticator app."},
	{"totp_digits", "{} harus 6 angka dari aplikasi autentikator.",
	    "{} must be the 6 digits from the authenticator app."},
	{"totp_wrong", "{} tidak cocok dengan autentikator baru: periksa jam ponsel lalu coba kode "
	               "berikutnya.",
	    "{} does not match the new authenticator: check the phone's clock and try the next "
	    "code."},
	{"totp_expired", "Tidak ada pendaftaran autentikator yang menunggu konfirmasi (berlaku 15 "
	                 "menit): mulai lagi.",
	    "No authenticator enrolment is waiting for confirmation (it lasts 15 minutes): start "
	    "again."},
	{"token_unknown", "Token tidak ditemukan.", "No such token of yours."},

	/* the request form (routes_portal_home.c, engine) */
	{"sop_choose", "Pilih layanan.", "Choose a service."},
	{"case_open_exists", "Anda sudah mempunyai permohonan terbuka untuk layanan ini; lanjutkan "
	                     "permohonan itu dari halaman Permohonan.",
	    "You already have an open request for this service; go on with it from the Requests page."},
	{"sop_denied", "Layanan ini tidak dapat Anda ajukan.", "You cannot apply for this service."},
	{"serial_choose", "Pilih sertifikat yang dimaksud.",
	    "Choose the certificate this request is about."},
	{"cert_revoked", "Sertifikat ini sudah dicabut.", "This certificate is already revoked."},
	{"cert_expired", "Sertifikat ini sudah kedaluwarsa; ajukan permohonan baru.",
	    "This certificate has expired; make a new application."},
	{"cert_not_yours", "Sertifikat ini bukan milik Anda.", "This certificate is not yours."},
	{"cert_renew_early", "Sertifikat ini belum dapat diperbarui: pembaruan dibuka menjelang masa "
	                     "berlakunya habis.",
	    "This certificate cannot be renewed yet: renewal opens shortly before it expires."},

	/* identity data (engine, auth) */
	{"nik_format", "{} harus 16 angka sesuai format NIK Dukcapil (kode wilayah, tanggal lahir, "
	               "nomor urut).",
	    "{} must be the 16 digits of a Dukcapil NIK (region code, date of birth, serial)."},
	{"nip_format", "{} harus 18 angka sesuai format NIP (tanggal lahir, TMT, jenis kelamin, "
	               "nomor urut).",
	    "{} must be the 18 digits of a NIP (date of birth, appointment, sex, serial)."},
	{"email_format", "{} bukan alamat e-mail yang benar (contoh: nama@instansi.go.id).",
	    "{} is not a valid e-mail address (for example name@agency.go.id)."},
	{"email_domain", "{} harus memakai domain e-mail instansi.",
	    "{} must be on the agency's e-mail domain."},
	{"not_account", "{} harus sama dengan yang tercatat di akun pemohon.",
	    "{} must be the one recorded on the applicant's account."},
	{"no_account_nik", "Akun pemohon belum mencatat NIK; hubungi administrator.",
	    "The applicant's account records no NIK; ask the administrator."},
	{"text_bad", "{} harus 1 sampai 128 karakter teks biasa.",
	    "{} must be 1 to 128 characters of plain text."},

	/* documents and reasons of a SOP (engine) */
	{"doc_missing", "Dokumen \"{}\" belum diunggah. Unggah dulu, lalu kirim lagi.",
	    "The document \"{}\" is not uploaded yet. Upload it, then submit again."},
	{"doc_missing_own", "Dokumen \"{}\" harus diunggah pada langkah ini.",
	    "The document \"{}\" must be uploaded at this step."},
	{"reason_unknown", "Pilih alasan dari daftar.", "Choose a reason from the list."},
	{"reason_required", "Pilih alasan pencabutan dari daftar.",
	    "Choose the revocation reason from the list."},
	{"reason_by_staff", "Alasan dicatat oleh petugas dari surat Anda; biarkan pilihan alasan kosong.",
	    "The staff record the reason from your letter; leave the reason empty."},

	/* holder passphrase rules (keys/rules.c) */
	{"pass_empty", "{} wajib diisi.", "{} is required."},
	{"pass_long", "{} terlalu panjang.", "{} is too long."},
	{"pass_chars", "{} memuat karakter kontrol atau bukan UTF-8.",
	    "{} has control characters or is not UTF-8."},
	{"pass_short", "{} terlalu pendek; lihat panjang minimal pada aturan.",
	    "{} is too short; see the minimum length in the rule."},
	{"pass_distinct", "{} harus memuat paling sedikit 5 karakter berbeda.",
	    "{} needs at least 5 different characters."},
	{"pass_digits", "{} tidak boleh hanya angka (PIN, tanggal atau nomor identitas mudah ditebak).",
	    "{} must not be only digits (a PIN, a date or an ID number is guessed first)."},
	{"pass_common", "{} memuat kata yang umum dipakai; pilih kata lain.",
	    "{} contains a common word; choose other words."},
	{"pass_account", "{} tidak boleh memuat nama pengguna Anda.",
	    "{} must not contain your user name."},
	{"pass_name", "{} tidak boleh memuat bagian dari nama Anda.",
	    "{} must not contain part of your name."},
	{"pass_nik", "{} tidak boleh memuat NIK Anda atau 8 angka darinya.",
	    "{} must not contain your NIK or 8 digits of it."},
	{"pass_nip", "{} tidak boleh memuat NIP Anda atau 8 angka darinya.",
	    "{} must not contain your NIP or 8 digits of it."},
	{"pass_birth", "{} tidak boleh memuat tanggal lahir Anda.",
	    "{} must not contain your birth date."},
	{"pass_email", "{} tidak boleh memuat bagian dari alamat e-mail Anda.",
	    "{} must not contain part of your e-mail address."},

	/* account password rules (auth/password.c) */
	{"pw_empty", "{} wajib diisi.", "{} is required."},
	{"pw_long", "{} terlalu panjang.", "{} is too long."},
	{"pw_chars", "{} memuat karakter kontrol atau bukan UTF-8.",
	    "{} has control characters or is not UTF-8."},
	{"pw_short", "{} terlalu pendek; lihat panjang minimal pada aturan.",
	    "{} is too short; see the minimum length in the rule."},
	{"pw_account", "{} tidak boleh memuat nama pengguna Anda.",
	    "{} must not contain your user name."},
	{"pw_nik", "{} tidak boleh memuat NIK Anda.", "{} must not contain your NIK."},
	{"pw_nip", "{} tidak boleh memuat NIP Anda.", "{} must not contain your NIP."},
	{"pw_email", "{} tidak boleh memuat alamat e-mail Anda.",
	    "{} must not contain your e-mail address."},
	{"pw_name", "{} tidak boleh memuat kata dari nama Anda.",
	    "{} must not contain a word of your name."},
	{"pw_guessable", "{} terlalu mudah ditebak: beberapa kata acak dengan angka lebih kuat dan "
	                 "mudah diingat.",
	    "{} is too easy to guess: a few random words with a number are strong and easy to "
	    "remember."},

	/* administration and registry pages (routes_portal_admin.c,
	 * routes_portal_registry.c, routes_portal_sops.c) */
	{"org_required", "ID dan nama instansi wajib diisi.", "The agency's id and name are required."},
	{"person_required", "ID, nama dan e-mail wajib diisi.", "The id, name and e-mail are required."},
	{"name_email_required", "Nama dan e-mail wajib diisi.", "The name and e-mail are required."},
	{"nik_locked", "NIK tidak dapat diubah selama ada permohonan terbuka atau sertifikat aktif.",
	    "The NIK cannot change while the person has an open case or an active certificate."},
	{"email_reauth", "Mengubah alamat e-mail memerlukan masuk ulang: keluar lalu masuk kembali.",
	    "Changing an e-mail address needs a recent sign-in: sign out and in again."},
	{"role_choose", "Pilih peran.", "Choose a role."},
	{"yaml_text", "Isi harus berupa teks YAML (UTF-8).", "The definition must be YAML text (UTF-8)."},
	{"serial_bad", "Nomor seri tidak sah.", "Not a serial number."},
	{"note_long", "Catatan paling banyak 512 byte.", "The note is at most 512 bytes."},
	{"cert_not_active", "Tidak ada sertifikat aktif dengan nomor seri itu di instansi ini.",
	    "No active certificate with that serial number in this agency."},

	/* whole-page refusals (pg_refused) */
	{"form_type_urlencoded", "Kirim formulir sebagai application/x-www-form-urlencoded.",
	    "Send the form as application/x-www-form-urlencoded."},
	{"form_unreadable", "Isi formulir tidak dapat dibaca.",
	    "The form could not be read."},
	{"form_type_multipart", "Kirim formulir ini sebagai multipart/form-data.",
	    "Send this form as multipart/form-data."},
	{"csrf_expired", "Token keamanan formulir tidak ada atau salah. Muat ulang halaman lalu kirim lagi.",
	    "The form's security token is missing or wrong. Reload the page and send it again."},
	{"session_ended", "Silakan masuk kembali.",
	    "Please sign in again."},
	{"form_too_large", "Isi formulir melebihi batas.",
	    "The form is larger than the limit."},
	{"admin_only", "Halaman ini hanya untuk administrator instansi ini.",
	    "This page is for this agency's administrators only."},
	{"person_unknown", "Pengguna tidak ditemukan.",
	    "No such person."},
	{"mail_unknown", "Pesan tidak ditemukan.",
	    "No such message."},
	{"case_unknown", "Permohonan ini tidak ada atau Anda tidak terlibat di dalamnya.",
	    "This case does not exist or you take no part in it."},
	{"document_unknown", "Dokumen ini tidak ada pada permohonan ini.",
	    "No such document in this case."},
	{"page_number", "Nomor halaman harus bilangan bulat positif.",
	    "The page must be a positive integer."},
	{"registry_only", "Daftar ini hanya untuk administrator dan operator CA instansi.",
	    "This registry is for the agency's administrators and CA operators only."},
	{"registry_other_org", "Daftar instansi lain hanya untuk administrator instansi penyelenggara.",
	    "Other agencies' registries are for the instance's administrators only."},
	{"org_unknown", "Tidak ada instansi dengan ID tersebut.",
	    "There is no agency with that id."},
	{"revoke_ca_only", "Hanya operator CA yang mencabut sertifikat.",
	    "Only a CA operator revokes certificates."},
	{"sla_staff_only", "Dasbor SLA hanya untuk staf instansi ini.",
	    "The SLA dashboard is for this agency's staff only."},
	{"version_unknown", "Versi tidak ditemukan.",
	    "No such version."},

	/* refusals without an id, by code (the detail is logged, not shown) */
	{"ref_invalid", "Isian tidak dapat diterima. Periksa kembali formulir.",
	    "The input was not accepted. Check the form again."},
	{"ref_notfound", "Yang diminta tidak ditemukan.", "What was asked for was not found."},
	{"ref_exists", "Data ini sudah ada.", "This already exists."},
	{"ref_policy", "Permintaan ini tidak diizinkan oleh aturan layanan.",
	    "The service's rules do not allow this request."},
	{"ref_state", "Langkah ini tidak dapat dilakukan pada keadaan sekarang. Muat ulang halaman.",
	    "This cannot be done in the current state. Reload the page."},
	{"ref_limit", "Batas terlampaui.", "A limit was exceeded."},
	{"ref_denied", "Anda tidak berwenang melakukan ini.", "You may not do this."},
};

static const struct {
	const char *field, *id, *en;
} labels[] = {
	{"name", "Nama lengkap", "Full name"},
	{"nik", "NIK", "NIK"},
	{"nip", "NIP", "NIP"},
	{"email", "E-mail", "E-mail"},
	{"organization", "Instansi", "Agency"},
	{"unit", "Unit kerja", "Unit"},
	{"position", "Jabatan", "Position"},
	{"locality", "Kabupaten/Kota", "Locality"},
	{"province", "Provinsi", "Province"},
	{"passphrase", "Passphrase", "Passphrase"},
	{"password", "Kata sandi", "Password"},
	{"current", "Kata sandi sekarang", "Current password"},
	{"code", "Kode", "Code"},
	{"login", "Nama pengguna atau e-mail", "User name or e-mail"},
	{"sop", "Layanan", "Service"},
	{"confirm", "Ulangan", "Repeated entry"},
	{"reason", "Alasan", "Reason"},
	{"photo", "Pasfoto", "Photo"},
	{"file", "Berkas", "File"},
	{"doc", "Jenis dokumen", "Document"},
	{"note", "Catatan", "Note"},
	{"serial", "Nomor seri sertifikat", "Certificate serial number"},
};

const msgcat_entry *msgcat_find(const char *key)
{
	if (key == NULL || *key == 0)
		return NULL;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(table[i].key, key) == 0)
			return &table[i];
	return NULL;
}

const msgcat_entry *msgcat_table(size_t *n)
{
	*n = sizeof table / sizeof table[0];
	return table;
}

int msgcat_field_label(const char *field, const char **id, const char **en)
{
	for (size_t i = 0; field && i < sizeof labels / sizeof labels[0]; i++)
		if (strcmp(labels[i].field, field) == 0) {
			*id = labels[i].id;
			*en = labels[i].en;
			return 1;
		}
	return 0;
}

const msgcat_entry *msgcat_generic(int code)
{
	switch ((oa_err)code) {
	case OA_ERR_NOTFOUND: return msgcat_find("ref_notfound");
	case OA_ERR_EXISTS: return msgcat_find("ref_exists");
	case OA_ERR_POLICY: return msgcat_find("ref_policy");
	case OA_ERR_STATE: return msgcat_find("ref_state");
	case OA_ERR_LIMIT: return msgcat_find("ref_limit");
	case OA_ERR_DENIED: return msgcat_find("ref_denied");
	default: return msgcat_find("ref_invalid");
	}
}
