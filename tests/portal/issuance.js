'use strict';
/*
 * issuance.js - SOP 001 (meranti-penerbitan) clicked through in chromium as
 * each role in turn: the applicant starts the request and uploads the four
 * PDFs, kadis and kabid forward, the verifier verifies and says "Ya", the
 * identity form (with photo) and the set-passphrase form are reached through
 * the links of the e-mails the test SMTP server received, BSrE issues, and
 * the applicant downloads the certificate from /portal/certificates; openssl
 * verifies it against the CA chain of the instance.
 */
const path = require('path');
const { run, ok, openssl, execFileSync, OPENAMS } = require('./lib');
const f = require('./flows');

run('issuance', async (h) => {
	// before choosing: each service's documents and total standard time
	await h.login('pemohon.demo');
	await h.visit('/portal/requests/new', 'request-summary', 200);
	const opt = (await h.page.locator('label[for]', { has: h.page.locator('strong') })
		.filter({ hasText: 'PENERBITAN' }).first().innerText()).replace(/\s+/g, ' ');
	ok(/Dokumen yang Anda lampirkan[^:]*: Surat Permohonan, Formulir Rekomendasi BSrE, FC KTP, FC SK Terakhir Pegawai/
		.test(opt), 'the issuance service lists the documents to attach', opt);
	const sim = execFileSync(OPENAMS, ['sop', 'simulate',
		path.join(h.dir, 'sop/001-penerbitan-meranti.yaml')], { encoding: 'utf8' });
	const [, hh, mm] = /total standard time: (\d+) h (\d+) min/.exec(sim) || [];
	ok(hh && opt.includes('Waktu baku seluruhnya') && opt.includes(hh + ' jam ' + mm + ' menit'),
		'... and its total standard time, as sop simulate counts it (' + hh + ' h ' + mm + ' min)', opt);
	const id = await f.sop001UpTo(h, 5);
	// a decision's buttons say what they do: the definition's yes_label / no_label
	const buttons = async (name) => {
		if (new URL(h.page.url()).pathname !== '/portal/cases/' + id)
			await h.visit('/portal/cases/' + id, name);
		const b = (v) => h.page.locator('button[name=decision][value=' + v + ']').first().innerText();
		return [await b('yes'), await b('no')];
	};
	await h.login('verifikator.demo');
	let [yesT, noT] = await buttons('decision-labels-5');
	ok(/^Lengkap - registrasi awal, kirim tautan aktivasi/.test(yesT),
		'step 5: the yes button says what it does (yes_label)', yesT);
	ok(/^Kurang lengkap - pemohon melengkapi berkas/.test(noT),
		'step 5: the no button too (no_label)', noT);
	await f.act(h, id, 'verifikator.demo', 'yes', 'Berkas lengkap dan sesuai');
	await f.identityForm(h);
	await f.expectStep(h, id, 8, 'after the identity form');
	await h.login('verifikator.demo');
	await f.fromInbox(h, id, 'verifikator-identity');
	ok(await h.page.locator('body').innerText().then((t) => t.includes('Selatpanjang')),
		'the verifier sees the identity data on the case page');
	const idt = await h.page.locator('#identity').innerText().catch(() => '');
	const line = (label) => idt.split('\n').find((l) => l.startsWith(label)) || '';
	ok(/Data akun/.test(idt) && /1471015505900001\s+1471015505900001/.test(line('NIK')) &&
		!/berbeda/.test(line('NIK')) && !/berbeda/.test(line('Nama')),
		'the verifier sees the account data beside the submitted data (NIK and name agree)', idt);
	ok(/berbeda/.test(line('Unit kerja')),
		'a unit typed unlike the account\'s is flagged "berbeda / differs"', idt);
	[yesT, noT] = await buttons('decision-labels-8');
	ok(/^Ya - lanjut ke langkah 9/.test(yesT) && /^Tidak - kembali ke langkah 7 \(/.test(noT),
		'step 8 (no labels in the definition): the buttons name where each branch goes',
		yesT + ' | ' + noT);
	await f.act(h, id, 'verifikator.demo', 'yes', 'Data sesuai');
	await f.expectStep(h, id, 10, 'after the verifier approves the identity');
	await f.setPassphrase(h, 'Selat-Panjang-biru-2026!');
	await f.expectStep(h, id, 11, 'after the passphrase');
	await h.login('bsre.demo');
	await f.fromInbox(h, id, 'bsre');
	// before issuing: the certificate to be made, and a confirmation
	const pv = (await h.page.locator('#cert-preview').innerText().catch(() => '')).replace(/\s+/g, ' ');
	ok(/Sertifikat yang akan diterbitkan/.test(pv) && pv.includes('1471015505900001') &&
		pv.includes('Siti Rahmawati') && /individual/.test(pv) && /2 tahun kalender/.test(pv),
		'the issuing step shows the certificate to be made (name, NIK, profile, validity)', pv);
	// the box is required; a POST without it is refused and nothing is issued
	await h.page.evaluate(() => document.querySelector('input[name=confirm]').removeAttribute('required'));
	const noConf = await h.submit(h.page.locator('form[action$="/act"] button[value=done]'),
		'issue-unconfirmed');
	ok(noConf && noConf.status() === 422 && /konfirmasi/.test(await h.page.textContent('body')),
		'issuing without the confirmation: 422, says so', noConf && noConf.status());
	await f.expectStep(h, id, 11, 'after an unconfirmed issue (nothing done)');
	const label = await f.act(h, id, 'bsre.demo', 'done', 'Diterbitkan');
	const res = (await h.page.locator('#result').innerText().catch(() => '')).replace(/\s+/g, ' ');
	ok(/Sertifikat diterbitkan:.* [0-9a-f]{20,}/.test(res) && /Kembali ke kotak tugas/.test(res),
		'after issuing: the serial issued, and the way back to the inbox', res);
	ok(/Terbitkan/i.test(label), 'the issue button says "Terbitkan"', label);
	const c = await f.caseOf(h, id);
	ok(c && c.state === 'completed', 'the case is completed after issuance', c && c.state);
	const cm = await h.mailLink(/^\/status\?serial=/);
	ok(cm, 'the cert_issued e-mail arrived with /status?serial=SERIAL');
	if (cm) {
		await h.visit(cm.link, 'cert-issued-mail-link', 200);
		const st = await h.page.textContent('body');
		ok(/Baik \(berlaku\)/.test(st), "the e-mail's link opens the status page: good (valid)",
			st.slice(0, 200));
	}
	const pem = await f.downloadCert(h, f.APPLICANT);
	if (pem) {
		const v = openssl(['verify', '-CAfile', path.join(h.dir, 'pki/chain.pem'), pem]);
		ok(v.status === 0 && /: OK/.test(v.out), 'openssl verify: the downloaded certificate ' +
			'chains to the instance CA', v.out);
		const t = openssl(['x509', '-in', pem, '-noout', '-subject']);
		ok(/Siti Rahmawati/.test(t.out), 'its subject is the name typed in the identity form', t.out);
	}
});
