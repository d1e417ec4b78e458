'use strict';
/*
 * revocation.js - SOP 003 (ciamis-pencabutan) clicked through in chromium as
 * each role in turn, for a certificate of the applicant issued beforehand
 * with the CLI (SOP 001 walked by `openams case act`, as scripts/demo.sh
 * does): the applicant chooses the certificate and the reason on
 * /portal/requests/new and uploads the letters, eselon II signs, kadis and
 * kabid forward and verify, BSrE verifies and revokes ("Cabut").  The serial
 * is then in the CRL served at /pki/issuing.crl (openssl crl) and OCSP at
 * /ocsp answers "revoked" (openssl ocsp).
 */
const path = require('path');
const { run, ok } = require('./lib');
const f = require('./flows');

/* The certificate to revoke: SOP 001 walked with the CLI. */
function issueWithCli(h) {
	const { serial } = f.cliSop001(h, 12);
	ok(serial, 'a certificate of the applicant issued with the CLI (SOP 001)', serial);
	h.cli('ca', 'cert', serial, '--out', path.join(h.tmp, 'holder.pem'));
	return serial;
}

run('revocation', async (h) => {
	const serial = issueWithCli(h);
	const id = await f.openRequest(h, f.APPLICANT, 'ciamis-pencabutan',
		{ serial, reason: 'alasan_lain' });
	for (const d of ['surat_permohonan', 'surat_keterangan', 'surat_keterangan_atasan'])
		await f.upload(h, id, d);
	await f.act(h, id, 'pemohon', 'done', 'Sertifikat tidak dipakai lagi');
	await f.expectStep(h, id, 2, 'after the applicant');
	const steps = [['eselon2.demo', null, 'done', 3], ['kadis.demo', 'formulir_disposisi', 'done', 4],
		['kabid.demo', 'surat_disposisi', 'done', 5], ['kabid.demo', null, 'yes', 6]];
	for (const [user, doc, decision, next] of steps) {
		await h.login(user);
		await f.fromInbox(h, id, user + '-' + next);
		if (doc)
			await f.upload(h, id, doc);
		await f.act(h, id, user, decision, 'Langkah oleh ' + user);
		await f.expectStep(h, id, next, 'after ' + user);
	}
	await h.login(f.APPLICANT);
	for (const next of [7, 8, 9]) {
		await h.visit('/portal/cases/' + id, 'applicant-' + (next - 1));
		await f.act(h, id, 'pemohon', 'done');
		await f.expectStep(h, id, next, 'after the applicant');
	}
	await h.login('bsre.demo');
	await f.fromInbox(h, id, 'bsre-9');
	await f.act(h, id, 'bsre.demo', 'done', 'Data sesuai');
	await f.expectStep(h, id, 10, 'after BSrE verifies');
	await h.visit('/portal/cases/' + id, 'revoke-preview');
	const pv = (await h.page.locator('#cert-preview').innerText().catch(() => '')).replace(/\s+/g, ' ');
	ok(/Sertifikat yang akan dicabut/.test(pv) && pv.toLowerCase().includes(serial.toLowerCase()) &&
		/Alasan/.test(pv), 'the revoking step shows the certificate and the reason', pv);
	ok(await h.page.locator('input[name=confirm][required]').count() === 1,
		'... and asks for a confirmation');
	const label = await f.act(h, id, 'bsre.demo', 'done', 'Dicabut');
	ok(/Cabut/i.test(label), 'the revoke button says "Cabut"', label);
	const res = (await h.page.locator('#result').innerText().catch(() => '')).replace(/\s+/g, ' ');
	ok(/Sertifikat dicabut:/.test(res) && res.toLowerCase().includes(serial.toLowerCase()),
		'after revoking: the serial revoked, and the way back', res);
	const c = await f.caseOf(h, id);
	ok(c && c.state === 'completed', 'the case is completed after the revocation', c && c.state);

	await f.checkRevoked(h, serial, path.join(h.tmp, 'holder.pem'));
});
