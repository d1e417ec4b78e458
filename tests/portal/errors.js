'use strict';
/*
 * errors.js - refusals people understand (issue 21, item 1): forms sent
 * with several wrong fields at once come back with every problem, each in
 * Indonesian (English second) from the one message catalogue
 * (src/portal/msgcat.c), beside its field (aria-invalid, aria-describedby)
 * and in a summary at the top linking to the fields; what was typed is kept
 * (never a passphrase), and no internal id (a document id such as
 * surat_permohonan, a reason id) or English-only module sentence ("must be
 * exactly", "is not a reason", "needs document", "contains part of the
 * person's name") reaches the page.  The browser skips its own checks
 * (form.noValidate), so what is checked is the server's answer.
 */
const { run, ok, pdf, PNG } = require('./lib');
const f = require('./flows');

/* Module sentences and ids that must not reach a page. */
const FORBIDDEN = ['surat_permohonan', 'formulir_rekomendasi', 'fc_ktp', 'fc_sk', 'must be exactly',
	'is not a reason', 'needs document', "contains part of the person's name",
	'bogus_reason', 'meranti-pencabutan'];

async function text(h) {
	return h.page.locator('main').innerText();
}

async function noInternal(h, what) {
	const t = await text(h);
	const found = FORBIDDEN.filter((s) => t.includes(s));
	ok(found.length === 0, what + ': no internal id or English-only sentence on the page', found);
}

/* The message beside field name: #e_<name> inside the field, the input
 * marked invalid and described by it, and the summary linking to it. */
async function beside(h, name, re, what) {
	const input = h.page.locator('#f_' + name);
	const msg = h.page.locator('#e_' + name);
	const shown = await msg.count() ? await msg.innerText() : '';
	ok(re.test(shown), what + ': "' + re.source + '" beside the field ' + name, shown || 'no #e_' + name);
	const inv = await input.count() ? await input.getAttribute('aria-invalid') : null;
	const desc = await input.count() ? await input.getAttribute('aria-describedby') || '' : '';
	ok(inv === 'true' && desc.split(' ').includes('e_' + name), what + ': #f_' + name +
		' is aria-invalid and described by its message', inv + ' / ' + desc);
	const link = h.page.locator('#errors a[href="#f_' + name + '"]');
	ok(await link.count() > 0, what + ': the summary at the top links to #f_' + name);
}

async function send(h, form, shot) {
	await h.page.evaluate((sel) => { document.querySelector(sel).noValidate = true; }, form);
	return h.submit(h.page.locator(form + ' button[type=submit]').last(), shot);
}

run('errors', async (h) => {
	/* 1. the request form: a revocation without its certificate and with a
	 * reason that is not one of the SOP's */
	await h.login(f.APPLICANT);
	await h.visit('/portal/requests/new', 'request-new', 200);
	await h.page.check('input[name=sop][value="meranti-pencabutan"]');
	await h.page.evaluate(() => {
		const s = document.querySelector('select[name=reason]');
		const o = document.createElement('option');
		o.value = 'bogus_reason';
		o.textContent = 'x';
		s.appendChild(o);
		s.value = 'bogus_reason';
	});
	let r = await send(h, 'form[action="/portal/requests"]', 'request-two-problems');
	await beside(h, 'serial', /Pilih sertifikat yang dimaksud\./, 'request form');
	await beside(h, 'reason', /Pilih alasan dari daftar\./, 'request form');
	ok(r && r.status() === 422 && await h.page.locator('#errors li').count() === 2 &&
		await h.page.isChecked('input[name=sop][value="meranti-pencabutan"]'),
		'request form: 422, the summary lists both problems, the service chosen is kept',
		await h.page.locator('#errors').innerText().catch(() => 'no #errors'));

	/* 2. the case page: the applicant submits step 1 with no document */
	const id = await f.openRequest(h, f.APPLICANT, 'meranti-penerbitan');
	r = await send(h, 'form[action="/portal/cases/' + id + '/act"]', 'act-no-documents');
	const docs = await h.page.locator('#e_doc').innerText().catch(() => '');
	for (const t of ['Surat Permohonan', 'Formulir Rekomendasi BSrE', 'FC KTP', 'FC SK Terakhir Pegawai'])
		ok(docs.includes('Dokumen "' + t + '" belum diunggah'), 'the missing document "' + t +
			'" is named by its title beside the document field', docs);
	await beside(h, 'doc', /belum diunggah/, 'case page');
	ok(r && r.status() === 422 && await h.page.locator('#errors li').count() === 4,
		'case page: 422, all four missing documents at once',
		await h.page.locator('#errors').innerText().catch(() => 'no #errors'));
	await noInternal(h, 'case page');

	/* 3. an upload that is not a PDF, JPEG or PNG */
	await h.page.selectOption('select[name=doc]', { value: 'surat_permohonan' });
	await h.page.setInputFiles('input[name=file]', h.file('surat.pdf', Buffer.from('hanya teks\n')));
	r = await h.submit(h.page.locator('form[action$="/documents"] button[type=submit]').first(),
		'upload-wrong-type');
	ok(r && r.status() === 415 && await h.page.locator('#errors li').count() === 1,
		'a text file as a document: 415, one problem in the summary', r && r.status());
	await beside(h, 'file', /Jenis berkas tidak diterima: hanya PDF, JPEG atau PNG/, 'upload');

	/* a second request of the same service while the first is open */
	await h.visit('/portal/requests/new', 'request-new-again', 200);
	await h.page.check('input[name=sop][value="meranti-penerbitan"]');
	r = await send(h, 'form[action="/portal/requests"]', 'request-second-open');
	ok(r && r.status() === 409 && await h.page.locator('#errors li').count() === 1,
		'a second open request of the same service: 409, one problem', r && r.status());
	await beside(h, 'sop', /Anda sudah mempunyai permohonan terbuka untuk layanan ini/,
		'request form');

	/* 4. the e-mailed identity form: two required fields empty, a wrong
	 * NIP, no photo */
	for (const d of ['surat_permohonan', 'formulir_rekomendasi', 'fc_ktp', 'fc_sk'])
		h.cli('case', 'attach', id, '--doc', d, '--file', h.file(d + '.pdf', pdf(d)), '--as',
			f.APPLICANT, '--role', 'pemohon');
	f.cliSop001(h, 7, id, 1);
	const m = await h.mailLink(/^\/link\/identity_form\//);
	if (!m)
		throw new Error('no identity_form e-mail');
	await h.logout();
	await h.visit(m.link, 'identity-form', 200);
	await f.fillIdentity(h, Object.assign({}, f.IDENTITY, { organization: '', unit: '', nip: '123',
		position: 'Analis Kebijakan' }));
	r = await send(h, 'form', 'identity-four-problems');
	await beside(h, 'organization', /Instansi wajib diisi\./, 'identity form');
	await beside(h, 'unit', /Unit kerja wajib diisi\./, 'identity form');
	await beside(h, 'nip', /NIP harus 18 angka/, 'identity form');
	await beside(h, 'photo', /Pasfoto wajib diisi\./, 'identity form');
	ok(r && r.status() === 422 && await h.page.locator('#errors li').count() === 4 &&
		await h.page.inputValue('#f_position') === 'Analis Kebijakan' &&
		await h.page.inputValue('#f_unit') === '',
		'identity form: 422, the four problems in the summary, what was typed kept (an emptied ' +
		'field stays empty)', await h.page.locator('#errors').innerText().catch(() => 'no #errors'));
	ok((await h.page.locator('#errors').innerText().catch(() => '')).includes('/ NIP must be'),
		'identity form: English second, after the Indonesian');
	await f.fillIdentity(h, { organization: f.IDENTITY.organization, unit: f.IDENTITY.unit,
		nip: f.IDENTITY.nip });
	await h.page.setInputFiles('input[name=photo]', h.file('foto.png', PNG));
	r = await h.submit(h.page.locator('form button[type=submit]').last(), 'identity-sent');
	if (!r || r.status() !== 200)
		throw new Error('the corrected identity form was refused: ' + (r && r.status()));

	/* 5. the set-passphrase form: a passphrase with the holder's name */
	f.cliSop001(h, 10, id, 8);
	const pm = await h.mailLink(/^\/link\/set_passphrase\//);
	if (!pm)
		throw new Error('no set_passphrase e-mail');
	await h.visit(pm.link, 'set-passphrase', 200);
	await h.page.fill('#f_passphrase', 'rahmawati berlayar ke pulau jauh');
	await h.page.fill('#f_confirm', 'rahmawati berlayar ke pulau jauh');
	r = await send(h, 'form', 'passphrase-with-name');
	await beside(h, 'passphrase', /Passphrase tidak boleh memuat bagian dari nama Anda\./,
		'set-passphrase form');
	ok(r && r.status() === 422 && await h.page.locator('#e_passphrase').count() === 1 &&
		await h.page.inputValue('#f_passphrase') === '' && await h.page.inputValue('#f_confirm') === '',
		'set-passphrase form: 422, the rule broken is shown, the passphrase is not given back');
	await noInternal(h, 'set-passphrase form');
	await h.page.fill('#f_passphrase', 'langit biru di atas selat panjang');
	await h.page.fill('#f_confirm', 'langit biru di atas selat');
	r = await send(h, 'form', 'passphrase-mismatch');
	await beside(h, 'confirm', /Isian ulangan tidak sama dengan isian pertama\./, 'set-passphrase form');
});
