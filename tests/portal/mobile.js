'use strict';
/*
 * mobile.js - the main pages at a 360 px wide viewport (a screenshot each;
 * nothing wider than the screen), and a keyboard-only sign-in: Tab to the
 * user name, type, Tab to the password, type, Enter; the session is made.
 */
const { run, ok } = require('./lib');
const f = require('./flows');

async function narrow(h, p, name, tables) {
	const resp = await h.visit(p, '360-' + name);
	const w = await h.page.evaluate(() => document.documentElement.scrollWidth);
	ok(resp && resp.status() === 200 && w <= 360, p + ' at 360 px: 200, no horizontal scrolling',
		(resp ? resp.status() : 'none') + ', scrollWidth ' + w);
	if (tables) {
		/* and no table cut off inside its scrolling box (service names, serials) */
		const cut = await h.page.evaluate(() => [...document.querySelectorAll('.table')]
			.filter((e) => e.scrollWidth > e.clientWidth + 1)
			.map((e) => e.scrollWidth + '>' + e.clientWidth));
		ok(cut.length === 0, p + ' at 360 px: every table fits, nothing cut off', cut.join(' '));
	}
}

run('mobile', async (h) => {
	/* keyboard-only sign-in (desktop viewport) */
	await h.visit('/login', 'keyboard-login');
	let focused = null;
	for (let i = 0; i < 30 && focused !== 'f_username'; i++) {
		await h.page.keyboard.press('Tab');
		focused = await h.page.evaluate(() => document.activeElement && document.activeElement.id);
	}
	ok(focused === 'f_username', 'Tab reaches the user name field', focused);
	await h.page.keyboard.type(f.APPLICANT);
	await h.page.keyboard.press('Tab');
	focused = await h.page.evaluate(() => document.activeElement.id);
	ok(focused === 'f_password', 'the next Tab is the password field', focused);
	await h.page.keyboard.type(h.logins[f.APPLICANT]);
	await h.shot('keyboard-typed');
	await Promise.all([h.page.waitForNavigation(), h.page.keyboard.press('Enter')]);
	await h.shot('keyboard-signed-in');
	ok(new URL(h.page.url()).pathname === '/portal', 'Enter signs in: on /portal', h.page.url());
	const acc = await h.visit('/portal/account', 'keyboard-account');
	ok(acc && acc.status() === 200 && new URL(h.page.url()).pathname === '/portal/account',
		'the session works: /portal/account 200');

	/* 360 px */
	await h.page.setViewportSize({ width: 360, height: 740 });
	for (const [p, n] of [['/portal', 'portal'], ['/portal/requests/new', 'request-new'],
		['/portal/certificates', 'certificates'], ['/portal/account', 'account']])
		await narrow(h, p, n, true);
	const rq = await f.openRequest(h, f.APPLICANT, 'meranti-penerbitan');
	const caseId = new URL(h.page.url()).pathname.split('/').pop();
	ok(rq && /^\d+$/.test(caseId), 'a request opened at 360 px', h.page.url());
	await narrow(h, '/portal', 'portal-with-request', true);
	await narrow(h, '/portal/cases/' + caseId, 'case', true);
	const order = await h.page.evaluate(() => {
		const up = document.querySelector('form[action$="/documents"]');
		const act = document.querySelector('form[action$="/act"]');
		return up && act ? !!(up.compareDocumentPosition(act) & Node.DOCUMENT_POSITION_FOLLOWING) :
			null;
	});
	ok(order === true, 'step 1: the upload form comes before the submit button', order);
	await h.login('verifikator.demo');
	await narrow(h, '/portal/inbox', 'inbox', true);
	await h.login('admin.demo');
	for (const [p, n] of [['/portal/admin', 'admin'], ['/portal/admin/people', 'admin-people'],
		['/portal/admin/sops', 'admin-sops'], ['/portal/sla', 'sla'],
		['/portal/registry/cases', 'registry-cases'], ['/portal/registry/certificates', 'registry-certs']])
		await narrow(h, p, n, p.startsWith('/portal/registry'));
	/* the administrator's menu (the longest) on one line at 1280 px */
	await h.page.setViewportSize({ width: 1280, height: 900 });
	await h.visit('/portal/admin', '1280-admin-menu');
	const lines = await h.page.evaluate(() => new Set([...document.querySelectorAll(
		'header.top nav li, header.top .brand, header.top .logout')].map((e) =>
		Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))).size);
	ok(lines === 1, 'the administrator\'s menu, brand and sign-out on one line at 1280 px',
		lines + ' lines');
	await h.page.setViewportSize({ width: 360, height: 740 });
	await h.logout();
	for (const [p, n] of [['/', 'home'], ['/login', 'login'], ['/ca', 'ca'],
		['/status', 'status'], ['/password-reset', 'password-reset']])
		await narrow(h, p, n);
});
