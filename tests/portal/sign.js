'use strict';
/*
 * sign.js - a holder signs a PDF in chromium: a certificate of the applicant
 * is issued by walking SOP 001 with the CLI (the passphrase step seals the
 * key here); the applicant signs in, opens /portal/sign from the menu,
 * chooses a letter, page 2, the top-left corner, a reason, the passphrase,
 * and the browser downloads the signed PDF.  Checked by tools openams did
 * not write: pdfsig (valid), qpdf --check, the original as an exact prefix,
 * and `openams sign verify` (intact, time-stamped, LTV); poppler draws the
 * signature on page 2 only.  A wrong passphrase is refused (403) and
 * counted; an invisible signature downloads too; a password-protected
 * letter is signed with its password and stays protected; a person without
 * a certificate is sent to request one.
 */
const fs = require('fs');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const { run, ok } = require('./lib');
const f = require('./flows');

run('sign', async (h) => {
	const { serial } = f.cliSop001(h, 12);
	ok(serial, 'a certificate of the applicant issued with the CLI (SOP 001)', serial);
	const letter = path.join(h.tmp, 'surat.pdf');
	execFileSync(process.env.PYTHON || 'python3',
		[path.join(process.env.OPENAMS_SRC, 'tests/sign/mkpdf.py'), letter, '2']);

	await h.login(f.APPLICANT);
	await h.visit('/portal', 'home', 200);
	const link = h.page.locator('nav a[href="/portal/sign"]');
	ok(await link.count() === 1, 'the menu links to /portal/sign');
	await h.visit('/portal/sign', 'sign-form', 200);
	ok((await h.page.textContent('body')).includes(serial), 'the form names the certificate used');

	const fill = async (pass, opts) => {
		await h.visit('/portal/sign', 'sign-form-' + opts.name, 200);
		await h.page.setInputFiles('input[name=file]', opts.file || letter);
		if (opts.invisible)
			await h.page.check('input[name=tampilan][value=invisible]');
		await h.page.fill('input[name=page]', String(opts.page || 1));
		await h.page.selectOption('select[name=posisi]', opts.corner || 'br');
		await h.page.fill('input[name=reason]', 'Persetujuan Surat Keputusan');
		await h.page.fill('input[name=location]', 'Selatpanjang');
		await h.page.fill('input[name=passphrase]', pass);
	};
	const button = () => h.page.locator('form[action="/portal/sign"] button[type=submit]');
	/* each POST unseals the key (Argon2id, 64 MiB) and time-stamps: seconds under
	 * ASan on a loaded machine, more than the 8 s the other pages get */
	h.page.setDefaultTimeout(60000);
	h.page.setDefaultNavigationTimeout(60000);

	/* a wrong passphrase: refused, counted */
	await fill('bukan frasa sandi yang benar 1', { name: 'wrong' });
	let resp = await h.submit(button(), 'sign-wrong');
	ok(resp && resp.status() === 403, 'a wrong passphrase: 403', resp && resp.status());
	ok(/Frasa sandi salah/.test(await h.page.textContent('body')), '... says the passphrase is wrong');

	/* the right one: the browser downloads the signed PDF */
	await fill('langit biru di atas selat panjang', { name: 'ok', page: 2, corner: 'tl' });
	const [dl] = await Promise.all([h.page.waitForEvent('download', { timeout: 30000 }),
		button().click()]);
	const signed = path.join(h.tmp, 'signed.pdf');
	fs.copyFileSync(await dl.path(), signed);
	ok(/surat-ttd\.pdf$/.test(dl.suggestedFilename()), 'downloaded as surat-ttd.pdf',
		dl.suggestedFilename());
	const orig = fs.readFileSync(letter), out = fs.readFileSync(signed);
	ok(out.length > orig.length && out.subarray(0, orig.length).equals(orig),
		'the original is an exact prefix of the download');
	const sig = spawnSync('pdfsig', ['-no-ocsp', signed], { encoding: 'utf8' });
	ok(/Signature is Valid/.test(sig.stdout), 'pdfsig: the signature is valid', sig.stdout);
	ok(spawnSync('qpdf', ['--check', signed]).status === 0, 'qpdf --check passes');
	const v = spawnSync(process.env.OPENAMS, ['sign', 'verify', '--dir', h.dir, '--in', signed],
		{ encoding: 'utf8' });
	ok(v.status === 0 && /intact: yes/.test(v.stdout) && /time-stamp: valid/.test(v.stdout) &&
		/validation data \(\/DSS \/VRI\): yes/.test(v.stdout) &&
		v.stdout.includes('serial: ' + serial),
		'openams sign verify: intact, trusted, time-stamped, B-LT, by the certificate', v.stdout);
	/* drawn on page 2, not page 1 */
	const draw = (pdf, pg) => {
		spawnSync('pdftoppm', ['-gray', '-r', '30', '-f', String(pg), '-l', String(pg), pdf,
			path.join(h.tmp, 'r')]);
		const files = fs.readdirSync(h.tmp).filter((n) => /^r-\d+\.pgm$/.test(n));
		const b = fs.readFileSync(path.join(h.tmp, files[0]));
		files.forEach((n) => fs.unlinkSync(path.join(h.tmp, n)));
		return b;
	};
	ok(draw(letter, 1).equals(draw(signed, 1)), 'page 1 renders as before');
	ok(!draw(letter, 2).equals(draw(signed, 2)), 'page 2 shows the signature');

	/* invisible */
	await fill('langit biru di atas selat panjang', { name: 'invisible', invisible: true });
	const [dl2] = await Promise.all([h.page.waitForEvent('download', { timeout: 30000 }),
		button().click()]);
	const inv = path.join(h.tmp, 'invisible.pdf');
	fs.copyFileSync(await dl2.path(), inv);
	ok(/Signature is Valid/.test(spawnSync('pdfsig', ['-no-ocsp', inv], { encoding: 'utf8' }).stdout),
		'an invisible signature downloads and is valid');

	/* a password-protected letter (qpdf, AES-256): signed with its password */
	const locked = path.join(h.tmp, 'terkunci.pdf');
	execFileSync('qpdf', ['--encrypt', 'rahasia-surat', 'pemilik-surat', '256', '--', letter, locked]);
	await fill('langit biru di atas selat panjang', { name: 'locked', file: locked });
	await h.page.fill('input[name=pdf_password]', 'rahasia-surat');
	const [dl3] = await Promise.all([h.page.waitForEvent('download', { timeout: 30000 }),
		button().click()]);
	const lockedSigned = path.join(h.tmp, 'terkunci-ttd.pdf');
	fs.copyFileSync(await dl3.path(), lockedSigned);
	ok(/Signature is Valid/.test(spawnSync('pdfsig', ['-no-ocsp', '-upw', 'rahasia-surat',
		lockedSigned], { encoding: 'utf8' }).stdout),
		'a password-protected letter: signed, pdfsig -upw valid');
	ok(spawnSync('qpdf', ['--requires-password', lockedSigned]).status === 0,
		'... and the download still needs the password (qpdf --requires-password)');
	ok(spawnSync('qpdf', ['--check', '--password=rahasia-surat', lockedSigned]).status === 0,
		'... qpdf --check with the password passes');

	/* a person without a certificate is sent to request one */
	await h.login('kadis.demo');
	await h.visit('/portal/sign', 'sign-nocert', 200);
	ok(await h.page.locator('a[href="/portal/requests/new"]').count() > 0,
		'without a certificate: a link to request one');
});
