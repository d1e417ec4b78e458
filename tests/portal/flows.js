'use strict';
/*
 * flows.js - the portal actions the scenarios are made of, written against
 * the form names of docs/PORTAL.md ("Forms (the names the browser tests rely
 * on)"): start a request, upload a document, open a case from the inbox, act
 * at a step, fill the e-mailed identity and set-passphrase forms, download a
 * certificate.  Each action happens in the browser and saves a screenshot;
 * the JSON API is only used to check what the pages did.
 */
const path = require('path');
const { ok, pdf, PNG, openssl } = require('./lib');

const APPLICANT = 'pemohon.demo';

/* /portal/requests/new as `user`: radio sop, optional serial and reason. */
async function openRequest(h, user, sop, opts) {
	opts = opts || {};
	await h.login(user);
	await h.visit('/portal/requests/new', 'request-new', 200);
	await h.page.check('input[name=sop][value="' + sop + '"]');
	if (opts.serial)
		await h.page.selectOption('select[name=serial]', { value: opts.serial });
	if (opts.reason)
		await h.page.selectOption('select[name=reason]', { value: opts.reason });
	const resp = await h.submit(h.page.locator('form[action="/portal/requests"] button[type=submit]')
		.first(), 'request-' + sop);
	const m = new URL(h.page.url()).pathname.match(/^\/portal\/cases\/([^/?#]+)$/);
	ok(resp && resp.status() === 200 && m, user + ' starts a ' + sop + ' request: on its case page',
		(resp ? resp.status() : 'none') + ' ' + h.page.url());
	if (!m)
		throw new Error('no case page after POST /portal/requests');
	return m[1];
}

/* The upload form of the case page: select doc, file, "Unggah". */
async function upload(h, caseId, doc) {
	if (new URL(h.page.url()).pathname !== '/portal/cases/' + caseId)
		await h.visit('/portal/cases/' + caseId, 'case-' + caseId);
	await h.page.selectOption('select[name=doc]', { value: doc });
	await h.page.setInputFiles('input[name=file]', h.file(doc + '.pdf', pdf(doc)));
	const resp = await h.submit(h.page.locator('form[action$="/documents"] button[type=submit]')
		.first(), 'uploaded-' + doc);
	return ok(resp && resp.status() === 200, 'uploads ' + doc + ' on the case page',
		resp ? resp.status() + ' ' + h.page.url() : 'none');
}

/* The case opened from the inbox: its link must be there. */
async function fromInbox(h, caseId, who) {
	await h.visit('/portal/inbox', 'inbox-' + who, 200);
	const a = h.page.locator('a[href="/portal/cases/' + caseId + '"]').first();
	const there = await a.count() > 0;
	ok(there, who + ': the case is in the inbox');
	if (there)
		await h.submit(a, 'case-' + who);
	else
		await h.visit('/portal/cases/' + caseId, 'case-' + who);
}

/* The act form: note, then the button decision=yes|no|done. */
async function act(h, caseId, who, decision, note) {
	if (new URL(h.page.url()).pathname !== '/portal/cases/' + caseId)
		await h.visit('/portal/cases/' + caseId, 'case-' + who);
	const form = h.page.locator('form[action="/portal/cases/' + caseId + '/act"]');
	if (note !== undefined)
		await form.locator('[name=note]').fill(note);
	const confirm = form.locator('input[name=confirm]');
	if (await confirm.count())
		await confirm.check();   /* issuing and revoking are confirmed */
	const btn = form.locator('button[name=decision][value=' + decision + ']').first();
	const label = (await btn.textContent()).trim().split(/\s+/)[0];
	const resp = await h.submit(btn, 'acted-' + who + '-' + decision);
	ok(resp && resp.status() === 200, who + ' acts on the case page: "' + label + '" (' +
		decision + ')', resp ? resp.status() + ' ' + h.page.url() : 'none');
	return label;
}

async function caseOf(h, caseId) {
	const api = h.apiApplicant || (h.apiApplicant = await h.api(APPLICANT));
	return api.get('/api/v1/cases/' + caseId);
}

async function expectStep(h, caseId, step, what) {
	const c = await caseOf(h, caseId);
	return ok(c && String(c.step) === String(step), what + ': the case is at step ' + step,
		c ? c.step + ' ' + c.state : 'no case');
}

const IDENTITY = { name: 'Siti Rahmawati', nik: '1471015505900001',
	email: 'pemohon.demo@kominfo.demo.go.id', nip: '198705122010012003',
	organization: 'Pemerintah Kabupaten Kepulauan Meranti', unit: 'Bidang Persandian',
	position: 'Analis', locality: 'Selatpanjang', province: 'Riau' };

/* Types fields into the identity form; the NIK, NIP and e-mail the account
 * records are shown read-only (security review, finding 1) and only checked
 * (check: report each as a test) against the value that would be typed. */
async function fillIdentity(h, fields, check) {
	for (const [k, v] of Object.entries(fields)) {
		const el = h.page.locator('#f_' + k);
		if (await el.getAttribute('readonly') !== null) {
			const shown = await el.inputValue();
			if (check)
				ok(shown === v, 'the identity form shows the account\'s ' + k + ', read-only', shown);
			continue;
		}
		await h.page.fill('#f_' + k, v);
	}
}

/* The identity form of the e-mailed link, photo included. */
async function identityForm(h, fields) {
	const m = await h.mailLink(/^\/link\/identity_form\//);
	ok(m, 'the identity_form e-mail arrived with its link', h.mails());
	if (!m)
		throw new Error('no identity_form e-mail');
	await h.logout();
	await h.visit(m.link, 'identity-form', 200);
	await fillIdentity(h, fields || IDENTITY, true);
	await h.page.setInputFiles('input[name=photo]', h.file('foto.png', PNG));
	await h.shot('identity-form-filled');
	const resp = await h.submit(h.page.locator('form button[type=submit]').last(), 'identity-sent');
	ok(resp && resp.status() === 200, 'the identity form with the photo is sent (200)',
		resp ? resp.status() : 'none');
	return m;
}

async function setPassphrase(h, passphrase) {
	const acc = await h.mailLink(/^\/login$/);
	ok(acc, 'the account e-mail arrived with the /login link');
	if (acc)
		await h.visit(acc.link, 'account-mail-login', 200);
	const m = await h.mailLink(/^\/link\/set_passphrase\//);
	ok(m, 'the set_passphrase e-mail arrived with its link');
	if (!m)
		throw new Error('no set_passphrase e-mail');
	await h.logout();
	await h.visit(m.link, 'set-passphrase', 200);
	await h.page.fill('#f_passphrase', passphrase);
	await h.page.fill('#f_confirm', passphrase);
	const resp = await h.submit(h.page.locator('form button[type=submit]').last(),
		'passphrase-set');
	ok(resp && resp.status() === 200, 'the passphrase is set through the link (200)',
		resp ? resp.status() : 'none');
}

/* SOP 001 in the browser from the request to the case waiting at `until`. */
async function sop001UpTo(h, until, notes) {
	notes = notes || {};
	const id = await openRequest(h, APPLICANT, 'meranti-penerbitan');
	for (const d of ['surat_permohonan', 'formulir_rekomendasi', 'fc_ktp', 'fc_sk'])
		await upload(h, id, d);
	await act(h, id, 'pemohon', 'done');
	await expectStep(h, id, 2, 'after the applicant submits');
	for (const [user, step] of [['kadis.demo', 3], ['kabid.demo', 4], ['verifikator.demo', 5]]) {
		if (step - 1 >= until)
			break;
		await h.login(user);
		await fromInbox(h, id, user);
		await act(h, id, user, 'done', notes[user] || 'Diteruskan oleh ' + user);
		await expectStep(h, id, step, 'after ' + user);
	}
	return id;
}

/* The certificate from /portal/certificates, downloaded by the browser. */
async function downloadCert(h, user) {
	await h.login(user);
	await h.visit('/portal/certificates', 'certificates', 200);
	const a = h.page.locator('a[href$=".pem"], a[href*="format=pem"], a[download]').first();
	if (!ok(await a.count() > 0, '/portal/certificates has a download link'))
		return null;
	const href = await a.getAttribute('href');
	let pem = null;
	try {
		const [dl] = await Promise.all([h.page.waitForEvent('download', { timeout: 5000 }),
			a.click()]);
		pem = require('fs').readFileSync(await dl.path(), 'utf8');
	} catch (e) {
		/* shown inline rather than downloaded: fetch it with the browser's session */
		const r = await h.page.request.get(new URL(href, h.base).href);
		pem = await r.text();
	}
	ok(/-----BEGIN CERTIFICATE-----/.test(pem), 'the browser downloaded a PEM certificate (' +
		href + ')', pem ? pem.slice(0, 200) : 'none');
	return h.file('holder.pem', pem || '');
}

/*
 * SOP 001 walked with the CLI (as scripts/demo.sh does) from a new case to
 * the step `until` (the case then waits there), or to the end (until 12:
 * issued).  For the scenarios whose subject comes later.  With `from`, the
 * existing case `id` goes on from the step `from`.  Returns {id, serial}.
 */
function cliSop001(h, until, id, from) {
	const A = ['--as', APPLICANT, '--role', 'pemohon'];
	const V = ['--as', 'verifikator.demo', '--role', 'verifikator'];
	if (!id) {
		id = h.cli('case', 'open', '--sop', 'meranti-penerbitan', ...A);
		for (const d of ['surat_permohonan', 'formulir_rekomendasi', 'fc_ktp', 'fc_sk'])
			h.cli('case', 'attach', id, '--doc', d, '--file', h.file(d + '.pdf', pdf(d)), ...A);
	}
	const set = [];
	for (const [k, v] of Object.entries(IDENTITY))
		set.push('--set', k + '=' + v);
	const steps = [[1, A], [2, ['--as', 'kadis.demo', '--role', 'kadis']],
		[3, ['--as', 'kabid.demo', '--role', 'kabid']], [4, V], [5, [...V, '--yes']],
		[7, [...A, ...set]], [8, [...V, '--yes']],
		[10, [...A, '--passphrase-file', h.file('pp', 'langit biru di atas selat panjang\n')]],
		[11, ['--as', 'bsre.demo', '--role', 'bsre']]];
	let out = '';
	for (const [step, who] of steps)
		if (step < until && step >= (from || 1))
			out = h.cli('case', 'act', id, '--step', String(step), ...who);
	return { id, serial: (out.match(/issued ([0-9a-f]+)/) || [])[1] };
}

/* The serial in the served CRL (openssl crl) and OCSP "revoked" (openssl ocsp). */
async function checkRevoked(h, serial, pem) {
	const r = await h.page.request.get(h.base + '/pki/issuing.crl');
	const crl = h.file('issuing.crl', await r.body());
	const t = openssl(['crl', '-inform', 'DER', '-in', crl, '-noout', '-text']);
	ok(t.status === 0 && t.out.toUpperCase().replace(/:/g, '').includes(serial.toUpperCase()),
		'openssl crl: serial ' + serial + ' is in the CRL served at /pki/issuing.crl', t.out);
	const o = openssl(['ocsp', '-issuer', path.join(h.dir, 'pki/issuing.crt'), '-cert',
		pem, '-url', h.base + '/ocsp', '-CAfile',
		path.join(h.dir, 'pki/chain.pem')]);
	ok(/: revoked/.test(o.out) && /Response verify OK/.test(o.out),
		'openssl ocsp: the certificate is revoked (signed response verified)', o.out);
}

module.exports = { cliSop001, checkRevoked, APPLICANT, IDENTITY, openRequest, upload, fromInbox, act, caseOf, expectStep,
	identityForm, fillIdentity, setPassphrase, sop001UpTo, downloadCert };
