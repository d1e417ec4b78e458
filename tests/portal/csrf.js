'use strict';
/*
 * csrf.js - a form submitted by the browser with its csrf field removed
 * (page.evaluate) is refused with 403 "Formulir kedaluwarsa" and changes
 * nothing: the sign-in form (no session made), the e-mailed identity form
 * (the case stays at step 7), the change-password form (the old password
 * still works), the act form of a case page (the case does not move) and
 * the new-agency form of /portal/admin (no agency made).
 */
const { run, ok, PNG } = require('./lib');
const f = require('./flows');

async function dropCsrfAndSubmit(h, formSel, name) {
	const n = await h.page.evaluate((sel) => {
		const fm = document.querySelector(sel);
		const c = fm ? fm.querySelectorAll('[name=csrf]') : [];
		c.forEach((x) => x.remove());
		return c.length;
	}, formSel);
	ok(n === 1, name + ': the form had one csrf field, removed', n);
	const resp = await h.submit(h.page.locator(formSel + ' button[type=submit]').last(),
		'no-csrf-' + name);
	const body = await h.page.locator('body').innerText();
	ok(resp && resp.status() === 403 && /Formulir kedaluwarsa/.test(body),
		name + ' without csrf: 403 "Formulir kedaluwarsa"', resp ? resp.status() : 'none');
}

run('csrf', async (h) => {
	/* sign-in */
	await h.visit('/login', 'login');
	await h.page.fill('#f_username', f.APPLICANT);
	await h.page.fill('#f_password', h.logins[f.APPLICANT]);
	await dropCsrfAndSubmit(h, 'form[action="/login"]', 'POST /login');
	const cookies = await h.browser.cookies();
	ok(!cookies.some((c) => /session/.test(c.name)), 'no session cookie was set',
		cookies.map((c) => c.name));
	const r = await h.visit('/portal/account', 'account-after-refused-login');
	ok(new URL(h.page.url()).pathname === '/login', 'still signed out (/portal/account goes to ' +
		'/login)', h.page.url());

	/* change password, signed in */
	await h.login(f.APPLICANT);
	await h.visit('/portal/account', 'account', 200);
	await h.page.fill('form[action="/portal/account/password"] [name=current]',
		h.logins[f.APPLICANT]);
	await h.page.fill('form[action="/portal/account/password"] [name=password]', 'Baru-sekali-2026!xyz');
	await h.page.fill('form[action="/portal/account/password"] [name=confirm]', 'Baru-sekali-2026!xyz');
	await dropCsrfAndSubmit(h, 'form[action="/portal/account/password"]', 'change password');
	let still = true;
	try { await h.api(f.APPLICANT); } catch (e) { still = false; }
	ok(still, 'the old password still works (nothing changed)');

	/* the act form of a case page; the case made with the CLI, at step 2 */
	const { id } = f.cliSop001(h, 2);
	await h.login('kadis.demo');
	await h.visit('/portal/cases/' + id, 'case-kadis', 200);
	try {
		await h.page.fill('form[action="/portal/cases/' + id + '/act"] [name=note]', 'tanpa token');
		await dropCsrfAndSubmit(h, 'form[action="/portal/cases/' + id + '/act"]', 'act form');
	} catch (e) {
		ok(false, 'the act form of /portal/cases/' + id + ': ' + e.message.split('\n')[0]);
	}
	await f.expectStep(h, id, 2, 'after the refused act form');

	/* identity form of the e-mailed link: the same case, moved to step 7 with the CLI */
	await h.logout();
	f.cliSop001(h, 7, id, 2);
	const m = await h.mailLink(/^\/link\/identity_form\//);
	ok(m, 'the identity_form e-mail arrived');
	if (m) {
		await h.visit(m.link, 'identity-form', 200);
		await f.fillIdentity(h, f.IDENTITY);
		await h.page.setInputFiles('input[name=photo]', h.file('foto.png', PNG));
		await dropCsrfAndSubmit(h, 'form[method=post]', 'identity form');
		await f.expectStep(h, id, 7, 'after the refused identity form');
		await h.visit(m.link, 'identity-form-still-valid', 200);
	}

	/* an administration form: a new agency */
	await h.login('admin.demo');
	await h.visit('/portal/admin', 'admin', 200);
	try {
		await h.page.fill('form[action="/portal/admin/orgs"] [name=id]', 'kab-tanpa-token');
		await h.page.fill('form[action="/portal/admin/orgs"] [name=name]', 'Kabupaten Tanpa Token');
		await dropCsrfAndSubmit(h, 'form[action="/portal/admin/orgs"]', 'new agency');
		await h.visit('/portal/admin', 'admin-after-refusal', 200);
		ok(!(await h.page.locator('body').innerText()).includes('kab-tanpa-token'),
			'no agency was created');
	} catch (e) {
		ok(false, 'the new-agency form of /portal/admin: ' + e.message.split('\n')[0]);
	}
});
