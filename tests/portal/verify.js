'use strict';
/*
 * verify.js - the public verification page in chromium, without signing in.
 * A certificate of the applicant is issued by walking SOP 001 with the CLI
 * (the passphrase step seals the key on the server), a letter is signed
 * with it by `openams sign pdf --nik` (PAdES B-LT from the instance's TSA,
 * a visible signature whose QR code points at /verify), then /verify: the
 * upload shows one signature, valid, by the holder, intact, trusted, with a
 * valid time-stamp and long-term validation data; the same file again is
 * answered from the cache; a copy with one byte changed is shown broken;
 * an unsigned PDF has no signature; a file that is no PDF gets 422.
 * Then what a browser meets off the map (issue 21, item 1): an address that
 * does not exist is a page (404, both languages, the way home), the API's
 * stays JSON, and the icon every page names is there (no favicon 404s).
 */
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { run, ok, request } = require('./lib');
const f = require('./flows');

run('verify', async (h) => {
	const { serial } = f.cliSop001(h, 12);
	ok(serial, 'a certificate of the applicant issued with the CLI (SOP 001)', serial);
	const letter = path.join(h.tmp, 'letter.pdf');
	execFileSync(process.env.PYTHON || 'python3',
		[path.join(process.env.OPENAMS_SRC, 'tests/sign/mkpdf.py'), letter, '1']);
	const signed = path.join(h.tmp, 'signed.pdf');
	const out = h.cli('sign', 'pdf', '--in', letter, '--out', signed, '--nik', f.IDENTITY.nik,
		'--passphrase-file', h.file('pp2', 'langit biru di atas selat panjang\n'),
		'--reason', 'Persetujuan', '--location', 'Selatpanjang',
		'--visible', '1,330,60,220,70', '--qr', h.base + '/verify',
		'--line', 'Ditandatangani secara elektronik oleh', '--line', f.IDENTITY.name);
	ok(out.includes(serial), 'openams sign pdf --nik signs with the sealed key', out);

	const upload = async (file, name) => {
		await h.visit('/verify', name + '-form', 200);
		await h.page.setInputFiles('input[name=file]', file);
		return h.submit(h.page.locator('form[action="/verify"] button[type=submit]'), name);
	};
	let resp = await upload(signed, 'verify-signed');
	let text = await h.page.textContent('body');
	ok(resp && resp.status() === 200, 'POST /verify: 200', resp && resp.status());
	ok(resp.headers()['x-openams-verify-cache'] === 'miss', 'the first upload is verified',
		resp.headers()['x-openams-verify-cache']);
	ok(/Jumlah tanda tangan\s*\/?\s*Signatures\s*1/.test(text.replace(/\s+/g, ' ')) ||
		/Signatures\s*1/.test(text.replace(/\s+/g, ' ')), 'one signature', text.slice(0, 300));
	ok(text.includes(f.IDENTITY.name), 'the signer is the holder', f.IDENTITY.name);
	for (const [what, re] of [['valid', /Sah/], ['intact', /Utuh/], ['trusted', /Dipercaya/],
		['certificate good', /Baik/], ['time-stamp valid', /Cap waktu[\s\S]*Sah/],
		['long-term validation data', /Ada \(LTV\)/], ['reason', /Persetujuan/],
		['only allowed additions after it', /Hanya tambahan yang diizinkan/]])
		ok(re.test(text), 'the page says: ' + what);
	ok(!/Tidak sah|Rusak|Tidak dipercaya/.test(text), 'and nothing says otherwise');

	resp = await upload(signed, 'verify-again');
	ok(resp.headers()['x-openams-verify-cache'] === 'hit', 'the same file again: from the cache',
		resp.headers()['x-openams-verify-cache']);

	const bytes = fs.readFileSync(signed);
	const i = bytes.indexOf(Buffer.from('Surat Keputusan'));
	bytes[i + 2] = bytes[i + 2] === 0x78 ? 0x79 : 0x78;
	resp = await upload(h.file('tampered.pdf', bytes), 'verify-tampered');
	text = await h.page.textContent('body');
	ok(resp.status() === 200 && /Rusak/.test(text) && /Tidak sah/.test(text),
		'one byte changed: the signature is shown broken', resp.status());

	resp = await upload(letter, 'verify-unsigned');
	text = await h.page.textContent('body');
	ok(/tidak memuat tanda tangan/.test(text), 'an unsigned PDF: no signature');

	resp = await upload(h.file('junk.pdf', 'not a pdf at all\n'), 'verify-junk');
	ok(resp.status() === 422, 'a file that is no PDF: 422', resp.status());

	resp = await h.visit('/tidak-ada/sama-sekali', 'notfound', 404);
	text = await h.page.textContent('body');
	ok(resp.headers()['content-type'].startsWith('text/html'), 'an unknown address: a page',
		resp.headers()['content-type']);
	ok(/Tidak ditemukan/.test(text) && /Kembali ke beranda/.test(text),
		'... that says so and leads home', text.slice(0, 200));
	ok(await h.page.locator('a[href="/"]').count() > 0, '... with a link to the home page');
	for (const p of ['/tidak-ada/sama-sekali', '/verify']) {
		await h.visit(p, 'icon' + p.replace(/\//g, '-'));
		const href = await h.page.getAttribute('link[rel=icon]', 'href');
		const icon = href && await request(h.port, 'GET', href);
		ok(icon && icon.status === 200 && icon.headers['content-type'] === 'image/svg+xml' &&
			icon.body.includes('<svg'), p + ' names an icon that is there (' + href + ')',
			icon && icon.status);
	}
	const ico = await request(h.port, 'GET', '/favicon.ico');
	ok(ico.status === 200 && /svg/.test(ico.headers['content-type']), '/favicon.ico: the icon',
		ico.status);
	const api = await request(h.port, 'GET', '/api/v1/tidak-ada', null, { Accept: 'text/html' });
	ok(api.status === 404 && api.headers['content-type'].startsWith('application/json') &&
		JSON.parse(api.body).error.code === 'not_found', 'under /api/: still the JSON error',
		api.status);
	const bare = await request(h.port, 'GET', '/tidak-ada');
	ok(bare.status === 404 && bare.headers['content-type'].startsWith('application/json'),
		'a client that does not ask for HTML: the JSON error', bare.status);
});
