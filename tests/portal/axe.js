'use strict';
/*
 * axe.js - axe-core (npm, pinned in package-lock.json) run on every main page
 * of the portal: the public pages (home, CA, sign-in and a refused sign-in,
 * password reset, /verify, /status with and without a serial, a 404); the
 * applicant's (home, requests, the request form and a refused request, a
 * case at step 1 with its upload form, certificates, account with an API
 * token, the TOTP enrolment page, /portal/sign); the e-mailed identity and
 * set-passphrase forms; the staff's (the verifier's, the head's and BSrE's
 * inbox, a case at the verifier's decisions of steps 5 and 8 and at the
 * issuing step); the administrator's (every item of the admin menu, a
 * person, the SLA dashboard, and for every active SOP its page with the
 * swimlane, its official form and the swimlane SVG itself); the CA
 * operator's registry (cases, certificates).
 *
 * axe.min.js is evaluated in the page (over the DevTools protocol, so the
 * portal's Content-Security-Policy stays as it is) and axe.run() checks the
 * whole document with axe's default rules (WCAG 2.x A and AA, best
 * practices); no rule is disabled.  Every page prints its counts per impact
 * and what axe could not decide by itself ("to review": colours over
 * overlapping boxes or in SVG).  axe is loaded into every frame, so the SOP
 * page's form in its iframe is checked with the page.  The test fails on each violation, naming its rule, impact,
 * target and page: of impact "serious" or "critical" as issue 21 asks, and
 * of "moderate" or "minor" too, since the portal has none left.
 */
const fs = require('fs');
const path = require('path');
const { run, ok, SRC } = require('./lib');
const f = require('./flows');

let AXE = null;   /* axe.min.js, read once lib.js has installed it */
const IMPACTS = ['critical', 'serious', 'moderate', 'minor'];
const total = {};

/* axe.run on the page shown (p names it in the report). */
async function check(h, p, name) {
	AXE = AXE || fs.readFileSync(path.join(__dirname, 'node_modules', 'axe-core', 'axe.min.js'),
		'utf8');
	/* frames too (the SOP page's form): axe asks them; not a document
	 * preview (a PDF: chromium's viewer, no page of ours) */
	for (const fr of h.page.frames())
		if (fr === h.page.mainFrame() || (fr.url().startsWith(h.base) &&
			!/\/documents\//.test(fr.url())))
			await fr.evaluate(AXE);
	const res = await h.page.evaluate(async () => {
		const r = await axe.run(document);
		const grave = (v) => v.impact === 'serious' || v.impact === 'critical';
		return { version: axe.version,
			/* what axe could not decide (a colour over an overlapping box...) */
			incomplete: r.incomplete.filter(grave).map((v) => v.id + ' ' + v.nodes.length + ' (' +
				v.nodes[0].target.join(' ') + (v.nodes[0].any[0] && v.nodes[0].any[0].message ?
				': ' + v.nodes[0].any[0].message : '') + ')'),
			violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
				targets: v.nodes.map((n) => ({ target: n.target.join(' '),
					summary: n.failureSummary })) })) };
	});
	const count = {};
	const bad = [], less = [];
	for (const v of res.violations) {
		count[v.impact] = (count[v.impact] || 0) + v.targets.length;
		for (const n of v.targets)
			(v.impact === 'serious' || v.impact === 'critical' ? bad : less).push(v.id + ' (' +
				v.impact + ') ' + n.target + ' on ' + p + ': ' + v.help + (n.summary ? ' - ' +
				n.summary.replace(/\s+/g, ' ').slice(0, 300) : ''));
	}
	total[name] = count;
	console.log('# axe ' + res.version + ' ' + p + ': ' + IMPACTS.map((i) => i + ' ' +
		(count[i] || 0)).join(', '));
	if (res.incomplete.length)
		console.log('#   to review (axe cannot tell): ' + res.incomplete.join(', '));
	ok(bad.length === 0, 'axe: no serious or critical violation on ' + p + ' (' + name + ')',
		bad.join('\n'));
	ok(less.length === 0, 'axe: no moderate or minor violation either on ' + p, less.join('\n'));
}

/* Opens p (expecting status), then check(). */
async function axe(h, p, name, status) {
	/* (chromium takes no full-page screenshot of a bare SVG document) */
	const resp = p.endsWith('.svg') ? await h.page.goto(h.base + p) : await h.visit(p, 'axe-' + name);
	const st = resp ? resp.status() : 0;
	if (ok(st === (status || 200), 'GET ' + p.replace(/[A-Za-z0-9_-]{40,}/, 'TOKEN') + ': ' +
		(status || 200), st))
		await check(h, p.replace(/[A-Za-z0-9_-]{40,}/, 'TOKEN'), name);
}

/* Submits the form of the button (expecting status), then check(). */
async function axePost(h, button, what, name, status) {
	const resp = await h.submit(button, 'axe-' + name);
	const st = resp ? resp.status() : 0;
	if (ok(st === status, what + ': ' + status, st))
		await check(h, what, name);
}

run('axe', async (h) => {
	/* an issued certificate (its mails first: the links of the next case are
	 * then the new ones), an issuance case at the verifier's decision (step
	 * 5) and a revocation request at step 1 (upload form, submit button) */
	const issued = f.cliSop001(h, 12);
	for (const re of [/^\/link\/identity_form\//, /^\/link\/set_passphrase\//])
		ok(await h.mailLink(re), 'the first case\'s ' + re.source.split('\\/')[2] + ' e-mail');
	const { id } = f.cliSop001(h, 5);
	const draft = await f.openRequest(h, f.APPLICANT, 'ciamis-pencabutan',
		{ serial: issued.serial, reason: 'alasan_lain' });
	const gvid = h.cli('sop', 'install', path.join(SRC, 'tests/portal/giliran.yaml'), '--activate')
		.split(/\s+/)[0];
	const versions = h.cli('sop', 'list').split('\n').filter((l) => /\tactive\t/.test(l))
		.map((l) => l.split('\t'));
	const vid = (versions.find((v) => v[1] === 'meranti-penerbitan') || [])[0];
	ok(/^\d+$/.test(vid || '') && /^\d+$/.test(gvid), 'the active versions: ' +
		versions.map((v) => v[0] + ' ' + v[1]).join(', '));

	/* public */
	await h.logout();
	for (const [p, n, s] of [['/', 'home'], ['/ca', 'ca'], ['/login', 'login'],
		['/password-reset', 'password-reset'], ['/verify', 'verify'], ['/status', 'status'],
		['/status?serial=' + issued.serial, 'status-serial'], ['/tidak-ada', 'not-found', 404]])
		await axe(h, p, n, s);
	await h.visit('/login', 'login-again');
	await h.page.fill('#f_username', f.APPLICANT);
	await h.page.fill('#f_password', 'bukan kata sandinya');
	await axePost(h, h.page.locator('form[action="/login"] button[type=submit]'),
		'POST /login (wrong password)', 'login-refused', 401);

	/* applicant (with an API token: the account page lists it) */
	const tok = await (await h.api(f.APPLICANT)).post('/api/v1/tokens', { name: 'uji axe',
		roles: ['pemohon'], expires_days: 30 });
	ok(tok.status === 201 || tok.status === 200, 'an API token of the applicant', tok.status);
	await h.login(f.APPLICANT);
	for (const [p, n] of [['/portal', 'portal'], ['/portal/cases', 'cases'],
		['/portal/requests/new', 'request-new'], ['/portal/cases/' + draft, 'case-step1'],
		['/portal/cases/' + id, 'case-applicant'], ['/portal/certificates', 'certificates'],
		['/portal/account', 'account'], ['/portal/sign', 'sign']])
		await axe(h, p, n);
	await h.visit('/portal/requests/new', 'request-new-again');
	await h.page.evaluate(() => document.querySelectorAll('input[name=sop]').forEach((e) => {
		e.checked = false;
	}));
	await axePost(h, h.page.locator('form[action="/portal/requests"] button[type=submit]'),
		'POST /portal/requests (no service chosen)', 'request-refused', 422);
	await h.visit('/portal/account', 'account-again');
	await h.page.fill('form[action="/portal/account/totp/enrol"] [name=password]',
		h.logins[f.APPLICANT]);
	await axePost(h, h.page.locator('form[action="/portal/account/totp/enrol"] button[type=submit]'),
		'POST /portal/account/totp/enrol (the QR code page)', 'totp-enrol', 200);

	/* staff: inboxes and the verifier's decision (step 5) */
	await h.login('verifikator.demo');
	await axe(h, '/portal/inbox', 'inbox-verifier');
	await axe(h, '/portal/cases/' + id, 'case-decision');
	await h.login('kadis.demo');
	await axe(h, '/portal/inbox', 'inbox-head');

	/* the e-mailed identity form, the identity check (step 8), the
	 * set-passphrase form and the issuing step with its preview (step 11) */
	await h.logout();
	f.cliSop001(h, 6, id, 5);
	const idf = await h.mailLink(/^\/link\/identity_form\//);
	ok(idf, 'the identity_form e-mail of the second case');
	if (idf)
		await axe(h, idf.link, 'link-identity-form');
	f.cliSop001(h, 8, id, 6);
	await h.login('verifikator.demo');
	await axe(h, '/portal/cases/' + id, 'case-identity-check');
	f.cliSop001(h, 10, id, 8);
	await h.logout();
	const spf = await h.mailLink(/^\/link\/set_passphrase\//);
	ok(spf, 'the set_passphrase e-mail of the second case');
	if (spf)
		await axe(h, spf.link, 'link-set-passphrase');
	f.cliSop001(h, 11, id, 10);
	await h.login('bsre.demo');
	await axe(h, '/portal/inbox', 'inbox-bsre');
	await axe(h, '/portal/cases/' + id, 'case-issue');

	/* administrator and CA operator: every item of the admin menu */
	await h.login('admin.demo');
	await h.visit('/portal/admin', 'admin-menu');
	const menu = await h.page.locator('nav.subnav a').evaluateAll((as) =>
		as.map((a) => a.getAttribute('href')));
	ok(menu.length >= 5, 'the admin menu has its items', menu);
	for (const p of menu)
		await axe(h, p, 'admin-' + p.replace(/^\/portal\/(admin\/)?/, '').replace(/[?=&]/g, '-'));
	await h.visit('/portal/admin/people', 'people');
	const person = await h.page.locator('a[href^="/portal/admin/people/"]').first()
		.getAttribute('href').catch(() => null);
	ok(person, 'a person page is linked from the people list');
	if (person)
		await axe(h, person, 'admin-person');
	await axe(h, '/portal/sla', 'sla');
	/* every active SOP: its page, its official form, its swimlane */
	for (const [v, name] of versions) {
		await axe(h, '/portal/admin/sops/' + v, 'sop-' + name);
		await axe(h, '/portal/admin/sops/' + v + '/form', 'sop-form-' + name);
		await axe(h, '/portal/admin/sops/' + v + '/swimlane.svg', 'sop-swimlane-' + name);
	}
	await axe(h, '/portal/registry/cases', 'registry-cases');
	await axe(h, '/portal/registry/certificates', 'registry-certificates');

	/* at 360 px (mobile.js): tables scroll in their boxes, the menu wraps */
	await h.page.setViewportSize({ width: 360, height: 740 });
	for (const [p, n] of [['/portal/registry/certificates', '360-registry-certificates'],
		['/portal/admin/audit', '360-admin-audit'], ['/portal/sla', '360-sla'],
		['/portal/admin/sops/' + vid, '360-sop']])
		await axe(h, p, n);
	await h.login('verifikator.demo');
	await axe(h, '/portal/inbox', '360-inbox-verifier');
	await h.login(f.APPLICANT);
	for (const [p, n] of [['/portal', '360-portal'], ['/portal/cases/' + id, '360-case'],
		['/portal/requests/new', '360-request-new'], ['/portal/account', '360-account']])
		await axe(h, p, n);

	console.log('# axe, nodes per impact (critical/serious/moderate/minor) per page:');
	for (const [n, c] of Object.entries(total))
		console.log('#   ' + n.padEnd(36) + IMPACTS.map((i) => c[i] || 0).join('/'));
});
